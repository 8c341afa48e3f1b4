"""How much memory a hostile query takes under each memory limit: JSON on stdout.

A self cross join of 3,000 rows of 64-character values, grouped by the pair (9 million
pairs of 128 characters: more than a gigabyte held at once), run through
:func:`accord.engine.bounds.bounded_duckdb` under each limit in turn. For each it
prints what happened, the process's resident memory before and after, and the peak
so far, so the peak is seen to grow with the limit rather than with the query.

    .venv/bin/python benchmarks/query_limits.py
"""

from __future__ import annotations

import json
import resource
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from accord.engine import bounds
from accord.errors import LimitExceeded

LIMITS_MB = (64, 256, 512)


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 1e6


def main() -> None:
    directory = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    rows = directory / "people.parquet"
    pq.write_table(pa.table({"nino": [f"{i:064x}" for i in range(3000)]}), rows)
    sql = (
        f"SELECT a.nino || b.nino AS pair, count(*) AS n FROM read_parquet('{rows}') a, "
        f"read_parquet('{rows}') b GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
    )
    results = []
    for limit in LIMITS_MB:
        bounds.configure(bounds.QueryLimits(memory_bytes=limit * 1_000_000, threads=1))
        before, started = _rss_mb(), time.perf_counter()
        try:
            with bounds.bounded_duckdb() as con:
                con.sql(sql).fetchall()
            outcome = "ran"
        except LimitExceeded as exc:
            outcome = exc.message
        results.append(
            {
                "memory_limit_mb": limit,
                "outcome": outcome,
                "rss_before_mb": round(before),
                "rss_after_mb": round(_rss_mb()),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
    print(json.dumps({"benchmark": "query_limits", "results": results}, indent=2))


if __name__ == "__main__":
    main()
