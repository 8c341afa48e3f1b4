"""Reading a governed view over Delta Sharing against reading its Parquet file locally.

A 1,000,000-row view (NINO pseudonymised, date of birth generalised to a year, five more
columns) is served by a live Accord server on a loopback port; the official
``delta-sharing`` client reads it with ``load_as_pandas`` (metadata and query calls, then
the file by HEAD and byte ranges from its signed URL, every call authorised and audited).

``delta_read_ratio`` is that time over pyarrow reading the same file locally into the
same result, a pandas DataFrame (``read_table(...).to_pandas()``): like for like, so the
ratio is what sharing in place costs over having the file. The client's only reader
returns pandas, converting on one thread, and that conversion is most of its time, so
two more ratios are printed beside it: ``delta_read_ratio_vs_read_table``, the client
over ``read_table`` alone (an Arrow table, no conversion), and
``delta_transport_ratio``, the client's own query-and-fetch path to Arrow without the
conversion, over ``read_table``. Best of ``--repeat`` runs each, side by side in one run.
Prints one JSON object.

(Not named ``delta_sharing.py``: a script of that name would shadow the client package it
measures, for itself and for any script that imports it to merge the figures.)

    python benchmarks/delta_read.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
from bench_world import approve, bench_accord

from accord.api.local_server import running_server
from accord.core.governance.request import SharingRequest
from accord.core.identity import (
    OrgKind,
    Role,
)
from accord.core.plan.authorise import PlaneChannel
from accord.core.vocabulary import SemanticType as S
from accord.services.app import Accord

COLUMNS = """
    'A' || chr(65 + (i % 3)::INT) || lpad((i % 1000000)::VARCHAR, 6, '0')
        || chr(65 + (i % 4)::INT) AS nino,
    DATE '1930-01-01' + (i % 25000)::INT AS date_of_birth,
    ['IS', 'JSA', 'ESA', 'UC'][1 + (i % 4)::INT] AS benefit,
    40.0 + (i % 100) AS weekly_amount,
    DATE '2015-01-01' + (i % 3000)::INT AS claim_start,
    (i % 2 = 0) AS lone_parent,
    'E00' || lpad((i % 180000)::VARCHAR, 6, '0') AS output_area,
    (i % 7)::INT AS household_size,
    'note ' || (i % 7)::VARCHAR AS notes
"""
KEPT = ("benefit", "weekly_amount", "claim_start", "lone_parent", "output_area")


def _setup(home: Path, source: Path) -> tuple[Accord, str]:
    app = bench_accord(
        home,
        "dwp",
        {"dwp": OrgKind.GOVERNMENT_DEPARTMENT, "hmrc": OrgKind.GOVERNMENT_DEPARTMENT},
        {"analyst": ("hmrc", Role.ANALYST), "requester": ("hmrc", Role.REQUESTER)},
    )
    op = app.operator("bench")
    app.catalogue.register(
        op, "dwp", "claimants", str(source),
        overrides={"nino": S.NINO, "date_of_birth": S.DATE_OF_BIRTH},
    )  # fmt: skip
    today = date.today()
    fields: list[dict[str, Any]] = [
        {
            "name": "nino",
            "justification": "link",
            "transform": {"kind": "pseudonymise", "argument": "bench"},
        },
        {
            "name": "date_of_birth",
            "justification": "age",
            "transform": {"kind": "generalise", "argument": "year"},
        },
        *({"name": name, "justification": "analysis"} for name in KEPT),
    ]
    request = SharingRequest.parse(
        {
            "title": "Benchmark in-place share",
            "requesting_organisation": "hmrc",
            "requester": "requester",
            "purpose_category": "research",
            "purpose": "Benchmark reading a governed view over Delta Sharing",
            "datasets": [{"dataset": "dwp/claimants", "fields": fields}],
            "form": "pseudonymised",
            "channels": ["delta_sharing"],
            "frequency": "continuous",
            "test_exchange": False,
            "lawful_basis": "6(1)(e)",
            "gateway": "dea-2017-part5",
            "dpia": {"reference": "DPIA-BENCH", "outcome": "low_risk"},
            "retention": "P1Y after delivery",
            "start_date": str(today - timedelta(days=1)),
            "end_date": str(today + timedelta(days=90)),
        }
    )
    return app, approve(app, request, "requester")


def _best(run: Any, repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def _client_transport(profile: Path, agreement_id: str) -> Any:
    """The client's own path to an Arrow table (query, then the file through fsspec over
    HTTP, as its reader does), without its single-threaded conversion to pandas."""
    import fsspec
    import pyarrow.dataset as ds
    from delta_sharing.protocol import DeltaSharingProfile, Table
    from delta_sharing.rest_client import DataSharingRestClient

    client = DataSharingRestClient(DeltaSharingProfile.read_from_file(str(profile)))
    table = Table(name="dwp_claimants", share=agreement_id, schema="governed")
    [added] = client.list_files_in_table(table).add_files
    return ds.dataset(added.url, format="parquet", filesystem=fsspec.filesystem("http")).to_table()


def measure_delta_read(rows: int, repeat: int = 3) -> dict[str, Any]:
    """Time the official client reading a ``rows``-row governed view from a live server,
    and pyarrow reading the same materialised file locally."""
    import delta_sharing

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "claimants.parquet"
        with duckdb.connect() as con:
            con.execute(
                f"COPY (SELECT {COLUMNS} FROM range({rows}) t(i)) TO '{source}' (FORMAT parquet)"
            )
        app, agreement_id = _setup(work / "home", source)
        try:
            release = app.plane.release(
                app.acting_as("analyst", "bench"),
                agreement_id,
                "dwp/claimants",
                PlaneChannel.DELTA_SHARING,
                action="sharing.metadata",
            )
            path = app.plane.materialise(release)  # made once, then served
            with running_server(app) as base:
                _, profile = app.sharing.profile(
                    app.acting_as("analyst", "bench"),
                    agreement_id,
                    "analyst",
                    f"{base}/delta-sharing",
                )
                profile_path = work / "bench.share"
                profile_path.write_text(json.dumps(profile))
                url = f"{profile_path}#{agreement_id}.governed.dwp_claimants"
                remote_s, frame = _best(lambda: delta_sharing.load_as_pandas(url), repeat)
                transport_s, _ = _best(
                    lambda: _client_transport(profile_path, agreement_id), repeat
                )
            local_s, table = _best(lambda: pq.read_table(path), repeat)
            local_pandas_s, _ = _best(
                lambda: pq.read_table(path).to_pandas(date_as_object=True), repeat
            )
            if len(frame) != table.num_rows or list(frame.columns) != table.column_names:
                raise SystemExit("the client did not read back the governed view")
            return {
                "delta_rows": rows,
                "delta_file_mb": round(path.stat().st_size / 1e6, 1),
                "delta_client_s": round(remote_s, 3),
                "delta_local_pyarrow_s": round(local_s, 3),
                "delta_local_pandas_s": round(local_pandas_s, 3),
                "delta_read_ratio": round(remote_s / local_pandas_s, 2),
                "delta_read_ratio_vs_read_table": round(remote_s / local_s, 2),
                "delta_transport_s": round(transport_s, 3),
                "delta_transport_ratio": round(transport_s / local_s, 2),
            }
        finally:
            app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = measure_delta_read(args.rows, args.repeat)
    result.update(cores=os.cpu_count(), targets={"delta_read_ratio": 2.0})
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
