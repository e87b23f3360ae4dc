"""A non-editable install works from any directory: wheel -> fresh venv -> models by name.

Slow (builds a wheel and a virtual environment): ``python -m pytest -m slow
tests/test_packaging.py``. The venv uses ``--system-site-packages`` so that
brian2 and the other dependencies are not downloaded again; the test checks
that ``brian2_lnp`` itself is imported from the installed wheel, not from the
checkout or an editable install.
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = pytest.mark.slow


def _run(cmd, cwd, env, timeout=900):
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"{cmd} failed:\n{res.stdout}\n{res.stderr}"
    return res.stdout


def test_wheel_installs_and_runs_from_another_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BRIAN2_LNP_MODELS")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    wheels = tmp_path / "wheels"
    try:
        import wheel  # noqa: F401
        isolation = ["--no-build-isolation"]  # setuptools and wheel are here: no download
    except ImportError:
        isolation = []  # pip fetches the build backend (setuptools, wheel) from the index
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *isolation, "-w",
          str(wheels), ROOT], cwd=tmp_path, env=env)
    (whl,) = list(wheels.glob("brian2_lnp-*.whl"))
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], cwd=tmp_path,
         env=env)
    py = str(venv / "bin" / "python")
    _run([py, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(whl)],
         cwd=tmp_path, env=env)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    site = _run([py, "-c", "import brian2_lnp; print(brian2_lnp.__file__)"], cwd=elsewhere,
                env=env).strip()
    assert site.startswith(str(venv)), f"brian2_lnp imported from {site}, not the wheel"
    out = _run([str(venv / "bin" / "brian2-lnp"), "demo", "--help"], cwd=elsewhere, env=env)
    assert "usage" in out.lower()
    code = ("import brian2; brian2.prefs.codegen.target = 'numpy'\n"
            "import brian2_lnp as lnp\n"
            "from brian2_lnp.models.config import MODELS_DIR\n"
            "net = lnp.build_model('hrsnn_small', seed=1)\n"
            "assert MODELS_DIR.startswith(%r), MODELS_DIR\n"
            "brian2.start_scope()\n"
            "same = lnp.build_model('models/hrsnn_small.yaml', seed=1)\n"
            "assert net.export() == same.export()\n"
            "print(net)\n") % str(venv)
    assert "SpikingNetwork" in _run([py, "-c", code], cwd=elsewhere, env=env)
    out = _run([py, os.path.join(ROOT, "examples", "prune_cuba.py"), "--N", "200",
                "--duration", "0.1", "--iterations", "1"], cwd=elsewhere, env=env)
    assert "SOP ratio" in out
