"""A binding between Brian2 objects a user wrote and a :class:`~brian2_lnp.graph.Connectivity`.

``bind(neurons, synapses, weight="w", tau_m=...)`` returns a :class:`Brian2Binding`
over one or more ``NeuronGroup`` objects (or subgroups) and any number of
``Synapses`` among them. It is the one write-back mechanism of the package:
:class:`~brian2_lnp.models.network.SpikingNetwork` is this binding over its own
objects.

* :meth:`Brian2Binding.export` reads the structure, the signed weights and
  ``tau_m`` into a Connectivity (global neuron index = the bound groups one
  after the other; synapse order = the Synapses objects one after the other,
  each in its own order, then synapses added by :meth:`apply`).
* :meth:`Brian2Binding.apply` writes a Connectivity back into the same
  objects: weights, masks (into mask variables when the model has them,
  otherwise by writing ``w = 0``), ``tau_m`` where it is a per-neuron
  variable, and new synapses (LNP Step III) connected into the Synapses object
  that matches their pre and post types.
* :meth:`Brian2Binding.rebuild` builds new Brian2 objects (same equations,
  thresholds, resets, refractoriness, methods, pathways, delays and
  namespaces) holding only the surviving neurons and synapses, with their
  state copied.

Signed weights: a Connectivity stores the effect of a synapse with its sign
(excitatory > 0, inhibitory < 0). ``sign={Ci: -1}`` says that the weights of
``Ci`` are written positive but act negatively (``gi += w`` into an
inhibitory conductance), so the signed weight is ``-w``; the default sign is
+1 (``v += w`` with a negative ``w`` for inhibition, as in Brian2's CUBA).
"""
from __future__ import annotations

import logging
import re
import warnings

import numpy as np

from ..graph import EXCITATORY, INHIBITORY, Connectivity
from .copying import (UnreadableState, UnsupportedFeature, copy_neuron_group,
                      copy_neuron_state, copy_synapse_state, copy_synapses, pathways)
from .devices import current_device_name, is_standalone

__all__ = ["bind", "Brian2Binding", "RebuildResult", "BindingError", "ApplyError"]

logger = logging.getLogger(__name__)


class BindingError(ValueError):
    """The Brian2 objects or the arguments of :func:`bind` cannot be bound."""


class ApplyError(ValueError):
    """A Connectivity cannot be written into the bound Brian2 objects."""


# ----------------------------------------------------------------------------- small helpers
def _span(obj):
    """(underlying NeuronGroup, start, stop) of a NeuronGroup or Subgroup."""
    from brian2.groups.subgroup import Subgroup

    if isinstance(obj, Subgroup):
        return obj.source, int(obj.start), int(obj.stop)
    return obj, 0, len(obj)


def _name(obj):
    return getattr(obj, "name", repr(obj))


def values_readable(device=None):
    """True when Python can read Brian2 state values (runtime, or standalone after its run)."""
    import brian2 as b2

    device = b2.get_device() if device is None else device
    if not is_standalone(device):
        return True
    return bool(getattr(device, "has_been_run", False))


def check_no_parallel_synapses(pre, post, name):
    """Refuse several synapses between one pair of neurons (GeNN does not support them)."""
    pre, post = np.asarray(pre, np.int64), np.asarray(post, np.int64)
    key = pre * (int(max(np.max(post, initial=0), 0)) + 1) + post
    if np.unique(key).size != key.size:
        raise ApplyError(f"{name}: has several synapses between the same pair of neurons, "
                         "which GeNN does not support (brian2genn: 'multiple synapses per "
                         "neuron pair')")


def match_order(pre, post, i, j):
    """Permutation p with (i[p], j[p]) == (pre, post); stable for parallel synapses."""
    a = np.lexsort((post, pre), axis=0)
    b = np.lexsort((j, i), axis=0)
    if not (np.array_equal(pre[a], i[b]) and np.array_equal(post[a], j[b])):
        raise RuntimeError("export: the device's synapses do not match the recorded (i, j)")
    order = np.empty_like(a)
    order[a] = b
    return order


_ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:\+|-|\*|/|//|%|\*\*)?=(?!=)")


def _code_writes(code, name):
    """True when abstract code (one statement per line) assigns to ``name``."""
    for line in str(code).splitlines():
        m = _ASSIGN.match(line)
        if m and m.group(1) == name:
            return True
    return False


def _weight_is_plastic(S, weight):
    if any(_code_writes(p.code, weight) for p in pathways(S)):
        return True
    eqs = getattr(S, "equations", None)
    return bool(eqs is not None and weight in getattr(eqs, "diff_eq_names", ()))


def _is_per_item(group, name):
    var = group.variables.get(name) if hasattr(group, "variables") else None
    if var is None:
        return None
    from brian2.core.variables import ArrayVariable

    return isinstance(var, ArrayVariable) and not var.scalar


def _fail_dim(value, dim_of, what):
    from brian2.units.fundamentalunits import DimensionMismatchError, fail_for_dimension_mismatch

    try:
        fail_for_dimension_mismatch(value, dim_of)
    except DimensionMismatchError as exc:
        raise BindingError(f"{what}: {exc}") from None


# ----------------------------------------------------------------------------- the binding
class Brian2Binding:
    """Brian2 NeuronGroups and Synapses seen as one :class:`~brian2_lnp.graph.Connectivity`.

    Build it with :func:`bind`. Attributes ``neurons`` (list of the bound
    groups/subgroups), ``synapses`` (list of the bound Synapses), ``N``,
    ``types`` (0 = E, 1 = I per global neuron), ``weight``, ``sign`` (per
    Synapses, +1 or -1).
    """

    def __init__(self, neurons, synapses, weight, tau_m, *, sign=None, types=None,
                 neuron_active=None, synapse_active=None, on_fixed_tau_m="error",
                 w_max=None, written=None, written_counts=None):
        import brian2 as b2

        self._device = b2.get_device()
        self.device_name = current_device_name()
        self.neurons = self._as_neuron_list(neurons)
        self.synapses = self._as_synapse_list(synapses)
        if on_fixed_tau_m not in ("error", "skip"):
            raise BindingError(f"on_fixed_tau_m: must be 'error' or 'skip', got {on_fixed_tau_m!r}")
        self.on_fixed_tau_m = on_fixed_tau_m
        # global neuron numbering: bound groups one after the other
        self._spans = [_span(g) for g in self.neurons]
        sizes = [stop - start for _, start, stop in self._spans]
        self._offset = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.N = int(self._offset[-1])
        self._check_overlaps()
        self.weight = self._check_weight(weight)
        self.sign = self._check_sign(sign)
        self.neuron_active_var = self._check_mask_var("neuron_active", neuron_active,
                                                      self.neurons, "neuron")
        self.synapse_active_var = self._check_mask_var("synapse_active", synapse_active,
                                                       self.synapses, "synapse")
        self._tau_var, self._tau_fixed = self._check_tau_m(tau_m)
        self._w_max = self._check_w_max(w_max)
        self._plastic_w = [_weight_is_plastic(S, self.weight) for S in self.synapses]
        # structure: object id and index inside the object of each global synapse
        self._src = [self._endpoint_map(S, S.source, "source") for S in self.synapses]
        self._tgt = [self._endpoint_map(S, S.target, "target") for S in self.synapses]
        if written is not None:
            if not isinstance(written, Connectivity) or written.N != self.N:
                raise BindingError(f"written: expected a Connectivity with N={self.N}")
            counts = ([written.n_synapses] if written_counts is None
                      else [int(c) for c in written_counts])
            if len(counts) != len(self.synapses) or sum(counts) != written.n_synapses:
                raise BindingError("written_counts: one count per Synapses object, summing to "
                                   f"written.n_synapses={written.n_synapses}; got {counts}")
            # connected object by object, each in the order of ``written``
            self._obj = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
            self._local = np.concatenate([np.arange(c, dtype=np.int64) for c in counts]
                                         or [np.zeros(0, np.int64)])
            self._pre, self._post = written.pre.copy(), written.post.copy()
            self._record = written.copy()
        else:
            if not values_readable(self._device):
                raise BindingError(
                    f"bind: on the {self.device_name} device the synapses are known only after "
                    "the run; bind after the run (or build and prune on the runtime device)")
            self._read_structure()
            self._record = None
        self._zeroed = np.zeros(self._pre.size, dtype=bool)
        self.types = self._resolve_types(types)
        if self._record is None:
            self._record = self.export()

    # ------------------------------------------------------------------ argument checks
    @staticmethod
    def _as_neuron_list(neurons):
        from brian2 import NeuronGroup
        from brian2.groups.subgroup import Subgroup

        items = [neurons] if not isinstance(neurons, (list, tuple)) else list(neurons)
        if not items:
            raise BindingError("neurons: give at least one NeuronGroup (or subgroup)")
        for g in items:
            if not isinstance(g, (NeuronGroup, Subgroup)) or (
                    isinstance(g, Subgroup) and not isinstance(g.source, NeuronGroup)):
                raise BindingError(f"neurons: expected NeuronGroup objects or subgroups of them, "
                                   f"got {type(g).__name__}")
        return items

    @staticmethod
    def _as_synapse_list(synapses):
        from brian2 import Synapses

        items = [synapses] if not isinstance(synapses, (list, tuple)) else list(synapses)
        for S in items:
            if not isinstance(S, Synapses):
                raise BindingError(f"synapses: expected Synapses objects, got {type(S).__name__}")
        if len({id(S) for S in items}) != len(items):
            raise BindingError("synapses: the same Synapses object is given twice")
        return items

    def _check_overlaps(self):
        seen = {}
        for g, (G, a, b) in zip(self.neurons, self._spans):
            for other, (c, d) in seen.get(G.name, []):
                if a < d and c < b:
                    raise BindingError(f"neurons: {_name(g)} and {_name(other)} overlap "
                                       f"(both hold neurons of NeuronGroup '{G.name}')")
            seen.setdefault(G.name, []).append((g, (a, b)))

    def _check_weight(self, weight):
        if not isinstance(weight, str) or not weight.isidentifier():
            raise BindingError(f"weight: the name of the synaptic weight variable, e.g. 'w'; "
                               f"got {weight!r}")
        dims = set()
        for S in self.synapses:
            per = _is_per_item(S, weight)
            if per is None:
                codes = "; ".join(f"on_{p.prepost}: {p.code.strip()!r}" for p in pathways(S))
                raise BindingError(
                    f"weight: Synapses '{S.name}' has no variable '{weight}' ({codes}). A weight "
                    "written as a constant in on_pre ('ge += we') cannot be pruned synapse by "
                    f"synapse: declare it, e.g. model='{weight} : volt', on_pre='ge += {weight}', "
                    f"then {S.name}.{weight} = we (see docs/brian2_networks.md)")
            if not per:
                raise BindingError(f"weight: '{weight}' of Synapses '{S.name}' is shared (one "
                                   "value for all synapses); it must be a per-synapse variable")
            var = S.variables[weight]
            if np.dtype(var.dtype).kind != "f":
                raise BindingError(f"weight: '{weight}' of Synapses '{S.name}' has dtype "
                                   f"{var.dtype}; a floating-point variable is needed")
            dims.add(var.dim)
        if len(dims) > 1:
            raise BindingError(f"weight: the Synapses objects give '{weight}' different units "
                               f"({sorted(str(d) for d in dims)}); the pruning compares weights "
                               "across objects, so they must have one unit")
        return weight

    def _key_of(self, key, arg):
        from brian2 import Synapses

        for k, S in enumerate(self.synapses):
            if key is S or (isinstance(key, str) and key == S.name):
                return k
        what = key.name if isinstance(key, Synapses) else key
        raise BindingError(f"{arg}: {what!r} is not one of the bound Synapses "
                           f"{[S.name for S in self.synapses]}")

    def _check_sign(self, sign):
        out = np.ones(len(self.synapses))
        for key, value in (sign or {}).items():
            k = self._key_of(key, "sign")
            if value in ("E", "e", "+", 1, 1.0):
                out[k] = 1.0
            elif value in ("I", "i", "-", -1, -1.0):
                out[k] = -1.0
            else:
                raise BindingError(f"sign: values must be +1 or -1 ('E'/'I'), got {value!r} "
                                   f"for Synapses '{self.synapses[k].name}'")
        return out

    def _check_mask_var(self, arg, name, owners, kind):
        """A 0/1 mask variable that every owner (groups or Synapses) has per item."""
        if name is None:
            return None
        if not isinstance(name, str):
            raise BindingError(f"{arg}: a variable name or None, got {name!r}")
        for o in owners:
            if not _is_per_item(o, name):
                owner = _span(o)[0].name if kind == "neuron" else o.name
                what = "NeuronGroup" if kind == "neuron" else "Synapses"
                raise BindingError(f"{arg}: '{name}' is not a per-{kind} variable of "
                                   f"{what} '{owner}'")
        return name

    def _check_tau_m(self, tau_m):
        import brian2 as b2

        if isinstance(tau_m, str):
            for g in self.neurons:
                G = _span(g)[0]
                per = _is_per_item(g, tau_m)
                if per is None:
                    raise BindingError(
                        f"tau_m: '{tau_m}' is not a variable of NeuronGroup '{G.name}'; if it is "
                        f"a constant of the equations, pass its value (tau_m={tau_m}, a "
                        "Quantity): LNP Step IV then cannot change it")
                if not per:
                    raise BindingError(f"tau_m: '{tau_m}' of NeuronGroup '{G.name}' is shared "
                                       "(one value); pass its value as a Quantity instead")
                if g.variables[tau_m].dim != b2.second.dim:
                    raise BindingError(f"tau_m: '{tau_m}' of NeuronGroup '{G.name}' has unit "
                                       f"{g.variables[tau_m].dim}, expected a time (second)")
            return tau_m, None
        if tau_m is None:
            raise BindingError("tau_m: give the membrane time constant: the name of a per-neuron "
                               "variable (tau_m='tau') or a Quantity (tau_m=20*ms, or one value "
                               "per neuron)")
        _fail_dim(tau_m, b2.second, "tau_m")
        arr = np.broadcast_to(np.asarray(tau_m / b2.second if hasattr(tau_m, "dim") else tau_m,
                                         dtype=float), (self.N,)).copy()
        if not (np.isfinite(arr).all() and (arr > 0).all()):
            raise BindingError("tau_m: must be finite and > 0 (second)")
        return None, arr

    def _check_w_max(self, w_max):
        import brian2 as b2

        out = np.full(len(self.synapses), np.inf)
        if w_max is None:
            return out
        items = w_max.items() if isinstance(w_max, dict) else [(S, w_max) for S in self.synapses]
        for key, value in items:
            k = self._key_of(key, "w_max")
            S = self.synapses[k]
            dim = S.variables[self.weight].dim
            _fail_dim(value, b2.Quantity(1, dim=dim), f"w_max ({S.name})")
            v = float(np.asarray(value))
            if not v > 0:
                raise BindingError(f"w_max: must be > 0, got {value} for Synapses '{S.name}'")
            out[k] = v
        return out

    # ------------------------------------------------------------------ structure
    def _endpoint_map(self, S, endpoint, what):
        """Array mapping an index inside S.source/target to the global neuron index."""
        G, a, b = _span(endpoint)
        glob = np.full(b - a, -1, dtype=np.int64)
        for off, (H, c, d) in zip(self._offset, self._spans):
            if H.name != G.name:
                continue
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                glob[lo - a:hi - a] = off + np.arange(lo - c, hi - c)
        if (glob < 0).any():
            raise BindingError(
                f"synapses: the {what} of Synapses '{S.name}' ({_name(endpoint)}) holds neurons "
                "that are not bound; bind all of them in neurons= (input from other groups "
                "is not pruned: leave those Synapses out)")
        return glob

    def _structure_from_objects(self):
        """(object, local index, global pre, global post) of every synapse, read from Brian2."""
        obj, local, pre, post = [], [], [], []
        for k, S in enumerate(self.synapses):
            i = np.asarray(S.i[:], dtype=np.int64)
            j = np.asarray(S.j[:], dtype=np.int64)
            obj.append(np.full(i.size, k, dtype=np.int64))
            local.append(np.arange(i.size, dtype=np.int64))
            pre.append(self._src[k][i])
            post.append(self._tgt[k][j])

        def cat(x):
            return np.concatenate(x).astype(np.int64) if x else np.zeros(0, np.int64)

        return cat(obj), cat(local), cat(pre), cat(post)

    def _read_structure(self):
        self._obj, self._local, self._pre, self._post = self._structure_from_objects()

    @property
    def n_synapses(self):
        """Number of bound synapses (pruned ones included)."""
        return int(self._pre.size)

    @property
    def tau_m_writable(self):
        """True when ``tau_m`` is a per-neuron variable that :meth:`apply` can write."""
        return self._tau_var is not None

    def _resolve_types(self, types):
        from brian2 import NeuronGroup, Synapses
        from brian2.groups.subgroup import Subgroup

        if types is None:
            if self._record is not None:
                return self._record.types.copy()
            signed = self._read_signed()
            out = np.zeros(self.N, dtype=np.int8)
            neg = np.bincount(self._pre[signed < 0], minlength=self.N) > 0
            neg |= np.bincount(self._pre[self.sign[self._obj] < 0], minlength=self.N) > 0
            pos = np.bincount(self._pre[signed > 0], minlength=self.N) > 0
            both = np.flatnonzero(neg & pos)
            if both.size:
                k = both[0]
                objs = sorted({self.synapses[o].name for o in self._obj[self._pre == k]})
                raise BindingError(
                    f"types: neuron {k} sends both positive and negative signed weights "
                    f"(through {objs}); give sign={{Synapses: -1}} for objects whose positive "
                    "weights act negatively, or pass types= explicitly")
            out[neg] = INHIBITORY
            silent = int((~neg & ~pos).sum())
            if silent:
                logger.info("bind: %d neurons send no non-zero weight and are counted as "
                            "excitatory (pass types= to set them)", silent)
            return out
        if isinstance(types, dict):
            out = np.full(self.N, -1, dtype=np.int8)
            for key, value in types.items():
                code = {"E": EXCITATORY, "I": INHIBITORY}.get(str(value).upper())
                if code is None:
                    raise BindingError(f"types: values must be 'E' or 'I', got {value!r}")
                if isinstance(key, Synapses) or isinstance(key, str) and any(
                        key == S.name for S in self.synapses):
                    k = self._key_of(key, "types")
                    out[np.unique(self._pre[self._obj == k])] = code
                elif isinstance(key, (NeuronGroup, Subgroup)):
                    G, a, b = _span(key)
                    glob = self._endpoint_map(key, key, "types key")
                    out[glob] = code
                else:
                    raise BindingError(f"types: keys must be bound Synapses or neuron groups, "
                                       f"got {key!r}")
            if (out < 0).any():
                k = int(np.flatnonzero(out < 0)[0])
                raise BindingError(f"types: {int((out < 0).sum())} neurons get no type "
                                   f"(first: {k}); cover every neuron")
            return out
        try:
            conn = Connectivity(self.N, [], [], [], types=types)
        except ValueError as exc:
            raise BindingError(f"types: {exc}") from None
        return conn.types

    # ------------------------------------------------------------------ reading
    def _read_signed(self):
        """Signed weights in global synapse order, read from the Brian2 objects (SI floats)."""
        w = np.zeros(self._pre.size)
        for k, S in enumerate(self.synapses):
            sel = self._obj == k
            if not sel.any():
                continue
            raw = np.array(getattr(S, self.weight + "_")[:], dtype=np.float64)
            if raw.size != int(sel.sum()):
                raise RuntimeError(f"export: Synapses '{S.name}' holds {raw.size} synapses, the "
                                   f"binding knows {int(sel.sum())}; synapses were connected "
                                   "outside apply(): bind again")
            w[sel] = self.sign[k] * raw[self._local[sel]]
        return w

    def _read_synapse_var(self, name):
        out = np.zeros(self._pre.size)
        for k, S in enumerate(self.synapses):
            sel = self._obj == k
            if sel.any():
                out[sel] = np.asarray(getattr(S, name + "_")[:], dtype=np.float64)[self._local[sel]]
        return out

    def _read_neuron_var(self, name):
        return np.concatenate([np.asarray(getattr(g, name + "_")[:], dtype=np.float64)
                               for g in self.neurons])

    def _check_order_after_standalone_run(self):
        """On standalone devices, map the device's synapse order back to the recorded one."""
        for k, S in enumerate(self.synapses):
            sel = np.flatnonzero(self._obj == k)
            if not sel.size:
                continue
            i = self._src[k][np.asarray(S.i[:], dtype=np.int64)]
            j = self._tgt[k][np.asarray(S.j[:], dtype=np.int64)]
            pre, post = self._pre[sel], self._post[sel]
            if np.array_equal(i[self._local[sel]], pre) and np.array_equal(
                    j[self._local[sel]], post):
                continue
            order = match_order(pre, post, i, j)
            self._local[sel] = order

    def export(self):
        """The current structure and weights as a :class:`~brian2_lnp.graph.Connectivity`.

        On a standalone device before its run, what was written from Python
        (by the caller that built the objects, or by :meth:`apply`) is returned.

        Returns
        -------
        Connectivity
        """
        rec = self._record
        if not values_readable(self._device):
            if rec is None:
                raise RuntimeError(f"export: on the {self.device_name} device values are known "
                                   "only after the run")
            return rec.copy()
        if is_standalone(self._device):
            self._check_order_after_standalone_run()
        w = self._read_signed()
        if rec is not None and self._zeroed.any():
            w[self._zeroed] = rec.w[self._zeroed]  # silenced by w = 0: report the kept value
        if self.synapse_active_var:
            sa = self._read_synapse_var(self.synapse_active_var) > 0.5
        elif rec is not None:
            sa = rec.synapse_active.copy()
        else:
            sa = np.ones(self._pre.size, dtype=bool)
        if self.neuron_active_var:
            na = self._read_neuron_var(self.neuron_active_var) > 0.5
        elif rec is not None:
            na = rec.neuron_active.copy()
        else:
            na = np.ones(self.N, dtype=bool)
        tau = (self._read_neuron_var(self._tau_var) if self._tau_var else self._tau_fixed.copy())
        types = rec.types.copy() if rec is not None else self.types.copy()
        cluster = rec.cluster.copy() if rec is not None else None
        prov = dict(rec.provenance) if rec is not None else {"source": "brian2_lnp.bind"}
        return Connectivity(self.N, self._pre.copy(), self._post.copy(), w, types=types,
                            cluster=cluster, tau_m=tau, neuron_active=na, synapse_active=sa,
                            provenance=prov)

    # ---------------------------------------------------------- checks shared by apply/rebuild
    def check(self, conn):
        """Raise :class:`ApplyError` unless ``conn`` can be written into these objects.

        Checks N, neuron types, the existing synapses (same pairs, same order;
        new ones appended), Dale's law per neuron type (E: w >= 0, I: w <= 0),
        |w| <= w_max where given, and ``tau_m``. Returns the Synapses object
        index of each new synapse.
        """
        if not isinstance(conn, Connectivity):
            raise TypeError(f"conn: expected a Connectivity, got {type(conn).__name__}")
        if conn.N != self.N:
            raise ApplyError(f"conn.N: must equal the bound N={self.N}, got {conn.N}")
        if not np.array_equal(conn.types, self.types):
            raise ApplyError("conn.types: neuron types cannot change (E/I is fixed by the "
                             "bound objects)")
        S_old = self.n_synapses
        if conn.n_synapses < S_old:
            raise ApplyError(f"conn: has {conn.n_synapses} synapses but the objects hold "
                             f"{S_old}; synapses cannot be removed from Brian2 objects: set "
                             "synapse_active=False instead (or rebuild)")
        if not (np.array_equal(conn.pre[:S_old], self._pre)
                and np.array_equal(conn.post[:S_old], self._post)):
            bad = np.flatnonzero((conn.pre[:S_old] != self._pre)
                                 | (conn.post[:S_old] != self._post))
            raise ApplyError(f"conn.pre/post: the existing synapses were reordered or changed "
                             f"(first mismatch at synapse {bad[0]}); keep them in place and "
                             "append new ones at the end")
        pt = conn.types[conn.pre]
        bad = np.flatnonzero(((pt == EXCITATORY) & (conn.w < 0))
                             | ((pt == INHIBITORY) & (conn.w > 0)))
        if bad.size:
            k = int(bad[0])
            kind = "excitatory" if pt[k] == EXCITATORY else "inhibitory"
            allowed = "[0, inf)" if pt[k] == EXCITATORY else "(-inf, 0]"
            raise ApplyError(f"conn.w: synapse {k} from {kind} neuron {conn.pre[k]} has weight "
                             f"{conn.w[k]:.6g}; Dale's law: weights from {kind} neurons must lie "
                             f"in {allowed} ({bad.size} such synapses)")
        new_obj = self._route(conn)
        obj = np.concatenate([self._obj, new_obj])
        limit = self._w_max[obj] if obj.size else np.zeros(0)
        over = np.flatnonzero(np.abs(conn.w) > limit * (1 + 1e-12))
        if over.size:
            k = int(over[0])
            raise ApplyError(f"conn.w: |w| of synapse {k} is {abs(conn.w[k]):.6g}, above w_max = "
                             f"{limit[k]:.6g} of Synapses '{self.synapses[obj[k]].name}'; allowed "
                             f"range 0 <= |w| <= w_max ({over.size} such synapses)")
        if self._tau_var is None:
            changed = not np.array_equal(conn.tau_m, self._tau_fixed)
            if changed and self.on_fixed_tau_m == "error":
                raise ApplyError(
                    "conn.tau_m: differs from the bound tau_m, which is not a per-neuron variable "
                    "(a constant of the equations), so the timescale step (LNP Step IV) cannot be "
                    "written: declare a per-neuron variable (e.g. 'tau : second (constant)') and "
                    "bind with tau_m='tau', prune without the 'timescales' step, or bind with "
                    "on_fixed_tau_m='skip' to leave tau_m unchanged")
        if self.device_name == "genn" and conn.n_synapses > S_old:
            check_no_parallel_synapses(conn.pre, conn.post, "conn")
        return new_obj

    def _inverse(self, glob):
        """Global neuron index -> index inside an endpoint (-1 outside it)."""
        inv = np.full(self.N, -1, dtype=np.int64)
        inv[glob] = np.arange(glob.size)
        return inv

    def _route(self, conn):
        """Synapses object for each new synapse: one that connects its pre and post neurons and
        already carries the same (pre type, post type) pathway, else the same pre type."""
        S_old = self.n_synapses
        pre, post = conn.pre[S_old:], conn.post[S_old:]
        out = np.full(pre.size, -1, dtype=np.int64)
        if not pre.size:
            return out
        types = self.types
        pathways = [set(zip(types[self._pre[self._obj == k]].tolist(),
                            types[self._post[self._obj == k]].tolist()))
                    for k in range(len(self.synapses))]
        pre_types = [{a for a, _ in p} for p in pathways]
        for n, (p, q) in enumerate(zip(pre.tolist(), post.tolist())):
            reach = [k for k in range(len(self.synapses))
                     if (self._src[k] == p).any() and (self._tgt[k] == q).any()]
            a, b = int(types[p]), int(types[q])
            for choice in ([k for k in reach if (a, b) in pathways[k]],
                           [k for k in reach if a in pre_types[k]]):
                if choice:
                    out[n] = choice[0]
                    break
            if out[n] < 0:
                tname = "EI"
                raise ApplyError(
                    f"conn: new synapse {S_old + n} ({tname[a]} neuron {p} -> {tname[b]} neuron "
                    f"{q}) fits no bound Synapses object (none connects these neurons and "
                    f"carries {tname[a]} synapses); create an (empty) Synapses for this pathway "
                    "and bind it, or drop the synapse")
        return out

    # ------------------------------------------------------------------ writing
    def apply(self, conn, new_synapse_values=None):
        """Write a Connectivity into the same Brian2 objects.

        * weights: ``w = signed weight / sign`` of each Synapses object;
        * pruned synapses and synapses of pruned neurons: written to the mask
          variables when bound (``synapse_active=``, ``neuron_active=``),
          otherwise silenced by ``w = 0`` (a warning says when ``on_pre`` /
          ``on_post`` / the equations can change ``w``: plasticity would revive
          them);
        * new synapses (appended after the existing ones, e.g. by LNP Step III)
          are connected into the Synapses object that joins their neurons and
          already carries that (pre type, post type) pathway;
        * ``tau_m`` when it is a per-neuron variable.

        Parameters
        ----------
        conn : Connectivity
        new_synapse_values : dict, optional
            Initial values (Quantity, number or Brian2 string expression) of
            other synaptic variables for the new synapses, for each object that
            has them (e.g. ``{"taupre": 20*ms}``); otherwise they start at 0.

        Returns
        -------
        dict
            Synapses name -> indices (inside that object) of the new synapses.

        Raises
        ------
        ApplyError
            See :meth:`check`.
        RuntimeError
            After a standalone run (the values live in the compiled program).
        """
        if is_standalone(self._device) and values_readable(self._device):
            raise RuntimeError(
                f"apply: the {self.device_name} device already ran; values can no longer be "
                "written into its objects. Build a new model (or rebuild/compact it in a fresh "
                "device session) and apply before its run.")
        try:
            new_obj = self.check(conn)
        except ApplyError as exc:
            exc.connectivity = conn  # what was refused is not lost (e.g. a prune result)
            raise
        S_old = self.n_synapses
        new_local = {}
        for k, S in enumerate(self.synapses):
            sel = np.flatnonzero(new_obj == k)
            if not sel.size:
                continue
            gp, gq = conn.pre[S_old + sel], conn.post[S_old + sel]
            i, j = self._inverse(self._src[k])[gp], self._inverse(self._tgt[k])[gq]
            n0 = int((self._obj == k).sum())
            S.connect(i=i.astype(np.int64), j=j.astype(np.int64))
            new_local[S.name] = np.arange(n0, n0 + sel.size)
            self._obj = np.concatenate([self._obj, np.full(sel.size, k, dtype=np.int64)])
            self._local = np.concatenate([self._local, new_local[S.name]])
            self._pre = np.concatenate([self._pre, gp])
            self._post = np.concatenate([self._post, gq])
        if new_obj.size:
            # keep conn order: new synapses were appended object by object
            order = np.concatenate([np.arange(S_old), S_old + np.argsort(new_obj, kind="stable")])
            inv = np.empty_like(order)
            inv[order] = np.arange(order.size)
            self._obj, self._local = self._obj[inv], self._local[inv]
            self._pre, self._post = self._pre[inv], self._post[inv]
        self._write(conn)
        if new_synapse_values:
            for name, value in new_synapse_values.items():
                for S in self.synapses:
                    if S.name in new_local and name in S.variables:
                        getattr(S, name)[new_local[S.name]] = value
        logger.debug("apply: wrote %d synapses (%d new), %d active neurons", conn.n_synapses,
                     int(new_obj.size), conn.n_active_neurons)
        return new_local

    def _write(self, conn):
        zeroed = np.zeros(conn.n_synapses, dtype=bool)
        if not self.synapse_active_var:
            zeroed |= ~conn.synapse_active
        if not self.neuron_active_var:
            zeroed |= ~(conn.neuron_active[conn.pre] & conn.neuron_active[conn.post])
        for k, S in enumerate(self.synapses):
            sel = np.flatnonzero(self._obj == k)
            if not sel.size:
                continue
            raw = np.empty(sel.size)
            raw[self._local[sel]] = np.where(zeroed[sel], 0.0, conn.w[sel] / self.sign[k])
            # an explicit slice (not [:]): standalone devices then record an index array
            # with the values, as for any partial write
            getattr(S, self.weight + "_")[0:sel.size] = raw
            if self.synapse_active_var:
                sa = np.empty(sel.size)
                sa[self._local[sel]] = conn.synapse_active[sel].astype(float)
                getattr(S, self.synapse_active_var + "_")[0:sel.size] = sa
            if self._plastic_w[k] and zeroed[sel].any() and (
                    self._record is None or not np.array_equal(zeroed, self._zeroed)):
                warnings.warn(
                    f"Synapses '{S.name}': {int(zeroed[sel].sum())} pruned synapses are "
                    f"silenced by {self.weight} = 0, but its on_pre/on_post (or equations) "
                    f"change '{self.weight}', so plasticity can revive them. Freeze the "
                    "plasticity, gate it with a mask variable (bind(..., synapse_active=...)), "
                    "or rebuild(conn) to remove them.", UserWarning, stacklevel=3)
        for g, off, (G, a, b) in zip(self.neurons, self._offset, self._spans):
            sl = slice(int(off), int(off) + (b - a))
            if self.neuron_active_var:
                getattr(g, self.neuron_active_var + "_")[:] = conn.neuron_active[sl].astype(float)
            if self._tau_var:
                getattr(g, self._tau_var + "_")[:] = conn.tau_m[sl]
        if self._tau_var is None and not np.array_equal(conn.tau_m, self._tau_fixed):
            logger.warning("apply: tau_m is not a per-neuron variable; the new tau_m is not "
                           "written (on_fixed_tau_m='skip')")
            conn = conn.replace(tau_m=self._tau_fixed)
        self._zeroed = zeroed
        self._record = conn.copy()

    # ------------------------------------------------------------------ rebuilding
    def rebuild(self, conn=None, network=None, name_suffix="_pruned", *, drop_masks=False,
                values=None):
        """New Brian2 objects holding only the surviving neurons and synapses.

        Each bound NeuronGroup and Synapses is re-created with the same
        equations, threshold, reset, refractoriness, method, pathways
        (``on_pre``/``on_post``), delays, clock and namespace; only active
        neurons and effective synapses are kept, renumbered in their old
        order, with every state variable copied (weights from ``conn``). The
        new objects start at t = 0: ``lastspike`` and ``lastupdate`` are
        shifted by the current time so refractoriness and event-driven traces
        carry over; spikes in flight in delay queues are not carried over.

        On a standalone device, rebuild works before the run (both the old
        and the new objects then go into the one program; run only the new
        ones): Brian2 cannot read most values back there, so every state
        variable it cannot read must be given in ``values``.

        Parameters
        ----------
        conn : Connectivity, optional
            What to keep (default: :meth:`export`); may hold new synapses
            (they are placed as :meth:`apply` would place them).
        network : brian2.Network or iterable, optional
            The user's objects; those that are not bound (monitors, inputs,
            ...) are listed in ``result.others`` so they can be re-created.
        name_suffix : str
            Appended to the old names (Brian2 adds a number when needed).
        drop_masks : bool
            Remove the bound mask variables (``neuron_active=``,
            ``synapse_active=``) from the new objects: everything kept is
            active, so their declarations go and every use becomes the
            constant 1, which Brian2's code generation folds away. The new
            objects then compute what the surviving network written without
            masks computes; the new binding silences by ``w = 0``.
        values : dict, optional
            ``{"neurons": {name: one value per bound neuron}, "synapses":
            {name: one value per synapse of conn}}`` (SI units; per-synapse
            delays of a pathway as ``"pre.delay"``): state to
            write into the kept neurons / synapses instead of reading it from
            the old objects (e.g. to start from rest). Required on a
            standalone device for what it cannot read.

        Returns
        -------
        RebuildResult
        """
        import brian2 as b2

        if is_standalone(self._device) and values_readable(self._device):
            raise RuntimeError(
                f"rebuild: the {self.device_name} device already ran and runs once. export() "
                "the Connectivity, then build the pruned network in a new session "
                "(device.reinit()), or rebuild before the run")
        conn = self.export() if conn is None else conn
        values = values or {}
        unknown = set(values) - {"neurons", "synapses"}
        if unknown:
            raise BindingError(f"values: keys must be 'neurons' and 'synapses', got "
                               f"{sorted(unknown)}")
        try:
            return self._rebuild(b2, conn, network, name_suffix, bool(drop_masks), values)
        except UnsupportedFeature as exc:
            raise BindingError(str(exc)) from None
        except UnreadableState as exc:
            raise BindingError(
                f"values: on the {self.device_name} device before the run Brian2 cannot read "
                f"{exc.names} of '{exc.owner}'; give them in values= (or rebuild on the "
                "runtime device)") from None

    def _rebuild(self, b2, conn, network, name_suffix, drop_masks, values):
        new_obj = self.check(conn)
        obj = np.concatenate([self._obj, new_obj])
        keep_n = conn.neuron_active.copy()
        keep_s = conn.effective
        groups = {}
        for g, (G, a, b) in zip(self.neurons, self._spans):
            groups.setdefault(G.name, [G, 0])
            groups[G.name][1] += b - a
        for Gname, (G, n) in groups.items():
            if n != len(G):
                raise BindingError(f"rebuild: NeuronGroup '{Gname}' is bound only in part; bind "
                                   "all of its neurons to rebuild it")
        t_now = float(self._device_time(b2))
        n_drop = (self.neuron_active_var,) if drop_masks and self.neuron_active_var else ()
        s_drop = tuple(v for v in (self.neuron_active_var, self.synapse_active_var)
                       if drop_masks and v)
        given_n = {k: np.asarray(v) for k, v in values.get("neurons", {}).items()}
        given_s = {k: np.asarray(v) for k, v in values.get("synapses", {}).items()}
        for k, v in given_n.items():
            if v.shape != (self.N,):
                raise BindingError(f"values['neurons'][{k!r}]: one value per bound neuron "
                                   f"({self.N}), got shape {v.shape}")
        for k, v in given_s.items():
            if v.shape != (conn.n_synapses,):  # "pre.delay": delays of a pathway
                raise BindingError(f"values['synapses'][{k!r}]: one value per synapse of conn "
                                   f"({conn.n_synapses}), got shape {v.shape}")
        # old global index of every neuron of every underlying group
        new_groups, local_map = {}, {}
        for Gname, (G, _) in groups.items():
            gl = np.full(len(G), -1, dtype=np.int64)
            for off, (H, a, b) in zip(self._offset, self._spans):
                if H.name == Gname:
                    gl[a:b] = off + np.arange(b - a)
            kept = np.flatnonzero(keep_n[gl])
            if not kept.size:
                raise BindingError(f"rebuild: every neuron of NeuronGroup '{Gname}' is pruned; "
                                   "Brian2 cannot make an empty NeuronGroup")
            newG = copy_neuron_group(b2, G, kept, t_now, name_suffix, drop=n_drop)
            m = np.full(len(G), -1, dtype=np.int64)
            m[kept] = np.arange(kept.size)
            new_groups[Gname], local_map[Gname] = newG, m
            copy_neuron_state(G, newG, kept, t_now, skip=n_drop + (self._tau_var or "",),
                              given={k: v[gl] for k, v in given_n.items()})
        new_entries = [self._sub(new_groups, local_map, g) for g in self.neurons]
        new_syn, kept_objs, synapse_index, counts = [], [], [], []
        old_local_all = np.concatenate([self._local, np.full(obj.size - self._local.size, -1,
                                                             dtype=np.int64)])
        for k, S in enumerate(self.synapses):
            sel = np.flatnonzero((obj == k) & keep_s)
            src, src0 = self._new_endpoint(S.source, new_groups, local_map)
            tgt, tgt0 = self._new_endpoint(S.target, new_groups, local_map)
            if src is None or tgt is None:
                continue  # no neuron left on one side: nothing of S survives
            newS = copy_synapses(b2, S, src, tgt, name_suffix, drop=s_drop)
            Gs, Gt = _span(S.source)[0].name, _span(S.target)[0].name
            i = local_map[Gs][self._endpoint_local(S.source, conn.pre[sel])] - src0
            j = local_map[Gt][self._endpoint_local(S.target, conn.post[sel])] - tgt0
            newS.connect(i=i.astype(np.int64), j=j.astype(np.int64))
            skip = {self.weight, *s_drop}  # the weight is written from conn below
            copy_synapse_state(S, newS, old_local_all[sel], t_now,
                               given={k: v[sel] for k, v in given_s.items()}, skip=skip)
            new_syn.append(newS)
            counts.append(sel.size)
            kept_objs.append(k)
            synapse_index.append(sel)
        synapse_index = (np.concatenate(synapse_index) if synapse_index
                         else np.zeros(0, dtype=np.int64))
        neuron_index = np.flatnonzero(keep_n)
        tau = self._tau_var if self._tau_var else conn.tau_m[keep_n] * b2.second
        w_max = {S: b2.Quantity(self._w_max[k], dim=S.variables[self.weight].dim)
                 for S, k in zip(new_syn, kept_objs) if np.isfinite(self._w_max[k])}
        new_global = np.full(self.N, -1, dtype=np.int64)
        new_global[neuron_index] = np.arange(neuron_index.size)
        kept_conn = Connectivity(
            int(neuron_index.size), new_global[conn.pre[synapse_index]],
            new_global[conn.post[synapse_index]], conn.w[synapse_index],
            types=conn.types[keep_n], cluster=conn.cluster[keep_n], tau_m=conn.tau_m[keep_n],
            provenance=dict(conn.provenance, rebuilt=True))
        binding = Brian2Binding(
            new_entries, new_syn, self.weight, tau,
            sign={S: self.sign[k] for S, k in zip(new_syn, kept_objs)},
            types=conn.types[keep_n],
            neuron_active=None if n_drop else self.neuron_active_var,
            synapse_active=None if drop_masks else self.synapse_active_var,
            on_fixed_tau_m=self.on_fixed_tau_m, w_max=w_max or None,
            written=kept_conn, written_counts=counts)
        if values_readable(self._device):
            _, _, pre, post = binding._structure_from_objects()
            if not (np.array_equal(pre, kept_conn.pre) and np.array_equal(post, kept_conn.post)):
                raise RuntimeError("rebuild: the new synapses do not match the kept ones")
        binding.apply(kept_conn)
        objects = list(new_groups.values()) + new_syn
        return RebuildResult(neurons=new_entries, synapses=new_syn, groups=dict(new_groups),
                             network=b2.Network(*objects), binding=binding,
                             neuron_index=neuron_index, synapse_index=synapse_index,
                             others=self._others(network))

    def _device_time(self, b2):
        if not values_readable(self._device):
            return 0.0  # standalone before its run: nothing ran yet
        for g in self.neurons:
            return float(_span(g)[0].clock.variables["t"].get_value().item())
        return 0.0

    def _endpoint_local(self, endpoint, glob):
        """Index inside the underlying NeuronGroup of global neuron indices."""
        G, _, _ = _span(endpoint)
        out = np.empty(glob.size, dtype=np.int64)
        for off, (H, a, b) in zip(self._offset, self._spans):
            if H.name != G.name:
                continue
            sel = (glob >= off) & (glob < off + (b - a))
            out[sel] = glob[sel] - off + a
        return out

    def _sub(self, new_groups, local_map, entry):
        G, a, b = _span(entry)
        newG, m = new_groups[G.name], local_map[G.name]
        kept = m[a:b][m[a:b] >= 0]
        if entry is G:
            return newG
        if not kept.size:
            raise BindingError(f"rebuild: every neuron of {_name(entry)} is pruned; Brian2 "
                               "cannot make an empty subgroup")
        return newG[int(kept[0]):int(kept[-1]) + 1]

    @staticmethod
    def _new_endpoint(endpoint, new_groups, local_map):
        """(new group or subgroup, its start in the new NeuronGroup) for an old endpoint."""
        G, a, b = _span(endpoint)
        m = local_map[G.name]
        kept = m[a:b][m[a:b] >= 0]
        if not kept.size:
            return None, 0
        newG = new_groups[G.name]
        if endpoint is G:
            return newG, 0
        return newG[int(kept[0]):int(kept[-1]) + 1], int(kept[0])

    def _others(self, network):
        """The user's objects that were not rebuilt, with the bound objects they refer to."""
        if network is None:
            return []
        objects = getattr(network, "objects", network)
        bound = {_span(g)[0].name for g in self.neurons} | {S.name for S in self.synapses}
        inner = set()
        for owner in [_span(g)[0] for g in self.neurons] + list(self.synapses):
            inner |= {id(c) for c in owner.contained_objects}
        out = []
        for o in sorted(objects, key=lambda x: getattr(x, "name", "")):
            name = getattr(o, "name", "")
            if name in bound or id(o) in inner:
                continue
            refs = []
            for attr in ("source", "target", "group"):
                ref = getattr(o, attr, None)
                if ref is not None:
                    try:
                        rname = _span(ref)[0].name
                    except (AttributeError, TypeError):
                        rname = getattr(ref, "name", "")
                    if rname in bound:
                        refs.append(f"{attr}={rname}")
            what = f"{type(o).__name__} '{name}'"
            out.append((o, what + (" refers to " + ", ".join(refs) if refs
                                   else " does not refer to the bound objects")))
        return out

    def __repr__(self):
        return (f"<Brian2Binding N={self.N} ({int((self.types == INHIBITORY).sum())} I), "
                f"synapses={self.n_synapses} in {[S.name for S in self.synapses]}, "
                f"weight={self.weight!r}, device={self.device_name}>")


class RebuildResult:
    """What :meth:`Brian2Binding.rebuild` returns.

    Attributes
    ----------
    neurons : list
        New groups/subgroups, one per bound entry (same order).
    groups : dict
        Old NeuronGroup name -> new NeuronGroup.
    synapses : list of brian2.Synapses
        New Synapses, one per bound object (same order).
    network : brian2.Network
        Holds the new groups and synapses (add re-created monitors to it).
    binding : Brian2Binding
        The binding over the new objects.
    neuron_index : array of int
        Old global index of each new neuron.
    synapse_index : array of int
        Index in ``conn`` of each new synapse (global order of the new binding).
    others : list of (object, str)
        The user's objects that were not rebuilt, with what they refer to;
        re-create them on the new objects.
    """

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def __repr__(self):
        return (f"<RebuildResult {len(self.neuron_index)} neurons, {len(self.synapse_index)} "
                f"synapses, {len(self.others)} objects to re-create>")


def bind(neurons, synapses, weight="w", tau_m=None, *, sign=None, types=None,
         neuron_active=None, synapse_active=None, on_fixed_tau_m="error", w_max=None):
    """Bind Brian2 objects a user wrote to LNP pruning.

    Parameters
    ----------
    neurons : NeuronGroup, Subgroup, or list of them
        The recurrent neurons; global index = the groups one after the other.
    synapses : Synapses or list of Synapses
        Recurrent synapses among those neurons (any number of objects).
    weight : str
        Name of the per-synapse weight variable (the same name in every
        object, e.g. ``"w"``).
    tau_m : str or Quantity
        Membrane time constant: the name of a per-neuron variable (written
        back by LNP Step IV), or a value (scalar or one per neuron; Step IV is
        then refused, see ``on_fixed_tau_m``).
    sign : dict, optional
        ``{Synapses or name: -1}`` for objects whose positive weights act
        negatively (``gi += w``); default +1 for all.
    types : None, dict, str or array, optional
        Neuron types. None: from the signed weights (a neuron sending a
        negative signed weight, or through a ``sign=-1`` object, is
        inhibitory). A dict ``{Synapses: 'E'|'I'}`` gives the type of the
        neurons sending through that object, ``{group or subgroup: 'E'|'I'}``
        the type of those neurons. Or one entry per neuron ('E'/'I' or 0/1).
    neuron_active, synapse_active : str, optional
        Names of 0/1 mask variables the model already has (e.g. gating the
        threshold with ``active > 0.5``). Without them pruned synapses and the
        synapses of pruned neurons are silenced by writing ``w = 0``.
    on_fixed_tau_m : {"error", "skip"}
        When ``tau_m`` is not a per-neuron variable and a Connectivity with
        other ``tau_m`` is applied: raise (default) or leave tau_m unchanged.
    w_max : Quantity or dict, optional
        Upper bound of |w| (where plasticity clips), for all objects or per
        object; :meth:`Brian2Binding.apply` refuses weights above it.

    Returns
    -------
    Brian2Binding

    Examples
    --------
    >>> Ce = Synapses(P, P, 'w : volt', on_pre='ge += w')  # doctest: +SKIP
    >>> Ci = Synapses(P, P, 'w : volt', on_pre='gi += w')  # doctest: +SKIP
    >>> b = lnp.bind(P, [Ce, Ci], weight="w", tau_m=20*ms)  # doctest: +SKIP
    >>> result = lnp.prune(b, iterations=5, steps=("noise", "nodes"))  # doctest: +SKIP
    """
    return Brian2Binding(neurons, synapses, weight, tau_m, sign=sign, types=types,
                         neuron_active=neuron_active, synapse_active=synapse_active,
                         on_fixed_tau_m=on_fixed_tau_m, w_max=w_max)
