"""Sub-contractors approved by the department gate the request and every release.

Seed 003, paragraphs 45 and 52: a prime provider may pass participants' data only to a
sub-contractor the department formally approved, after due diligence confirming no
offshore elements. The approved list is the data owner's alone.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accord.core.audit import Decision
from accord.core.governance.subcontractors import (
    ApprovalForm,
    SubcontractorApproval,
    check_form,
    processors_approved,
)
from accord.core.lifecycle.notices import NoticeKind
from accord.demo.provider_world import DUE_DILIGENCE, ProviderWorld, referrals_request
from accord.errors import NotFoundError, PermissionDenied, ValidationError
from accord.services.outbox import Outbox
from accord.services.subcontractors import SubcontractorService
from accord.store import AuditFilter

TODAY = date.today()


def form(**changes: object) -> ApprovalForm:
    values: dict[str, object] = {
        "subcontractor": "ridgeway",
        "prime": "eastgate",
        "approved_from": TODAY,
        "approved_to": TODAY + timedelta(days=365),
        "due_diligence": DUE_DILIGENCE,
        "no_offshore": True,
    }
    values.update(changes)
    return ApprovalForm(**values)  # type: ignore[arg-type]


def service(world: ProviderWorld) -> SubcontractorService:
    return SubcontractorService(world.app.store)


def ridgeway_approval(world: ProviderWorld) -> SubcontractorApproval:
    [approval] = [
        a
        for a in service(world).approvals(world.caller("dwp.admin"), "dwp")
        if a.prime == "northfield"
    ]
    return approval


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"no_offshore": None}, "no_offshore: confirm"),
        ({"no_offshore": False}, "no_offshore: a sub-contractor with offshore elements"),
        ({"due_diligence": "ok"}, "due_diligence: say what was checked"),
        ({"due_diligence": "x " * 3000}, "due_diligence: at most"),
        ({"subcontractor": "nobody"}, "subcontractor: there is no organisation 'nobody'"),
        ({"subcontractor": "Ridgeway Skills"}, "subcontractor: give an organisation id"),
        ({"prime": "ridgeway"}, "subcontractor: a prime provider is not its own"),
        ({"subcontractor": "dwp"}, "subcontractor: dwp does not approve itself"),
        ({"approved_to": TODAY - timedelta(days=2)}, "approved_to: the approval must end"),
        ({"approved_from": TODAY - timedelta(days=9), "approved_to": TODAY - timedelta(days=1)},
         "approved_to: the approval would already have ended"),
        ({"approved_to": TODAY + timedelta(days=4000)}, "approved_to: an approval runs for"),
    ],
)  # fmt: skip
def test_the_form_is_refused_naming_the_field(
    provider_world: ProviderWorld, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError, match=field):
        service(provider_world).approve(provider_world.caller("dwp.admin"), "dwp", form(**changes))
    [denied] = provider_world.app.store.audit_events(
        AuditFilter(action="subcontractor.approve", decision=Decision.DENY)
    )
    assert field in denied.reason


def test_the_department_approves_and_the_approval_is_audited(
    provider_world: ProviderWorld,
) -> None:
    approval = service(provider_world).approve(provider_world.caller("dwp.dpo"), "dwp", form())
    assert (approval.owner, approval.subcontractor, approval.prime) == (
        "dwp",
        "ridgeway",
        "eastgate",
    )
    assert approval.approved_by == "principal:dwp.dpo"
    assert approval.no_offshore
    listed = service(provider_world).approvals(provider_world.caller("dwp.data"), "dwp")
    assert approval in listed
    events = provider_world.app.store.audit_events(
        AuditFilter(action="subcontractor.approve", decision=Decision.ALLOW)
    )
    [event] = [e for e in events if e.object == f"subcontractor:{approval.id}"]
    assert event.details_dict["no_offshore"] is True
    assert event.details_dict["prime"] == "eastgate"
    assert "dwp" in event.owners


@pytest.mark.parametrize("who", ["northfield.admin", "eastgate.caseworker", "ridgeway.admin"])
def test_the_approved_list_is_the_data_owners_alone(
    provider_world: ProviderWorld, who: str
) -> None:
    caller = provider_world.caller(who)
    with pytest.raises(PermissionDenied, match="only a data owner, DPO or admin of 'dwp'"):
        service(provider_world).approve(caller, "dwp", form())
    with pytest.raises(PermissionDenied):
        service(provider_world).approvals(caller, "dwp")
    approval = ridgeway_approval(provider_world)
    with pytest.raises(NotFoundError, match="no sub-contractor approval"):
        service(provider_world).withdraw(caller, "dwp", approval.id, "not ours to withdraw")
    # Withdrawing "for" the caller's own organisation does not reach DWP's approval either.
    own = who.split(".", maxsplit=1)[0]
    with pytest.raises(NotFoundError, match="no sub-contractor approval"):
        service(provider_world).withdraw(caller, own, approval.id, "not ours to withdraw")
    assert not ridgeway_approval(provider_world).withdrawn
    denials = provider_world.app.store.audit_events(AuditFilter(decision=Decision.DENY))
    assert {e.action for e in denials} >= {
        "subcontractor.approve", "subcontractor.list", "subcontractor.withdraw",
    }  # fmt: skip


def test_a_request_naming_an_unapproved_subcontractor_is_blocked_at_submission(
    provider_world: ProviderWorld,
) -> None:
    app = provider_world.app
    # Ridgeway is approved for Northfield, not for Eastgate.
    eastgate = referrals_request(
        requesting_organisation="eastgate", requester="eastgate.caseworker"
    )
    [finding] = [
        f for f in app.requests.assess(eastgate).blocking if f.code == "SUBCONTRACTOR_NOT_APPROVED"
    ]
    assert "approved 'ridgeway' for northfield, not for 'eastgate'" in finding.reason
    assert "accord subcontractor approve" in finding.fix
    # A processor DWP never approved.
    stranger = referrals_request(processors=["eastgate"])
    reasons = [f.reason for f in app.requests.assess(stranger).blocking]
    assert "'eastgate' is not on dwp's approved sub-contractors" in reasons
    # Approved, the finding goes; an approval ending before the agreement is a warning.
    service(provider_world).approve(
        provider_world.caller("dwp.admin"), "dwp", form(approved_to=TODAY + timedelta(days=90))
    )
    codes = app.requests.assess(eastgate).codes()
    assert "SUBCONTRACTOR_NOT_APPROVED" not in codes
    assert "SUBCONTRACTOR_APPROVAL_ENDS" in codes


def test_approval_is_judged_for_every_owner_and_today() -> None:
    approval = SubcontractorApproval(
        "sca-1", "dwp", "ridgeway", "northfield", TODAY, TODAY + timedelta(days=10),
        DUE_DILIGENCE, "dwp.admin", approved_at=__import__("datetime").datetime.now(),
    )  # fmt: skip
    assert processors_approved(["dwp"], "northfield", ["ridgeway"], [approval], TODAY)
    later = processors_approved(
        ["dwp"], "northfield", ["ridgeway"], [approval], TODAY + timedelta(days=11)
    )
    assert not later
    assert "expired on" in later.reason
    before = processors_approved(
        ["dwp"], "northfield", ["ridgeway"], [approval], TODAY - timedelta(days=1)
    )
    assert not before
    assert "does not start until" in before.reason
    two_owners = processors_approved(["dwp", "hmrc"], "northfield", ["ridgeway"], [approval], TODAY)
    assert not two_owners
    assert "not on hmrc's approved sub-contractors" in two_owners.reason
    assert check_form(form(), "dwp", {}, TODAY).reason.startswith("subcontractor: there is no")


def test_a_withdrawn_approval_stops_every_release_at_once(provider_world: ProviderWorld) -> None:
    app, agreement = provider_world.app, provider_world.agreement
    caseworker = provider_world.caller("northfield.caseworker")
    sql = "select count(*) as n from dwp_referrals"
    assert app.plane.query(caseworker, agreement.id, sql).table.num_rows == 1
    approval = ridgeway_approval(provider_world)
    withdrawn = service(provider_world).withdraw(
        provider_world.caller("dwp.data"), "dwp", approval.id, "Offshore helpdesk found in audit"
    )
    assert withdrawn.withdrawn
    assert withdrawn.withdrawn_by == "principal:dwp.data"
    with pytest.raises(
        PermissionDenied, match="approval of 'ridgeway' for 'northfield' was withdrawn"
    ):
        app.plane.query(caseworker, agreement.id, sql)
    [denied] = app.store.audit_events(AuditFilter(action="query.run", decision=Decision.DENY))
    assert "nothing is released under the agreement" in denied.reason
    # The prime provider is told, in the same transaction as the withdrawal.
    [notice] = Outbox(app.store).notices(
        organisation="northfield", kind=NoticeKind.SUBCONTRACTOR_WITHDRAWN
    )
    assert notice.reference == approval.id
    # A second withdrawal is refused; a fresh approval restores the share.
    with pytest.raises(ValidationError, match="already withdrawn"):
        service(provider_world).withdraw(
            provider_world.caller("dwp.data"), "dwp", approval.id, "again"
        )
    service(provider_world).approve(
        provider_world.caller("dwp.data"), "dwp", form(prime="northfield")
    )
    assert app.plane.query(caseworker, agreement.id, sql).table.num_rows == 1
