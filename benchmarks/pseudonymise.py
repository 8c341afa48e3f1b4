"""HMAC-SHA256 pseudonymisation throughput: every path on the same values in one run.

5,000,000 NINO-like strings (``AB123456C``), one 32-byte domain key. Timed, best of
``--repeat`` runs each, and checked equal to each other:

- ``vectorised_1``: :func:`accord.pseudonymise.vectorised.hmac_hex` in this process;
- ``vectorised_2``: record batches streamed through a started two-worker
  :class:`HmacPool` (start-up is reported apart: a service keeps its pool);
- ``duckdb_sql``: the HMAC SQL from :mod:`accord.pseudonymise.hmac_sql`, DuckDB on all
  its threads, over the same Arrow table;
- ``pandas_hashlib``: ``Series.map`` of ``hmac.new(...).hexdigest()`` (the baseline).

The machine is shared, so compare the ratios, which are measured side by side.

    python benchmarks/pseudonymise.py [--rows 5000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from sqlglot import exp

from accord.pseudonymise.hmac_sql import hmac_sha256_sql
from accord.pseudonymise.vectorised import HmacPool, default_processes, hmac_hex

KEY = bytes.fromhex("8d" * 32)
LETTERS = np.array(list("ABCEGHJKLMNPRSTWXYZ"))
SUFFIX = np.array(list("ABCD"))


def ninos(rows: int, seed: int) -> pa.Array:
    """Valid-looking NINOs, built with NumPy (no Python loop over rows)."""
    rng = np.random.default_rng(seed)
    prefix = np.char.add(
        LETTERS[rng.integers(0, len(LETTERS), rows)], LETTERS[rng.integers(0, len(LETTERS), rows)]
    )
    digits = np.char.zfill(rng.integers(0, 1_000_000, rows).astype(str), 6)
    values = np.char.add(np.char.add(prefix, digits), SUFFIX[rng.integers(0, 4, rows)])
    array = pa.array(values, type=pa.string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def best(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-rows", type=int, default=131_072)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    values = ninos(args.rows, args.seed)
    table = pa.table({"nino": values})
    batches = table.to_batches(max_chunksize=args.batch_rows)

    load_before = os.getloadavg()[0]
    one_s, one = best(args.repeat, lambda: hmac_hex(values, KEY))
    agree = one.slice(0, 1000).to_pylist() == [
        hmac.new(KEY, v.encode(), hashlib.sha256).hexdigest() for v in values[:1000].to_pylist()
    ]

    start = time.perf_counter()
    with HmacPool(2, parallel_from=0) as pool:
        pool.start()
        list(pool.batches(batches[:2], {"nino": KEY}))  # the workers are up and warm
        startup_s = time.perf_counter() - start
        two_s, two = best(
            args.repeat,
            lambda: pa.Table.from_batches(list(pool.batches(batches, {"nino": KEY}))),
        )
    agree = agree and two.column("nino").combine_chunks().equals(one)
    del two

    sql = hmac_sha256_sql(exp.column("nino"), KEY, "duckdb").sql("duckdb")
    with duckdb.connect() as conn:
        conn.register("people", table)
        (threads,) = conn.sql("SELECT current_setting('threads')").fetchall()
        duck_s, duck = best(
            args.repeat, lambda: conn.sql(f"SELECT {sql} AS p FROM people").to_arrow_table()
        )
    agree = agree and duck.column("p").combine_chunks().equals(one)
    del duck

    frame = pd.DataFrame({"nino": values.to_pandas()})

    def baseline() -> pd.Series:
        return frame["nino"].map(lambda v: hmac.new(KEY, v.encode(), hashlib.sha256).hexdigest())

    pandas_s, pandas_out = best(max(1, args.repeat - 1), baseline)
    agree = agree and pa.array(pandas_out, type=pa.string()).equals(one)
    load_after = os.getloadavg()[0]
    rate = {
        name: round(args.rows / seconds)
        for name, seconds in [
            ("vectorised_1", one_s),
            ("vectorised_2", two_s),
            ("duckdb_sql", duck_s),
            ("pandas_hashlib", pandas_s),
        ]
    }
    print(
        json.dumps(
            {
                "rows": args.rows,
                "cores": default_processes(),
                "duckdb_threads": int(threads[0]),
                "rows_per_s": rate,
                "seconds": {
                    "vectorised_1": round(one_s, 3),
                    "vectorised_2": round(two_s, 3),
                    "duckdb_sql": round(duck_s, 3),
                    "pandas_hashlib": round(pandas_s, 3),
                    "pool_startup": round(startup_s, 3),
                },
                "speedup_vs_pandas": {
                    "vectorised_1": round(pandas_s / one_s, 2),
                    "vectorised_2": round(pandas_s / two_s, 2),
                    "duckdb_sql": round(pandas_s / duck_s, 2),
                },
                "parallel_efficiency_2": round(one_s / two_s / 2, 2),
                "all_paths_agree": bool(agree),
                "load_average_1min": [round(load_before, 2), round(load_after, 2)],
            }
        )
    )


if __name__ == "__main__":
    main()
