"""Compare study units of two rows directories exactly (timing columns excluded).

    python results/study/compare_units.py ROWS_A ROWS_B KEY [KEY ...]

For each unit key, every table of it found in ROWS_A (``KEY.csv``,
``KEY_ap_history.csv``, ``KEY_history.csv``) must also be in ROWS_B and equal
cell for cell after dropping the wall-clock columns; the records' settings must
be equal. Prints one line per table and exits 1 on any difference.
"""
import json
import os
import sys

import pandas as pd

from brian2_lnp.protocols.study import table_difference


def compare(a, b, key):
    ok = True
    for suffix in ("", "_ap_history", "_history"):
        name = f"{key}{suffix}.csv"
        if not os.path.exists(os.path.join(a, name)):
            continue
        x, y = (pd.read_csv(os.path.join(d, name)) for d in (a, b))
        why = table_difference(x, y)
        ok &= why is None
        print(f"{name}: " + (f"identical ({x.shape[0]} rows x {x.shape[1]} columns, "
                             "wall-clock columns ignored)" if why is None
                             else f"DIFFERENT: {why}"))
    ra, rb = (json.load(open(os.path.join(d, f"{key}.json"))) for d in (a, b))
    same = ra["kwargs"] == rb["kwargs"]
    ok &= same
    print(f"{key}.json: settings {'equal' if same else 'DIFFERENT'}; code "
          f"{ra.get('code_commit')} vs {rb.get('code_commit')}")
    return ok


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    a, b, keys = sys.argv[1], sys.argv[2], sys.argv[3:]
    sys.exit(0 if all([compare(a, b, k) for k in keys]) else 1)
