"""Model files: load, validate and show HRSNN / CHRSNN parameters.

A model file (``models/hrsnn.yaml``, ``models/chrsnn.yaml``, ...) holds every
parameter of a network, with units written as Brian2-style strings
(``"20*ms"``, ``"-65*mV"``). :func:`load_model` reads such a file (or a dict),
applies keyword overrides, checks everything and returns a
:class:`ModelConfig` whose values are plain SI floats (second, volt, hertz)
and :class:`~brian2_lnp.models.distributions.Distribution` objects.

Unit strings are parsed by a small restricted parser (``number``,
``number*unit`` or ``unit``, the unit taken from a whitelist), never by
``eval``, so a model file cannot run code. The parser does not import Brian2,
which keeps this module usable by the pure-NumPy generator; Brian2 is only
imported lazily when a Brian2 Quantity is passed in or asked for.

Every error names the full path of the offending field, e.g.
``neuron.tau_m.E.scale: expected a time ...``.
"""
from __future__ import annotations

import copy
import logging
import math
import numbers
import os
import re

import numpy as np

from .distributions import DIST_PARAMS, Distribution

__all__ = ["ModelConfig", "ModelConfigError", "load_model", "parse_quantity",
           "format_quantity", "model_path", "UNITS", "MODELS_DIR"]

logger = logging.getLogger(__name__)

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: the directory of the model files shipped inside the package (package data,
#: brian2_lnp/data/; the repository's models/ points there)
MODELS_DIR = os.path.join(_PKG_DIR, "data")


def _model_dirs():
    """Where model names are looked up, in order: $BRIAN2_LNP_MODELS (os.pathsep-separated),
    then the package's own model files (:data:`MODELS_DIR`)."""
    env = [d for d in os.environ.get("BRIAN2_LNP_MODELS", "").split(os.pathsep) if d]
    return env + [MODELS_DIR]


#: whitelisted unit names -> (factor to SI, dimension). Names as in brian2.units.
UNITS = {
    "second": (1.0, "time"), "ms": (1e-3, "time"), "msecond": (1e-3, "time"),
    "us": (1e-6, "time"), "usecond": (1e-6, "time"),
    "volt": (1.0, "voltage"), "mV": (1e-3, "voltage"), "mvolt": (1e-3, "voltage"),
    "uvolt": (1e-6, "voltage"),
    "Hz": (1.0, "frequency"), "hertz": (1.0, "frequency"), "kHz": (1e3, "frequency"),
    "khertz": (1e3, "frequency"),
}
#: unit used to display each dimension
_DISPLAY = {"time": ("ms", 1e-3), "voltage": ("mV", 1e-3), "frequency": ("Hz", 1.0)}
_EXAMPLE = {"time": "'20*ms'", "voltage": "'-65*mV'", "frequency": "'10*Hz'"}

_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_QTY_RE = re.compile(rf"^\s*(?P<num>{_NUM})\s*(?:\*\s*(?P<unit>[A-Za-z]+))?\s*$")
_UNIT_ONLY_RE = re.compile(r"^\s*(?P<unit>[A-Za-z]+)\s*$")

MODEL_KINDS = ("hrsnn", "chrsnn")


class ModelConfigError(ValueError):
    """A model file or override is invalid; the message starts with the field path."""


# ----------------------------------------------------------------------------- units
def parse_quantity(text, path="value"):
    """Parse ``"20*ms"``, ``"-65 * mV"``, ``"0.3"`` or ``"ms"`` without ``eval``.

    Parameters
    ----------
    text : str or number
        A number, or a string ``number``, ``number*unit`` or ``unit`` with the
        unit taken from :data:`UNITS`.
    path : str
        Field name used in error messages.

    Returns
    -------
    value : float
        In SI units (second, volt, hertz).
    dim : str or None
        ``"time"``, ``"voltage"``, ``"frequency"``, or None when dimensionless.
    """
    if isinstance(text, bool):
        raise ModelConfigError(f"{path}: expected a number or a quantity string, got {text!r}")
    if isinstance(text, (numbers.Real, np.floating, np.integer)):
        return float(text), None
    if hasattr(text, "dim"):  # a Brian2 Quantity: compare its dimensions
        return _from_brian2(text, path)
    if not isinstance(text, str):
        raise ModelConfigError(f"{path}: expected a number or a quantity string such as "
                               f"'20*ms', got {type(text).__name__} {text!r}")
    m = _QTY_RE.match(text)
    if m is None:
        m2 = _UNIT_ONLY_RE.match(text)
        if m2 is None:
            raise ModelConfigError(
                f"{path}: cannot parse {text!r}; write a number, 'number*unit' or 'unit' "
                f"with a unit from {sorted(UNITS)}")
        num, unit = "1", m2.group("unit")
    else:
        num, unit = m.group("num"), m.group("unit")
    value = float(num)
    if unit is None:
        return value, None
    if unit not in UNITS:
        raise ModelConfigError(f"{path}: unknown unit {unit!r} in {text!r}; allowed units: "
                               f"{sorted(UNITS)}")
    factor, dim = UNITS[unit]
    return value * factor, dim


def _from_brian2(q, path):
    from brian2.units.fundamentalunits import get_dimensions  # lazy: only for Quantities
    from brian2 import Hz, second, volt
    dims = {"time": second, "voltage": volt, "frequency": Hz}
    d = get_dimensions(q)
    if d.is_dimensionless:
        return float(q), None
    for name, unit in dims.items():
        if d == get_dimensions(unit):
            return float(q / unit), name
    raise ModelConfigError(f"{path}: Quantity {q!r} has dimensions {d}, which no field uses")


def format_quantity(value, dim):
    """Show an SI float as a Brian2-style string, e.g. ``0.02, "time" -> "20*ms"``."""
    if dim is None:
        return value
    unit, factor = _DISPLAY[dim]
    value = float(value)
    # the shortest text that parses back to exactly the same float
    for text in (f"{value / factor:.12g}", repr(value / factor)):
        if float(text) * factor == value:
            return f"{text}*{unit}"
    si = {"time": "second", "voltage": "volt", "frequency": "Hz"}[dim]
    return f"{value!r}*{si}"


# ----------------------------------------------------------------------------- schema
class _Leaf:
    """One checked field: ``check`` converts raw -> validated, ``dump`` goes back."""

    def dump(self, value):
        return value


class _Int(_Leaf):
    def __init__(self, low=None, high=None):
        self.low, self.high = low, high

    def check(self, path, raw):
        if isinstance(raw, bool) or not isinstance(raw, (numbers.Integral, np.integer)):
            if isinstance(raw, (float, np.floating)) and float(raw).is_integer():
                raw = int(raw)
            else:
                raise ModelConfigError(f"{path}: expected an integer, got {raw!r}")
        raw = int(raw)
        if (self.low is not None and raw < self.low) or (self.high is not None and raw > self.high):
            hi = "inf" if self.high is None else self.high
            raise ModelConfigError(f"{path}: must lie in [{self.low}, {hi}], got {raw}")
        return raw


def _range_text(low, high, low_incl, high_incl, dim):
    lo = "-inf" if low is None else format_quantity(low, dim)
    hi = "inf" if high is None else format_quantity(high, dim)
    return (("[" if low_incl and low is not None else "(") + f"{lo}, {hi}"
            + ("]" if high_incl and high is not None else ")"))


class _Qty(_Leaf):
    """A number with a fixed dimension (``dim=None``: dimensionless)."""

    def __init__(self, dim=None, low=None, high=None, low_incl=True, high_incl=True):
        self.dim, self.low, self.high = dim, low, high
        self.low_incl, self.high_incl = low_incl, high_incl

    def check(self, path, raw):
        value, dim = parse_quantity(raw, path)
        if dim != self.dim:
            if self.dim is None:
                raise ModelConfigError(f"{path}: expected a dimensionless number, got {raw!r} "
                                       f"(a {dim})")
            got = "a number without unit" if dim is None else f"a {dim}"
            raise ModelConfigError(f"{path}: expected a {self.dim} with units, e.g. "
                                   f"{_EXAMPLE[self.dim]}, got {raw!r} ({got})")
        ok = math.isfinite(value)
        if ok and self.low is not None:
            ok = value >= self.low if self.low_incl else value > self.low
        if ok and self.high is not None:
            ok = value <= self.high if self.high_incl else value < self.high
        if not ok:
            rng = _range_text(self.low, self.high, self.low_incl, self.high_incl, self.dim)
            raise ModelConfigError(f"{path}: must lie in {rng}, got {raw!r}")
        return value

    def dump(self, value):
        return format_quantity(value, self.dim)


_PROB = _Qty(None, 0.0, 1.0)
_POS_TIME = _Qty("time", 0.0, None, low_incl=False)
_VOLT = _Qty("voltage")


class _Choice(_Leaf):
    def __init__(self, options):
        self.options = options

    def check(self, path, raw):
        if raw not in self.options:
            raise ModelConfigError(f"{path}: must be one of {list(self.options)}, got {raw!r}")
        return raw


class _Str(_Leaf):
    def check(self, path, raw):
        if not isinstance(raw, str):
            raise ModelConfigError(f"{path}: expected a string, got {raw!r}")
        return raw


class _Dist(_Leaf):
    """``{dist: gamma|normal|uniform|constant, <params>}`` in units of ``dim``.

    ``positive=True``: every draw must be > 0 (time constants, magnitudes).
    """

    def __init__(self, dim, positive=False, families=tuple(DIST_PARAMS)):
        self.dim, self.positive, self.families = dim, positive, families

    def check(self, path, raw):
        if not isinstance(raw, dict):
            raise ModelConfigError(f"{path}: expected a distribution mapping such as "
                                   f"{{dist: gamma, shape: 3, scale: ...}}, got {raw!r}")
        raw = dict(raw)
        if "dist" not in raw:
            raise ModelConfigError(f"{path}.dist: missing key (one of {list(self.families)})")
        family = _Choice(self.families).check(f"{path}.dist", raw.pop("dist"))
        names = DIST_PARAMS[family]
        _check_keys(path, raw, names)
        params = {}
        for name in names:
            if name == "shape":
                leaf = _Qty(None, 0.0, None, low_incl=False)
            elif name in ("scale", "std"):
                leaf = _Qty(self.dim, 0.0, None, low_incl=name == "std")
            else:
                leaf = _Qty(self.dim)
            params[name] = leaf.check(f"{path}.{name}", raw[name])
        if family == "uniform" and params["high"] < params["low"]:
            low = format_quantity(params["low"], self.dim)
            raise ModelConfigError(f"{path}.high: must be >= low ({low}), got {raw['high']!r}")
        d = Distribution.make(family, **params)
        if self.positive and d.bounds[0] <= 0:
            raise ModelConfigError(
                f"{path}: values must be > 0 but this {family} distribution reaches "
                f"{format_quantity(d.bounds[0], self.dim)} (draws are cut at +-6 sd)")
        return d

    def dump(self, d):
        out = {"dist": d.dist}
        for name, value in d.params:
            out[name] = value if name == "shape" else format_quantity(value, self.dim)
        return out


class _Gamma(_Dist):
    """A Gamma distribution given as ``{shape, scale}`` (``dist: gamma`` optional)."""

    def __init__(self, dim):
        super().__init__(dim, positive=True, families=("gamma",))

    def check(self, path, raw):
        if isinstance(raw, dict) and "dist" not in raw:
            raw = dict(raw, dist="gamma")
        return super().check(path, raw)

    def dump(self, d):
        return {"shape": d["shape"], "scale": format_quantity(d["scale"], self.dim)}


class _GridShape(_Leaf):
    def check(self, path, raw):
        if raw == "auto":
            return "auto"
        if not isinstance(raw, (list, tuple)) or len(raw) != 3:
            raise ModelConfigError(f"{path}: expected 'auto' or a list of 3 positive integers, "
                                   f"got {raw!r}")
        return tuple(_Int(1).check(f"{path}[{i}]", v) for i, v in enumerate(raw))

    def dump(self, value):
        return value if value == "auto" else list(value)


class _PerType(_Leaf):
    """A number for all four pathways, or ``{EE, EI, IE, II}`` (pre letter first)."""

    KEYS = ("EE", "EI", "IE", "II")

    def __init__(self, leaf, allow_scalar=False):
        self.leaf, self.allow_scalar = leaf, allow_scalar

    def check(self, path, raw):
        if self.allow_scalar and not isinstance(raw, dict):
            v = self.leaf.check(path, raw)
            return {k: v for k in self.KEYS}
        if not isinstance(raw, dict):
            raise ModelConfigError(f"{path}: expected a mapping with keys {list(self.KEYS)}, "
                                   f"got {raw!r}")
        _check_keys(path, raw, self.KEYS)
        return {k: self.leaf.check(f"{path}.{k}", raw[k]) for k in self.KEYS}

    def dump(self, value):
        return {k: self.leaf.dump(value[k]) for k in self.KEYS}


class _ClusterTau(_Leaf):
    """Per-cluster Gamma for tau_m: a list of K ``{shape, scale}``, or a rule
    ``{shape, scale_from, scale_to}`` giving K geometrically spaced scales."""

    def check(self, path, raw):
        g = _Gamma("time")
        if isinstance(raw, (list, tuple)):
            if len(raw) == 0:
                raise ModelConfigError(f"{path}: empty list; give one {{shape, scale}} per cluster")
            return [g.check(f"{path}[{c}]", v) for c, v in enumerate(raw)]
        if isinstance(raw, dict):
            _check_keys(path, raw, ("shape", "scale_from", "scale_to"))
            shape = _Qty(None, 0.0, None, low_incl=False).check(f"{path}.shape", raw["shape"])
            lo = _POS_TIME.check(f"{path}.scale_from", raw["scale_from"])
            hi = _POS_TIME.check(f"{path}.scale_to", raw["scale_to"])
            return {"shape": shape, "scale_from": lo, "scale_to": hi}
        raise ModelConfigError(f"{path}: expected a list of {{shape, scale}} (one per cluster) "
                               f"or {{shape, scale_from, scale_to}}, got {raw!r}")

    def dump(self, value):
        if isinstance(value, list):
            return [_Gamma("time").dump(d) for d in value]
        return {"shape": value["shape"], "scale_from": format_quantity(value["scale_from"], "time"),
                "scale_to": format_quantity(value["scale_to"], "time")}


def _check_keys(path, raw, allowed, optional=()):
    prefix = f"{path}." if path else ""
    unknown = [k for k in raw if k not in allowed and k not in optional]
    if unknown:
        raise ModelConfigError(f"{prefix}{unknown[0]}: unknown key; allowed here: "
                               f"{list(allowed) + list(optional)}")
    missing = [k for k in allowed if k not in raw]
    if missing:
        raise ModelConfigError(f"{prefix}{missing[0]}: missing key")


_NEURON_COMMON = {
    "v_rest": _VOLT,
    "v_reset": _VOLT,
    "t_ref": _Qty("time", 0.0, None),
    "tau_syn": _POS_TIME,
    "v_th": _Dist("voltage"),
}
_WEIGHTS = {
    "EE": _VOLT, "EI": _VOLT, "IE": _VOLT, "II": _VOLT,
    "cv": _Qty(None, 0.0, None),
}
_INPUT = {
    "n_channels": _Int(0),
    "p_in": _PROB,
    "w": _Qty("voltage", 0.0, None, low_incl=False),
    "w_cv": _Qty(None, 0.0, None),
    "rate": _Qty("frequency", 0.0, None),
}
_STDP = {
    "w_max": _Qty("voltage", 0.0, None, low_incl=False),
    "tau_pre": _Dist("time", positive=True),
    "tau_post": _Dist("time", positive=True),
    "A_plus": _Dist("voltage", positive=True),
    "A_minus": _Dist("voltage", positive=True),
}
_TOP_COMMON = {
    "model": _Choice(MODEL_KINDS),
    "N": _Int(1),
    "fraction_inhibitory": _Qty(None, 0.0, 1.0, low_incl=False, high_incl=False),
    "weights": _WEIGHTS,
    "input": _INPUT,
    "stdp": _STDP,
}
SCHEMAS = {
    "hrsnn": dict(_TOP_COMMON, neuron=dict(_NEURON_COMMON, tau_m={"E": _Gamma("time"),
                                                                  "I": _Gamma("time")}),
                  connectivity={"grid": {"shape": _GridShape(),
                                         "spacing": _Qty(None, 0.0, None, low_incl=False)},
                                "lambda": _Qty(None, 0.0, None, low_incl=False),
                                "C": _PerType(_PROB)}),
    "chrsnn": dict(_TOP_COMMON, neuron=dict(_NEURON_COMMON),
                   clusters={"K": _Int(1), "tau_m": _ClusterTau(),
                             "p_intra": _PerType(_PROB, allow_scalar=True),
                             "ring_neighbours": _Int(0), "bridges_per_pair": _Int(0),
                             "p_rewire": _PROB}),
}
_OPTIONAL_TOP = {"name": _Str(), "description": _Str()}


def _walk_check(path, raw, schema):
    if isinstance(schema, dict):
        if not isinstance(raw, dict):
            raise ModelConfigError(f"{path or 'config'}: expected a mapping with keys "
                                   f"{list(schema)}, got {raw!r}")
        optional = _OPTIONAL_TOP if not path else {}
        _check_keys(path, raw, tuple(schema), tuple(optional))
        out = {}
        for key, sub in list(schema.items()) + [(k, v) for k, v in optional.items() if k in raw]:
            out[key] = _walk_check(f"{path}.{key}" if path else key, raw[key], sub)
        return _Section(out)
    return schema.check(path, raw)


def _walk_dump(value, schema):
    if isinstance(schema, dict):
        full = dict(schema, **(_OPTIONAL_TOP if "model" in schema else {}))
        return {k: _walk_dump(v, full[k]) for k, v in value.items()}
    return schema.dump(value)


class _Section(dict):
    """A dict whose keys are also attributes (``cfg.neuron.tau_m.E``)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


# ----------------------------------------------------------------------------- config
class ModelConfig:
    """A validated model: SI floats, ints and Distributions, read-only by convention.

    Sections are reachable as attributes or items: ``cfg.neuron.t_ref`` (second),
    ``cfg["stdp"]["tau_pre"]`` (a Distribution in second). Build with
    :func:`load_model`; change with :meth:`with_overrides`.

    Attributes
    ----------
    model : str
        ``"hrsnn"`` or ``"chrsnn"``.
    N, n_exc, n_inh : int
        Neuron counts; ``n_exc = round(N * (1 - fraction_inhibitory))`` (half up).
    source : str or None
        The file it was read from.
    """

    def __init__(self, values, source=None):
        self._values = values
        self.source = source

    # attribute access to the top-level sections
    def __getattr__(self, key):
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key):
        return self._values[key]

    def get(self, dotted):
        """The value at a dotted path, e.g. ``cfg.get("neuron.tau_m.E")``."""
        value = self._values
        for part in dotted.split("."):
            value = value[part]
        return value

    @property
    def n_exc(self):
        return _n_exc(self.N, self.fraction_inhibitory)

    @property
    def n_inh(self):
        return self.N - self.n_exc

    def as_dict(self, units=True):
        """Nested plain dict. ``units=True``: Brian2-style strings (``"20*ms"``)
        that :func:`load_model` reads back to an equal config; ``units=False``:
        the SI floats and Distribution objects themselves."""
        if not units:
            return copy.deepcopy(_plain(self._values))
        return _walk_dump(self._values, SCHEMAS[self.model])

    def quantity(self, dotted):
        """A field as a Brian2 Quantity (imports brian2; for the Brian2 layer)."""
        import brian2
        schema = SCHEMAS[self.model]
        leaf = schema
        for part in dotted.split("."):
            leaf = leaf[part]
        if not isinstance(leaf, _Qty):
            raise ModelConfigError(f"{dotted}: not a single quantity (a {type(leaf).__name__})")
        unit = {"time": brian2.second, "voltage": brian2.volt, "frequency": brian2.Hz,
                None: 1}[leaf.dim]
        return self.get(dotted) * unit

    def with_overrides(self, **overrides):
        """A new validated config with some fields changed (same rules as :func:`load_model`)."""
        return load_model(self.as_dict(units=True), _source=self.source, **overrides)

    def __eq__(self, other):
        if not isinstance(other, ModelConfig):
            return NotImplemented
        return _plain(self._values) == _plain(other._values)

    __hash__ = None

    def __repr__(self):
        name = self._values.get("name", self.model)
        return f"<ModelConfig {name!r} model={self.model} N={self.N} source={self.source!r}>"


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _n_exc(N, fraction_inhibitory):
    # round half up, so the E count does not depend on banker's rounding
    return int(math.floor(N * (1.0 - fraction_inhibitory) + 0.5))


def model_path(name):
    """Path of a model file from its name (``"hrsnn"`` -> .../models/hrsnn.yaml).

    Looked up in ``$BRIAN2_LNP_MODELS`` (directories separated by ``os.pathsep``),
    then among the package's model files (``brian2_lnp/data/``, package data).
    """
    shipped = set()
    for d in _model_dirs():
        path = os.path.join(d, f"{name}.yaml")
        if os.path.exists(path):
            return path
        if os.path.isdir(d):
            shipped.update(f[:-5] for f in os.listdir(d) if f.endswith(".yaml"))
    raise FileNotFoundError(f"model: no model file named {name!r} in {_model_dirs()}; "
                            f"known models: {sorted(shipped)}")


def _read(src):
    if isinstance(src, ModelConfig):
        return src.as_dict(units=True), src.source
    if isinstance(src, dict):
        return copy.deepcopy(src), None
    if isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        if not os.path.exists(path) and os.sep not in path and not path.endswith((".yaml", ".yml")):
            path = model_path(path)
        elif not os.path.exists(path):
            # "models/hrsnn.yaml" as written in the docs, from outside the checkout:
            # the same file name among the package's model files (works after any install)
            head, base = os.path.split(os.path.normpath(path))
            shipped = os.path.join(MODELS_DIR, base)
            if (not os.path.isabs(path) and os.path.basename(head) == "models"
                    and os.path.exists(shipped)):
                logger.info("model file %s not found here; using %s", path, shipped)
                path = shipped
            else:
                raise FileNotFoundError(
                    f"path_or_dict: no model file {path!r} (working directory "
                    f"{os.getcwd()}); give an existing path or a model name such as "
                    f"'hrsnn' (looked up in {_model_dirs()})")
        return _read_yaml(path), path
    raise TypeError(f"path_or_dict: expected a file path, a model name, a dict or a "
                    f"ModelConfig, got {type(src).__name__}")


def _read_yaml(path):
    """The mapping in a YAML model file; every failure is a ModelConfigError naming it."""
    import yaml
    if os.path.isdir(path):
        raise ModelConfigError(f"{path}: is a directory, not a model file (.yaml)")
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ModelConfigError(f"{path}: cannot read model file ({exc.strerror or exc})") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelConfigError(
            f"{path}: not a text (UTF-8) model file: undecodable byte at position "
            f"{exc.start}; a model file is YAML text such as models/hrsnn.yaml") from None
    if "\x00" in text:
        raise ModelConfigError(f"{path}: not a text model file (contains NUL bytes); a model "
                               "file is YAML text such as models/hrsnn.yaml")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise ModelConfigError(f"{path}: not valid YAML ({detail})") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # yaml's own constructors raise these for values like a bad date
        raise ModelConfigError(f"{path}: not a valid model file ({type(exc).__name__}: "
                               f"{exc})") from None
    if not isinstance(raw, dict):
        raise ModelConfigError(f"{path}: a model file must hold a mapping of fields "
                               f"(model, N, neuron, ...), got {type(raw).__name__}")
    return raw


def _apply_override(raw, key, value):
    parts = key.replace("__", ".").split(".")
    node = raw
    for i, part in enumerate(parts[:-1]):
        nxt = node.get(part) if isinstance(node, dict) else None
        if not isinstance(nxt, dict):
            if nxt is not None or not isinstance(node, dict):
                raise ModelConfigError(f"{'.'.join(parts[:i + 1])}: cannot override inside a "
                                       f"non-mapping value (override {key!r})")
            nxt = node[part] = {}
        node = nxt
    node[parts[-1]] = value


def load_model(path_or_dict, _source=None, **overrides):
    """Read, override and validate a model file.

    Parameters
    ----------
    path_or_dict : str, path, dict or ModelConfig
        A YAML file, the name of a shipped model (``"hrsnn"``, ``"chrsnn_small"``,
        see :data:`MODELS_DIR`), an already-parsed dict, or a config to re-check.
    **overrides
        Field values that replace the file's, validated the same way. Top-level
        names (``N=1000``), dotted paths via dict unpacking
        (``**{"neuron.t_ref": "3*ms"}``) or ``__`` for dots
        (``clusters__K=4``). Values may be numbers, unit strings or Brian2
        Quantities. ``None`` values are ignored.

    Returns
    -------
    ModelConfig

    Raises
    ------
    ModelConfigError
        Naming the full field path: unknown or missing keys, wrong units,
        non-positive time constants, probabilities outside [0, 1], empty
        populations, non-numeric values.
    """
    raw, source = _read(path_or_dict)
    source = _source or source
    for key, value in overrides.items():
        if value is not None:
            _apply_override(raw, key, value)
    try:
        if "model" not in raw:
            raise ModelConfigError(f"model: missing key (one of {list(MODEL_KINDS)})")
        kind = _Choice(MODEL_KINDS).check("model", raw["model"])
        values = _walk_check("", raw, SCHEMAS[kind])
        _cross_checks(values)
    except ModelConfigError as exc:
        if source is None or str(source) in str(exc):
            raise
        # the field path stays first; the file is named at the end
        raise ModelConfigError(f"{exc} (model file {source})") from None
    return ModelConfig(values, source=source)


def _cross_checks(v):
    """Checks that involve several fields."""
    N, fi = v["N"], v["fraction_inhibitory"]
    n_e = _n_exc(N, fi)
    if n_e < 1 or N - n_e < 1:
        raise ModelConfigError(
            f"fraction_inhibitory: N={N} with fraction_inhibitory={fi} gives {n_e} excitatory "
            f"and {N - n_e} inhibitory neurons; both populations need at least 1 neuron "
            f"(raise N or change fraction_inhibitory)")
    nr = v["neuron"]
    lo_th = nr["v_th"].bounds[0]
    floor_v = max(nr["v_rest"], nr["v_reset"])
    if lo_th <= floor_v:
        raise ModelConfigError(
            f"neuron.v_th: every threshold must lie above v_rest and v_reset "
            f"({format_quantity(floor_v, 'voltage')}), but the distribution reaches "
            f"{format_quantity(lo_th, 'voltage')} (draws are cut at +-6 sd)")
    w = v["weights"]
    for key in ("EE", "EI", "IE", "II"):
        if key[0] == "E" and not w[key] > 0:
            raise ModelConfigError(f"weights.{key}: must be > 0 (an excitatory presynaptic "
                                   f"neuron, Dale's law), got {format_quantity(w[key], 'voltage')}")
        if key[0] == "I" and not w[key] < 0:
            raise ModelConfigError(f"weights.{key}: must be < 0 (an inhibitory presynaptic "
                                   f"neuron, Dale's law), got {format_quantity(w[key], 'voltage')}")
    w_max = v["stdp"]["w_max"]
    for key in ("EE", "EI"):
        if w[key] > w_max:
            raise ModelConfigError(f"stdp.w_max: {format_quantity(w_max, 'voltage')} is below "
                                   f"the mean plastic weight weights.{key} = "
                                   f"{format_quantity(w[key], 'voltage')}")
    if v["model"] == "hrsnn":
        tm = nr["tau_m"]
        if tm["E"].mean <= tm["I"].mean:
            logger.warning("neuron.tau_m: E mean (%.3g s) is not larger than I mean (%.3g s); "
                           "the papers use slower excitatory neurons", tm["E"].mean, tm["I"].mean)
        shape = v["connectivity"]["grid"]["shape"]
        if shape != "auto" and int(np.prod(shape)) < N:
            raise ModelConfigError(f"connectivity.grid.shape: {list(shape)} has "
                                   f"{int(np.prod(shape))} sites, fewer than N={N}")
    else:
        cl = v["clusters"]
        K = cl["K"]
        if K > N:
            raise ModelConfigError(f"clusters.K: {K} clusters need N >= {K} neurons "
                                   f"(each cluster at least one), got N={N}")
        if isinstance(cl["tau_m"], list) and len(cl["tau_m"]) != K:
            raise ModelConfigError(f"clusters.tau_m: {len(cl['tau_m'])} distributions listed "
                                   f"for K={K} clusters; give exactly K, or use the rule "
                                   f"{{shape, scale_from, scale_to}}")
        if cl["ring_neighbours"] % 2:
            raise ModelConfigError(f"clusters.ring_neighbours: must be even (k/2 neighbours on "
                                   f"each side of the ring, as in Watts-Strogatz), got "
                                   f"{cl['ring_neighbours']}")
