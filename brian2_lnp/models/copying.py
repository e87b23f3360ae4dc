"""Copies of Brian2 objects with a subset of their neurons or synapses (used by ``rebuild``).

Each function re-creates one object with the constructor arguments Brian2 keeps
on it (equations, threshold, reset, refractoriness, events, method, pathways,
delays, clock, namespace) and copies state variables. Features that cannot be
carried over are refused with a :class:`~brian2_lnp.models.binding.BindingError`
naming them.
"""
from __future__ import annotations

import numpy as np

__all__ = ["copy_neuron_group", "copy_neuron_state", "copy_synapses", "copy_synapse_state",
           "pathways"]


class UnsupportedFeature(ValueError):
    """A Brian2 feature that cannot be copied."""


def pathways(S):
    """The SynapticPathway objects of a Synapses (``on_pre``, ``on_post`` and named ones)."""
    # Brian2 keeps the pathway names in Synapses._synaptic_updaters (each is also an attribute)
    return [getattr(S, n) for n in getattr(S, "_synaptic_updaters", [])]


def copy_neuron_group(b2, G, kept, t_now, suffix):
    eqs = G.user_equations
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
    events = {k: v for k, v in G.events.items() if k != "spike"}
    newG = b2.NeuronGroup(
        kept.size, eqs, threshold=G.events.get("spike"),
        reset=G.event_codes.get("spike"), refractory=G._refractory,
        method=G.method_choice, namespace=dict(G.namespace), clock=G.clock,
        events=events or None, name=G.name + suffix + "*")
    for event, code in G.event_codes.items():
        if event != "spike":
            newG.run_on_event(event, code)
    return newG


def copy_neuron_state(old, new, index, t_now, skip=()):
    from brian2.core.variables import ArrayVariable

    for name, var in old.variables.items():
        if (name.startswith("_") or name in skip or not isinstance(var, ArrayVariable)
                or var.read_only or name not in new.variables
                or new.variables[name].read_only):
            continue
        if var.scalar:
            new.variables[name].set_value(var.get_value())
            continue
        values = np.asarray(var.get_value()).copy()
        if name in ("lastspike", "lastupdate"):
            values = values - t_now
        new.variables[name].set_value(values[index])


def copy_synapses(b2, S, source, target, suffix):
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
    for eq in eqs:
        if "linked" in eq.flags:
            raise UnsupportedFeature(f"rebuild: Synapses '{S.name}' has a linked variable "
                               f"'{eq.varname}', which rebuild does not support")
    on_pre, on_post, delay, events = {}, {}, {}, {}
    for pw in pathways(S):
        (on_pre if pw.prepost == "pre" else on_post)[pw.objname] = pw.code
        var = pw.variables["delay"]
        if var.scalar:  # homogeneous delay, given at construction
            delay[pw.objname] = b2.Quantity(var.get_value().item(), dim=var.dim)
        if pw.event != "spike":
            events[pw.objname] = pw.event
    method = S.state_updater.method_choice if S.state_updater is not None else ("exact",)
    return b2.Synapses(source, target, model=Equations(eqs), on_pre=on_pre or None,
                       on_post=on_post or None, delay=delay or None,
                       on_event=events or "spike", namespace=dict(S.namespace),
                       method=method, clock=S.clock,
                       multisynaptic_index=S.multisynaptic_index, name=S.name + suffix + "*")


def copy_synapse_state(S, newS, old_local, t_now):
    from brian2.core.variables import ArrayVariable

    is_old = old_local >= 0
    for name, var in S.variables.items():
        if (name.startswith("_") or not isinstance(var, ArrayVariable) or var.read_only
                or name not in newS.variables or newS.variables[name].read_only
                or S.variables.indices[name] != "_idx" or var.scalar):
            continue
        old = np.asarray(var.get_value())
        if name in ("lastupdate",):
            old = old - t_now
        new = np.array(newS.variables[name].get_value(), copy=True)
        new[is_old] = old[old_local[is_old]]
        newS.variables[name].set_value(new)
    for pw in pathways(S):  # heterogeneous delays live on the pathways
        var = pw.variables["delay"]
        if not var.scalar:
            target = getattr(newS, pw.objname).variables["delay"]
            new = np.array(target.get_value(), copy=True)
            new[is_old] = np.asarray(var.get_value())[old_local[is_old]]
            target.set_value(new)
