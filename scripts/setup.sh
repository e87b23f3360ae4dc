#!/usr/bin/env bash
# Install everything brian2_lnp needs on a fresh Debian machine (idempotent).
# Debian: a C++ compiler for Brian2's cython/cpp_standalone code generation and the
# Fashion-MNIST images; PyPI: the package itself with its test and fast-graph extras.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
need_apt=""
for pkg in g++ dataset-fashion-mnist; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt="$need_apt $pkg"
done
if [ -n "$need_apt" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need_apt >/dev/null
fi
PY=${PYTHON:-python3}
$PY -m pip install -q --disable-pip-version-check -e ".[test,fast,data,dask]"
# brightwind ships the real MERRA-2 wind series we read directly (wind_speed()); its own
# requirements pin an old pandas, and we never import it, so install it without them.
$PY -m pip show brightwind >/dev/null 2>&1 || \
  $PY -m pip install -q --disable-pip-version-check --no-deps brightwind
