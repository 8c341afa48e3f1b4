"""Tampering with the stored log, as someone with database access would, is always caught.

Each case first drops the append-only triggers, as an attacker would, then edits,
deletes, inserts or swaps rows directly in the database; verification must fail
and name the first bad sequence number.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text

from accord.core.audit import AuditEvent, event_hash
from accord.services.app import Accord
from accord.store import AuditFilter

EDITABLE = (
    "ts",
    "actor",
    "organisation",
    "action",
    "object",
    "decision",
    "reason",
    "details",
    "owners",
    "prev_hash",
    "hash",
)
TARGET = 7


def _fill(accord: Accord, count: int = 12) -> None:
    accord.store.record_many(
        [
            AuditEvent(
                actor=f"principal:p{i}",
                action="dataset.ingest",
                object=f"dataset:dwp/d{i}",
                organisation="dwp",
                reason="data_owner of 'dwp'",
                details={"rows": i},
            )
            for i in range(count)
        ]
    )


def _drop_triggers(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
        conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
    else:
        conn.execute(text("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events"))


def _tamper(accord: Accord, *statements: tuple[str, dict[str, object]]) -> None:
    with accord.store.engine.begin() as conn:
        _drop_triggers(conn)
        for sql, params in statements:
            conn.execute(text(sql), params)


def test_the_log_refuses_casual_updates_and_deletes(accord: Accord) -> None:
    _fill(accord)
    for sql in (
        "UPDATE audit_events SET actor = 'x' WHERE seq = 3",
        "DELETE FROM audit_events WHERE seq = 3",
    ):
        with pytest.raises(Exception, match="append-only"), accord.store.engine.begin() as conn:
            conn.execute(text(sql))
    assert accord.audit.verify().ok


@pytest.mark.parametrize("column", EDITABLE)
def test_editing_any_column_is_named(accord: Accord, column: str) -> None:
    _fill(accord)
    assert accord.audit.verify().ok
    _tamper(
        accord,
        (
            # Change the first character, which keeps the value's length (hashes are fixed-width).
            f"UPDATE audit_events SET {column} = CASE WHEN substr({column}, 1, 1) = '0' "
            f"THEN '1' ELSE '0' END || substr({column}, 2) WHERE seq = :seq",
            {"seq": TARGET},
        ),
    )
    report = accord.audit.verify()
    assert not report.ok
    assert report.first_bad_seq == TARGET, report.problem


def test_editing_a_sequence_number_is_named(accord: Accord) -> None:
    _fill(accord)
    _tamper(accord, ("UPDATE audit_events SET seq = 1000 WHERE seq = :seq", {"seq": TARGET}))
    report = accord.audit.verify()
    assert not report.ok
    assert report.first_bad_seq == TARGET


def test_deleting_an_event_is_named(accord: Accord) -> None:
    _fill(accord)
    _tamper(accord, ("DELETE FROM audit_events WHERE seq = :seq", {"seq": TARGET}))
    report = accord.audit.verify()
    assert not report.ok
    assert report.first_bad_seq == TARGET
    assert "deleted" in report.problem


def test_swapping_two_events_is_named(accord: Accord) -> None:
    _fill(accord)
    with accord.store.engine.begin() as conn:
        _drop_triggers(conn)
        rows = {
            seq: dict(
                conn.execute(text("SELECT * FROM audit_events WHERE seq = :s"), {"s": seq})
                .mappings()
                .one()
            )
            for seq in (TARGET, TARGET + 1)
        }
        for seq, other in ((TARGET, TARGET + 1), (TARGET + 1, TARGET)):
            values = {c: rows[other][c] for c in EDITABLE}
            assignments = ", ".join(f"{c} = :{c}" for c in EDITABLE)
            conn.execute(
                text(f"UPDATE audit_events SET {assignments} WHERE seq = :seq"),
                {**values, "seq": seq},
            )
    report = accord.audit.verify()
    assert not report.ok
    assert report.first_bad_seq == TARGET


def test_an_event_inserted_at_the_end_is_named(accord: Accord) -> None:
    _fill(accord)
    head, digest = accord.store.audit_head()
    _tamper(
        accord,
        (
            "INSERT INTO audit_events (seq, ts, actor, organisation, action, object, decision, "
            "reason, details, prev_hash, hash) VALUES (:seq, '2026-01-01T00:00:00.000000Z', "
            "'principal:mallory', 'dwp', 'dataset.ingest', 'dataset:dwp/d', 'allow', '', '{}', "
            ":prev, :hash)",
            {"seq": head + 1, "prev": digest, "hash": "0" * 64},
        ),
    )
    report = accord.audit.verify()
    assert not report.ok
    assert report.first_bad_seq == head + 1


def test_cutting_the_tail_is_caught_by_the_checkpoint(accord: Accord) -> None:
    _fill(accord)
    checkpoint = accord.audit.checkpoint(accord.operator("test"))
    cut_from = checkpoint.seq - 2
    _tamper(
        accord,
        ("DELETE FROM audit_events WHERE seq >= :seq", {"seq": cut_from}),
        (
            "UPDATE audit_head SET seq = :seq, "
            "hash = (SELECT hash FROM audit_events WHERE seq = :seq)",
            {"seq": cut_from - 1},
        ),
    )
    report = accord.audit.verify()
    assert not report.ok
    assert report.first_bad_seq == cut_from
    assert "checkpoint" in report.problem


def test_a_consistently_rewritten_log_no_longer_matches_its_checkpoint(accord: Accord) -> None:
    """Rebuild the chain from event 3 with valid hashes: only the signature catches it."""
    _fill(accord)
    checkpoint = accord.audit.checkpoint(accord.operator("test"))
    records = accord.store.audit_events(AuditFilter(limit=1000, newest_first=False))

    prev = records[1].hash
    statements = []
    for record in records[2:]:
        actor = "principal:mallory" if record.seq == 3 else record.actor
        digest = event_hash(
            record.seq,
            record.ts,
            actor,
            record.organisation,
            record.action,
            record.object,
            record.decision,
            record.reason,
            record.details,
            record.owners,
            prev,
        )
        statements.append(
            (
                "UPDATE audit_events SET actor = :actor, prev_hash = :prev, hash = :hash "
                "WHERE seq = :seq",
                {"actor": actor, "prev": prev, "hash": digest, "seq": record.seq},
            )
        )
        prev = digest
    statements.append(("UPDATE audit_head SET hash = :hash", {"hash": prev}))
    _tamper(accord, *statements)
    report = accord.audit.verify()
    assert not report.ok
    assert report.first_bad_seq == checkpoint.seq
    assert "rewritten" in report.problem


def test_parallel_verification_names_the_same_event(accord: Accord) -> None:
    _fill(accord, 40)
    from accord.services import audit as audit_service

    old = audit_service.PARALLEL_FROM
    audit_service.PARALLEL_FROM = 1
    try:
        assert accord.audit.verify(workers=3).ok
        _tamper(accord, ("UPDATE audit_events SET reason = 'x' WHERE seq = :seq", {"seq": 25}))
        report = accord.audit.verify(workers=3)
    finally:
        audit_service.PARALLEL_FROM = old
    assert not report.ok
    assert report.first_bad_seq == 25


@pytest.mark.parametrize("native", [True, False])
def test_both_verifiers_name_the_same_events(
    accord: Accord, native: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compiled fast path and the exact Python verifier agree, sound or tampered."""
    from accord.services import audit as audit_service

    if not native:
        monkeypatch.setattr(audit_service, "load_native", lambda: None)
    elif audit_service.load_native() is None:
        pytest.skip("no C compiler on this machine")
    _fill(accord, 30)
    assert accord.audit.verify(workers=1).ok
    _tamper(accord, ("DELETE FROM audit_events WHERE seq = :seq", {"seq": 17}))
    report = accord.audit.verify(workers=1)
    assert not report.ok
    assert report.first_bad_seq == 17
    assert report.events == 16
