"""The automated assessment: each seed 001 pitfall produces its finding."""

from __future__ import annotations

from typing import Any

import pytest

from accord.core.governance.findings import Severity
from accord.core.governance.request import SharingRequest
from accord.core.identity import Role
from accord.services.app import Accord
from tests.governance.conftest import example


def assess(world: Accord, name: str, **changes: Any) -> Any:
    return world.requests.assess(example(name, **changes))


def codes(assessment: Any) -> dict[str, Severity]:
    return {f.code: f.severity for f in assessment.findings}


def with_fields(
    base: SharingRequest, dataset: str, fields: list[dict[str, Any]], **more: Any
) -> SharingRequest:
    document = base.model_dump(mode="json")
    document["datasets"] = [{"dataset": dataset, "fields": fields}]
    document.update(more)
    return SharingRequest.parse(document)


def test_the_carers_request_is_tier_5_with_three_approvers(sqlite_world: Accord) -> None:
    assessment = assess(sqlite_world, "carers-vaccination")
    assert assessment.tier == 5
    assert assessment.approver_roles == (Role.DATA_OWNER, Role.DPO, Role.LEGAL)
    assert assessment.approving_organisations == ("dwp",)
    assert "datasets are matched" in assessment.dpia_required_because
    assert not assessment.blocking, assessment.blocking
    # It needs its gateway and its DPIA: without them it is blocked.
    bare = assess(sqlite_world, "carers-vaccination", gateway="", dpia={})
    assert {"LEGAL_GATEWAY_REQUIRED", "DPIA_MISSING"} <= {f.code for f in bare.blocking}


def test_outreach_for_names_and_addresses_is_blocked_with_the_published_alternative(
    sqlite_world: Accord,
) -> None:
    assessment = assess(sqlite_world, "lone-parents-outreach")
    blocked = {f.code: f for f in assessment.blocking}
    assert "LEGAL_OUTREACH_BULK_IDENTIFIABLE" in blocked
    assert "dwp/claimants_by_output_area" in blocked["LEGAL_OUTREACH_BULK_IDENTIFIABLE"].fix
    assert assessment.published_alternatives == ("dwp/claimants_by_output_area",)


def test_research_with_raw_ninos_is_advised_to_pseudonymise(sqlite_world: Accord) -> None:
    assessment = assess(sqlite_world, "employment-research")
    advice = [f for f in assessment.findings if f.code == "MIN_RESEARCH_DIRECT_IDENTIFIER"]
    assert advice
    assert advice[0].severity is Severity.ADVICE
    assert "pseudonymise" in advice[0].fix
    assert advice[0].subject == "dwp/benefit_claimants.nino"
    assert assessment.tier == 4
    pseudonymised = with_fields(
        example("employment-research"),
        "dwp/benefit_claimants",
        [
            {
                "name": "nino",
                "justification": "link",
                "transform": {"kind": "pseudonymise", "argument": "dwp-research"},
            },
            {"name": "benefit", "justification": "outcome"},
        ],
    )
    better = sqlite_world.requests.assess(pseudonymised)
    assert "MIN_RESEARCH_DIRECT_IDENTIFIER" not in codes(better)
    assert better.tier == 3


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        # Don't ask for telephone numbers when you really only need an address.
        (
            [
                {"name": "address_line_1", "justification": "letters"},
                {"name": "postcode", "justification": "letters"},
                {"name": "telephone_number", "justification": "calls"},
            ],
            "MIN_PHONE_WITH_ADDRESS",
        ),
        # Don't ask for date of birth when year of birth or age group would suffice.
        ([{"name": "date_of_birth", "justification": "age"}], "MIN_FULL_DATE_OF_BIRTH"),
        # Don't ask for benefit details when a yes/no indication of receipt is all that is required.
        ([{"name": "weekly_amount", "justification": "eligibility"}], "MIN_BENEFIT_DETAIL"),
        # Ask only for what you can justify.
        ([{"name": "postcode"}], "MIN_NO_JUSTIFICATION"),
        # Free text may hold anything about anyone.
        ([{"name": "notes", "justification": "context"}], "MIN_FREE_TEXT"),
    ],
)
def test_each_minimisation_pitfall_has_its_finding(
    sqlite_world: Accord, fields: list[dict[str, Any]], code: str
) -> None:
    request = with_fields(
        example("lone-parents-outreach"),
        "dwp/benefit_claimants",
        fields,
        purpose_category="eligibility_checking",
        form="pseudonymised",
        channels=["batch_validation"],
    )
    assert code in codes(sqlite_world.requests.assess(request))


def test_the_fix_removes_the_finding(sqlite_world: Accord) -> None:
    request = with_fields(
        example("lone-parents-outreach"),
        "dwp/benefit_claimants",
        [
            {
                "name": "date_of_birth",
                "justification": "age",
                "transform": {"kind": "generalise", "argument": "age_band"},
            },
            {
                "name": "weekly_amount",
                "justification": "receipt",
                "transform": {"kind": "flag", "argument": "weekly_amount > 0"},
            },
        ],
        purpose_category="eligibility_checking",
        form="pseudonymised",
        channels=["batch_validation"],
    )
    found = codes(sqlite_world.requests.assess(request))
    assert "MIN_FULL_DATE_OF_BIRTH" not in found
    assert "MIN_BENEFIT_DETAIL" not in found


def test_per_record_eligibility_without_a_gateway_is_limited_to_batch_validation(
    sqlite_world: Accord,
) -> None:
    request = with_fields(
        example("lone-parents-outreach"),
        "dwp/benefit_claimants",
        [{"name": "nino", "justification": "to check"}],
        purpose_category="eligibility_checking",
        channels=["eligibility_check"],
        gateway="",
    )
    blocked = {f.code: f for f in sqlite_world.requests.assess(request).blocking}
    assert "LEGAL_ELIGIBILITY_BATCH_ONLY" in blocked
    assert "batch validation" in blocked["LEGAL_ELIGIBILITY_BATCH_ONLY"].fix


def test_legal_findings(sqlite_world: Accord) -> None:
    found = codes(
        assess(
            sqlite_world, "carers-vaccination", gateway="ssaa-1992", onward_sharing="GP practices"
        )
    )
    assert found["LEGAL_GATEWAY_PURPOSE"] is Severity.BLOCK
    assert found["LEGAL_GATEWAY_RECIPIENT"] is Severity.BLOCK
    assert found["LEGAL_ONWARD_SHARING"] is Severity.WARN
    consent = codes(
        assess(sqlite_world, "carers-vaccination", gateway="consent", expected_records=789_000)
    )
    assert consent["LEGAL_CONSENT_AT_VOLUME"] is Severity.WARN
    common = codes(assess(sqlite_world, "carers-vaccination", gateway="common-law"))
    assert common["LEGAL_COMMON_LAW_PRECEDENT"] is Severity.WARN


def test_an_expired_assurance_blocks(sqlite_world: Accord) -> None:
    request = example("carers-vaccination", start_date="2031-01-01", end_date="2031-06-30")
    assert "SECURITY_ASSURANCE" in {f.code for f in sqlite_world.requests.assess(request).blocking}


def test_a_first_agreement_between_parties_is_a_precedent(sqlite_world: Accord) -> None:
    assert "PRECEDENT" in codes(assess(sqlite_world, "carers-vaccination"))


def test_the_assessment_is_deterministic(sqlite_world: Accord) -> None:
    request = example("carers-vaccination")
    assert sqlite_world.requests.assess(request) == sqlite_world.requests.assess(request)


def test_unknown_datasets_and_fields_block(sqlite_world: Accord) -> None:
    request = with_fields(
        example("carers-vaccination"),
        "dwp/carers_allowance",
        [{"name": "shoe_size", "justification": "x"}],
    )
    assert "CATALOGUE_UNKNOWN_FIELD" in codes(sqlite_world.requests.assess(request))
    other = with_fields(example("carers-vaccination"), "dwp/nothing", [{"name": "x"}])
    assert "CATALOGUE_UNKNOWN_DATASET" in codes(sqlite_world.requests.assess(other))


def test_the_checklist_reflects_the_request(sqlite_world: Accord) -> None:
    checklist = {c.item: c.satisfied for c in assess(sqlite_world, "carers-vaccination").checklist}
    assert checklist["A lawful basis is identified"]
    assert checklist["A legal power or gateway is identified"]
    assert checklist["A DPIA is done where one is needed"]


@pytest.mark.parametrize(
    "cohort",
    [
        "benefit = 'IS'; drop table datasets",
        "shoe_size > 3",
        "benefit = 'IS' or 1=1 --",
        "weekly_amount = 'lots'",
    ],
)
def test_an_invalid_or_malicious_cohort_blocks(sqlite_world: Accord, cohort: str) -> None:
    request = with_fields(
        example("employment-research"),
        "dwp/benefit_claimants",
        [{"name": "benefit", "justification": "outcome"}],
    )
    document = request.model_dump(mode="json")
    document["datasets"][0]["cohort"] = cohort
    blocked = {
        f.code: f for f in sqlite_world.requests.assess(SharingRequest.parse(document)).blocking
    }
    assert "COHORT_INVALID" in blocked
    assert "not a valid filter" in blocked["COHORT_INVALID"].reason


def test_a_valid_cohort_passes(sqlite_world: Accord) -> None:
    assert "COHORT_INVALID" not in codes(assess(sqlite_world, "lone-parents-outreach"))
