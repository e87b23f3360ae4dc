"""How much each LNP step prunes per iteration: the convergent and the fixed schedule.

See :mod:`brian2_lnp.pruning.driver` for what the schedules mean in a run.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

from ..validation import check_bool, check_int, check_range
from .delocalize import DEFAULT_MAX_SHARE

__all__ = ["ConvergentSchedule", "FixedSchedule", "resolve_schedule", "DEFAULT_DENSITY",
           "DEFAULT_Q", "DEFAULT_DELOCALIZE_FRACTION"]

#: fixed schedule: Step I keeps this fraction of the effective synapses per
#: iteration (0.95 ** 100 ~ 0.6 %)
DEFAULT_DENSITY = 0.95
#: fixed schedule: Step II prunes this fraction of the active neurons per iteration
DEFAULT_Q = 0.01
#: fixed schedule: Step III adds this fraction of the effective synapses per iteration
DEFAULT_DELOCALIZE_FRACTION = 0.01


@dataclass(frozen=True)
class ConvergentSchedule:
    """Pruning amounts that stop by themselves (the default; see the module doc).

    Parameters
    ----------
    density : float in (0, 1]
        Step I: expected kept fraction at iteration 1, which calibrates rho
        (ignored when ``rho`` is given). Default 0.9.
    rho : float > 0, optional
        Step I's constant, fixed for the run.
    q : float in [0, 1)
        Step II: the threshold is the q-quantile of the betweenness of the
        active neurons at iteration 1 (ignored when ``threshold`` is given).
        Default 0.02.
    threshold : float >= 0, optional
        Step II's normalised betweenness threshold, fixed for the run.
    add_ratio : float in [0, 1]
        Step III adds ``round(add_ratio * removed)`` synapses, ``removed`` being
        the effective synapses Steps I-II removed in this iteration. Default 0.2.
    max_share : float in (0, 1]
        Step III: no neuron touches more than this share of the synapses added
        over the run (at least one each). Default 0.05.
    dead_ends : bool
        Step II also prunes neurons left without effective input or output
        (their betweenness is 0), until none is left. Default True.
    patience : int >= 1
        Stop after this many consecutive iterations without change. Default 10.
    tol : float >= 0
        "No change": neurons and effective synapses each changed by at most
        ``tol`` (relative) since the previous iteration. Default 0.001.
    average_exponents : bool
        Step I ("lyapunov"/"modulated" couplings) uses each neuron's node
        exponent averaged over the iterations so far instead of this
        iteration's finite-time estimate alone (``noise_prune(average_exponents=True)``).
        Default True (chosen by the protocol of benchmarks/exponent_averaging.py:
        without it, the estimate's noise keeps removing synapses long after the
        network has settled).
    """

    density: float = 0.9
    rho: Optional[float] = None
    q: float = 0.02
    threshold: Optional[float] = None
    add_ratio: float = 0.2
    max_share: float = DEFAULT_MAX_SHARE
    dead_ends: bool = True
    patience: int = 10
    tol: float = 1e-3
    average_exponents: bool = True

    name = "convergent"

    def __post_init__(self):
        check_range("density", self.density, 0.0, 1.0, low_inclusive=False)
        if self.rho is not None:
            check_range("rho", self.rho, 0.0, None, low_inclusive=False)
        check_range("q", self.q, 0.0, 1.0, high_inclusive=False)
        if self.threshold is not None:
            check_range("threshold", self.threshold, 0.0)
        check_range("add_ratio", self.add_ratio, 0.0, 1.0)
        check_range("max_share", self.max_share, 0.0, 1.0, low_inclusive=False)
        check_int("patience", self.patience, 1)
        check_range("tol", self.tol, 0.0)
        check_bool("dead_ends", self.dead_ends)
        check_bool("average_exponents", self.average_exponents)


@dataclass(frozen=True)
class FixedSchedule:
    """The fixed fractions per iteration of earlier versions (no convergence).

    Parameters
    ----------
    density : float in (0, 1]
        Step I: expected kept fraction of the effective synapses, every iteration.
    q : float in [0, 1)
        Step II: fraction of the active neurons pruned, every iteration.
    fraction : float in [0, 1]
        Step III: new synapses, as a fraction of the effective ones, every iteration.
    """

    density: float = DEFAULT_DENSITY
    q: float = DEFAULT_Q
    fraction: float = DEFAULT_DELOCALIZE_FRACTION

    name = "fixed"

    def __post_init__(self):
        check_range("density", self.density, 0.0, 1.0, low_inclusive=False)
        check_range("q", self.q, 0.0, 1.0, high_inclusive=False)
        check_range("delocalize_fraction", self.fraction, 0.0, 1.0)


def resolve_schedule(schedule, density, q, delocalize_fraction):
    if isinstance(schedule, str):
        if schedule not in ("convergent", "fixed"):
            raise ValueError(f"schedule: must be 'convergent', 'fixed' or a schedule object, "
                             f"got {schedule!r}")
        schedule = ConvergentSchedule() if schedule == "convergent" else FixedSchedule()
    if not isinstance(schedule, (ConvergentSchedule, FixedSchedule)):
        raise TypeError("schedule: expected 'convergent', 'fixed', a ConvergentSchedule or a "
                        f"FixedSchedule, got {type(schedule).__name__}")
    over = {}
    if density is not None:
        over["density"] = density
    if q is not None:
        over["q"] = q
    if delocalize_fraction is not None:
        over["add_ratio" if schedule.name == "convergent" else "fraction"] = delocalize_fraction
    return dataclasses.replace(schedule, **over)
