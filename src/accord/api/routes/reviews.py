"""Access reviews over HTTP: see them, recertify them, and run the sweep.

An agreement the caller's organisations are not party to answers as not found; a party
without the role is told why. Every refusal is in the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import ConfigDict, Field, StringConstraints

from accord.api.deps import AccordDep, CallerDep
from accord.api.schemas import StrictModel
from accord.services.reviews import MAX_PRINCIPALS, ReviewService

router = APIRouter(tags=["access reviews"])


PrincipalId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class RecertifyIn(StrictModel):
    """Each principal listed with access, kept or removed: none is kept by omission."""

    model_config = ConfigDict(extra="forbid")

    keep: list[PrincipalId] = Field(default_factory=list, max_length=MAX_PRINCIPALS)
    remove: list[PrincipalId] = Field(default_factory=list, max_length=MAX_PRINCIPALS)
    note: str = Field(default="", max_length=2000)


@router.get("/access-reviews")
def list_reviews(
    accord: AccordDep, caller: CallerDep, organisation: str | None = None
) -> list[dict[str, Any]]:
    """The reviews the caller may see: their organisation's (admins) and those of
    agreements on their organisation's data (data owners, DPOs, admins)."""
    return [v.as_dict() for v in ReviewService.of(accord).reviews(caller, organisation)]


@router.post("/access-reviews/check")
def check(accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """Record each lapsed review once and queue due-soon reminders (the operator)."""
    return ReviewService.of(accord).check(caller).as_dict()


@router.get("/access-reviews/{agreement_id}/{organisation}")
def show_review(
    agreement_id: str, organisation: str, accord: AccordDep, caller: CallerDep
) -> dict[str, Any]:
    """One organisation's review: its status, due date, principals with access, history."""
    return ReviewService.of(accord).review(caller, agreement_id, organisation).as_dict()


@router.post("/access-reviews/{agreement_id}/{organisation}/recertify")
def recertify(
    agreement_id: str, organisation: str, body: RecertifyIn, accord: AccordDep, caller: CallerDep
) -> dict[str, Any]:
    """The organisation's admin keeps or removes each principal with access; access,
    if suspended, is restored at once."""
    view = ReviewService.of(accord).recertify(
        caller, agreement_id, organisation, keep=body.keep, remove=body.remove, note=body.note
    )
    return view.as_dict()
