"""``python -m brian2_lnp``: the ``brian2-lnp`` command line (see :mod:`brian2_lnp.cli`)."""
import sys

from .cli import main

__all__ = []

if __name__ == "__main__":
    sys.exit(main())
