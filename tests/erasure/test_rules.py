"""Seed 003's erasure rules (paras 26-39), the deadline, the letters and the lifecycle."""

from __future__ import annotations

from datetime import date

import pytest

from accord.core.lifecycle.erasure import (
    OWNERS,
    TRANSITIONS,
    DeadlineState,
    ErasureState,
    Outcome,
    ParticipationFacts,
    Programme,
    ReferralKind,
    can_move,
    deadline,
    deadline_state,
    decide,
    person_reference,
    state_diagram,
)
from accord.core.lifecycle.erasure_letters import (
    Addressee,
    LetterKind,
    letter_body,
    render_letter,
)

NOTIFIED = date(2026, 1, 31)


def facts(**kw: object) -> ParticipationFacts:
    base: dict[str, object] = {
        "programme": Programme.WHP,
        "referral": ReferralKind.MANDATED,
        "started": False,
    }
    return ParticipationFacts(**(base | kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("programme", [Programme.WHP, Programme.JETS])
def test_a_voluntary_customer_who_never_started_is_erased_para_28(programme: Programme) -> None:
    d = decide(facts(programme=programme, referral=ReferralKind.VOLUNTARY))
    assert (d.outcome, d.paragraph, d.keep_until, d.retain) == (Outcome.ACCEPTED, "28", None, "")
    assert "kept on DWP systems" in d.reason


def test_an_ltu_customer_never_started_nor_mandated_is_erased_para_29() -> None:
    d = decide(facts())
    assert (d.outcome, d.paragraph) == (Outcome.ACCEPTED, "29")
    assert "not mandated to any provider interview" in d.reason


@pytest.mark.parametrize(
    ("programme", "paragraph"), [(Programme.WHP, "34"), (Programme.JETS, "35")]
)
def test_a_mandated_customer_who_did_not_attend_keeps_evidence_13_months(
    programme: Programme, paragraph: str
) -> None:
    d = decide(
        facts(
            programme=programme,
            mandated_to_interview=True,
            did_not_attend=True,
            decision_notified_on=NOTIFIED,
        )
    )
    assert (d.outcome, d.paragraph) == (Outcome.REJECTED, paragraph)
    # 13 calendar months from the notification, clamped: 31 Jan 2026 -> 28 Feb 2027
    assert d.keep_until == date(2027, 2, 28)
    assert "13 months" in d.retain


def test_the_13_months_run_from_the_notification_not_before() -> None:
    d = decide(
        facts(
            mandated_to_interview=True, did_not_attend=True, decision_notified_on=date(2026, 3, 15)
        )
    )
    assert d.keep_until == date(2027, 4, 15)
    assert d.keep_until > date(2027, 4, 14)


def test_without_the_notification_date_the_keep_until_waits_for_it() -> None:
    d = decide(facts(mandated_to_interview=True, did_not_attend=True))
    assert d.outcome is Outcome.REJECTED
    assert d.keep_until is None
    assert "notified of the decision maker's decision" in d.keep_until_pending


def test_a_started_participant_is_retained_for_esf_audit_para_39() -> None:
    d = decide(facts(started=True))
    assert (d.outcome, d.paragraph, d.keep_until) == (Outcome.REJECTED, "39", None)
    assert "right of erasure does not apply" in d.reason
    assert "final ESF claim" in d.keep_until_pending
    recorded = decide(
        facts(
            started=True,
            programme_ended_on=date(2027, 3, 31),
            final_claim_paid_on=date(2027, 9, 30),
        )
    )
    assert recorded.keep_until == date(2037, 9, 30)


def test_started_wins_over_every_other_fact() -> None:
    d = decide(facts(referral=ReferralKind.VOLUNTARY, started=True))
    assert d.paragraph == "39"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (
            {"referral": ReferralKind.VOLUNTARY, "mandated_to_interview": True},
            "mandated_to_interview",
        ),
        ({"did_not_attend": True}, "did_not_attend"),
        ({"decision_notified_on": NOTIFIED}, "decision_notified_on"),
    ],
)
def test_inconsistent_facts_are_refused_naming_the_field(
    bad: dict[str, object], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        decide(facts(**bad))


def test_the_deadline_is_one_calendar_month_clamped_to_the_month_end() -> None:
    assert deadline(date(2026, 1, 31)) == date(2026, 2, 28)
    assert deadline(date(2028, 1, 31)) == date(2028, 2, 29)
    assert deadline(date(2026, 3, 15)) == date(2026, 4, 15)
    assert deadline(date(2026, 12, 31)) == date(2027, 1, 31)


def test_deadline_states() -> None:
    due = date(2026, 2, 28)
    assert deadline_state(due, date(2026, 2, 1)) == (DeadlineState.ON_TIME, 27)
    assert deadline_state(due, date(2026, 2, 21)) == (DeadlineState.DUE_SOON, 7)
    assert deadline_state(due, date(2026, 3, 2)) == (DeadlineState.OVERDUE, -2)
    assert deadline_state(due, date(2026, 3, 2), answered=True)[0] is DeadlineState.MET


def test_every_state_has_an_owner_and_the_table_is_closed() -> None:
    assert set(OWNERS) == set(ErasureState) == set(TRANSITIONS)
    for targets in TRANSITIONS.values():
        assert targets <= set(ErasureState)
    assert can_move(ErasureState.REFERENCED, ErasureState.DECIDED)[0]
    allowed, reason = can_move(ErasureState.DECIDED, ErasureState.DECIDED)
    assert not allowed
    assert "letter_issued" in reason
    assert "referenced --> decided" in state_diagram()


def test_the_person_reference_is_keyed_and_ignores_how_the_nino_was_typed() -> None:
    key = b"k" * 32
    ref = person_reference(key, "AB123456C")
    assert ref == person_reference(key, "ab 12 34 56 c") == person_reference(key, "AB-123456-C")
    assert ref != person_reference(b"j" * 32, "AB123456C")
    assert "AB123456C" not in ref
    import hashlib

    assert hashlib.sha256(b"AB123456C").hexdigest()[:32] not in ref
    with pytest.raises(ValueError, match="not a National Insurance number"):
        person_reference(key, "not a nino")


def _body(kind: LetterKind, **kw: object) -> str:
    return letter_body(
        kind,
        reference="DPO-2026-0042",
        provider="Northfield",
        received_on=date(2026, 1, 31),
        due_on=date(2026, 2, 28),
        **kw,
    )  # type: ignore[arg-type]


def test_each_letter_carries_the_reference_and_the_right_wording() -> None:
    holding = _body(LetterKind.HOLDING)
    assert "DPO-2026-0042" in holding
    assert "within one month" in holding
    assert "28 February 2026" in holding
    accepted = _body(LetterKind.ACCEPTED, decision=decide(facts(referral=ReferralKind.VOLUNTARY)))
    assert accepted.startswith("WHP RTE Acc")
    assert "DPO-2026-0042" in accepted
    assert "we agree to it" in accepted
    rejected = _body(
        LetterKind.REJECTED,
        decision=decide(
            facts(mandated_to_interview=True, did_not_attend=True, decision_notified_on=NOTIFIED)
        ),
    )
    assert rejected.startswith("WHP RTE REJ")
    assert "DPO-2026-0042" in rejected
    assert "does not apply" in rejected
    assert "28 February 2027" in rejected
    esf = _body(LetterKind.REJECTED, decision=decide(facts(started=True)))
    assert "10 years" in esf
    assert "ESF" in esf


def test_a_letter_must_match_its_decision() -> None:
    with pytest.raises(ValueError, match="not answered by WHP RTE Acc"):
        _body(LetterKind.ACCEPTED, decision=decide(facts(started=True)))


def test_the_name_is_only_in_the_rendered_heading() -> None:
    body = _body(LetterKind.HOLDING)
    letter = render_letter(
        body, Addressee("Ada Lovelace", ("1 High St", "AB1 2CD")), date(2026, 2, 1)
    )
    assert "Ada Lovelace" not in body
    assert letter.startswith("Ada Lovelace\n1 High St\nAB1 2CD")
    assert "Dear Ada Lovelace," in letter
    assert letter.endswith(body)
