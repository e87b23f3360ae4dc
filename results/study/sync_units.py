"""Copy finished study units from a run's rows directory into the committed one.

    python results/study/sync_units.py OUT_ROWS [--dry-run] [--exploration]

``--exploration``: OUT_ROWS holds units of the exploration
(protocols/Chakraborty_2024_study_exploration.py); they go to
results/study_exploration/Chakraborty_2024_study_exploration/rows and its RUNS.md.

A unit is copied (its ``KEY.json`` record and every ``KEY*.csv`` table) only when it is
not yet committed, its record is complete, and every row of its table is scored: the
``failure`` column empty and NRMSE finite (LNP units have no task rows; their history
must be non-empty). Each copied unit gets one line in RUNS.md's last table (unit, code
commit, finish time, wall time, machine load, all from its record). Units that fail the
checks are listed and left out, never copied.

A unit that is already committed but was rerun in OUT_ROWS (an LNP unit recomputed for
its network when its pickled result was not at hand) must hold the committed tables
again (wall-clock columns aside). If it does not, the run's task units of that model and
seed were scored on another network than the committed one: none of them is copied, and
the difference is printed (docs/performance.md, section 3: the BLAS kernel).
"""
import glob
import json
import math
import os
import shutil
import sys

import pandas as pd

from brian2_lnp.protocols import load_protocol
from brian2_lnp.protocols.study import UnitRows, study_tables, table_difference

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = os.path.join(HERE, "Chakraborty_2024_study_lnp_vs_controls", "rows")
RUNS = os.path.join(HERE, "RUNS.md")


def destination(exploration):
    """(rows directory, RUNS.md, the units' table names) of the study or the exploration."""
    if not exploration:
        return ROWS, RUNS, study_tables
    mod = load_protocol("study_exploration")
    root = os.path.join(os.path.dirname(HERE), "study_exploration")
    return os.path.join(root, mod.NAME, "rows"), os.path.join(root, "RUNS.md"), mod.unit_tables


def problems(src, key):
    """Why the unit ``key`` in ``src`` must not be committed (empty list: it may)."""
    if key.startswith("lnp_"):
        path = os.path.join(src, f"{key}_history.csv")
        if not os.path.exists(path) or len(pd.read_csv(path)) == 0:
            return ["LNP history missing or empty"]
        return []
    path = os.path.join(src, f"{key}.csv")
    if not os.path.exists(path):
        return ["rows table missing"]
    df = pd.read_csv(path)
    out = []
    if "failure" in df and df["failure"].notna().any():
        out.append(f"failure: {df['failure'].dropna().iloc[0]!r}")
    bad = [m for m, v in zip(df["method"], df["NRMSE"]) if not math.isfinite(float(v))]
    if bad:
        out.append(f"non-finite NRMSE for {bad}")
    return out


def main(argv):
    if not argv or argv[0].startswith("-"):
        sys.exit(__doc__)
    src, dry = argv[0], "--dry-run" in argv
    rows, runs, tables = destination("--exploration" in argv)
    os.makedirs(rows, exist_ok=True)
    lines, tainted = [], set()
    theirs, mine = UnitRows(src, tables), UnitRows(rows, tables)
    for rec_path in glob.glob(os.path.join(src, "lnp_*.json")):
        key = os.path.basename(rec_path)[:-5]
        if not os.path.exists(mine.path(key)) or mine.record(key) == theirs.record(key):
            continue
        for table in mine.tables(key):
            why = table_difference(mine.read(key, table), theirs.read(key, table))
            if why is not None:
                tainted.add(key[len("lnp_"):].lower())
                print(f"MISMATCH {key}: rerun differs from the committed unit ({why})")
    for rec_path in sorted(glob.glob(os.path.join(src, "*.json")),
                           key=lambda p: json.load(open(p))["finished_utc"]):
        key = os.path.basename(rec_path)[:-5]
        if os.path.exists(os.path.join(rows, f"{key}.json")):
            continue
        why = problems(src, key)
        model, seed = key.split("_")[0], key.split("_")[-1]
        if not key.startswith("lnp_") and f"{model}_{seed}".lower() in tainted:
            why.append("its LNP unit was rerun with a different result")
        if why:
            print(f"skip {key}: {'; '.join(why)}")
            continue
        rec = json.load(open(rec_path))
        print(f"copy {key} ({rec['code_commit']}, {rec['finished_utc']})")
        if dry:
            continue
        for f in [theirs.path(key, t) for t in theirs.tables(key)] + [rec_path]:
            shutil.copy2(f, rows)
        lines.append(f"| {key} | {rec['code_commit']} | {rec['finished_utc']} | "
                     f"{rec['seconds']:.0f} s | {rec['load_1min']} |\n")
    if lines:
        with open(runs, "a") as fh:
            fh.writelines(lines)


if __name__ == "__main__":
    main(sys.argv[1:])
