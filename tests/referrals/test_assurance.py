"""The agreement names the security assurance it accepts; Cyber Essentials is not ISO 27001.

Seed 003, paragraph 2: a provider must hold a DWP-assured security plan, which includes
compliance with ISO/IEC 27001. A sub-contractor holding only Cyber Essentials Plus
tests its defences, not its governance of records, so it never satisfies such an
agreement: neither at submission (a blocking finding) nor on the release path.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accord.core.governance.request import SharingRequest
from accord.core.identity import Assurance, AssuranceScheme, Organisation, OrgKind
from accord.core.plan.authorise import PlaneChannel, can_use
from accord.demo.provider_world import ProviderWorld, referrals_request
from accord.services.reviews import standing_of


def test_the_whp_agreement_names_the_assured_security_plan_and_iso_27001(
    provider_world: ProviderWorld,
) -> None:
    assert provider_world.agreement.policy.assurance_schemes == (
        AssuranceScheme.ASSURED_SECURITY_PLAN,
        AssuranceScheme.ISO_27001,
    )


@pytest.mark.parametrize(
    "scheme", [AssuranceScheme.CYBER_ESSENTIALS_PLUS, AssuranceScheme.CYBER_ESSENTIALS]
)
def test_a_provider_holding_only_cyber_essentials_is_refused_naming_both_schemes(
    provider_world: ProviderWorld, scheme: AssuranceScheme
) -> None:
    expires = date.today() + timedelta(days=200)
    essentials_only = Organisation(
        "northfield", "Northfield Employment Services", OrgKind.CONTRACTED_PROVIDER,
        (Assurance(scheme, "CE-123", expires),),
    )  # fmt: skip
    caseworker = provider_world.caller("northfield.caseworker")
    review = standing_of(provider_world.app.store, provider_world.agreement)
    for channel in (PlaneChannel.QUERY, PlaneChannel.DELTA_SHARING):
        verdict = can_use(
            caseworker, provider_world.agreement, channel, essentials_only, date.today(),
            review=review,
        )  # fmt: skip
        assert not verdict
        assert "assured_security_plan or iso_27001" in verdict.reason
        assert scheme.value in verdict.reason
    # The real recipient, with its assured security plan, is allowed.
    northfield = provider_world.app.store.get_organisation("northfield")
    assert can_use(
        caseworker, provider_world.agreement, PlaneChannel.QUERY, northfield, date.today(),
        review=review,
    )  # fmt: skip


def test_a_request_for_records_cannot_accept_cyber_essentials_alone() -> None:
    with pytest.raises(ValueError, match="assurance_schemes: Cyber Essentials alone"):
        referrals_request(assurance_schemes=["cyber_essentials_plus", "cyber_essentials"])
    with pytest.raises(ValueError, match="assurance_schemes names a scheme twice"):
        referrals_request(assurance_schemes=["iso_27001", "iso_27001"])
    with pytest.raises(ValueError, match="assurance_schemes"):
        referrals_request(assurance_schemes=["iso_9001"])


def test_without_named_schemes_the_default_for_the_form_stands() -> None:
    document = referrals_request().model_dump(mode="json")
    document.pop("assurance_schemes")
    assert SharingRequest.parse(document).assurance_schemes == ()


def test_the_assessment_blocks_a_recipient_holding_none_of_the_accepted_schemes(
    provider_world: ProviderWorld,
) -> None:
    """Ridgeway holds only Cyber Essentials Plus: asking for referrals itself is blocked."""
    request = referrals_request(
        requesting_organisation="ridgeway", requester="ridgeway.caseworker", processors=[]
    )
    blocking = {f.code: f for f in provider_world.app.requests.assess(request).blocking}
    finding = blocking["SECURITY_ASSURANCE"]
    assert "assured_security_plan or iso_27001" in finding.reason
    assert "cyber_essentials_plus" in finding.reason
    assert "accord org assure" in finding.fix


def test_the_assessment_warns_when_the_accepted_assurance_expires_first(
    provider_world: ProviderWorld,
) -> None:
    """Northfield's assured plan runs for a year; the agreement for eighteen months."""
    assessment = provider_world.app.requests.assess(referrals_request())
    assert "SECURITY_ASSURANCE_EXPIRES" in assessment.codes()
    assert "SECURITY_ASSURANCE" not in assessment.codes()
