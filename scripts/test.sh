#!/usr/bin/env bash
# Install (idempotent) and run the default test suite, then the Brian2GeNN
# code-generation tests in their own environment (brian2 2.5.4 + brian2genn).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=${PYTHON:-python3}
$PY -m pytest -q "$@"
bash scripts/genn_env.sh
