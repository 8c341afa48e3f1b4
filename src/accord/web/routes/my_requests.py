"""Track a request: the organisation's requests, each one's status and history;
withdraw one (after a confirmation page); change one sent back for changes.

The request service decides who may see and do what: another organisation's request
answers exactly as a missing one (the 404 page), and so does another person's draft.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from accord.core.governance.permissions import outstanding_seats, required_seats
from accord.core.governance.records import RequestRecord
from accord.core.governance.report import TIER_NAMES
from accord.core.governance.workflow import RequestState
from accord.core.identity import Role
from accord.errors import NotFoundError, StoreError
from accord.fsutil import sha256_file
from accord.services.app import Accord
from accord.web.deps import CheckedForm, SignedInDep, accord_of
from accord.web.forms import answers_from_request
from accord.web.render import ROLE_NAMES, page
from accord.web.routes.ask import drafts_of
from accord.web.sessions import SignedIn

__all__ = ["STATE_TAGS", "router"]

router = APIRouter()

MAX_LISTED = 200
"""Requests listed on one page, newest first."""

STATE_TAGS: dict[RequestState, tuple[str, str]] = {
    RequestState.DRAFT: ("Draft", "grey"),
    RequestState.SUBMITTED: ("Submitted", "blue"),
    RequestState.IN_REVIEW: ("In review", "light-blue"),
    RequestState.CHANGES_REQUESTED: ("Changes requested", "orange"),
    RequestState.APPROVED: ("Approved", "green"),
    RequestState.REJECTED: ("Rejected", "red"),
    RequestState.WITHDRAWN: ("Withdrawn", "grey"),
}
NEXT: dict[RequestState, str] = {
    RequestState.DRAFT: (
        "It has not been submitted. Check your answers and submit it when it is ready."
    ),
    RequestState.SUBMITTED: (
        "The data owners' reviewers will take it up. Each approval needed is listed below."
    ),
    RequestState.IN_REVIEW: (
        "The data owners' reviewers are deciding. Each approval still needed is listed below."
    ),
    RequestState.CHANGES_REQUESTED: (
        "A reviewer has asked for changes. Change your request and submit it again: "
        "it becomes a new version."
    ),
    RequestState.APPROVED: (
        "It was approved and is now an agreement. Its terms apply to every use of the data."
    ),
    RequestState.REJECTED: (
        "It was rejected. The decision record says why. You can make a new request."
    ),
    RequestState.WITHDRAWN: "You withdrew it. Nothing more happens to it.",
}
REVIEW_WORDS = {
    "start_review": "Review started",
    "approve": "Approved",
    "reject": "Rejected",
    "request_changes": "Changes asked for",
}


def _org_names(accord: Accord) -> dict[str, str]:
    return {o.id: o.name for o in accord.store.list_organisations()}


def _mine(signed_in: SignedIn, record: RequestRecord) -> bool:
    orgs = {m.organisation_id for m in signed_in.principal.memberships}
    return record.document.requesting_organisation in orgs


@router.get("/my-requests", response_class=HTMLResponse)
def my_requests(request: Request, signed_in: SignedInDep) -> Response:
    accord = accord_of(request)
    records = [r for r in accord.requests.list_visible(signed_in.caller) if _mine(signed_in, r)]
    records.sort(key=lambda r: r.updated_at, reverse=True)
    return page(
        request,
        "my_requests/list.html",
        title="Your organisation's requests",
        records=records[:MAX_LISTED],
        total=len(records),
        tags=STATE_TAGS,
        drafts=drafts_of(accord).list_open(signed_in.caller),
        names=_org_names(accord),
    )


def _waiting_on(
    accord: Accord, record: RequestRecord, revisions: list[Any], reviews: list[Any]
) -> list[str]:
    """Each approval still needed, as ``Data owner at Department for Work and Pensions``."""
    if record.state is RequestState.CHANGES_REQUESTED or record.state is RequestState.DRAFT:
        return ["You: the requester"]
    if record.state not in (RequestState.SUBMITTED, RequestState.IN_REVIEW):
        return []
    current = [r for r in revisions if r.revision == record.revision]
    if not current:
        return []
    names = _org_names(accord)
    seats = required_seats(
        record.document.owner_organisations(), current[-1].assessment.approver_roles
    )
    approvals = [r for r in reviews if r.revision == record.revision and r.action == "approve"]
    return [
        f"{ROLE_NAMES[Role(role)].capitalize()} at {names.get(org, org)}"
        for org, role in outstanding_seats(seats, approvals)
    ]


def _history(
    record: RequestRecord,
    revisions: list[Any],
    reviews: list[Any],
    overrides: list[Any],
    decisions: list[Any],
    names: dict[str, str],
) -> list[tuple[datetime, str, str]]:
    events: list[tuple[datetime, str, str]] = [(record.created_at, "Request started", "")]
    for revision in revisions:
        events.append((revision.submitted_at, f"Version {revision.revision} submitted", ""))
    for review in reviews:
        role = ROLE_NAMES.get(Role(review.role), review.role) if review.role else "reviewer"
        who = f"{role} at {names.get(review.organisation_id, review.organisation_id)}"
        words = REVIEW_WORDS.get(review.action, review.action.replace("_", " ").capitalize())
        note = review.note + (
            " Conditions: " + "; ".join(review.conditions) if review.conditions else ""
        )
        events.append((review.at, f"{words} by {who}", note.strip()))
    for override in overrides:
        events.append(
            (
                override.at,
                f"Finding {override.finding} accepted by "
                + names.get(override.organisation_id, override.organisation_id),
                override.reason,
            )
        )
    for decision in decisions:
        events.append(
            (decision.decided_at, f"Decision: {decision.outcome.value.replace('_', ' ')}", "")
        )
    return sorted(events, key=lambda e: e[0], reverse=True)


@router.get("/my-requests/{request_id}", response_class=HTMLResponse)
def request_status(request: Request, signed_in: SignedInDep, request_id: str) -> Response:
    accord = accord_of(request)
    if request_id.startswith("drf-"):
        draft = drafts_of(accord).get(signed_in.caller, request_id)
        return RedirectResponse(f"/ask/{draft.id}/check", status_code=303)
    record, revisions, reviews, overrides, decisions = accord.requests.history(
        signed_in.caller, request_id
    )
    names = _org_names(accord)
    asked = [r for r in reviews if r.action == "request_changes" and r.revision == record.revision]
    stored = next(
        (r.assessment for r in reversed(revisions) if r.revision == record.revision), None
    )
    service = drafts_of(accord)
    return page(
        request,
        "my_requests/status.html",
        title=record.document.title,
        record=record,
        tag=STATE_TAGS[record.state],
        next_words=NEXT[record.state],
        waiting=_waiting_on(accord, record, revisions, reviews),
        history=_history(record, revisions, reviews, overrides, decisions, names),
        changes_note=asked[-1] if asked else None,
        tier=f"{stored.tier}: {TIER_NAMES[stored.tier]}" if stored else "",
        owners=[names.get(o, o) for o in record.document.owner_organisations()],
        requesting=names.get(record.document.requesting_organisation, ""),
        dpia=service.dpia_for_request(record.id),
        open_draft=service.open_for_request(signed_in.caller, record.id),
        mine=_mine(signed_in, record),
        submitted=bool(request.query_params.get("submitted")),
        withdrawn=bool(request.query_params.get("withdrawn")),
        may_withdraw=record.state
        in (
            RequestState.DRAFT,
            RequestState.SUBMITTED,
            RequestState.IN_REVIEW,
            RequestState.CHANGES_REQUESTED,
        ),
        may_change=record.state in (RequestState.DRAFT, RequestState.CHANGES_REQUESTED),
        states=RequestState,
    )


@router.get("/my-requests/{request_id}/withdraw", response_class=HTMLResponse)
def withdraw_confirm(request: Request, signed_in: SignedInDep, request_id: str) -> Response:
    record = accord_of(request).requests.get(signed_in.caller, request_id)
    return page(
        request,
        "my_requests/withdraw.html",
        title=f"Are you sure you want to withdraw {record.document.title}?",
        record=record,
    )


@router.post("/my-requests/{request_id}/withdraw")
def withdraw(
    request: Request, signed_in: SignedInDep, request_id: str, form: CheckedForm
) -> Response:
    accord_of(request).requests.withdraw(signed_in.caller, request_id)
    return RedirectResponse(f"/my-requests/{request_id}?withdrawn=1", status_code=303)


@router.post("/my-requests/{request_id}/change")
def change(
    request: Request, signed_in: SignedInDep, request_id: str, form: CheckedForm
) -> Response:
    """Reopen the question pages on the request's current answers (a draft of changes);
    submitting that draft makes the new revision."""
    accord = accord_of(request)
    record = accord.requests.get(signed_in.caller, request_id)
    service = drafts_of(accord)
    draft = service.open_for_request(signed_in.caller, record.id) or service.start(
        signed_in.caller,
        answers_from_request(record.document),
        request_id=record.id,
        organisation=record.document.requesting_organisation,
    )
    return RedirectResponse(f"/ask/{draft.id}/check", status_code=303)


@router.get("/my-requests/{request_id}/dpia.pdf")
def dpia_document(request: Request, signed_in: SignedInDep, request_id: str) -> Response:
    """The request's DPIA document, for its parties (the requester and the reviewers of
    each data owner), after checking the file still has the hash recorded for it."""
    accord = accord_of(request)
    record = accord.requests.get(signed_in.caller, request_id)
    service = drafts_of(accord)
    document = service.dpia_for_request(record.id)
    if document is None:
        raise NotFoundError(f"request {record.id} has no DPIA document")
    path = service.dpia_path(document)
    if not path.exists() or sha256_file(path) != document.sha256:
        raise StoreError(
            f"the DPIA document of {record.id} is missing or no longer has its recorded hash"
        )
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=f"{record.id}-dpia.pdf",
        headers={"X-Content-SHA256": document.sha256},
    )
