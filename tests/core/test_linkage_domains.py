"""The domain ownership rules, as pure functions: who is admitted, who must override,
and what activating an agreement adds."""

from __future__ import annotations

from accord.core.governance.domains import (
    DOMAIN_JOINED,
    DOMAIN_SHARED,
    DomainMember,
    DomainOwnership,
    domain_findings,
    joins,
)
from accord.core.governance.findings import Severity
from accord.core.identity import Membership, Role

OWNED = {
    "carers-link": DomainOwnership(
        "carers-link",
        (
            DomainMember("agr-1", "nhse", ("dwp", "hmrc"), owner=True),
            DomainMember("agr-2", "ifsr", ("dwp",), owner=False),
        ),
    )
}


def test_members_of_a_domain_raise_nothing_and_others_are_blocked() -> None:
    assert domain_findings("nhse", ["carers-link"], OWNED) == []
    assert domain_findings("ifsr", ["carers-link"], OWNED) == []
    assert domain_findings("northshire", ["unowned"], OWNED) == []
    [finding] = domain_findings(
        "northshire", ["carers-link", "unowned"], OWNED, request_owners=("dwp", "hmrc")
    )
    assert (finding.code, finding.severity, finding.subject) == (
        DOMAIN_SHARED,
        Severity.BLOCK,
        "carers-link",
    )
    assert finding.ref == "LINKAGE_DOMAIN_SHARED:carers-link"
    # The owning agreement's data owners answer, DPO and legal of each; not the joiner's.
    assert finding.override_by == (
        Membership("dwp", Role.DPO),
        Membership("dwp", Role.LEGAL),
        Membership("hmrc", Role.DPO),
        Membership("hmrc", Role.LEGAL),
    )
    assert "agr-1" in finding.reason
    assert "agr-2" in finding.reason


def test_activation_owns_new_domains_joins_owned_ones_and_keeps_its_place() -> None:
    added = joins("agr-3", "northshire", ("dwp",), ["carers-link", "fresh"], OWNED)
    assert added == [
        ("carers-link", DomainMember("agr-3", "northshire", ("dwp",), owner=False)),
        ("fresh", DomainMember("agr-3", "northshire", ("dwp",), owner=True)),
    ]
    assert joins("agr-2", "ifsr", ("dwp",), ["carers-link"], OWNED) == []


def test_nobody_may_override_when_an_owning_data_owner_is_no_party_to_the_request() -> None:
    [finding] = domain_findings("northshire", ["carers-link"], OWNED, request_owners=("dwp",))
    assert finding.severity is Severity.BLOCK
    assert finding.override_by == ()
    assert finding.override_label() == "no one: the request must change"
    assert "hmrc" in finding.fix


def test_a_recipient_that_supplies_data_into_the_domain_is_warned_not_blocked() -> None:
    """A data trust: each department receives the others' data in one domain."""
    [finding] = domain_findings("hmrc", ["carers-link"], OWNED, request_owners=("dfe",))
    assert (finding.code, finding.severity) == (DOMAIN_JOINED, Severity.WARN)
    assert "agr-1, agr-2" in finding.reason
    assert "ifsr, nhse" in finding.reason
