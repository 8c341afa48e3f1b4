"""The question pages' answers, read and built into a SharingRequest without a server."""

from __future__ import annotations

from typing import Any

from accord.core.governance.request import SharingRequest
from accord.web.forms import answers_from_request, build, check_sections, next_step
from accord.web.forms import questions as q
from accord.web.forms.steps import STEPS, step_for_finding

COMPLETE: dict[str, Any] = {
    "title": "Carers in Leeds",
    "purpose": "Offer unpaid carers a flu vaccine before the winter",
    "purpose_category": "outreach",
    "datasets": [
        {
            "dataset": "dwp/carers",
            "cohort": "benefit = 'carers_allowance'",
            "fields": [
                {"name": "nino", "justification": "matching", "transform": "keep"},
                {
                    "name": "date_of_birth",
                    "justification": "age",
                    "transform": "generalise",
                    "argument": "age_band",
                },
            ],
        }
    ],
    "form": "identifiable",
    "channels": ["bulk_package"],
    "frequency": "recurring",
    "frequency_interval": "P1M",
    "lawful_basis": "6(1)(e)",
    "dpia_outcome": "mitigated",
    "dpia_completed_on": "2026-11-02",
    "retention_period": "P13M",
    "retention_after": "decision",
    "start_date": "2027-01-04",
    "end_date": "2027-06-30",
    "test_exchange": False,
    "override_requests": {"SECURITY_ASSURANCE": "certificate renewed next week", "X": " "},
    "considerations": {
        "benefit_or_detriment": "Carers are offered a vaccine",
        "compatible_with_fair_processing": "no",
        "alternatives_considered": [{"option": "Counts", "why_rejected": "cannot invite"}],
    },
}


def test_missing_answers_are_named_with_the_page_that_asks_them() -> None:
    built = build({"title": "Carers"}, "leeds", "leeds.officer")
    assert built.document is None
    steps = {p.step for p in built.missing}
    assert steps == {"purpose", "category", "datasets", "form", "dates"}
    assert "Say what the data is for" in [p.text for p in built.missing]


def test_complete_answers_build_the_request() -> None:
    built = build(COMPLETE, "leeds", "leeds.officer")
    document = built.document
    assert document is not None, built.missing
    assert document.requesting_organisation == "leeds"
    assert document.datasets[0].fields[1].transform.label() == "generalise(age_band)"
    assert document.frequency_interval == "P1M"
    assert document.retention is not None
    assert document.retention.describe() == "13 months after the decision"
    assert document.test_exchange is False
    assert [a.finding for a in document.override_requests] == ["SECURITY_ASSURANCE"]
    assert document.considerations is not None
    assert document.considerations.compatible_with_fair_processing is False
    assert document.considerations.alternatives_considered[0].option == "Counts"


def test_answers_the_request_cannot_take_are_named_by_page() -> None:
    built = build({**COMPLETE, "frequency_interval": ""}, "leeds", "leeds.officer")
    assert built.document is None
    assert built.missing[0].step == "form"
    assert "frequency_interval is needed for a recurring share" in built.missing[0].text


def test_a_request_round_trips_through_the_answers() -> None:
    document = build(COMPLETE, "leeds", "leeds.officer").document
    assert document is not None
    carried = document.model_copy(update={"processors": ("Acme Mailing Ltd",)})
    again = build(answers_from_request(carried), "leeds", "leeds.officer").document
    assert again == SharingRequest.parse(carried.model_dump(mode="json"))


def test_dates_are_read_from_day_month_and_year() -> None:
    answers, errors = q.read_dates(
        {},
        {
            "start-day": ["4"],
            "start-month": ["1"],
            "start-year": ["2027"],
            "end-day": ["3"],
            "end-month": ["1"],
            "end-year": ["2027"],
            "test_exchange": ["no"],
        },
    )
    assert answers["start_date"] == "2027-01-04"
    assert errors == [{"field": "end-day", "text": "The end date must be after the start date"}]
    _, errors = q.read_dates({}, {"start-day": ["4"], "start-year": ["2027"]})
    assert {"field": "start-month", "text": "The date the sharing starts must include a month"} in (
        errors
    )


def test_fields_need_the_detail_their_transform_needs() -> None:
    answers, errors = q.read_fields(
        {"datasets": [{"dataset": "dwp/carers", "fields": [], "cohort": ""}]},
        {"fields": ["nino", "date_of_birth"], "transform-2": ["generalise"], "why-1": ["x"]},
        "dwp/carers",
        ["nino", "date_of_birth"],
    )
    assert [e["field"] for e in errors] == ["argument-2"]
    assert [f["name"] for f in answers["datasets"][0]["fields"]] == ["nino", "date_of_birth"]
    _, errors = q.read_fields({"datasets": []}, {"fields": ["salary"]}, "dwp/carers", ["nino"])
    assert errors[0] == {"field": "fields", "text": "salary is not a field of dwp/carers"}


def test_choosing_datasets_keeps_what_was_said_about_those_still_chosen() -> None:
    before = {"datasets": [{"dataset": "dwp/carers", "fields": [{"name": "nino"}], "cohort": ""}]}
    known = frozenset({"dwp/carers", "hmrc/pay"})
    answers, errors = q.read_dataset_choice(before, {"datasets": ["hmrc/pay", "dwp/carers"]}, known)
    assert not errors
    assert answers["datasets"][1]["fields"] == [{"name": "nino"}]
    _, errors = q.read_dataset_choice(before, {"datasets": ["nhs/secret"]}, known)
    assert errors == [
        {"field": "datasets", "text": "nhs/secret is not in the catalogue: choose again"}
    ]


def test_every_finding_family_leads_to_a_page() -> None:
    slugs = {s.slug for s in STEPS}
    for code in ("LEGAL_GATEWAY_REQUIRED", "DPIA_MISSING", "MIN_NO_JUSTIFICATION", "DATES_LONG"):
        assert step_for_finding(code) in slugs
    assert step_for_finding("SECURITY_ASSURANCE") is None
    assert next_step(STEPS[-1].slug) == "check"


def test_check_your_answers_links_each_row_to_its_page() -> None:
    sections = dict(check_sections(COMPLETE, "/ask/drf-1"))
    dates = sections["Dates"]
    assert ("Starts", "4 January 2027", "/ask/drf-1/dates?change=1") in dates
    data = sections["Data from dwp/carers"]
    assert data[1][1] == "Generalise (age_band). age"
    assert data[1][2] == "/ask/drf-1/fields/dwp/carers?change=1"
