"""Access reviews: an organisation's admin recertifies who has access; owners look on.

"Access reviews" lists each agreement the person's organisation receives (or processes)
that asks for reviews, with its due date and status, and the reviews of agreements on
their organisation's data (read only, for data owners, DPOs and admins). An admin
recertifies on the review's page: a checkbox for each principal with access (ticked:
keeps access; not ticked: loses it), then "check your answers", then confirm. The rules
are :class:`accord.services.reviews.ReviewService`'s; a refusal is shown in its words.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from accord.core.lifecycle.reviews import MAX_NOTE_CHARS, ReviewStatus
from accord.errors import AccordError, NotFoundError
from accord.services.reviews import ReviewService, ReviewView
from accord.web.deps import CheckedForm, SignedInDep, accord_of
from accord.web.render import org_name, page
from accord.web.sessions import SignedIn

__all__ = ["router"]

router = APIRouter()

TAGS = {
    ReviewStatus.CURRENT: ("Current", "green"),
    ReviewStatus.DUE_SOON: ("Due soon", "yellow"),
    ReviewStatus.LAPSED: ("Lapsed: access suspended", "red"),
    ReviewStatus.NOT_REQUIRED: ("Not required", "grey"),
}


def _path(view: ReviewView) -> str:
    return f"/our-access-reviews/{view.agreement_id}/{view.organisation}"


@router.get("/our-access-reviews", response_class=HTMLResponse)
def reviews(request: Request, signed_in: SignedInDep) -> Response:
    accord = accord_of(request)
    views = ReviewService.of(accord).reviews(signed_in.caller)
    return page(
        request,
        "access_reviews/list.html",
        title="Access reviews",
        views=[(v, _path(v), org_name(accord, v.organisation)) for v in views],
        tags=TAGS,
    )


def _view(request: Request, signed_in: SignedIn, agreement_id: str, org: str) -> ReviewView:
    return ReviewService.of(accord_of(request)).review(signed_in.caller, agreement_id, org)


def _review_page(
    request: Request,
    view: ReviewView,
    *,
    status_code: int = 200,
    errors: list[dict[str, str]] | None = None,
    kept: list[str] | None = None,
    note: str = "",
    done: bool = False,
) -> Response:
    accord = accord_of(request)
    return page(
        request,
        "access_reviews/review.html",
        status_code=status_code,
        title=f"Access review: {org_name(accord, view.organisation)}",
        view=view,
        path=_path(view),
        org=org_name(accord, view.organisation),
        tag=TAGS[view.status],
        errors=errors or [],
        options=[(p, p) for p in view.with_access],
        kept=view.with_access if kept is None else kept,
        note=note,
        done=done,
        max_note=MAX_NOTE_CHARS,
    )


@router.get("/our-access-reviews/{agreement_id}/{org}", response_class=HTMLResponse)
def review(
    request: Request, agreement_id: str, org: str, signed_in: SignedInDep, done: str = ""
) -> Response:
    view = _view(request, signed_in, agreement_id, org)
    return _review_page(request, view, done=bool(done))


def _answers(form: FormData, view: ReviewView) -> tuple[list[str], list[str], str, list[Any]]:
    kept = [str(k) for k in form.getlist("keep")]
    note = str(form.get("note") or "").strip()
    errors = []
    unknown = sorted(set(kept) - set(view.with_access))
    if unknown:
        errors.append({"field": "keep", "text": "These do not have access: " + ", ".join(unknown)})
    if len(note) > MAX_NOTE_CHARS:
        errors.append(
            {"field": "note", "text": f"The note must be {MAX_NOTE_CHARS} characters or fewer"}
        )
    removed = [p for p in view.with_access if p not in kept]
    return kept, removed, note, errors


@router.post("/our-access-reviews/{agreement_id}/{org}/check", response_class=HTMLResponse)
def check_answers(
    request: Request, agreement_id: str, org: str, signed_in: SignedInDep, form: CheckedForm
) -> Response:
    view = _view(request, signed_in, agreement_id, org)
    if not view.may_recertify:
        raise NotFoundError(f"no recertification form for {org!r} under {agreement_id!r}")
    kept, removed, note, errors = _answers(form, view)
    if errors:
        return _review_page(request, view, status_code=422, errors=errors, kept=kept, note=note)
    return page(
        request,
        "access_reviews/check.html",
        title="Check your answers",
        view=view,
        path=_path(view),
        org=org_name(accord_of(request), org),
        kept=kept,
        removed=removed,
        note=note,
    )


@router.post("/our-access-reviews/{agreement_id}/{org}/recertify")
def recertify(
    request: Request, agreement_id: str, org: str, signed_in: SignedInDep, form: CheckedForm
) -> Response:
    view = _view(request, signed_in, agreement_id, org)
    kept, removed, note, errors = _answers(form, view)
    if errors:
        return _review_page(request, view, status_code=422, errors=errors, kept=kept, note=note)
    try:
        ReviewService.of(accord_of(request)).recertify(
            signed_in.caller, agreement_id, org, keep=kept, remove=removed, note=note
        )
    except NotFoundError:
        raise
    except AccordError as refused:
        return _review_page(
            request,
            view,
            status_code=refused.status_code,
            errors=[{"field": "", "text": f"The recertification was refused: {refused.message}"}],
            kept=kept,
            note=note,
        )
    return RedirectResponse(f"{_path(view)}?done=1", status_code=303)
