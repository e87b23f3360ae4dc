"""The exchange type between the Brian2 layer and the pruning maths.

`Connectivity` is plain NumPy: no Brian2 import here or in anything that uses
it downstream (``dynamics``, ``pruning``). Values are unit-free SI floats:
weights in volt (the jump of the synaptic current variable, see
``models/hrsnn.yaml``), membrane time constants in second. The Brian2 layer
converts to and from Quantities at the edge.

Semantics of the masks (the pruning analogue of ``torch.nn.utils.prune``):

* ``neuron_active[i] == False``: neuron i is pruned; it never spikes and
  nothing it would send or receive has any effect.
* ``synapse_active[k] == False``: synapse k transmits nothing.
* A synapse is *effective* when it is active and both its neurons are active
  (:attr:`Connectivity.effective`). Only effective synapses appear in
  :meth:`Connectivity.to_matrix`, are counted in SOPs, and are seen by the
  dynamics and pruning code.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os

import numpy as np
import scipy.sparse as sp

from ..validation import to_si

__all__ = ["Connectivity", "ConnectivityFileError", "EXCITATORY", "INHIBITORY"]

logger = logging.getLogger(__name__)

#: neuron type codes stored in :attr:`Connectivity.types`
EXCITATORY = 0
INHIBITORY = 1

#: version of the .npz layout written by :meth:`Connectivity.save` (2: adds the
#: seed-stream version and a checksum; version-1 files are still read)
FORMAT_VERSION = 2
_FORMAT_TAG = "brian2_lnp.Connectivity"

_NEURON_ARRAYS = ("types", "cluster", "tau_m", "neuron_active")
_SYNAPSE_ARRAYS = ("pre", "post", "w", "synapse_active")


class ConnectivityFileError(ValueError):
    """A Connectivity file is corrupt, of another format, or of another version."""


def _as_types(types, N):
    if types is None:
        return np.zeros(N, dtype=np.int8)
    if isinstance(types, str):  # "EEEI": one letter per neuron
        types = list(types)
    arr = np.asarray(types)
    if arr.dtype.kind in "USO":
        upper = np.char.upper(arr.astype(str))
        bad = ~np.isin(upper, ["E", "I"])
        if bad.any():
            raise ValueError(
                f"types: entries must be 'E' or 'I' (or 0 = E, 1 = I); got "
                f"{sorted(set(arr[bad].tolist()))[:5]}"
            )
        return (upper == "I").astype(np.int8)
    if arr.dtype == bool:
        return arr.astype(np.int8)
    if not np.isin(arr, [EXCITATORY, INHIBITORY]).all():
        raise ValueError("types: integer entries must be 0 (E) or 1 (I)")
    return arr.astype(np.int8)


class Connectivity:
    """A recurrent network's structure: neurons, signed synapses and masks.

    Parameters
    ----------
    N : int
        Number of neurons (including pruned ones).
    pre, post : array of int, shape (S,)
        Presynaptic and postsynaptic neuron index of each synapse.
    w : array of float, shape (S,)
        Signed weight of each synapse (volt; negative for inhibitory).
    types : array, shape (N,), optional
        0 / 'E' for excitatory, 1 / 'I' for inhibitory. Default all E.
    cluster : array of int, shape (N,), optional
        Cluster id (CHRSNN); 0 everywhere by default.
    tau_m : array of float, shape (N,), optional
        Membrane time constant in second; 20 ms everywhere by default.
    neuron_active, synapse_active : array of bool, optional
        Masks; all True by default.
    provenance : dict, optional
        JSON-serialisable record of where this came from (seed, iteration, ...).
    """

    def __init__(self, N, pre, post, w, types=None, cluster=None, tau_m=None,
                 neuron_active=None, synapse_active=None, provenance=None):
        N = int(N)
        if N < 0:
            raise ValueError(f"N: must be >= 0, got {N}")
        self.N = N
        self.pre = np.asarray(pre, dtype=np.int64).ravel()
        self.post = np.asarray(post, dtype=np.int64).ravel()
        self.w = np.asarray(to_si("w", w, "volt"), dtype=np.float64).ravel()
        S = self.pre.size
        if self.post.size != S or self.w.size != S:
            raise ValueError(
                f"pre, post, w: must have the same length; got {S}, "
                f"{self.post.size}, {self.w.size}"
            )
        if S and (self.pre.min() < 0 or self.pre.max() >= N
                  or self.post.min() < 0 or self.post.max() >= N):
            raise ValueError(f"pre, post: neuron indices must lie in [0, {N - 1}]")
        if not np.isfinite(self.w).all():
            raise ValueError("w: weights must be finite (found NaN or inf)")
        self.types = _as_types(types, N)
        self.cluster = (np.zeros(N, dtype=np.int64) if cluster is None
                        else np.asarray(cluster, dtype=np.int64).ravel())
        self.tau_m = (np.full(N, 20e-3) if tau_m is None
                      else np.asarray(to_si("tau_m", tau_m, "second"), dtype=np.float64).ravel())
        if not (np.isfinite(self.tau_m).all() and (self.tau_m > 0).all()):
            raise ValueError("tau_m: membrane time constants must be finite and > 0 (second)")
        self.neuron_active = (np.ones(N, dtype=bool) if neuron_active is None
                              else np.asarray(neuron_active, dtype=bool).ravel())
        self.synapse_active = (np.ones(S, dtype=bool) if synapse_active is None
                               else np.asarray(synapse_active, dtype=bool).ravel())
        for name in _NEURON_ARRAYS:
            if getattr(self, name).size != N:
                raise ValueError(f"{name}: must have length N={N}, got {getattr(self, name).size}")
        if self.synapse_active.size != S:
            raise ValueError(f"synapse_active: must have length {S}, "
                             f"got {self.synapse_active.size}")
        self.provenance = dict(provenance or {})

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_matrix(cls, W, tau_m=None, types=None, cluster=None, provenance=None):
        """Build from a (dense or sparse) N x N matrix with ``W[i, j]`` = weight i -> j.

        Every stored non-zero entry becomes one active synapse.
        """
        W = sp.coo_matrix(W)
        if W.shape[0] != W.shape[1]:
            raise ValueError(f"W: must be square, got shape {W.shape}")
        W.sum_duplicates()
        keep = W.data != 0
        return cls(W.shape[0], W.row[keep], W.col[keep], W.data[keep], types=types,
                   cluster=cluster, tau_m=tau_m, provenance=provenance)

    # ------------------------------------------------------------------ views
    @property
    def n_synapses(self):
        """Number of synapses stored (active or not)."""
        return int(self.pre.size)

    @property
    def effective(self):
        """Bool mask of synapses that transmit: active, with both neurons active."""
        return (self.synapse_active & self.neuron_active[self.pre]
                & self.neuron_active[self.post])

    @property
    def n_active_neurons(self):
        return int(self.neuron_active.sum())

    @property
    def n_active_synapses(self):
        """Number of effective synapses."""
        return int(self.effective.sum())

    @property
    def is_inhibitory(self):
        return self.types == INHIBITORY

    def dale_violations(self):
        """Indices of synapses whose sign contradicts Dale's law.

        A synapse from an excitatory neuron must have ``w >= 0``, one from an
        inhibitory neuron ``w <= 0`` (every synapse stored, active or not).
        """
        inh = self.types[self.pre] == INHIBITORY
        return np.flatnonzero(np.where(inh, self.w > 0, self.w < 0))

    def check_dale(self, name="conn"):
        """Raise ValueError naming ``name`` if any synapse violates Dale's law."""
        bad = self.dale_violations()
        if bad.size:
            k = int(bad[0])
            kind = "EI"[int(self.types[self.pre[k]])]
            raise ValueError(
                f"{name}: {bad.size} synapse(s) violate Dale's law (w must be >= 0 from an "
                f"excitatory and <= 0 from an inhibitory neuron), e.g. synapse {k}: "
                f"{self.pre[k]} ({kind}) -> {self.post[k]}, w = {self.w[k]:.6g} V; fix the "
                f"weights' signs or the neuron types")
        return self

    def to_matrix(self, fmt="csr"):
        """Sparse N x N matrix, ``W[i, j]`` = weight of the synapse i -> j.

        Only effective synapses are present; parallel synapses between the same
        pair are summed.
        """
        eff = self.effective
        M = sp.coo_matrix((self.w[eff], (self.pre[eff], self.post[eff])),
                          shape=(self.N, self.N))
        return M.asformat(fmt)

    def edges(self):
        """(pre, post, w) of the effective synapses."""
        eff = self.effective
        return self.pre[eff], self.post[eff], self.w[eff]

    # ------------------------------------------------------------------ edits (pure)
    def copy(self):
        return Connectivity(self.N, self.pre.copy(), self.post.copy(), self.w.copy(),
                            types=self.types.copy(), cluster=self.cluster.copy(),
                            tau_m=self.tau_m.copy(),
                            neuron_active=self.neuron_active.copy(),
                            synapse_active=self.synapse_active.copy(),
                            provenance=json.loads(json.dumps(self.provenance)))

    def replace(self, **changes):
        """A copy with some fields replaced (like ``dataclasses.replace``)."""
        new = self.copy()
        fields = dict(N=new.N, pre=new.pre, post=new.post, w=new.w, types=new.types,
                      cluster=new.cluster, tau_m=new.tau_m,
                      neuron_active=new.neuron_active,
                      synapse_active=new.synapse_active, provenance=new.provenance)
        unknown = set(changes) - set(fields)
        if unknown:
            raise TypeError(f"replace: unknown field(s) {sorted(unknown)}")
        fields.update(changes)
        return Connectivity(**fields)

    def add_synapses(self, pre, post, w):
        """A copy with new (active) synapses appended after the existing ones."""
        pre = np.asarray(pre, dtype=np.int64).ravel()
        post = np.asarray(post, dtype=np.int64).ravel()
        w = np.asarray(w, dtype=np.float64).ravel()
        return self.replace(pre=np.concatenate([self.pre, pre]),
                            post=np.concatenate([self.post, post]),
                            w=np.concatenate([self.w, w]),
                            synapse_active=np.concatenate(
                                [self.synapse_active, np.ones(pre.size, dtype=bool)]))

    def compacted(self):
        """Only effective synapses and active neurons, renumbered.

        Returns
        -------
        conn : Connectivity
        neuron_index : array of int
            Old index of each kept neuron (new index = position).
        synapse_index : array of int
            Old index of each kept synapse.
        """
        neuron_index = np.flatnonzero(self.neuron_active)
        synapse_index = np.flatnonzero(self.effective)
        new_id = np.full(self.N, -1, dtype=np.int64)
        new_id[neuron_index] = np.arange(neuron_index.size)
        conn = Connectivity(neuron_index.size, new_id[self.pre[synapse_index]],
                            new_id[self.post[synapse_index]], self.w[synapse_index],
                            types=self.types[neuron_index],
                            cluster=self.cluster[neuron_index],
                            tau_m=self.tau_m[neuron_index], provenance=self.provenance)
        return conn, neuron_index, synapse_index

    # ------------------------------------------------------------------ comparison
    def __eq__(self, other):
        if not isinstance(other, Connectivity):
            return NotImplemented
        if self.N != other.N:
            return False
        for name in _NEURON_ARRAYS + _SYNAPSE_ARRAYS:
            a, b = getattr(self, name), getattr(other, name)
            if a.shape != b.shape or not np.array_equal(a, b):
                return False
        return True

    __hash__ = None

    def diff(self, other):
        """Names of the fields that differ from ``other`` (for test messages)."""
        if self.N != other.N:
            return ["N"]
        return [name for name in _NEURON_ARRAYS + _SYNAPSE_ARRAYS
                if getattr(self, name).shape != getattr(other, name).shape
                or not np.array_equal(getattr(self, name), getattr(other, name))]

    def __repr__(self):
        return (f"<Connectivity N={self.N} ({self.n_active_neurons} active, "
                f"{int((self.types == INHIBITORY).sum())} I), synapses={self.n_synapses} "
                f"({self.n_active_synapses} effective)>")

    # ------------------------------------------------------------------ files
    def save(self, path):
        """Write a versioned, compressed, checksummed ``.npz`` file.

        Parameters
        ----------
        path : str, path or binary file object
            Like :func:`numpy.savez`, ``".npz"`` is appended to a path that
            does not end with it (and :meth:`load` finds the file under the
            same name). A path is written atomically (a temporary file moved
            into place), so an interruption never leaves half a file.

        Returns
        -------
        str or file object
            The path written (with ``.npz``), or the file object.

        Notes
        -----
        Format version 2 stores every array, ``N``, the provenance (JSON), the
        seed-stream version the network was made with
        (:func:`brian2_lnp.random.seed_stream`, or ``provenance["seed_stream"]``
        when recorded) and a SHA-256 checksum of all of them, which
        :meth:`load` verifies.
        """
        from ..fileio import atomic_write
        from ..random import seed_stream

        payload = {name: np.ascontiguousarray(getattr(self, name))
                   for name in _NEURON_ARRAYS + _SYNAPSE_ARRAYS}
        payload["N"] = np.array(self.N, dtype=np.int64)
        payload["provenance"] = np.array(_provenance_json(self.provenance))
        payload["seed_stream"] = np.array(int(self.provenance.get("seed_stream",
                                                                  seed_stream())))
        payload["checksum"] = np.array(_checksum(payload))

        def write(fh):
            np.savez_compressed(fh, format=np.array(_FORMAT_TAG),
                                format_version=np.array(FORMAT_VERSION), **payload)

        if hasattr(path, "write"):
            write(path)
            return path
        path = os.fspath(path)
        if not path.endswith(".npz"):
            path += ".npz"
        atomic_write(path, write, mode="wb")
        return path

    @classmethod
    def load(cls, path):
        """Read a file written by :meth:`save` (format version 1 or 2).

        ``path`` without ``.npz`` is also looked up with it (as :meth:`save`
        writes it). The provenance of the result holds ``seed_stream``: the
        seed-stream version the file was made with (1 for format-1 files).

        Raises
        ------
        FileNotFoundError
            No such file (message names it).
        ConnectivityFileError
            The file is not a Connectivity file, is truncated or corrupt (its
            checksum does not match), holds arrays of the wrong type or shape,
            or has another format version. The message names the file.
        """
        path = os.fspath(path)
        if not os.path.exists(path) and not path.endswith(".npz") \
                and os.path.exists(path + ".npz"):
            path += ".npz"
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path}: no such Connectivity file")
        if os.path.isdir(path):
            raise ConnectivityFileError(f"{path}: is a directory, not a Connectivity file (.npz)")
        try:
            with open(path, "rb") as fh:
                magic = fh.read(4)
        except OSError as exc:
            raise ConnectivityFileError(f"{path}: cannot read Connectivity file "
                                        f"({exc.strerror or exc})") from exc
        if not magic:
            raise ConnectivityFileError(f"{path}: empty file, not a Connectivity file")
        if magic != b"PK\x03\x04":
            kind = "a single .npy array" if magic.startswith(b"\x93NUM") else "not a .npz archive"
            raise ConnectivityFileError(
                f"{path}: not a brian2_lnp Connectivity file ({kind}); Connectivity files are "
                f".npz archives written by Connectivity.save")
        try:
            return cls._read_npz(path)
        except ConnectivityFileError:
            raise
        except Exception as exc:  # noqa: BLE001 -- any failure to decode = corrupt file
            raise ConnectivityFileError(
                f"{path}: corrupt or truncated Connectivity file "
                f"({type(exc).__name__}: {exc}); regenerate it or restore a copy") from exc

    @classmethod
    def _read_npz(cls, path):
        with np.load(path, allow_pickle=False) as data:
            files = set(data.files)
            if "format" not in files or _scalar(data["format"], "U") != _FORMAT_TAG:
                raise ConnectivityFileError(
                    f"{path}: not a brian2_lnp Connectivity file (no '{_FORMAT_TAG}' tag)")
            if "format_version" not in files:
                raise ConnectivityFileError(f"{path}: corrupt Connectivity file, no format_version")
            version = int(_scalar(data["format_version"], "iu"))
            if version not in (1, FORMAT_VERSION):
                raise ConnectivityFileError(
                    f"{path}: Connectivity file format version {version}; this "
                    f"brian2_lnp reads versions 1 to {FORMAT_VERSION}")
            names = ("N", "provenance") + _NEURON_ARRAYS + _SYNAPSE_ARRAYS
            if version >= 2:
                names += ("seed_stream", "checksum")
            missing = [k for k in names if k not in files]
            if missing:
                raise ConnectivityFileError(f"{path}: corrupt Connectivity file, missing {missing}")
            payload = {k: data[k] for k in names if k != "checksum"}
            if version >= 2 and _scalar(data["checksum"], "U") != _checksum(payload):
                raise ConnectivityFileError(
                    f"{path}: corrupt Connectivity file (checksum mismatch: the content was "
                    f"changed or damaged after it was written); regenerate it or restore a copy")
        for name, (kinds, ndim) in _FILE_DTYPES.items():
            a = payload[name]
            if a.dtype.kind not in kinds or a.ndim != ndim:
                raise ConnectivityFileError(
                    f"{path}: corrupt Connectivity file, '{name}' has dtype {a.dtype} and "
                    f"{a.ndim} dimension(s)")
        N = int(_scalar(payload["N"], "iu"))
        provenance = json.loads(_scalar(payload["provenance"], "U"))
        if not isinstance(provenance, dict):
            raise ConnectivityFileError(f"{path}: corrupt Connectivity file, provenance is not "
                                        "a JSON object")
        provenance["seed_stream"] = (int(_scalar(payload["seed_stream"], "iu"))
                                     if version >= 2 else 1)
        fields = {k: payload[k] for k in _NEURON_ARRAYS + _SYNAPSE_ARRAYS}
        try:
            return cls(N, provenance=provenance, **fields)
        except ValueError as exc:
            raise ConnectivityFileError(f"{path}: inconsistent Connectivity file ({exc})") from exc


#: dtype kinds and dimensions of the arrays in a Connectivity file
_FILE_DTYPES = {"types": ("iu", 1), "cluster": ("iu", 1), "tau_m": ("f", 1),
                "neuron_active": ("b", 1), "pre": ("iu", 1), "post": ("iu", 1),
                "w": ("f", 1), "synapse_active": ("b", 1), "N": ("iu", 0),
                "provenance": ("U", 0)}


def _provenance_json(provenance):
    """JSON text of a provenance dict (NumPy scalars and arrays become plain values)."""
    def plain(o):
        if isinstance(o, (np.generic, np.ndarray)):
            return o.tolist()
        raise TypeError(f"provenance: {type(o).__name__} value {o!r:.60} cannot be stored; "
                        "use numbers, strings, lists and dicts")
    return json.dumps(provenance, default=plain)


def _scalar(a, kinds):
    """The Python value of a 0-d array of one of the dtype ``kinds`` (else ValueError)."""
    a = np.asarray(a)
    if a.ndim != 0 or a.dtype.kind not in kinds:
        raise ValueError(f"expected a scalar of kind {kinds!r}, got dtype {a.dtype} "
                         f"shape {a.shape}")
    return a.item()


def _checksum(payload):
    """SHA-256 over the names, dtypes, shapes and bytes of ``payload`` (sorted by name)."""
    h = hashlib.sha256()
    for name in sorted(payload):
        a = np.ascontiguousarray(payload[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()
