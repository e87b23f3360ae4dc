#!/usr/bin/env bash
# The second test environment: brian2 2.5.4 + numpy < 2 + brian2genn (which pins
# brian2 < 2.6). It proves the models pass Brian2GeNN code generation with
# set_device('genn', compile=False, run=False); GeNN itself and CUDA are not needed.
# Usage: bash scripts/genn_env.sh [pytest args]   (creates the venv on first use)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${BRIAN2_LNP_GENN_VENV:-$HOME/.cache/brian2_lnp/venv-genn}
PY=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
  $PY -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check "brian2==2.5.4" "numpy<2" "brian2genn>=1.7" \
    scipy pyyaml pytest cython threadpoolctl
"$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e .
# test_genn: code generation of HRSNN/CHRSNN (plain, pruned + extended, compacted).
# The Brian2-layer tests (and bind() on user-written networks) run here too, proving the
# lowest supported brian2 (2.5.4).
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider -m "not slow" \
    tests/test_genn.py tests/test_network.py tests/test_binding.py tests/test_encoders.py \
    tests/test_sops.py "$@"
