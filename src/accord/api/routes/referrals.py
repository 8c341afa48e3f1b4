"""A data owner's approved sub-contractors over HTTP (seed 003).

The list lives under its owner's path; the caller is authorised for that owner by the
service before anything is read, and an approval that is not on the owner's list
answers exactly as a missing one.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, status
from pydantic import Field

from accord.api.deps import AccordDep, CallerDep
from accord.api.schemas import StrictModel
from accord.core.governance.subcontractors import MAX_NOTES, ApprovalForm
from accord.services.subcontractors import SubcontractorService, approval_view

router = APIRouter(tags=["referrals"])

OrgId = Annotated[str, Path(max_length=64)]


class ApprovalIn(StrictModel):
    subcontractor: str = Field(min_length=1, max_length=64)
    prime: str = Field(min_length=1, max_length=64, description="The prime provider it works for.")
    approved_from: date | None = Field(default=None, description="Default: today.")
    approved_to: date
    due_diligence: str = Field(max_length=MAX_NOTES, description="What was checked.")
    no_offshore: Literal["yes", "no"] = Field(
        description="yes: confirmed that it uses no product or service with offshore "
        "elements or links; no: one was found (the approval is refused)."
    )


class WithdrawIn(StrictModel):
    reason: str = Field(min_length=1, max_length=MAX_NOTES)


@router.get("/subcontractors/{owner}")
def list_approvals(owner: OrgId, accord: AccordDep, caller: CallerDep) -> list[dict[str, Any]]:
    """The owner's approved sub-contractors, each with its state today."""
    today = accord.store.clock().date()
    found = SubcontractorService(accord.store).approvals(caller, owner)
    return [approval_view(a, today) for a in found]


@router.post("/subcontractors/{owner}", status_code=status.HTTP_201_CREATED)
def approve(owner: OrgId, body: ApprovalIn, accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """Approve a sub-contractor for one prime provider, after due diligence."""
    today = accord.store.clock().date()
    form = ApprovalForm(
        subcontractor=body.subcontractor,
        prime=body.prime,
        approved_from=body.approved_from or today,
        approved_to=body.approved_to,
        due_diligence=body.due_diligence,
        no_offshore=body.no_offshore == "yes",
    )
    approval = SubcontractorService(accord.store).approve(caller, owner, form)
    return approval_view(approval, today)


@router.post("/subcontractors/{owner}/{approval_id}/withdraw")
def withdraw(
    owner: OrgId,
    approval_id: Annotated[str, Path(max_length=40)],
    body: WithdrawIn,
    accord: AccordDep,
    caller: CallerDep,
) -> dict[str, Any]:
    """Withdraw an approval: releases naming the sub-contractor stop at once."""
    approval = SubcontractorService(accord.store).withdraw(caller, owner, approval_id, body.reason)
    return approval_view(approval, accord.store.clock().date())
