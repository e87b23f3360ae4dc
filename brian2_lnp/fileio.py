"""Crash-safe file writing shared by checkpoints and per-repeat results."""
import contextlib
import os

__all__ = ["atomic_write"]


def atomic_write(path, write, mode="w"):
    """Write ``path`` so that an interruption never leaves half a file.

    ``write(fh)`` fills a temporary file beside ``path``; it is flushed,
    fsynced and moved into place with :func:`os.replace` (atomic on POSIX).
    On any error the temporary file is removed and ``path`` is untouched.
    """
    path = os.fspath(path)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, mode) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
