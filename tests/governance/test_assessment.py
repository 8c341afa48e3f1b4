"""The automated assessment: each seed 001 pitfall produces its finding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from accord.core.governance.findings import Severity
from accord.core.governance.report import assessment_dict, assessment_text
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
    document = example("lone-parents-outreach").model_dump(mode="json")
    document["datasets"][0]["cohort"] = "benefit == 'IS' and lone_parent and in_area(postcode)"
    found = codes(sqlite_world.requests.assess(SharingRequest.parse(document)))
    assert "COHORT_INVALID" not in found


# -- looking through labels (seed 001, 4.3.2) ----------------------------------------

MAILSHOT_FIELDS = [
    {"name": "forename", "justification": "To address the letter"},
    {"name": "surname", "justification": "To address the letter"},
    {"name": "address_line_1", "justification": "To post the letter"},
    {"name": "postcode", "justification": "To post the letter"},
]


def mailshot(**more: Any) -> SharingRequest:
    return with_fields(
        example("lone-parents-outreach"), "dwp/benefit_claimants", MAILSHOT_FIELDS, **more
    )


def test_a_mailshot_is_blocked_whatever_its_purpose_is_called(sqlite_world: Accord) -> None:
    as_outreach = codes(sqlite_world.requests.assess(mailshot()))
    assert as_outreach["LEGAL_OUTREACH_BULK_IDENTIFIABLE"] is Severity.BLOCK
    relabelled = sqlite_world.requests.assess(
        mailshot(purpose_category="operational_service_delivery", gateway="dea-2017-part5")
    )
    blocked = {f.code: f for f in relabelled.blocking}
    assert "LEGAL_BULK_BENEFITS_TO_LOCAL_AUTHORITY" in blocked
    finding = blocked["LEGAL_BULK_BENEFITS_TO_LOCAL_AUTHORITY"]
    assert "operational_service_delivery" in finding.reason
    assert "dwp/claimants_by_output_area" in finding.fix
    assert "dwp/benefit_claimants.address_line_1" in finding.reason
    # Through a package, Delta Sharing or a query alike.
    for channel in ("delta_sharing", "in_place_query"):
        other = codes(
            sqlite_world.requests.assess(
                mailshot(purpose_category="customer_tracking", channels=[channel])
            )
        )
        assert other["LEGAL_BULK_BENEFITS_TO_LOCAL_AUTHORITY"] is Severity.BLOCK


def test_the_housing_benefit_gateway_leaves_the_scope_to_legal(sqlite_world: Accord) -> None:
    found = codes(
        sqlite_world.requests.assess(
            mailshot(purpose_category="operational_service_delivery", gateway="ssaa-1992")
        )
    )
    assert "LEGAL_BULK_BENEFITS_TO_LOCAL_AUTHORITY" not in found
    assert found["LEGAL_BULK_BENEFITS_GATEWAY_SCOPE"] is Severity.WARN


def test_without_identifiers_in_the_clear_there_is_no_bulk_finding(sqlite_world: Accord) -> None:
    request = with_fields(
        example("lone-parents-outreach"),
        "dwp/benefit_claimants",
        [
            {
                "name": "nino",
                "justification": "link",
                "transform": {"kind": "pseudonymise", "argument": "council-link"},
            },
            {"name": "postcode", "justification": "area"},
        ],
        purpose_category="operational_service_delivery",
        form="pseudonymised",
    )
    found = codes(sqlite_world.requests.assess(request))
    assert "LEGAL_BULK_BENEFITS_TO_LOCAL_AUTHORITY" not in found
    assert "LEGAL_OUTREACH_BULK_IDENTIFIABLE" not in found


def test_the_same_data_to_a_health_body_is_not_judged_as_local(sqlite_world: Accord) -> None:
    request = mailshot(
        requesting_organisation="nhse",
        requester="nhse.analyst",
        purpose_category="operational_service_delivery",
        gateway="dea-2017-part5",
    )
    request = SharingRequest.parse(
        {
            **request.model_dump(mode="json"),
            "datasets": [{"dataset": "dwp/benefit_claimants", "fields": MAILSHOT_FIELDS}],
        }
    )
    found = codes(sqlite_world.requests.assess(request))
    assert not {
        "LEGAL_BULK_BENEFITS_TO_LOCAL_AUTHORITY",
        "COHORT_WHOLE_NATIONAL_DATASET",
        "COHORT_OUTSIDE_AREAS",
    } & set(found)


# -- a council's records keep to its areas ---------------------------------------------


def cohort_request(cohort: str, **more: Any) -> SharingRequest:
    document = mailshot(
        purpose_category="operational_service_delivery", gateway="ssaa-1992", **more
    ).model_dump(mode="json")
    document["datasets"][0]["cohort"] = cohort
    return SharingRequest.parse(document)


def test_a_whole_national_dataset_with_no_cohort_is_a_finding(sqlite_world: Accord) -> None:
    found = {f.code: f for f in sqlite_world.requests.assess(cohort_request("")).findings}
    whole = found["COHORT_WHOLE_NATIONAL_DATASET"]
    assert whole.severity is Severity.BLOCK
    assert whole.subject == "dwp/benefit_claimants"
    assert "(2 records)" in whole.reason
    assert "in_area(postcode)" in whole.fix
    assert "accord org update northshire --areas" in whole.fix


def test_a_cohort_must_keep_to_the_councils_own_areas(sqlite_world: Accord) -> None:
    undeclared = {
        f.code: f
        for f in sqlite_world.requests.assess(cohort_request("in_area(postcode)")).findings
    }
    assert "declares no areas" in undeclared["COHORT_OUTSIDE_AREAS"].reason
    sqlite_world.identity.set_areas(sqlite_world.operator("test"), "northshire", ("E06000001",))
    for cohort in (
        "in_area(postcode)",
        "benefit = 'IS' and in_area(postcode)",
        "in_area(postcode, 'E06000001')",
        "output_area = 'E06000001' or in_area(postcode)",
    ):
        assert "COHORT_OUTSIDE_AREAS" not in codes(
            sqlite_world.requests.assess(cohort_request(cohort))
        ), cohort
    for cohort in (
        "benefit = 'IS'",
        "in_area(postcode) or lone_parent",
        "in_area(postcode, 'E08000035')",
        "not in_area(postcode)",
    ):
        found = {f.code: f for f in sqlite_world.requests.assess(cohort_request(cohort)).findings}
        outside = found["COHORT_OUTSIDE_AREAS"]
        assert outside.severity is Severity.BLOCK, cohort
        assert "E06000001" in outside.reason
        assert "in_area(postcode)" in outside.fix


def test_pseudonymised_records_outside_the_area_are_a_warning(sqlite_world: Accord) -> None:
    document = cohort_request("benefit = 'IS'", form="pseudonymised").model_dump(mode="json")
    document["datasets"][0]["fields"] = [
        {
            "name": "nino",
            "justification": "link",
            "transform": {"kind": "pseudonymise", "argument": "council-link"},
        }
    ]
    found = codes(sqlite_world.requests.assess(SharingRequest.parse(document)))
    assert found["COHORT_OUTSIDE_AREAS"] is Severity.WARN


def test_answers_and_aggregates_need_no_area_cohort(sqlite_world: Accord) -> None:
    batch = with_fields(
        example("lone-parents-outreach"),
        "dwp/benefit_claimants",
        [{"name": "nino", "justification": "to check"}],
        purpose_category="eligibility_checking",
        channels=["batch_validation"],
    )
    assert not {"COHORT_WHOLE_NATIONAL_DATASET", "COHORT_OUTSIDE_AREAS"} & set(
        codes(sqlite_world.requests.assess(batch))
    )


# -- who may override --------------------------------------------------------------------


def test_each_blocking_finding_says_who_may_override_it(sqlite_world: Accord) -> None:
    assessment = sqlite_world.requests.assess(mailshot(dpia={}, gateway=""))
    by_code = {f.code: f for f in assessment.blocking}
    legal = by_code["LEGAL_OUTREACH_BULK_IDENTIFIABLE"]
    assert [(m.organisation_id, m.role) for m in legal.override_by] == [("dwp", Role.LEGAL)]
    assert legal.override_label() == "legal of dwp"
    for finding in assessment.blocking:
        assert finding.override_by or finding.override_label().startswith("no one")
    for finding in assessment.findings:
        if finding.severity is not Severity.BLOCK:
            assert finding.override_by == ()
    unknown = with_fields(
        example("carers-vaccination"), "dwp/carers_allowance", [{"name": "shoe_size"}]
    )
    [field_finding] = [
        f
        for f in sqlite_world.requests.assess(unknown).blocking
        if f.code == "CATALOGUE_UNKNOWN_FIELD"
    ]
    assert field_finding.override_by == ()
    assert field_finding.override_label() == "no one: the request must change"
    dpia = {f.code: f for f in assess(sqlite_world, "carers-vaccination", dpia={}).blocking}[
        "DPIA_MISSING"
    ]
    assert [(m.organisation_id, m.role) for m in dpia.override_by] == [("dwp", Role.DPO)]


def test_the_report_shows_who_may_override_and_the_questions(sqlite_world: Accord) -> None:
    assessment = sqlite_world.requests.assess(mailshot())
    text = assessment_text(assessment)
    assert "may override: legal of dwp" in text
    assert "Before approving (seed 001, paragraphs 19 and 51):" in text
    assert "(not answered)" in text
    body = assessment_dict(assessment)
    outreach = next(f for f in body["findings"] if f["code"] == "LEGAL_OUTREACH_BULK_IDENTIFIABLE")
    assert outreach["override_by"] == [{"organisation": "dwp", "role": "legal"}]
    assert len(body["considerations"]) == 6


# -- seed 001's questions (paragraphs 19 and 51) -----------------------------------------


@dataclass(frozen=True)
class Alternative:
    option: str
    why_rejected: str


@dataclass(frozen=True)
class Considerations:
    """The shape of ``SharingRequest.considerations`` (added with the decision forms)."""

    benefit_or_detriment: str = ""
    cost_against_benefit: str = ""
    fair_processing_information: str = ""
    compatible_with_fair_processing: bool | None = None
    operational_difference: str = ""
    alternatives_considered: tuple[Alternative, ...] = ()


ANSWERED = Considerations(
    benefit_or_detriment="Carers are offered a vaccine earlier",
    cost_against_benefit="Two days of analyst time against earlier protection",
    fair_processing_information="DWP's privacy notice names the NHS for public health",
    compatible_with_fair_processing=True,
    operational_difference="GP practices invite carers without self-declaration",
    alternatives_considered=(Alternative("Self-declaration only", "Reached too few carers"),),
)


def with_considerations(request: SharingRequest, considerations: Considerations) -> SharingRequest:
    return request.model_copy(update={"considerations": considerations})


def test_an_operational_identifiable_share_is_asked_seed_001s_questions(
    sqlite_world: Accord,
) -> None:
    bare = sqlite_world.requests.assess(example("carers-vaccination"))
    unanswered = {f.code: f for f in bare.findings}["CONSIDERATIONS_UNANSWERED"]
    assert unanswered.severity is Severity.WARN
    assert "6 of seed 001's questions" in unanswered.reason
    assert all(answer == "" for _, answer in bare.considerations)
    checklist = {c.item: c.satisfied for c in bare.checklist}
    assert not checklist[
        "Benefit or detriment, cost, fair processing, operational difference and alternatives "
        "are considered"
    ]
    answered = sqlite_world.requests.assess(
        with_considerations(example("carers-vaccination"), ANSWERED)
    )
    assert "CONSIDERATIONS_UNANSWERED" not in answered.codes()
    shown = dict(answered.considerations)
    assert shown["Is the share compatible with that fair-processing information?"] == "yes"
    assert (
        shown["Which alternatives were considered, and why were they rejected?"]
        == "Self-declaration only (rejected: Reached too few carers)"
    )
    partial = sqlite_world.requests.assess(
        with_considerations(
            example("carers-vaccination"), Considerations(benefit_or_detriment="earlier jabs")
        )
    )
    reason = {f.code: f for f in partial.findings}["CONSIDERATIONS_UNANSWERED"].reason
    assert "5 of seed 001's questions" in reason
    assert "operational difference" in reason


def test_research_on_pseudonymised_data_is_not_asked_them(sqlite_world: Accord) -> None:
    assert "CONSIDERATIONS_UNANSWERED" not in codes(
        assess(sqlite_world, "trust-dwp-employment-spells")
    )


def test_a_share_incompatible_with_the_privacy_notice_blocks(sqlite_world: Accord) -> None:
    incompatible = with_considerations(
        example("carers-vaccination"),
        Considerations(**{**ANSWERED.__dict__, "compatible_with_fair_processing": False}),
    )
    blocked = {f.code for f in sqlite_world.requests.assess(incompatible).blocking}
    assert "LEGAL_FAIR_PROCESSING_INCOMPATIBLE" in blocked


def test_in_area_without_declared_areas_could_not_run_and_blocks(sqlite_world: Accord) -> None:
    document = example("carers-vaccination").model_dump(mode="json")
    document["datasets"][0]["cohort"] = "in_area(postcode)"
    request = SharingRequest.parse(document)
    [finding] = [
        f
        for f in sqlite_world.requests.assess(request).blocking
        if f.code == "COHORT_AREAS_UNDECLARED"
    ]
    assert "accord org update nhse --areas" in finding.fix
    assert finding.override_by == ()
    sqlite_world.identity.set_areas(sqlite_world.operator("test"), "nhse", ("E06000001",))
    assert "COHORT_AREAS_UNDECLARED" not in sqlite_world.requests.assess(request).codes()
    document["datasets"][0]["cohort"] = "in_area(postcode, 'E08000035')"
    named = sqlite_world.requests.assess(SharingRequest.parse(document))
    assert "COHORT_AREAS_UNDECLARED" not in named.codes()
