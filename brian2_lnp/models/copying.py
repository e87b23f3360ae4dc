"""Copies of Brian2 objects with a subset of their neurons or synapses (used by ``rebuild``).

Each function re-creates one object with the constructor arguments Brian2 keeps
on it (equations, threshold, reset, refractoriness, events, method, pathways,
delays, clock, namespace) and copies state variables. Features that cannot be
carried over are refused with a :class:`~brian2_lnp.models.binding.BindingError`
naming them.

``drop``: names of 0/1 mask variables that are 1 for everything kept (a
rebuilt network holds only active neurons and effective synapses). Their
declarations are removed and every use in the code (also as ``name_pre`` /
``name_post``) becomes the constant 1, which Brian2's code optimiser folds
away (``1 * w`` is generated as ``w``): the copy computes what the same
network written without masks computes.

``given``: values of state variables supplied by the caller (one per old
item) instead of read from the device (per-synapse delays of a pathway under
the key ``"<pathway>.delay"``, e.g. ``"pre.delay"``); on a standalone device
before its run Brian2 cannot read most values back, so every variable that
cannot be read must be given.
"""
from __future__ import annotations

import re

import numpy as np

__all__ = ["copy_neuron_group", "copy_neuron_state", "copy_synapses", "copy_synapse_state",
           "pathways", "drop_variables", "UnreadableState"]


class UnsupportedFeature(ValueError):
    """A Brian2 feature that cannot be copied."""


class UnreadableState(ValueError):
    """State variables that the device cannot read back and the caller did not give."""

    def __init__(self, owner, names):
        self.owner, self.names = owner, sorted(names)
        super().__init__(f"'{owner}': {self.names}")


def drop_variables(code, names):
    """``code`` with every use of the variables ``names`` (also ``_pre``/``_post``) set to 1.

    Parameters
    ----------
    code : str or None
        Abstract code or an expression.
    names : iterable of str

    Returns
    -------
    str or None
    """
    if code is None or not names:
        return code
    alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.sub(rf"\b(?:{alt})(?:_pre|_post)?\b", "1", str(code))


def _drop_from_equations(eqs, drop):
    """Equations without the declarations of ``drop``, their uses replaced by 1."""
    from brian2.equations.equations import Equations, SingleEquation
    from brian2.equations.codestrings import Expression

    if not drop:
        return eqs
    out = []
    for eq in eqs.values():
        if eq.varname in drop:
            continue
        expr = eq.expr
        if expr is not None:
            new = drop_variables(expr.code, drop)
            if new != expr.code:
                expr = Expression(new)
        out.append(SingleEquation(eq.type, eq.varname, dimensions=eq.dim, var_type=eq.var_type,
                                  expr=expr, flags=eq.flags))
    return Equations(out)


def _read(var):
    """Values of a Brian2 variable, or None when the device cannot read them yet."""
    try:
        value = var.get_value()
    except NotImplementedError:
        return None
    return None if value is None else np.asarray(value)


def pathways(S):
    """The SynapticPathway objects of a Synapses (``on_pre``, ``on_post`` and named ones)."""
    # Brian2 keeps the pathway names in Synapses._synaptic_updaters (each is also an attribute)
    return [getattr(S, n) for n in getattr(S, "_synaptic_updaters", [])]


def copy_neuron_group(b2, G, kept, t_now, suffix, drop=()):
    eqs = _drop_from_equations(G.user_equations, drop)
    for eq in eqs.values():
        if "linked" in eq.flags:
            raise UnsupportedFeature(f"rebuild: NeuronGroup '{G.name}' has a linked variable "
                                     f"'{eq.varname}', which rebuild does not support")
    known = {id(G.state_updater), id(getattr(G, "subexpression_updater", None))}
    known |= {id(o) for o in G.thresholder.values()} | {id(o) for o in G.resetter.values()}
    extra = [o for o in G.contained_objects if id(o) not in known]
    if extra:
        raise UnsupportedFeature(f"rebuild: NeuronGroup '{G.name}' contains "
                                 f"{[o.name for o in extra]} (run_regularly or similar), which "
                                 "rebuild does not support; re-create them on the new group")
    events = {k: drop_variables(v, drop) for k, v in G.events.items() if k != "spike"}
    newG = b2.NeuronGroup(
        kept.size, eqs, threshold=drop_variables(G.events.get("spike"), drop),
        reset=drop_variables(G.event_codes.get("spike"), drop), refractory=G._refractory,
        method=G.method_choice, namespace=dict(G.namespace), clock=G.clock,
        events=events or None, name=G.name + suffix + "*")
    for event, code in G.event_codes.items():
        if event != "spike":
            newG.run_on_event(event, drop_variables(code, drop))
    return newG


def copy_neuron_state(old, new, index, t_now, skip=(), given=None):
    """Copy the state of neurons ``index`` of ``old`` into ``new``.

    ``given``: {name: values per old neuron} used instead of reading (taken as
    they are, without the time shift of ``lastspike``). Raises
    :class:`UnreadableState` naming the variables that could not be read.
    """
    from brian2.core.variables import ArrayVariable

    given = given or {}
    missing = []
    for name, var in old.variables.items():
        if (name.startswith("_") or name in skip or not isinstance(var, ArrayVariable)
                or var.read_only or name not in new.variables
                or new.variables[name].read_only):
            continue
        if name in given:
            _set_neuron_values(new.variables[name], np.asarray(given[name])[index])
            continue
        values = _read(var)
        if values is None:
            missing.append(name)
            continue
        if var.scalar:
            new.variables[name].set_value(values)
            continue
        values = values.copy()
        if name in ("lastspike", "lastupdate"):
            values = values - t_now
        _set_neuron_values(new.variables[name], values[index])
    if missing:
        raise UnreadableState(old.name, missing)


def _set_neuron_values(var, values):
    """Write one value when all are equal (brian2genn refuses arrays for ``lastspike``)."""
    if values.size and np.all(values == values.flat[0]):
        var.set_value(values.flat[0])
    else:
        var.set_value(values)


def copy_synapses(b2, S, source, target, suffix, drop=()):
    from brian2.equations.equations import DIFFERENTIAL_EQUATION, Equations

    if getattr(S, "summed_updaters", None):
        raise UnsupportedFeature(f"rebuild: Synapses '{S.name}' has summed variables "
                                 f"{sorted(S.summed_updaters)}, which rebuild does not support")
    if getattr(S, "subexpression_updater", None) is not None:
        raise UnsupportedFeature(f"rebuild: Synapses '{S.name}' has 'constant over dt' "
                                 "subexpressions, which rebuild does not support")
    eqs = [eq for eq in S.equations.values() if eq.varname != S.multisynaptic_index]
    if S.event_driven is not None:
        eqs += [eq for eq in S.event_driven.values() if eq.type == DIFFERENTIAL_EQUATION]
    eqs = list(_drop_from_equations(Equations(eqs), drop).values())
    for eq in eqs:
        if "linked" in eq.flags:
            raise UnsupportedFeature(f"rebuild: Synapses '{S.name}' has a linked variable "
                                     f"'{eq.varname}', which rebuild does not support")
    on_pre, on_post, delay, events = {}, {}, {}, {}
    for pw in pathways(S):
        (on_pre if pw.prepost == "pre" else on_post)[pw.objname] = drop_variables(pw.code, drop)
        var = pw.variables["delay"]
        if var.scalar:  # homogeneous delay, given at construction
            value = _read(var)
            if value is None:
                raise UnreadableState(S.name, [f"{pw.objname}.delay"])
            delay[pw.objname] = b2.Quantity(value.item(), dim=var.dim)
        if pw.event != "spike":
            events[pw.objname] = pw.event
    method = S.state_updater.method_choice if S.state_updater is not None else ("exact",)
    return b2.Synapses(source, target, model=Equations(eqs), on_pre=on_pre or None,
                       on_post=on_post or None, delay=delay or None,
                       on_event=events or "spike", namespace=dict(S.namespace),
                       method=method, clock=S.clock,
                       multisynaptic_index=S.multisynaptic_index, name=S.name + suffix + "*")


def _new_synapse_values(var, target, given, old_local, shift):
    """Values for ``target`` (new synapses): given, or read from ``var`` at ``old_local``
    (minus ``shift``), new synapses (-1) keeping the target's values; None if unreadable."""
    if given is not None:
        return np.asarray(given, dtype=float)
    old = _read(var)
    if old is None:
        return None
    new = _read(target)
    new = np.zeros(old_local.size) if new is None else np.array(new, copy=True)
    is_old = old_local >= 0
    new[is_old] = old[old_local[is_old]] - shift
    return new


def copy_synapse_state(S, newS, old_local, t_now, given=None, skip=()):
    """Copy per-synapse state of ``S`` into ``newS`` (connected, same order).

    ``old_local``: index inside ``S`` of each new synapse (-1 for synapses
    that are new, which keep their defaults). ``given``: {name: values per
    kept synapse, in the new order} used instead of reading. Raises
    :class:`UnreadableState` naming the variables that could not be read.
    """
    from brian2.core.variables import ArrayVariable

    given = given or {}
    missing = []
    n_new = old_local.size
    for name, var in S.variables.items():
        if (name.startswith("_") or name in skip or not isinstance(var, ArrayVariable)
                or var.read_only or name not in newS.variables or newS.variables[name].read_only
                or S.variables.indices[name] != "_idx" or var.scalar):
            continue
        new = _new_synapse_values(var, newS.variables[name], given.get(name), old_local,
                                  t_now if name == "lastupdate" else 0.0)
        if new is None:
            missing.append(name)
        elif n_new:
            # an explicit slice: standalone devices record an index array with the values
            getattr(newS, name + "_")[0:n_new] = new
    for pw in pathways(S):  # heterogeneous delays live on the pathways
        var = pw.variables["delay"]
        if not var.scalar:
            key = f"{pw.objname}.delay"
            target = getattr(newS, pw.objname).variables["delay"]
            new = _new_synapse_values(var, target, given.get(key), old_local, 0.0)
            if new is None:
                missing.append(key)
            elif np.any(new):  # zero is a new Synapses' delay (and GeNN refuses writing it)
                target.set_value(new)
    if missing:
        raise UnreadableState(S.name, missing)
