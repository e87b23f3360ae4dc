"""Seed handling shared by every random function (after reservoirpy.utils.random).

Seed streams
------------
:func:`child_seed` derives a named, independent sub-stream from a base seed.
How the names are turned into the numbers fed to
:class:`numpy.random.SeedSequence` is versioned, because changing it changes
every random draw of the package:

* **stream 2** (default): each key is hashed in full, with its type and length
  (``blake2b``, 128 bits). ``"connectivity"``, ``"connecti_other"`` and
  ``"connectivity_E"`` are different streams, and so are ``0`` and ``""``.
* **stream 1** (brian2_lnp up to 0.1.0): string keys were cut to their first
  8 bytes, so keys sharing an 8-byte prefix gave the same stream. Kept only so
  that results made with it can be reproduced.

The stream in use is :func:`seed_stream`; select the old one with
``set_seed_stream(1)`` or the environment variable ``BRIAN2_LNP_SEED_STREAM=1``
(read once at import; :func:`set_seed_stream` also sets it, so worker processes
started afterwards use the same stream). Files and checkpoints record the
stream they were made with (``Connectivity`` files: ``seed_stream``).
"""
import contextlib
import hashlib
import os

import numpy as np

__all__ = ["as_generator", "child_seed", "seed_stream", "set_seed_stream",
           "use_seed_stream", "check_seed_stream", "SEED_STREAMS", "SEED_STREAM_ENV",
           "SeedStreamError"]

#: the seed-stream versions this brian2_lnp can produce
SEED_STREAMS = (1, 2)
#: the default (newest) seed-stream version
DEFAULT_SEED_STREAM = 2
#: environment variable selecting the seed stream of a process (and its workers)
SEED_STREAM_ENV = "BRIAN2_LNP_SEED_STREAM"


class SeedStreamError(ValueError):
    """A result was made with another seed-stream version than the one in use."""


def _parse_stream(value, name):
    try:
        v = int(str(value).strip())
    except ValueError:
        v = None
    if v not in SEED_STREAMS:
        raise ValueError(f"{name}: seed-stream version must be one of {list(SEED_STREAMS)}, "
                         f"got {value!r}")
    return v


def _stream_from_env():
    raw = os.environ.get(SEED_STREAM_ENV, "")
    return DEFAULT_SEED_STREAM if raw.strip() == "" else _parse_stream(raw, SEED_STREAM_ENV)


_STREAM = _stream_from_env()


def seed_stream():
    """The seed-stream version :func:`child_seed` uses now (see the module docstring)."""
    return _STREAM


def set_seed_stream(version):
    """Select the seed-stream version for this process and the processes it starts.

    Parameters
    ----------
    version : int
        One of :data:`SEED_STREAMS`; 1 reproduces results of brian2_lnp 0.1.0.

    Returns
    -------
    int
        The previous version.
    """
    global _STREAM
    version = _parse_stream(version, "version")
    previous, _STREAM = _STREAM, version
    os.environ[SEED_STREAM_ENV] = str(version)
    return previous


@contextlib.contextmanager
def use_seed_stream(version):
    """Context manager: run a block with another seed-stream version."""
    previous = set_seed_stream(version)
    try:
        yield version
    finally:
        set_seed_stream(previous)


def check_seed_stream(recorded, what):
    """Raise :class:`SeedStreamError` if ``recorded`` is not the stream in use.

    ``what`` names the file or object (for the message). ``recorded=None``
    (nothing recorded) passes.
    """
    if recorded is None:
        return
    recorded = int(recorded)
    if recorded != _STREAM:
        raise SeedStreamError(
            f"{what}: made with seed-stream version {recorded}, but this process uses "
            f"version {_STREAM}; the same seed gives other random numbers. To reproduce it, "
            f"run with {SEED_STREAM_ENV}={recorded} (or brian2_lnp.random.set_seed_stream("
            f"{recorded})); otherwise regenerate it")


def as_generator(seed=None):
    """A :class:`numpy.random.Generator` from ``seed``.

    Parameters
    ----------
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator
        ``None`` gives fresh OS entropy; an int or SeedSequence gives a
        reproducible stream; a Generator is returned as it is (shared state).
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"seed: expected None, an int, a SeedSequence or a numpy Generator, "
                        f"got {seed!r}")
    if seed is None or isinstance(seed, (np.random.SeedSequence, np.integer, int)):
        if isinstance(seed, (int, np.integer)) and seed < 0:
            raise ValueError(f"seed: must be a non-negative integer, got {seed}")
        return np.random.default_rng(seed)
    raise TypeError(f"seed: expected None, an int, a SeedSequence or a numpy Generator, "
                    f"got {type(seed).__name__}")


def _key_words_v1(keys):
    return [k if isinstance(k, (int, np.integer)) else
            int.from_bytes(str(k).encode()[:8].ljust(8, b"\0"), "little") for k in keys]


def _key_words_v2(keys):
    h = hashlib.blake2b(digest_size=16, person=b"brian2_lnp.ss2")
    for k in keys:
        if isinstance(k, (bool, np.bool_)):
            raise TypeError(f"keys: expected ints or strings, got {k!r}")
        if isinstance(k, (int, np.integer)):
            tag, data = b"i", str(int(k)).encode()
        elif isinstance(k, str):
            tag, data = b"s", k.encode("utf-8")
        else:
            raise TypeError(f"keys: expected ints or strings, got {type(k).__name__} {k!r}")
        h.update(tag + len(data).to_bytes(8, "little") + data)
    d = h.digest()
    # four 32-bit words: SeedSequence mixes all of them
    return [int.from_bytes(d[i:i + 4], "little") for i in range(0, 16, 4)]


def child_seed(seed, *keys):
    """A reproducible sub-stream named by ``keys`` (ints or strings).

    Independent streams for independent jobs (tau_m draws, connectivity,
    STDP parameters, ...) so that changing one part of a model does not shift
    the random numbers of another. The same base seed and keys give the same
    stream in every process; how keys are mixed in follows :func:`seed_stream`.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        Base seed; a Generator contributes one draw (so it advances), None
        fresh entropy.
    *keys : int or str
        Names of the sub-stream; the order matters.

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(seed, np.random.Generator):
        base = int(seed.integers(2**63))
    elif seed is None:
        base = int(np.random.SeedSequence().entropy % 2**63)
    else:
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed: expected None, an int or a numpy Generator, got {seed!r}")
        base = int(seed)
        if base < 0:
            raise ValueError(f"seed: must be a non-negative integer, got {base}")
    if _STREAM == 1:
        words = [base] + _key_words_v1(keys)
    else:
        words = [base] + _key_words_v2(keys)
    return np.random.default_rng(np.random.SeedSequence(words))
