"""Seed handling shared by every random function (after reservoirpy.utils.random)."""
import numpy as np

__all__ = ["as_generator", "child_seed"]


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
    if seed is None or isinstance(seed, (np.random.SeedSequence, np.integer, int)):
        if isinstance(seed, (int, np.integer)) and seed < 0:
            raise ValueError(f"seed: must be a non-negative integer, got {seed}")
        return np.random.default_rng(seed)
    raise TypeError(f"seed: expected None, an int, a SeedSequence or a numpy Generator, "
                    f"got {type(seed).__name__}")


def child_seed(seed, *keys):
    """A reproducible sub-stream named by ``keys`` (ints or strings).

    Independent streams for independent jobs (tau_m draws, connectivity,
    STDP parameters, ...) so that changing one part of a model does not shift
    the random numbers of another.
    """
    if isinstance(seed, np.random.Generator):
        base = int(seed.integers(2**63))
    elif seed is None:
        base = int(np.random.SeedSequence().entropy % 2**63)
    else:
        base = int(seed)
    words = [base] + [k if isinstance(k, (int, np.integer)) else
                      int.from_bytes(str(k).encode()[:8].ljust(8, b"\0"), "little")
                      for k in keys]
    return np.random.default_rng(np.random.SeedSequence(words))
