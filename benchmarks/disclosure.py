"""Primary suppression of a small-area table: Accord's vectorised rules against ACRO.

A 1,000,000-row table of claimants with a weekly amount, tabulated by LSOA (32,844,
England's count) x benefit (UC, ESA, JSA, IS): about 131,000 cells, each checked for
the threshold, NK dominance and the p-ratio. Accord's time covers the DuckDB GROUP BY
and the flags; ACRO's covers only its ``crosstab`` call (not start-up or reading),
run in its own environment in the same run on the same rows. Target: <= 2 s.
The two are also compared cell by cell.

    python benchmarks/disclosure.py [--rows 1000000] [--lsoas 32844] [--skip-acro]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from accord.disclosure.acro_env import ensure_acro_env, run_acro
from accord.disclosure.aggregate import tabulate
from accord.disclosure.crosscheck import Agreement, compare_with_acro
from accord.disclosure.primary import primary_flags

ROOT = Path(__file__).resolve().parents[1]
BENEFITS = np.array(["UC", "ESA", "JSA", "IS"])
SHARES = np.array([0.70, 0.22, 0.03, 0.05])


def claimants(rows: int, lsoas: int, seed: int) -> pa.Table:
    """Synthetic rows: LSOA sizes vary (log-normal), amounts are weekly rates in pence."""
    rng = np.random.default_rng(seed)
    weight = rng.lognormal(0.0, 0.5, lsoas)
    lsoa = rng.choice(lsoas, rows, p=weight / weight.sum())
    benefit = rng.choice(len(BENEFITS), rows, p=SHARES)
    amount = np.round(rng.gamma(2.0, 45.0, rows), 2)
    codes = np.char.add("E0", (1_500_000 + np.arange(lsoas)).astype(str))
    return pa.table(
        {
            "table": np.full(rows, "t0"),
            "lsoa": codes[lsoa],
            "benefit": BENEFITS[benefit],
            "amount": amount,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--lsoas", type=int, default=32_844)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3, help="Accord runs; the best is reported")
    parser.add_argument("--skip-acro", action="store_true")
    args = parser.parse_args()

    data = claimants(args.rows, args.lsoas, args.seed)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        table = tabulate(data, ["lsoa"], ["benefit"], "amount")
        flags = primary_flags(table.stats)
        times.append(time.perf_counter() - start)
    seconds = min(times)
    result: dict[str, object] = {
        "rows": args.rows,
        "cells": table.cells,
        "seconds": round(seconds, 3),
        "seconds_all_runs": [round(t, 3) for t in times],
        "cells_flagged": int((flags != 0).sum()),
        "target_seconds": 2.0,
    }
    if not args.skip_acro:
        python = ensure_acro_env(ROOT / ".tools" / "acro")
        with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
            rows_csv = Path(tmp) / "rows.csv"
            pacsv.write_csv(data, rows_csv)
            acro = run_acro(python, rows_csv, "lsoa", "benefit", "amount")
        agreement = Agreement()
        compare_with_acro(table, flags, acro.tables["t0"], agreement, label="benchmark")
        result |= {
            "acro_version": acro.version,
            "acro_seconds": round(acro.seconds, 3),
            "speedup_vs_acro": round(acro.seconds / seconds, 1),
            "agreement": agreement.as_dict(),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
