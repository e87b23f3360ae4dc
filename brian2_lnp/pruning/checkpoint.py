"""The prune checkpoint directory: the only code that reads or writes it."""
from __future__ import annotations

import json
import os

import numpy as np

from ..dynamics.warm import WarmStart
from ..fileio import atomic_write
from ..graph import Connectivity
from ..graph.connectivity import ConnectivityFileError
from .iteration import Carry, history_frame
from .report import to_jsonable

__all__ = ["Checkpoint", "CheckpointError"]

_CHECKPOINT_TAG = "brian2_lnp.prune_checkpoint"
_CHECKPOINT_VERSION = 2


class CheckpointError(ValueError):
    """A prune checkpoint directory is corrupt, truncated, or of another run."""


class Checkpoint:
    """A prune checkpoint directory; the only code that reads or writes it.

    Files::

        state.json        format, version, base seed, configuration, completed
                          iterations, carried scalars, history, reports, final
        conn_KKKK.npz     the network after iteration KKKK (only the latest)
        carry_KKKK.npz    the carried arrays after iteration KKKK (edge_gain,
                          added_touches)
        original.npz      the input network (Step III never re-adds its pairs)
        final.npz         the network after the end-of-run Step IV (if any)
        history.csv       the history table, for people and spreadsheets

    Every file is written under a temporary name, fsynced and moved into place
    with :func:`os.replace` (atomic on POSIX); ``state.json`` is replaced last
    and the previous iteration's files are deleted only after that, so a kill
    at any moment leaves the last finished iteration complete on disk.
    """

    def __init__(self, directory):
        self.directory = os.fspath(directory)
        self.state = None

    # -------------------------------------------------------------- helpers
    def path(self, name):
        return os.path.join(self.directory, name)

    def _error(self, name, what):
        return CheckpointError(f"{self.path(name)}: {what}; delete {self.directory} to start "
                               "over (or pass another checkpoint_dir)")

    def _load_conn(self, name):
        try:
            return Connectivity.load(self.path(name))
        except (ConnectivityFileError, OSError, ValueError, EOFError) as exc:
            raise self._error(name, f"unreadable network file ({exc})") from exc

    # -------------------------------------------------------------- read
    def load(self):
        """The checkpoint's state (dict), or None if the directory holds none."""
        name = "state.json"
        if not os.path.exists(self.path(name)):
            return None
        try:
            with open(self.path(name), encoding="utf-8") as fh:
                state = json.load(fh)
        except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
            raise self._error(name, f"corrupt or truncated checkpoint state ({exc})") from exc
        if not isinstance(state, dict) or state.get("format") != _CHECKPOINT_TAG:
            raise self._error(name, "not a prune checkpoint")
        if state.get("version") != _CHECKPOINT_VERSION:
            raise self._error(name, f"prune checkpoint version {state.get('version')}; this "
                                    f"brian2_lnp reads version {_CHECKPOINT_VERSION}")
        missing = [key for key in ("config", "base_seed", "completed", "conn_file",
                                   "carry_file", "carry", "history", "reports")
                   if key not in state]
        if missing:
            raise self._error(name, f"corrupt checkpoint state (missing {missing})")
        self.state = state
        return state

    def validate(self, state, config, conn0, base_seed, seed_given, iterations):
        """Check that ``state`` continues this call; returns the original network."""
        diff = sorted(key for key in set(config) | set(state["config"])
                      if config.get(key) != state["config"].get(key))
        if diff:
            raise ValueError(f"checkpoint_dir: the checkpoint in {self.directory} was made "
                             f"with another configuration (differs in {diff}); use a new "
                             "directory or the same settings")
        if seed_given and base_seed != state["base_seed"]:
            raise ValueError(f"seed: the checkpoint was made with seed {state['base_seed']}, "
                             f"got {base_seed}")
        original = self._load_conn("original.npz")
        if original != conn0:
            raise ValueError("checkpoint_dir: the checkpoint was made from another network")
        if int(state["completed"]) > iterations:
            raise ValueError(f"iterations: the checkpoint in {self.directory} already holds "
                             f"{state['completed']} iterations; ask for >= "
                             f"{state['completed']} or use a new directory")
        return original

    def read_network(self, state):
        """(conn, Carry) after the last completed iteration."""
        conn = self._load_conn(state["conn_file"])
        name = state["carry_file"]
        try:
            with np.load(self.path(name), allow_pickle=False) as data:
                gain, touches = data["edge_gain"], data["added_touches"]
                warm = WarmStart.from_arrays(data)
        except Exception as exc:  # noqa: BLE001 -- any failure to read means corrupt
            raise self._error(name, f"unreadable carried state ({exc!r})") from exc
        if gain.shape != (conn.n_synapses,) or touches.shape != (conn.N,):
            raise self._error(name, "carried arrays do not match the network file")
        c = state["carry"]
        return conn, Carry(gain.astype(float), touches.astype(np.int64), c.get("rho"),
                           c.get("threshold"), c.get("lyap_level"), warm)

    def read_final(self, completed):
        """(conn, row, reports) of an end-of-run Step IV after ``completed`` iterations."""
        final = (self.state or {}).get("final")
        if not final or final.get("completed") != completed:
            return None
        return self._load_conn(final["file"]), final["row"], final["reports"]

    # -------------------------------------------------------------- write
    def _write_text(self, name, text):
        atomic_write(self.path(name), lambda fh: fh.write(text))

    def _write_state(self, rows):
        self._write_text("state.json", json.dumps(to_jsonable(self.state), allow_nan=True))
        self._write_text("history.csv", history_frame(rows).to_csv(index=False))

    def start(self, original):
        os.makedirs(self.directory, exist_ok=True)
        atomic_write(self.path("original.npz"), original.save, mode="wb")

    def write(self, k, conn, carry, config, base_seed, rows, reports):
        """Record completed iteration ``k``."""
        conn_file, carry_file = f"conn_{k:04d}.npz", f"carry_{k:04d}.npz"
        atomic_write(self.path(conn_file), conn.save, mode="wb")
        atomic_write(self.path(carry_file),
                     lambda fh: np.savez(fh, edge_gain=carry.edge_gain,
                                         added_touches=carry.added_touches,
                                         **(carry.warm.arrays() if carry.warm else {})),
                     mode="wb")
        self.state = {"format": _CHECKPOINT_TAG, "version": _CHECKPOINT_VERSION,
                      "config": config, "base_seed": base_seed, "completed": int(k),
                      "conn_file": conn_file, "carry_file": carry_file,
                      "carry": {"rho": carry.rho, "threshold": carry.threshold,
                                "lyap_level": carry.lyap_level},
                      "history": rows, "reports": reports}
        self._write_state(rows)
        # only now are the previous iteration's files unreferenced
        for f in os.listdir(self.directory):
            if (f.startswith(("conn_", "carry_")) and f.endswith(".npz")
                    and f not in (conn_file, carry_file)):
                os.remove(self.path(f))

    def write_final(self, completed, conn, row, reports, rows):
        """Record the end-of-run Step IV (the chain before it stays the checkpoint)."""
        atomic_write(self.path("final.npz"), conn.save, mode="wb")
        self.state["final"] = {"completed": int(completed), "file": "final.npz", "row": row,
                               "reports": reports}
        self._write_state(list(rows) + [row])
