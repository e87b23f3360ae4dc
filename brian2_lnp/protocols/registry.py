"""Finding and loading the protocol files (``protocols/*.py``, one per figure/table).

Protocol files are scripts, not part of the installed package. They are
looked up, in this order, in the directories of ``$BRIAN2_LNP_PROTOCOLS``
(``os.pathsep``-separated), ``./protocols`` and the ``protocols/`` folder next
to the package (a source checkout). A name matches a file stem exactly, a
short name a file declares as ``ALIASES = ("study",)`` at module level (read
from the source, without importing it), or a unique case-insensitive
substring of a stem (``Fig10``, ``table2``). An alias keeps a documented short
name working when a new file's stem also contains it.
"""
from __future__ import annotations

import ast
import importlib.util
import os
import sys

__all__ = ["protocol_dirs", "find_protocols", "protocol_aliases", "load_protocol",
           "ProtocolNotFoundError"]


class ProtocolNotFoundError(LookupError):
    """No (or no unique) protocol file matches the requested name."""


def protocol_dirs():
    """Directories searched for protocol files, in order (existing ones only)."""
    dirs = []
    env = os.environ.get("BRIAN2_LNP_PROTOCOLS")
    if env:
        dirs += [d for d in env.split(os.pathsep) if d]
    dirs.append(os.path.join(os.getcwd(), "protocols"))
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    dirs.append(os.path.join(here, "protocols"))
    out = []
    for d in dirs:
        d = os.path.abspath(d)
        if os.path.isdir(d) and d not in out:
            out.append(d)
    return out


def find_protocols():
    """``{stem: path}`` of every protocol file (first directory wins on duplicates)."""
    found = {}
    for d in protocol_dirs():
        for f in sorted(os.listdir(d)):
            if f.endswith(".py") and not f.startswith("_"):
                found.setdefault(f[:-3], os.path.join(d, f))
    return found


def protocol_aliases(path):
    """The short names a protocol file declares (``ALIASES = (...)``, strings), lower case.

    Read from the file's source without importing it; a file that does not parse
    or declares no aliases has none.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return ()
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "ALIASES"):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return ()
            value = (value,) if isinstance(value, str) else value
            return tuple(v.lower() for v in value if isinstance(v, str))
    return ()


def load_protocol(name):
    """Import a protocol file by stem, alias or part of its stem and return the module.

    Raises
    ------
    ProtocolNotFoundError
        Naming the available protocols when nothing or several files match.
    """
    found = find_protocols()
    aliased = [] if name in found else [
        s for s, p in found.items() if name.lower() in protocol_aliases(p)]
    if name in found:
        stem = name
    elif len(aliased) == 1:
        stem = aliased[0]
    else:
        hits = aliased or [s for s in found if name.lower() in s.lower()]
        if len(hits) != 1:
            avail = ", ".join(sorted(found)) or "(none found)"
            what = "no protocol" if not hits else f"{len(hits)} protocols ({', '.join(hits)})"
            raise ProtocolNotFoundError(
                f"name: {what} match {name!r}; available: {avail}. Searched: "
                f"{protocol_dirs()} (set $BRIAN2_LNP_PROTOCOLS to add a directory)")
        stem = hits[0]
    path = found[stem]
    modname = f"brian2_lnp_protocols.{stem}"
    if modname in sys.modules and getattr(sys.modules[modname], "__file__", None) == path:
        return sys.modules[modname]
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)
    try:  # functions defined in a protocol file travel to workers by value
        import cloudpickle
        cloudpickle.register_pickle_by_value(module)
    except Exception:  # noqa: BLE001 -- only matters for parallel runs of file-local functions
        pass
    return module
