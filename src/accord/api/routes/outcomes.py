"""Outcome validation and recall over HTTP: a provider's staff ask, per participant,
for the first pay date and the earnings thresholds the department confirms; a sender
recalls a package sent to the wrong organisation and the recipient confirms deletion."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from accord.api.deps import AccordDep, CallerDep
from accord.api.schemas import StrictModel
from accord.core.lifecycle.certificate import DestructionMethod
from accord.core.lifecycle.outcomes import MAX_KEY_LENGTH, MAX_PARTICIPANTS
from accord.core.lifecycle.recall import MAX_REASON_CHARS
from accord.services.app import Accord
from accord.services.outcomes import OutcomesService
from accord.services.recall import RecallService
from accord.services.retention import RetentionService, certificate_dict

router = APIRouter(tags=["lifecycle"])


class OutcomesIn(StrictModel):
    model_config = ConfigDict(extra="forbid")

    participants: list[Annotated[str, StringConstraints(max_length=MAX_KEY_LENGTH)]] = Field(
        min_length=1,
        max_length=MAX_PARTICIPANTS,
        description="Referral ids (W000000123) or National Insurance numbers, any typed form",
    )


class ThresholdOut(BaseModel):
    threshold: str
    description: str
    reached_on: str


class OutcomeOut(BaseModel):
    supplied: str
    found: bool
    referral_id: str | None
    programme: str | None
    first_pay_date: str | None
    thresholds: list[ThresholdOut]
    not_applicable: list[str]
    message: str


@router.post("/agreements/{agreement_id}/outcomes", response_model=list[OutcomeOut])
def outcomes(
    agreement_id: str, body: OutcomesIn, accord: AccordDep, caller: CallerDep
) -> list[dict[str, Any]]:
    """First pay date and thresholds reached, one answer per participant, in order.

    At most 100 participants per call (checked before any work). A participant who is
    not referred under this agreement answers "no such participant under this
    agreement", whether another provider's or no one's.
    """
    service = OutcomesService(accord.store, accord.plane)
    return [a.as_dict() for a in service.check(caller, agreement_id, body.participants)]


class RecallIn(StrictModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS,
                        description="Why the package is recalled; name no person")  # fmt: skip


class ConfirmIn(StrictModel):
    model_config = ConfigDict(extra="forbid")

    method: DestructionMethod = DestructionMethod.SECURE_DELETE
    note: str = Field(default="", max_length=1_000)


def _recalls(accord: Accord) -> RecallService:
    return RecallService(accord.store, RetentionService.of(accord))


@router.post("/packages/{transfer_id}/recall", status_code=status.HTTP_201_CREATED)
def open_recall(
    transfer_id: str, body: RecallIn, accord: AccordDep, caller: CallerDep
) -> dict[str, Any]:
    """The sender recalls a package sent to the wrong organisation; the recipient is
    alerted. Only the sender's data owner, DPO or admin; anyone else: not found."""
    return _recalls(accord).open(caller, transfer_id, body.reason).as_dict()


@router.post("/recalls/{recall_id}/confirm")
def confirm_recall(
    recall_id: str, body: ConfirmIn, accord: AccordDep, caller: CallerDep
) -> dict[str, Any]:
    """The recipient's data owner, DPO or admin confirms: its copy is deleted and a
    destruction certificate signed."""
    done, signed = _recalls(accord).confirm(caller, recall_id, method=body.method,
                                            note=body.note)  # fmt: skip
    return {"recall": done.as_dict(), "certificate": certificate_dict(signed)}


@router.get("/organisations/{org_id}/recalls")
def list_recalls(org_id: str, accord: AccordDep, caller: CallerDep) -> list[dict[str, Any]]:
    """The recalls an organisation sent or received, for its governance roles."""
    return [r.as_dict() for r in _recalls(accord).list(caller, org_id)]


@router.post("/recalls/purge")
def purge_recalls(accord: AccordDep, caller: CallerDep) -> dict[str, int]:
    """Remove recall records kept three months after confirmation (platform admins)."""
    return {"purged": _recalls(accord).purge(caller)}
