#!/usr/bin/env bash
# Install (idempotent) and run the default test suite, then the Brian2GeNN
# code-generation tests in their own environment (brian2 2.5.4 + brian2genn).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=${PYTHON:-python3}
# one BLAS thread per process: the suite runs joblib workers and is CPU-bound on 2 cores,
# where oversubscribed OpenBLAS threads slowed small QR factorisations by 100x
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
$PY -m pytest -q "$@"
# the non-editable install (wheel -> fresh venv -> run from another directory); slow-marked
# so that a plain `pytest` stays fast, but CI proves it on every clean machine
$PY -m pytest -q -m slow tests/test_packaging.py
bash scripts/genn_env.sh
