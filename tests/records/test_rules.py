"""The retention rules as data: nothing is due before its keep-until, an event that has
not happened keeps everything, and a configured delete date never comes earlier."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from accord.core.identity import Membership, Principal, PrincipalKind, Role
from accord.core.lifecycle.record_retention import (
    RULES,
    DeleteConfig,
    EventKind,
    HeldRecord,
    RecordKind,
    RecordState,
    RetentionFact,
    can_configure,
    delete_on,
    due,
    keep_until,
)
from accord.core.permissions import Caller

DAYS = st.dates(min_value=date(2015, 1, 1), max_value=date(2045, 12, 31))


def record(kind: RecordKind, participant: str = "p1", programme: str = "WHP") -> HeldRecord:
    return HeldRecord(
        id="rec-1",
        holder="northfield",
        kind=kind,
        participant=participant,
        referral_id="W000000001",
        programme=programme,
        file_name="rec-1.pdf",
        sha256="0" * 64,
        size=1,
        added_at=datetime(2020, 1, 1, tzinfo=UTC),
    )


facts = st.lists(
    st.builds(
        RetentionFact,
        holder=st.sampled_from(["northfield", "eastgate"]),
        kind=st.sampled_from(list(EventKind)),
        subject=st.sampled_from(["p1", "p2", "WHP", "WHP-JETS"]),
        on=DAYS,
    ),
    max_size=6,
)
configs = st.one_of(
    st.none(),
    st.builds(
        DeleteConfig,
        holder=st.just("northfield"),
        kind=st.sampled_from(list(RecordKind)),
        offset=st.sampled_from(["P0D", "P1M", "P30D", "P1Y"]),
        on=st.one_of(st.none(), DAYS),
    ),
)


@given(st.sampled_from(list(RecordKind)), facts, configs, DAYS)
def test_nothing_is_due_before_its_keep_until(
    kind: RecordKind, events: list[RetentionFact], config: DeleteConfig | None, today: date
) -> None:
    held = record(kind)
    keep = keep_until(held, events)
    when = delete_on(held, events, config)
    if keep is None:
        assert when is None
        assert not due(held, events, today, config)
        return
    assert when is not None
    assert when >= keep
    if due(held, events, today, config):
        assert keep <= today
        assert when <= today


@given(st.sampled_from(list(RecordKind)), configs, DAYS)
def test_unknown_events_keep_everything(
    kind: RecordKind, config: DeleteConfig | None, today: date
) -> None:
    assert keep_until(record(kind), []) is None
    assert not due(record(kind), [], today, config)


@given(facts, DAYS)
def test_an_esf_record_waits_for_both_events(events: list[RetentionFact], today: date) -> None:
    held = record(RecordKind.ESF_FORM)
    mine = {e.kind for e in events if e.holder == "northfield" and e.subject == "WHP"}
    if not {EventKind.PROGRAMME_ENDED, EventKind.FINAL_ESF_CLAIM_PAID} <= mine:
        assert keep_until(held, events) is None


def test_mandation_evidence_is_kept_13_months_from_the_decision_notified() -> None:
    held = record(RecordKind.MANDATION_EVIDENCE)
    notified = [RetentionFact("northfield", EventKind.DECISION_NOTIFIED, "p1", date(2025, 1, 31))]
    assert keep_until(held, notified) == date(2026, 2, 28)
    assert not due(held, notified, date(2026, 2, 27))
    assert due(held, notified, date(2026, 2, 28))
    # another participant's decision, or another holder's, starts nothing
    assert keep_until(record(RecordKind.MANDATION_EVIDENCE, participant="p2"), notified) is None
    other = [RetentionFact("eastgate", EventKind.DECISION_NOTIFIED, "p1", date(2020, 1, 1))]
    assert keep_until(held, other) is None


def test_esf_records_are_kept_ten_years_from_the_later_event() -> None:
    held = record(RecordKind.PAYMENT)
    events = [
        RetentionFact("northfield", EventKind.PROGRAMME_ENDED, "WHP", date(2026, 3, 31)),
        RetentionFact("northfield", EventKind.FINAL_ESF_CLAIM_PAID, "WHP", date(2026, 9, 30)),
    ]
    assert keep_until(held, events) == date(2036, 9, 30)
    assert keep_until(record(RecordKind.PAYMENT, programme="WHP-JETS"), events) is None
    assert RULES[RecordKind.PAYMENT].minimum == "P10Y"


def test_a_delete_date_comes_after_keep_until_or_is_refused() -> None:
    held = record(RecordKind.MANDATION_EVIDENCE)
    events = [RetentionFact("northfield", EventKind.DECISION_NOTIFIED, "p1", date(2025, 1, 1))]
    later = DeleteConfig("northfield", RecordKind.MANDATION_EVIDENCE, offset="P1M")
    assert delete_on(held, events, later) == date(2026, 3, 1)
    early = DeleteConfig("northfield", RecordKind.MANDATION_EVIDENCE, on=date(2025, 6, 1))
    assert delete_on(held, events, early) == date(2026, 2, 1)  # never before keep-until
    dpo = person("northfield")
    refused = can_configure(dpo, early, [held], events)
    assert not refused
    assert "before record rec-1's keep-until 2026-02-01" in refused.reason
    assert can_configure(dpo, later, [held], events)
    outsider = person("eastgate")
    assert not can_configure(outsider, later, [held], events)


def test_only_a_held_record_is_due() -> None:
    events = [RetentionFact("northfield", EventKind.DECISION_NOTIFIED, "p1", date(2020, 1, 1))]
    today = date(2026, 1, 1)
    held = record(RecordKind.MANDATION_EVIDENCE)
    assert due(held, events, today)
    for state in (RecordState.PLANNED, RecordState.DELETED):
        gone = HeldRecord(**{**_as_dict(held), "state": state})
        assert not due(gone, events, today)


def person(org: str) -> Caller:
    principal = Principal(
        f"{org}.dpo",
        "DPO",
        PrincipalKind.PERSON,
        memberships=frozenset({Membership(org, Role.DPO)}),
    )
    return Caller.for_principal(principal, "platform")


def _as_dict(r: HeldRecord) -> dict[str, object]:
    return {name: getattr(r, name) for name in HeldRecord.__dataclass_fields__}
