"""The package's layers, enforced by reading every module's imports (ast, no import).

Layers, top to bottom: protocols / cli / studies -> tasks -> models -> pruning ->
dynamics -> graph. A module may import its own layer and the layers below it,
and the base modules (random, validation, fileio, metrics, datasets), which
import only each other. Brian2 is imported only from models upwards. No module
imports another module's underscore name (``from .x import _helper`` or
``x._helper``).

The underscore rule is checked for every file of the package, of protocols/ and of
benchmarks/, with no exceptions (tests may reach into the helpers they test).
"""
import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "brian2_lnp")

#: rank of each top-level part of the package (higher may import lower)
LAYERS = {"graph": 0, "dynamics": 1, "pruning": 2, "models": 3, "tasks": 4,
          "protocols": 5, "cli": 5, "studies": 5, "__main__": 6, "": 6}
BASE = {"random", "validation", "fileio", "metrics", "datasets"}
NO_BRIAN2 = {"graph", "dynamics", "pruning"} | BASE


def _modules(top=None):
    for dirpath, _, files in os.walk(top or PKG):
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                is_pkg = rel.endswith(".__init__")
                mod = rel[:-9] if is_pkg else rel
                yield mod, (mod if is_pkg else mod.rsplit(".", 1)[0]), path


def _imports(mod, pkg, path):
    """(target module, names, line) for every import in the file (function-level too)."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[:len(pkg.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target, [a.name for a in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, [], node.lineno


def _part(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _layer_violations():
    out = []
    for mod, pkg, path in _modules():
        src = _part(mod)
        for target, names, line in _imports(mod, pkg, path):
            if target.split(".")[0] == "brian2" and src in NO_BRIAN2:
                out.append(f"{mod}:{line} imports brian2 below the models layer")
            if not target.startswith("brian2_lnp"):
                continue
            # `from .. import datasets` names a subpackage: check each imported name
            targets = ([f"brian2_lnp.{n}" for n in names] if target == "brian2_lnp"
                       else [target])
            for t in targets:
                dst = _part(t)
                if dst in BASE or dst == src or t == "brian2_lnp.__version__":
                    continue
                if src in BASE:
                    out.append(f"{mod}:{line} (base module) imports {t}")
                elif dst not in LAYERS or LAYERS.get(src, 6) < LAYERS[dst]:
                    out.append(f"{mod}:{line} imports the higher layer {t}")
    return out


def _underscore_imports():
    """(module, imported module, name, line) of cross-module underscore imports."""
    out = []
    tops = [PKG] + [os.path.join(ROOT, d) for d in ("protocols", "benchmarks")
                    if os.path.isdir(os.path.join(ROOT, d))]
    for mod, pkg, path in (m for top in tops for m in _modules(top)):
        for target, names, line in _imports(mod, pkg, path):
            if not target.startswith("brian2_lnp") or target == mod:
                continue
            for n in names:
                if n.startswith("_") and not n.startswith("__"):
                    out.append((mod, target, n, line))
        out.extend(_underscore_attributes(mod, pkg, path))
    return out


def _underscore_attributes(mod, pkg, path):
    """``alias._name`` where ``alias`` is a package module bound by an import."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = ".".join(pkg.split(".")[:len(pkg.split(".")) - node.level + 1]
                            + ([node.module] if node.module else []))
            for a in node.names:
                full = f"{base}.{a.name}"
                if os.path.exists(os.path.join(ROOT, *full.split("."))) or os.path.exists(
                        os.path.join(ROOT, *full.split(".")) + ".py"):
                    aliases[a.asname or a.name] = full
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            yield (mod, aliases[node.value.id], node.attr, node.lineno)


def test_layers_import_only_downwards_and_brian2_only_from_models_up():
    bad = _layer_violations()
    assert not bad, "layer violations:\n" + "\n".join(bad)


def test_no_module_imports_another_modules_underscore_name():
    bad = list(_underscore_imports())
    assert not bad, "cross-module underscore imports:\n" + "\n".join(
        f"{m}:{line} uses {t}.{n}" for m, t, n, line in bad)


@pytest.mark.parametrize("snippet, message", [
    ("from ..tasks import evaluate", "higher layer"),
    ("import brian2", "brian2 below"),
])
def test_the_checker_catches_a_violation(tmp_path, snippet, message):
    """Independent check of the checker: a planted bad import in a copy is reported."""
    import shutil

    pkg = tmp_path / "brian2_lnp"
    shutil.copytree(PKG, pkg, ignore=shutil.ignore_patterns("__pycache__", "*.yaml", "*.npz"))
    with open(pkg / "graph" / "planted.py", "w") as fh:
        fh.write(snippet + "\n")
    globals_ = globals()
    old = globals_["ROOT"], globals_["PKG"]
    globals_["ROOT"], globals_["PKG"] = str(tmp_path), str(pkg)
    try:
        bad = _layer_violations()
    finally:
        globals_["ROOT"], globals_["PKG"] = old
    assert any("brian2_lnp.graph.planted" in b and message in b for b in bad), bad
