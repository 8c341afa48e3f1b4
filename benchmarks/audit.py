"""Audit log throughput: batched durable appends and full-chain verification.

Prints one JSON object. Targets: ``append_batched_per_s`` >= 50,000 events/s with
durable commits (SQLite WAL, synchronous=FULL) and ``verify_per_s`` >= 1,000,000
events/s. Baselines measured in the same run, on the same store: one event per
commit (what a naive log does) and verification in a single process.

    python benchmarks/audit.py [--events 1000000] [--batch 10000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from accord.core.audit import AuditEvent
from accord.services.app import Accord
from accord.settings import load_settings


def events(count: int, start: int) -> list[AuditEvent]:
    return [
        AuditEvent(
            actor="principal:analyst-7",
            action="extract.run",
            object=f"agreement:ag-{(start + i) % 97}",
            organisation="nhs-england",
            reason="recipient holds the agreement; channel allowed",
            details={"rows": (start + i) * 7 % 100_003, "version": 3, "sha256": "ab" * 32},
        )
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--single", type=int, default=2_000, help="baseline: one per commit")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        app = Accord.init(load_settings({"ACCORD_HOME": home, "ACCORD_CHECKPOINT_EVERY": "100000"}))
        store = app.store

        started = time.perf_counter()
        for low in range(0, args.single):
            store.record(events(1, low)[0])
        single_s = time.perf_counter() - started

        pending = [events(args.batch, low) for low in range(0, args.events, args.batch)]
        started = time.perf_counter()
        for batch in pending:
            store.record_many(batch)
        batched_s = time.perf_counter() - started

        started = time.perf_counter()
        serial = app.audit.verify(workers=1)
        serial_s = time.perf_counter() - started

        started = time.perf_counter()
        report = app.audit.verify()
        verify_s = time.perf_counter() - started
        if not (serial.ok and report.ok):
            raise SystemExit(f"the benchmark's own log did not verify: {serial} {report}")
        size = Path(home, "accord.sqlite").stat().st_size
        app.close()

    print(
        json.dumps(
            {
                "events": report.events,
                "store": "sqlite (WAL, synchronous=FULL)",
                "append_batch_size": args.batch,
                "append_batched_per_s": round(args.events / batched_s),
                "append_single_per_s": round(args.single / single_s),
                "append_batched_vs_single": round(
                    single_s / args.single * args.events / batched_s, 1
                ),
                "verify_per_s": round(report.events / verify_s),
                "verify_single_process_per_s": round(serial.events / serial_s),
                "verify_parallel_vs_single": round(serial_s / verify_s, 2),
                "checkpoints": report.checkpoints,
                "store_bytes_per_event": round(size / report.events),
                "targets": {"append_batched_per_s": 50_000, "verify_per_s": 1_000_000},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
