"""A data owner's approved sub-contractors: approve, withdraw, list.

The CLI (``accord subcontractor``), the API (``/subcontractors``) and the web page
(``/subcontractors``) all call this one service. The rules are in
:mod:`accord.core.governance.subcontractors`; this module looks up what they read,
records every verdict (allow and deny) in the audit log, and writes each change with
its event. A withdrawal notifies the prime provider through the outbox in the same
transaction: its sub-contractor's access stops at once. Free text (due-diligence notes,
a withdrawal's reason) is kept on the approval, not in the audit log, which must never
hold a person's name and records only its length.

An approval belongs to the data owner's list alone: asked about by anyone else (another
organisation's admin, or the sub-contractor itself), it answers as not found.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict
from typing import Any

from accord.core.audit import AuditEvent, Decision
from accord.core.governance.subcontractors import (
    MAX_NOTES,
    ApprovalForm,
    SubcontractorApproval,
    can_manage,
    check_form,
)
from accord.core.lifecycle.notices import NoticeKind
from accord.core.permissions import Caller
from accord.errors import NotFoundError, ValidationError, not_found
from accord.services.guard import authorise, refuse
from accord.services.outbox import new_notice
from accord.store import Store
from accord.store.referrals_store import ReferralsStore

__all__ = ["SubcontractorService", "approval_view"]


def approval_view(approval: SubcontractorApproval, today: Any) -> dict[str, Any]:
    """One presentation of an approval for the CLI, the API and the web page."""
    body = asdict(approval)
    for name in ("approved_from", "approved_to"):
        body[name] = body[name].isoformat()
    for name in ("approved_at", "withdrawn_at"):
        body[name] = body[name].isoformat() if body[name] is not None else None
    body["state"] = approval.state_on(today)
    return body


class SubcontractorService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.repository = ReferralsStore(store)

    def approve(self, caller: Caller, owner: str, form: ApprovalForm) -> SubcontractorApproval:
        """Put a sub-contractor on ``owner``'s list for one prime, after due diligence."""
        action, obj = "subcontractor.approve", f"organisation:{owner}"
        # Who may, first: authorise records a refusal (and raises) before anything is read.
        authorise(self.store, caller, can_manage(caller, owner), action=action, obj=obj,
                  organisation=owner)  # fmt: skip
        organisations = {o.id: o for o in self.store.list_organisations()}
        today = self.store.clock().date()
        checked = check_form(form, owner, organisations, today)
        if not checked:
            self.store.record(
                AuditEvent(
                    actor=caller.actor,
                    action=action,
                    object=obj,
                    organisation=owner,
                    decision=Decision.DENY,
                    reason=checked.reason,
                    details={"subcontractor": form.subcontractor[:64], "prime": form.prime[:64]},
                    owners=(owner,),
                )
            )
            raise ValidationError(checked.reason)
        approval = SubcontractorApproval(
            id=f"sca-{secrets.token_hex(6)}",
            owner=owner,
            subcontractor=form.subcontractor,
            prime=form.prime,
            approved_from=form.approved_from,
            approved_to=form.approved_to,
            due_diligence=form.due_diligence.strip(),
            approved_by=caller.actor,
            approved_at=self.store.clock(),
            no_offshore=True,
        )
        self.repository.add_approval(
            approval,
            audit=AuditEvent(
                actor=caller.actor,
                action=action,
                object=f"subcontractor:{approval.id}",
                organisation=owner,
                reason=f"{can_manage(caller, owner).reason}; {checked.reason}",
                details={
                    "subcontractor": approval.subcontractor,
                    "prime": approval.prime,
                    "approved_from": approval.approved_from.isoformat(),
                    "approved_to": approval.approved_to.isoformat(),
                    "no_offshore": True,
                    **({"via": caller.via} if caller.via else {}),
                },
                owners=(owner,),
            ),
        )
        return approval

    def withdraw(
        self, caller: Caller, owner: str, approval_id: str, reason: str
    ) -> SubcontractorApproval:
        """Withdraw an approval: every release naming the sub-contractor stops at once."""
        action, obj = "subcontractor.withdraw", f"subcontractor:{approval_id}"
        approval = self.repository.get_approval(approval_id)
        if approval is None or approval.owner != owner or not can_manage(caller, owner):
            why = (
                f"no approval {approval_id!r} on {owner}'s list"
                if approval is None or approval.owner != owner
                else can_manage(caller, owner).reason
            )
            refuse(self.store, caller, action, obj, owner, why, answered="not found")
            raise not_found("sub-contractor approval", approval_id)
        reason = reason.strip()
        if not reason or len(reason) > MAX_NOTES:
            why = f"reason: say why the approval is withdrawn (1 to {MAX_NOTES} characters)"
            refuse(self.store, caller, action, obj, owner, why)
            raise ValidationError(why)
        if approval.withdrawn:
            why = f"approval {approval_id} was already withdrawn"
            refuse(self.store, caller, action, obj, owner, why)
            raise ValidationError(why)
        now = self.store.clock()
        notice = new_notice(
            approval.prime,
            NoticeKind.SUBCONTRACTOR_WITHDRAWN,
            f"{owner} withdrew its approval of {approval.subcontractor}",
            f"{owner} withdrew approval {approval.id} of {approval.subcontractor} as your "
            "sub-contractor. Stop sharing its participants' data with it; releases under "
            "agreements naming it as a processor are refused from now.",
            approval.id,
        )
        self.repository.withdraw_approval(
            approval_id,
            caller.actor,
            now,
            reason,
            audit=AuditEvent(
                actor=caller.actor,
                action=action,
                object=obj,
                organisation=owner,
                reason=can_manage(caller, owner).reason,
                details={
                    "subcontractor": approval.subcontractor,
                    "prime": approval.prime,
                    "reason_chars": len(reason),
                    **({"via": caller.via} if caller.via else {}),
                },
                owners=(owner,),
            ),
            notices=(notice,),
        )
        found = self.repository.get_approval(approval_id)
        if found is None:  # pragma: no cover - it was just read
            raise NotFoundError(f"no sub-contractor approval {approval_id!r}")
        return found

    def approvals(self, caller: Caller, owner: str) -> list[SubcontractorApproval]:
        """``owner``'s list, to its own data owner, DPO or admin."""
        verdict = can_manage(caller, owner)
        if not verdict:
            raise refuse(
                self.store, caller, "subcontractor.list", f"organisation:{owner}", owner,
                verdict.reason,
            )  # fmt: skip
        return self.repository.approvals(owners=(owner,))
