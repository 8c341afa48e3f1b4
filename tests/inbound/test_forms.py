"""Each form of seed 003, valid and invalid, with the field at fault named."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from accord.core.lifecycle.inbound_forms import (
    EmploymentBusinessForm,
    ExitReportCore,
    ExitReportJets,
    InboundForm,
    InboundRules,
    Programme,
    ReferralFacts,
    ReferralType,
    Whp07Form,
    parse_record,
    read_envelope,
)
from accord.errors import ValidationError

TODAY = date(2026, 12, 7)
NINO = "JT123456C"
WHP_VOLUNTARY = ReferralFacts("W000000001", NINO, Programme.WHP, ReferralType.VOLUNTARY)
WHP_MANDATORY = ReferralFacts("W000000002", NINO, Programme.WHP, ReferralType.MANDATORY)
JETS_MANDATORY = ReferralFacts("J000000003", NINO, Programme.JETS, ReferralType.MANDATORY)
DEFAULT = InboundRules()
NEXT_STEPS = " ".join(["Refer to the work coach for a sector-based work academy"] * 4)


def whp07(**changes: Any) -> dict[str, Any]:
    return {"referral_id": "W000000001", "nino": NINO, "reason": "disengaged",
            "date_of_change": "2026-12-01", **changes}  # fmt: skip


def employment(**changes: Any) -> dict[str, Any]:
    return {"referral_id": "W000000001", "nino": NINO, "customer_name": "Jo Bloggs",
            "employment_start_date": "2026-12-10",
            "first_salary_date": str(TODAY + timedelta(days=5)), **changes}  # fmt: skip


def exit_core(**changes: Any) -> dict[str, Any]:
    return {"referral_id": "W000000001", "nino": NINO, "surname": "Bloggs",
            "summary": "Completed CV workshops.", "employability": "Good prospects in retail.",
            "next_steps": NEXT_STEPS, **changes}  # fmt: skip


def problem_fields(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {p["field"] for p in exc.value.problems}


def refused(form: InboundForm, payload: dict[str, Any], facts: ReferralFacts = WHP_VOLUNTARY,
            rules: InboundRules = DEFAULT) -> set[str]:  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        parse_record(form, payload, facts, TODAY, rules)
    assert str(exc.value)
    return problem_fields(exc)


def test_each_form_valid() -> None:
    record = parse_record(InboundForm.WHP07, whp07(), WHP_VOLUNTARY, TODAY)
    assert isinstance(record, Whp07Form)
    assert record.reason.value == "disengaged"
    record = parse_record(InboundForm.EMPLOYMENT_BUSINESS, employment(), WHP_VOLUNTARY, TODAY)
    assert isinstance(record, EmploymentBusinessForm)
    record = parse_record(InboundForm.EXIT_REPORT, exit_core(), WHP_VOLUNTARY, TODAY)
    assert isinstance(record, ExitReportCore)
    jets = exit_core(referral_id="J000000003")
    del jets["employability"]
    record = parse_record(InboundForm.EXIT_REPORT, jets, JETS_MANDATORY, TODAY)
    assert isinstance(record, ExitReportJets)


@pytest.mark.parametrize("typed", ["jt 12 34 56 c", "JT-123456-C", " jt123456c\t"])
def test_a_nino_is_accepted_as_a_person_types_it(typed: str) -> None:
    record = parse_record(InboundForm.WHP07, whp07(nino=typed), WHP_VOLUNTARY, TODAY)
    assert record.nino == NINO


@pytest.mark.parametrize("bad", ["TN123456C", "ZZ123456A", "JT123456E", "JT12345C", "", "1234"])
def test_an_invalid_or_temporary_nino_is_refused_by_name(bad: str) -> None:
    assert refused(InboundForm.WHP07, whp07(nino=bad)) == {"nino"}


def test_a_nino_of_another_participant_is_refused() -> None:
    other = refused(InboundForm.WHP07, whp07(nino="AB123456C"))
    assert other == {"nino"}


@pytest.mark.parametrize(
    ("reason", "facts", "ok"),
    [
        ("disengaged", WHP_VOLUNTARY, True),
        ("re_engaged", WHP_VOLUNTARY, True),
        ("disengaged", WHP_MANDATORY, False),
        ("re_engaged", JETS_MANDATORY, False),
        ("did_not_attend", JETS_MANDATORY, True),
        ("did_not_attend", WHP_MANDATORY, False),
        ("did_not_attend", ReferralFacts("J000000004", NINO, Programme.JETS,
                                         ReferralType.VOLUNTARY), False),
        ("alternative_provision", JETS_MANDATORY, True),
        ("alternative_provision", WHP_VOLUNTARY, False),
    ],
)  # fmt: skip
def test_whp07_reasons_follow_programme_and_referral_type(
    reason: str, facts: ReferralFacts, ok: bool
) -> None:
    payload = whp07(reason=reason, referral_id=facts.referral_id)
    if ok:
        assert parse_record(InboundForm.WHP07, payload, facts, TODAY)
    else:
        assert refused(InboundForm.WHP07, payload, facts) == {"reason"}


def test_whp07_unknown_reason_and_future_change() -> None:
    assert refused(InboundForm.WHP07, whp07(reason="moved")) == {"reason"}
    future = str(TODAY + timedelta(days=1))
    assert refused(InboundForm.WHP07, whp07(date_of_change=future)) == {"date_of_change"}
    assert refused(InboundForm.WHP07, whp07(date_of_change="07/12/2026")) == {"date_of_change"}


def test_the_five_day_rule_at_its_boundary() -> None:
    on_time = employment(first_salary_date=str(TODAY + timedelta(days=5)))
    assert parse_record(InboundForm.EMPLOYMENT_BUSINESS, on_time, WHP_VOLUNTARY, TODAY)
    late = employment(first_salary_date=str(TODAY + timedelta(days=4)))
    with pytest.raises(ValidationError) as exc:
        parse_record(InboundForm.EMPLOYMENT_BUSINESS, late, WHP_VOLUNTARY, TODAY)
    assert problem_fields(exc) == {"first_salary_date"}
    assert "at least 5 days before the first salary" in str(exc.value)


def test_employment_dates_are_checked() -> None:
    far = employment(employment_start_date=str(TODAY + timedelta(days=91)),
                     first_salary_date=str(TODAY + timedelta(days=120)))  # fmt: skip
    assert refused(InboundForm.EMPLOYMENT_BUSINESS, far) == {"employment_start_date"}
    before = employment(employment_start_date=str(TODAY + timedelta(days=20)))
    assert refused(InboundForm.EMPLOYMENT_BUSINESS, before) == {"first_salary_date"}
    missing = employment()
    del missing["customer_name"]
    assert refused(InboundForm.EMPLOYMENT_BUSINESS, missing) == {"customer_name"}
    assert refused(InboundForm.EMPLOYMENT_BUSINESS, employment(customer_name="x" * 201)) == {
        "customer_name"
    }


def test_exit_report_word_counts() -> None:
    short = exit_core(next_steps="Find a job.")
    with pytest.raises(ValidationError) as exc:
        parse_record(InboundForm.EXIT_REPORT, short, WHP_VOLUNTARY, TODAY)
    assert problem_fields(exc) == {"next_steps"}
    assert "at least 30" in str(exc.value)
    strict = InboundRules(next_steps_min_words=100)
    assert refused(InboundForm.EXIT_REPORT, exit_core(), rules=strict) == {"next_steps"}
    long = exit_core(summary="word " * 601)
    assert refused(InboundForm.EXIT_REPORT, long) == {"summary"}
    huge = exit_core(employability="x" * 6001)
    assert refused(InboundForm.EXIT_REPORT, huge) == {"employability"}


def test_the_template_is_chosen_by_programme() -> None:
    core_on_jets = exit_core(referral_id="J000000003")
    assert refused(InboundForm.EXIT_REPORT, core_on_jets, JETS_MANDATORY) == {"employability"}
    jets_on_core = exit_core()
    del jets_on_core["employability"]
    assert refused(InboundForm.EXIT_REPORT, jets_on_core) == {"employability"}


def test_one_record_per_message() -> None:
    with pytest.raises(ValidationError, match="one record per message"):
        read_envelope("whp07", [whp07(), whp07()])
    with pytest.raises(ValidationError, match="one record per message"):
        read_envelope("whp07", {"records": [whp07()]})
    with pytest.raises(ValidationError, match="referral_id: one record per message"):
        read_envelope("whp07", whp07(referral_id=["W000000001", "W000000002"]))
    several = refused(InboundForm.WHP07, whp07(nino="JT123456C, AB123456C"))
    assert several == {"nino"}
    listed = refused(InboundForm.WHP07, whp07(nino=[NINO, "AB123456C"]))
    assert listed == {"nino"}


def test_the_envelope_names_its_fields() -> None:
    with pytest.raises(ValidationError, match=r"^form: unknown form"):
        read_envelope("whp99", whp07())
    with pytest.raises(ValidationError, match=r"^referral_id: missing"):
        read_envelope("whp07", {"nino": NINO})
    with pytest.raises(ValidationError, match=r"^referral_id: expected a PRaP"):
        read_envelope("whp07", whp07(referral_id="X1"))
    with pytest.raises(ValidationError, match=r"^form: the message says"):
        read_envelope("whp07", whp07(form="exit_report"))
    assert read_envelope("whp07", whp07(referral_id=" w000000001 ")) == (
        InboundForm.WHP07,
        "W000000001",
    )


def test_unknown_fields_are_refused_by_name() -> None:
    assert refused(InboundForm.WHP07, whp07(address="1 High St")) == {"address"}
