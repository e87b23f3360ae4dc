"""Choosing a Brian2 device: runtime, cpp_standalone or genn.

``use_device(name, directory=None, **kw)`` wraps :func:`brian2.set_device`
with the checks a user needs: Cython (with a NumPy fallback when no C++
compiler works) for runtime, a build directory for standalone devices, and a
clear ImportError naming what to install for GeNN.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile

__all__ = ["use_device", "current_device_name", "is_standalone", "DeviceUnavailableError",
           "DEVICES", "deferred_build",
           "start_session"]

logger = logging.getLogger(__name__)

#: device names accepted by :func:`use_device`
DEVICES = ("runtime", "cpp_standalone", "genn")


class DeviceUnavailableError(ImportError):
    """The requested device needs software that is not installed."""


def _cython_works():
    """True when Cython is importable and a C++ compiler is on the PATH."""
    try:
        import Cython  # noqa: F401
    except ImportError:
        return False
    cxx = os.environ.get("CXX", "c++")
    return any(shutil.which(c) for c in (cxx, "g++", "clang++", "c++"))


def use_device(name, directory=None, codegen=None, **kwargs):
    """Select the Brian2 device for the models built afterwards.

    Parameters
    ----------
    name : {"runtime", "cpp_standalone", "genn"}
    directory : str, optional
        Build directory for standalone devices. Default: a new temporary
        directory (its path is returned).
    codegen : {"cython", "numpy"}, optional
        Runtime code generation target. Default: "cython" when Cython and a
        C++ compiler are available, else "numpy" (with a log message).
    **kwargs
        Passed to :func:`brian2.set_device` (e.g. ``build_on_run=False``,
        ``compile=False, run=False`` for GeNN code generation only,
        ``use_GPU=False`` for GeNN's CPU backend).

    Returns
    -------
    str or None
        The build directory for standalone devices, None for runtime.

    Raises
    ------
    ValueError
        Unknown device name.
    DeviceUnavailableError
        ``genn`` without brian2genn installed.
    """
    import brian2

    if name not in DEVICES:
        raise ValueError(f"name: must be one of {list(DEVICES)}, got {name!r}")
    if name == "runtime":
        if codegen is None:
            codegen = "cython" if _cython_works() else "numpy"
            if codegen == "numpy":
                logger.info("use_device: Cython or a C++ compiler is missing; runtime "
                            "falls back to NumPy code generation (slower)")
        elif codegen not in ("cython", "numpy"):
            raise ValueError(f"codegen: must be 'cython' or 'numpy', got {codegen!r}")
        brian2.prefs.codegen.target = codegen
        brian2.set_device("runtime", **kwargs)
        return None
    if codegen is not None:
        raise ValueError("codegen: only for the runtime device")
    if name == "genn":
        try:
            import brian2genn  # noqa: F401  (registers the 'genn' device)
        except ImportError as exc:
            raise DeviceUnavailableError(
                "The 'genn' device needs brian2genn (pip install brian2genn, which requires "
                "brian2<2.6 and numpy<2; see scripts/genn_env.sh) and, to compile and run, "
                "GeNN 4.x (set GENN_PATH) plus CUDA for the GPU (set CUDA_PATH). "
                "See docs/gpu.md.") from exc
        if kwargs.get("compile", True) and not (
                os.environ.get("GENN_PATH") or brian2.prefs.get("devices.genn.path", None)
                or shutil.which("genn-buildmodel.sh")):
            raise DeviceUnavailableError(
                "The 'genn' device compiles with GeNN 4.x, which was not found: install it "
                "(https://github.com/genn-team/genn/releases) and set GENN_PATH, or pass "
                "compile=False, run=False to only generate code. See docs/gpu.md.")
    if directory is None:
        directory = tempfile.mkdtemp(prefix=f"brian2_lnp_{name}_")
    if name == "cpp_standalone":
        _bound_make_jobs(brian2)
    brian2.set_device(name, directory=directory, **kwargs)
    return directory


def _bound_make_jobs(brian2):
    """Compile with one job per core, not Brian2's unbounded ``make -j``.

    Brian2's default starts one compiler per generated file at once (over a
    hundred for a few networks in one program), which thrashes a small
    machine. A value the user set is left alone.
    """
    prefs = brian2.prefs.devices.cpp_standalone
    if list(prefs.extra_make_args_unix) == ["-j"]:
        prefs.extra_make_args_unix = [f"-j{max(1, os.cpu_count() or 1)}"]


def current_device_name():
    """Name of the active Brian2 device ("runtime", "cpp_standalone", "genn", ...)."""
    from brian2.devices.device import all_devices, get_device

    dev = get_device()
    for key, value in all_devices.items():
        if value is dev:
            return key
    return type(dev).__name__


def is_standalone(device=None):
    """True for code-generating devices (cpp_standalone, genn, ...), False for runtime."""
    from brian2.devices.device import RuntimeDevice, get_device

    return not isinstance(device if device is not None else get_device(), RuntimeDevice)


@contextlib.contextmanager
def deferred_build(model=None):
    """Let several ``run`` calls of a standalone model form one program.

    On cpp_standalone (or genn) with ``build_on_run=True``, Brian2 builds and
    runs the program at the first ``run``. Inside this context the build is
    deferred: every ``run`` is recorded, values set between runs (e.g. freezing
    STDP) become part of the program, and the program is built and run once on
    exit. On the runtime device, on a device already built, inside an enclosing
    ``deferred_build`` or when the user builds by hand (``build_on_run=False``)
    this does nothing.

    Parameters
    ----------
    model : SpikingNetwork, optional
        Accepted for readability at call sites; the policy is the active device's.
    """
    import brian2 as b2

    dev = b2.get_device()
    if (not is_standalone(dev) or getattr(dev, "has_been_run", False)
            or not getattr(dev, "build_on_run", False)):
        yield
        return
    dev.build_on_run = False
    try:
        yield
    finally:
        dev.build_on_run = True
    dev.build(direct_call=False, **(dev.build_options or {}))


def start_session(name="runtime", directory=None, codegen=None, dt=None):
    """A fresh Brian2 session on device ``name``: reset the device, a new scope.

    Parameters
    ----------
    name : {"runtime", "cpp_standalone", "genn"}
    directory : str, optional
        Build directory of a standalone device (default a new temporary one).
    codegen : {"cython", "numpy"}, optional
        Runtime code generation (see :func:`use_device`).
    dt : float, optional
        Default clock step (second).

    Returns
    -------
    str or None
        The build directory (standalone), None on runtime.
    """
    import brian2 as b2

    b2.device.reinit()
    b2.device.activate()
    b2.start_scope()
    out = (use_device("runtime", codegen=codegen) if name == "runtime"
           else use_device(name, directory=directory))
    if dt is not None:
        b2.defaultclock.dt = float(dt) * b2.second
    return out
