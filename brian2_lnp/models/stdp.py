"""The per-synapse STDP parameter table of a SpikingNetwork.

One row per recurrent synapse (in Connectivity order): ``plastic`` (E->E and
E->I), ``tau_pre``, ``tau_post`` (second), ``A_plus``, ``A_minus`` (volt,
A_minus < 0). Non-plastic rows hold placeholder trace time constants
(:data:`~brian2_lnp.models.equations.UNUSED_TAU`) and zero amplitudes.
Rows for new synapses (LNP Step III) come from given values, from the model
file's distributions, or (a spec built by hand) from the median of the
existing plastic synapses of the same pathway.
"""
from __future__ import annotations

import numpy as np

from ..graph import EXCITATORY
from ..random import child_seed
from ..validation import to_si
from .equations import UNUSED_TAU

__all__ = ["StdpTable", "STDP_KEYS"]

#: keys of ``stdp_params`` and their units
STDP_KEYS = {"tau_pre": "second", "tau_post": "second", "A_plus": "volt", "A_minus": "volt"}


class StdpTable:
    """Per-synapse STDP parameters (SI floats), kept in Connectivity order."""

    def __init__(self, plastic, tau_pre, tau_post, A_plus, A_minus):
        plastic = np.asarray(plastic, dtype=bool).copy()
        self.columns = {
            "plastic": plastic,
            "tau_pre": np.where(plastic, np.asarray(tau_pre, float), UNUSED_TAU),
            "tau_post": np.where(plastic, np.asarray(tau_post, float), UNUSED_TAU),
            "A_plus": np.where(plastic, np.asarray(A_plus, float), 0.0),
            "A_minus": np.where(plastic, np.asarray(A_minus, float), 0.0),
        }

    @classmethod
    def from_spec(cls, spec):
        return cls(spec.plastic, spec.tau_pre, spec.tau_post, spec.A_plus, spec.A_minus)

    def __len__(self):
        return int(self.columns["plastic"].size)

    @property
    def plastic(self):
        return self.columns["plastic"]

    def as_dict(self):
        """Copies of the columns (dict of arrays, SI units)."""
        return {k: v.copy() for k, v in self.columns.items()}

    def take(self, index):
        """The columns at ``index`` (for compaction)."""
        return {k: v[index] for k, v in self.columns.items()}

    # ------------------------------------------------------------------ new rows
    def new_rows(self, types, pre, post, old_pre, old_post, given=None, config=None,
                 seed=None):
        """STDP parameters for new synapses ``pre -> post`` (not yet appended).

        Parameters
        ----------
        types : array (N,)
        pre, post : arrays of the new synapses
        old_pre, old_post : arrays of the existing synapses (for medians)
        given : dict, optional
            ``stdp_params``: ``tau_pre``, ``tau_post`` (second) and ``A_plus``,
            ``A_minus`` (volt), each a scalar or one value per new synapse;
            Quantities are checked for their dimension.
        config : ModelConfig, optional
            Model file whose distributions are drawn from.
        seed : None, int or Generator
        """
        pt, qt = types[pre], types[post]
        n = pre.size
        plastic = pt == EXCITATORY  # E->E and E->I (seed 002 Eq. 3-5)
        if given is not None:
            out = {"plastic": plastic.copy()}
            out.update(self.check_given(given, n))
        elif config is not None:
            from .generate import draw_stdp_params  # the model-file generator

            drawn = draw_stdp_params(config, pt, qt, seed)
            out = {key: np.asarray(drawn[key], dtype=float) for key in STDP_KEYS}
            out["plastic"] = (np.asarray(drawn["plastic"], dtype=bool) if "plastic" in drawn
                              else plastic)
        else:
            out = {"plastic": plastic.copy(), **{key: np.zeros(n) for key in STDP_KEYS}}
            old_plastic = self.plastic
            ep, eq = types[old_pre], types[old_post]
            for a in (0, 1):
                for b in (0, 1):
                    sel = plastic & (pt == a) & (qt == b)
                    if not sel.any():
                        continue
                    ref = old_plastic & (ep == a) & (eq == b)
                    if not ref.any():
                        ref = old_plastic
                    if not ref.any():
                        raise ValueError(
                            "stdp_params: new plastic synapses need STDP parameters, but the "
                            "model has no config to draw them from and no plastic synapse to "
                            "copy them from; pass stdp_params=")
                    for key in STDP_KEYS:
                        out[key][sel] = np.median(self.columns[key][ref])
        pl = out["plastic"]
        out["tau_pre"] = np.where(pl, out["tau_pre"], UNUSED_TAU)
        out["tau_post"] = np.where(pl, out["tau_post"], UNUSED_TAU)
        out["A_plus"] = np.where(pl, out["A_plus"], 0.0)
        out["A_minus"] = np.where(pl, out["A_minus"], 0.0)
        return out

    @staticmethod
    def check_given(given, n):
        """Validate ``stdp_params``: keys, dimensions, shapes and ranges."""
        if not isinstance(given, dict):
            raise TypeError(f"stdp_params: expected a dict with keys {sorted(STDP_KEYS)}, got "
                            f"{type(given).__name__}")
        missing = [k for k in STDP_KEYS if k not in given]
        unknown = sorted(set(given) - set(STDP_KEYS))
        if missing or unknown:
            raise ValueError(f"stdp_params: missing {missing} / unknown {unknown}; the allowed "
                             f"keys are {sorted(STDP_KEYS)} (tau_pre, tau_post in second; "
                             "A_plus, A_minus in volt)")
        out = {}
        for key, unit in STDP_KEYS.items():
            arr = to_si(f"stdp_params[{key!r}]", given[key], unit)
            try:
                arr = np.broadcast_to(arr, (n,)).astype(float)
            except ValueError:
                raise ValueError(f"stdp_params[{key!r}]: one value or one per new synapse "
                                 f"({n}), got shape {arr.shape}") from None
            if not np.isfinite(arr).all():
                raise ValueError(f"stdp_params[{key!r}]: must be finite")
            out[key] = arr
        for key in ("tau_pre", "tau_post"):
            if (out[key] <= 0).any():
                raise ValueError(f"stdp_params[{key!r}]: must lie in (0, inf) second")
        if (out["A_plus"] < 0).any():
            raise ValueError("stdp_params['A_plus']: must lie in [0, inf) volt (potentiation)")
        if (out["A_minus"] > 0).any():
            raise ValueError("stdp_params['A_minus']: must lie in (-inf, 0] volt (depression)")
        return out

    def append(self, rows):
        for key in self.columns:
            self.columns[key] = np.concatenate([self.columns[key], rows[key]])

    def default_seed(self, spec_seed):
        """Seed for drawing new rows: from the model seed and the current row count."""
        return child_seed(spec_seed if spec_seed is not None else 0, "apply_stdp", len(self))

    # ------------------------------------------------------------------ Brian2
    def write(self, synapses, n, frozen=False):
        """Write rows ``[0, n)`` into a Synapses object with the STDP model."""
        import brian2 as b2

        sl = slice(0, n)
        c = self.columns
        synapses.plastic[sl] = 0.0 if frozen else c["plastic"][sl].astype(float)
        synapses.taupre[sl] = c["tau_pre"][sl] * b2.second
        synapses.taupost[sl] = c["tau_post"][sl] * b2.second
        synapses.A_plus[sl] = c["A_plus"][sl] * b2.volt
        synapses.A_minus[sl] = c["A_minus"][sl] * b2.volt
