"""Outcome validation over HTTP: a provider's staff ask, per participant, for the first
pay date and the earnings thresholds the department confirms."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from accord.api.deps import AccordDep, CallerDep
from accord.core.lifecycle.outcomes import MAX_KEY_LENGTH, MAX_PARTICIPANTS
from accord.services.outcomes import OutcomesService

router = APIRouter(tags=["lifecycle"])


class OutcomesIn(BaseModel):
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
