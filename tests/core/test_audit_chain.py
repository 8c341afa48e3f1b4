"""The hash chain as pure functions: any edit, deletion, insertion or reordering is named."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from accord.core.audit import (
    GENESIS_HASH,
    SEP,
    AuditEvent,
    AuditRecord,
    chain_events,
    verify_chain,
)

FIELDS = ("ts", "actor", "organisation", "action", "object", "decision", "reason", "details")


def _records(count: int) -> list[AuditRecord]:
    events = [
        AuditEvent(
            actor=f"principal:p{i % 3}",
            action="dataset.ingest",
            object=f"dataset:dwp/d{i}",
            organisation="dwp",
            reason="data_owner of 'dwp'",
            details={"rows": i, "note": "ünïcode ✓"},
        )
        for i in range(count)
    ]
    return chain_events(events, after_seq=0, after_hash=GENESIS_HASH, at=datetime.now(UTC))


def _batch(
    records: list[AuditRecord], low: int = 1
) -> list[tuple[int, int, list[tuple[bytes, bytes]]]]:
    rows = [r.payload_row() for r in records]
    return [(low, low + len(rows) - 1, rows)]


def test_a_sound_chain_verifies() -> None:
    records = _records(50)
    verdict = verify_chain(_batch(records))
    assert verdict.ok
    assert verdict.checked == 50
    assert verdict.head_seq == 50
    assert verdict.head_hash == records[-1].hash


def test_an_empty_log_verifies() -> None:
    verdict = verify_chain([])
    assert verdict.ok
    assert verdict.checked == 0
    assert verdict.head_hash == GENESIS_HASH


@given(
    index=st.integers(0, 19), field=st.sampled_from(FIELDS), junk=st.text(min_size=1, max_size=5)
)
def test_editing_any_field_of_any_event_is_named(index: int, field: str, junk: str) -> None:
    records = _records(20)
    original = getattr(records[index], field)
    edited = original + junk
    records[index] = AuditRecord(
        **{**{f: getattr(records[index], f) for f in AuditRecord.__slots__}, field: edited}
    )
    verdict = verify_chain(_batch(records))
    assert not verdict.ok
    assert verdict.first_bad_seq == index + 1


@given(index=st.integers(0, 19))
def test_deleting_any_event_is_named(index: int) -> None:
    records = _records(20)
    del records[index]
    # The store returns a short batch for the range: the gap is found where it is.
    verdict = verify_chain([(1, 20, [r.payload_row() for r in records])])
    assert not verdict.ok
    assert verdict.first_bad_seq == index + 1


@given(index=st.integers(0, 18))
def test_swapping_two_events_is_named(index: int) -> None:
    records = _records(20)
    rows = [r.payload_row() for r in records]
    rows[index], rows[index + 1] = rows[index + 1], rows[index]
    verdict = verify_chain([(1, 20, rows)])
    assert not verdict.ok
    assert verdict.first_bad_seq == index + 1


def test_an_inserted_event_is_named() -> None:
    records = _records(10)
    forged = _records(11)[5]  # a well-formed event from another chain
    rows = [r.payload_row() for r in records]
    rows[5] = forged.payload_row()
    verdict = verify_chain([(1, 10, rows)])
    assert not verdict.ok
    assert verdict.first_bad_seq == 6


def test_moving_text_across_a_field_boundary_is_caught() -> None:
    """Joining with a separator is only unambiguous if no field may hold it."""
    records = _records(3)
    r = records[1]
    moved = AuditRecord(
        r.seq, r.ts, r.actor + SEP + r.organisation[:1], r.organisation[1:], *r.as_row()[4:]
    )
    records[1] = moved
    verdict = verify_chain(_batch(records))
    assert not verdict.ok
    assert verdict.first_bad_seq == 2


def test_runs_verified_apart_report_their_first_link() -> None:
    records = _records(10)
    first = verify_chain(_batch(records[:5]))
    second = verify_chain(_batch(records[5:], low=6), expect_seq=6, prev_hash=None)
    assert first.ok
    assert second.ok
    assert second.first_link == first.head_hash


def test_control_characters_are_escaped_so_every_event_can_be_written() -> None:
    event = AuditEvent(actor="a\x1fb", action="x", reason="table \x08 refused")
    assert event.actor == "a\\x1fb"
    assert event.reason == "table \\x08 refused"
    records = chain_events([event], after_seq=0, after_hash=GENESIS_HASH, at=datetime.now(UTC))
    assert verify_chain([(1, 1, [records[0].payload_row()])]).ok
