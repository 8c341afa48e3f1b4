"""Erasure requests over HTTP, under ``/erasure-requests``: thin over the erasure service.

The participant's NINO, name and address travel only in the body of the request that
records it (never in a path or query string, which the access log keeps), and come back
only in the letters a response returns for sending.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, status
from pydantic import Field

from accord.api.deps import AccordDep, CallerDep
from accord.api.schemas import StrictModel
from accord.core.lifecycle.erasure import ParticipationFacts, Programme, ReferralKind
from accord.services.erasure import MAX_ADDRESS_LINES, MAX_TEXT, ErasureService, request_dict

router = APIRouter(prefix="/erasure-requests", tags=["erasure"])


class ReceiveIn(StrictModel):
    agreement: str = Field(min_length=1, max_length=64)
    nino: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=MAX_TEXT)
    address: list[str] = Field(default_factory=list, max_length=MAX_ADDRESS_LINES)
    received_on: date | None = None


class ReferenceIn(StrictModel):
    reference: str = Field(min_length=1, max_length=MAX_TEXT)


class FactsIn(StrictModel):
    programme: Programme
    referral: ReferralKind
    started: bool
    mandated_to_interview: bool = False
    did_not_attend: bool = False
    decision_notified_on: date | None = None
    programme_ended_on: date | None = None
    final_claim_paid_on: date | None = None


def _view(accord: Any, request: Any, letter: str | None = None) -> dict[str, Any]:
    out = request_dict(request, accord.store.clock().date())
    if letter is not None:
        out["letter_to_send"] = letter
    return out


@router.post("", status_code=status.HTTP_201_CREATED)
def receive(body: ReceiveIn, accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """The provider records a participant's request; the holding response comes back to send."""
    request, letter = ErasureService.of(accord).receive(
        caller,
        body.agreement,
        nino=body.nino,
        name=body.name,
        address=body.address,
        received_on=body.received_on,
    )
    return _view(accord, request, letter)


@router.get("")
def list_requests(organisation: str, accord: AccordDep, caller: CallerDep) -> list[dict[str, Any]]:
    """The requests an organisation is party to, with their deadlines."""
    requests = ErasureService.of(accord).list_requests(caller, organisation)
    return [_view(accord, r) for r in requests]


@router.post("/remind")
def remind(accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """Queue deadline reminders (platform admins; run daily)."""
    return {"reminded": [r.id for r in ErasureService.of(accord).remind(caller)]}


@router.get("/{request_id}")
def show(request_id: str, accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    return _view(accord, ErasureService.of(accord).get(caller, request_id))


@router.post("/{request_id}/refer")
def refer(request_id: str, accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    return _view(accord, ErasureService.of(accord).refer(caller, request_id))


@router.post("/{request_id}/reference")
def reference(
    request_id: str, body: ReferenceIn, accord: AccordDep, caller: CallerDep
) -> dict[str, Any]:
    service = ErasureService.of(accord)
    return _view(accord, service.assign_reference(caller, request_id, body.reference))


@router.post("/{request_id}/decision")
def decision(
    request_id: str, body: FactsIn, accord: AccordDep, caller: CallerDep
) -> dict[str, Any]:
    facts = ParticipationFacts(**body.model_dump())
    return _view(accord, ErasureService.of(accord).decide(caller, request_id, facts))


@router.post("/{request_id}/letter")
def letter(request_id: str, accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    request, text = ErasureService.of(accord).issue_letter(caller, request_id)
    return _view(accord, request, text)


@router.post("/{request_id}/holders/{holder}/erasure")
def erase(request_id: str, holder: str, accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """The holder erases the person from its copies and certifies it."""
    return _view(accord, ErasureService.of(accord).erase_holdings(caller, request_id, holder))
