"""Provider staff check a participant's outcomes: "Check a participant's outcomes".

The page asks for referral ids or National Insurance numbers, one a line, and shows
DWP's answer for each: the first pay date and the earnings thresholds reached, through
the same service as ``accord outcomes check`` and ``POST /agreements/{id}/outcomes``
(:class:`accord.services.outcomes.OutcomesService`). Only the recipient's requesters
and analysts see the page; to anyone else it does not exist.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from accord.core.lifecycle.outcomes import MAX_PARTICIPANTS, OutcomeAnswer
from accord.core.plan.authorise import USE_ROLES
from accord.errors import AccordError, NotFoundError, ValidationError
from accord.services.outcomes import OutcomesService
from accord.web.deps import CheckedForm, SignedInDep, accord_of
from accord.web.render import page
from accord.web.sessions import SignedIn

__all__ = ["router"]

router = APIRouter()
MAX_FORM_CHARS = MAX_PARTICIPANTS * 48
"""The text box's limit, checked before it is split into lines."""


def _record(request: Request, signed_in: SignedIn, agreement_id: str) -> Any:
    record = accord_of(request).agreements.show(signed_in.caller, agreement_id, None)
    if record.policy.recipient not in signed_in.principal.organisations_with(*USE_ROLES):
        raise NotFoundError(f"no outcomes page for agreement {agreement_id!r}")
    return record


def _rows(answers: list[OutcomeAnswer]) -> list[list[str]]:
    rows = []
    for a in answers:
        reached = "; ".join(
            f"{t.threshold.description} on {t.reached_on.isoformat()}" for t in a.thresholds
        )
        rows.append(
            [
                a.supplied.strip(),
                a.referral_id or "",
                a.programme or "",
                a.first_pay_date.isoformat() if a.first_pay_date else "",
                reached or ("none" if a.found else ""),
                "; ".join(a.not_applicable) if a.found else a.message,
            ]
        )
    return rows


def _page(
    request: Request,
    record: Any,
    *,
    text: str = "",
    answers: list[OutcomeAnswer] | None = None,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "agreements/outcomes.html",
        status_code=status_code,
        title="Check a participant's outcomes",
        record=record,
        policy=record.policy,
        text=text,
        rows=_rows(answers) if answers else [],
        errors=errors or [],
        field_errors={e["field"]: e for e in errors or [] if e.get("field")},
        limit=MAX_PARTICIPANTS,
    )


@router.get("/our-agreements/{agreement_id}/outcomes", response_class=HTMLResponse)
def outcomes_form(request: Request, agreement_id: str, signed_in: SignedInDep) -> Response:
    return _page(request, _record(request, signed_in, agreement_id))


@router.post("/our-agreements/{agreement_id}/outcomes")
def outcomes_check(
    request: Request, agreement_id: str, signed_in: SignedInDep, form: CheckedForm
) -> Response:
    record = _record(request, signed_in, agreement_id)
    text = str(form.get("participants") or "")
    if len(text) > MAX_FORM_CHARS:
        return _page(request, record, text="", status_code=422, errors=[
            {"field": "participants",
             "text": f"Enter at most {MAX_PARTICIPANTS} participants, one a line"}])  # fmt: skip
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return _page(request, record, text=text, status_code=422, errors=[
            {"field": "participants",
             "text": "Enter a referral id or National Insurance number"}])  # fmt: skip
    accord = accord_of(request)
    try:
        answers = OutcomesService(accord.store, accord.plane).check(
            signed_in.caller, agreement_id, lines
        )
    except ValidationError as bad:
        return _page(request, record, text=text, status_code=422,
                     errors=[{"field": "participants", "text": bad.message}])  # fmt: skip
    except NotFoundError:
        raise
    except AccordError as refused:
        return _page(request, record, text=text, status_code=refused.status_code,
                     errors=[{"field": "", "text": f"Refused: {refused.message}"}])  # fmt: skip
    return _page(request, record, text=text, answers=answers)
