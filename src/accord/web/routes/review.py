"""Deciding on requests: the reviewer's queue, the decision page and its actions.

``/waiting-on-me`` lists the requests waiting on the signed-in person (a seat the
request's tier needs, in an owner where they hold the role, that nobody has filled);
``/review/{id}`` shows the whole request as submitted, the assessment stored with it,
what changed since the previous revision and everything that has happened to it.
Each action (start review, approve, ask for changes, reject, override a finding) has
its own confirmation page and goes through the request service, which decides who may
act and records every refusal; a refusal is shown on the form. Another organisation's
request answers exactly as a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.core.governance.gateways import gateway as find_gateway
from accord.core.governance.presentation import cohort_in_words, request_view
from accord.core.governance.records import RequestRecord
from accord.core.governance.report import TIER_NAMES
from accord.core.governance.workflow import RequestState
from accord.core.identity import Role
from accord.errors import AccordError, NotFoundError
from accord.services.app import Accord
from accord.web.deps import CheckedForm, SignedInDep, accord_of
from accord.web.diff import Change, model_changes
from accord.web.render import ROLE_NAMES, org_name, page
from accord.web.sessions import SignedIn

__all__ = ["day", "person_name", "router"]

router = APIRouter()

MAX_QUEUE = 200
"""The most requests the queue shows at once; the oldest come first."""
MAX_NOTE = 5_000
MAX_CONDITIONS = 20
MAX_CONDITION = 1_000

STATE_NAMES = {
    RequestState.DRAFT: ("Draft", "grey"),
    RequestState.SUBMITTED: ("Submitted", "blue"),
    RequestState.IN_REVIEW: ("In review", "light-blue"),
    RequestState.CHANGES_REQUESTED: ("Changes asked for", "yellow"),
    RequestState.APPROVED: ("Approved", "green"),
    RequestState.REJECTED: ("Rejected", "red"),
    RequestState.WITHDRAWN: ("Withdrawn", "grey"),
}
SEVERITY_NAMES = {"block": "Blocking", "warn": "Warning", "advice": "Advice"}
ACTION_NAMES = {
    "start_review": "Started the review",
    "approve": "Approved",
    "reject": "Rejected",
    "request_changes": "Asked for changes",
}
DONE = {
    "started": "You have started the review",
    "approved": "Your approval has been recorded",
    "agreement": "Your approval completed the set: the agreement is now active",
    "changes": "The requester has been asked for changes",
    "rejected": "The request has been rejected and the decision record signed",
    "overridden": "Your override has been recorded",
}


def person_name(accord: Accord, principal_id: str) -> str:
    try:
        return accord.store.get_principal(principal_id).name
    except NotFoundError:
        return principal_id


def day(value: date) -> str:
    """A date as GOV.UK writes it: 7 December 2026."""
    return f"{value.day} {value:%B %Y}"


def waited(since: datetime, now: datetime) -> str:
    """How long something has waited, as a person says it: 3 days, 5 hours, 10 minutes."""
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return "less than a minute"


def _seat(accord: Accord, org: str, role: str) -> str:
    return f"{ROLE_NAMES.get(Role(role), role)} of {org_name(accord, org)}"


# -- the queue ---------------------------------------------------------------------


@router.get("/waiting-on-me", response_class=HTMLResponse)
def waiting_on_me(request: Request, signed_in: SignedInDep) -> Response:
    accord = accord_of(request)
    now = accord.store.clock()
    queue = accord.requests.waiting_on(signed_in.caller)
    shown = queue[:MAX_QUEUE]
    groups = []
    for state in (RequestState.SUBMITTED, RequestState.IN_REVIEW):
        rows = [
            {
                "id": w.request.id,
                "title": w.request.document.title,
                "from": org_name(accord, w.request.document.requesting_organisation),
                "as": ", ".join(_seat(accord, org, role.value) for org, role in w.seats),
                "tier": w.request.tier,
                "since": w.since,
                "waited": waited(w.since, now),
            }
            for w in shown
            if w.request.state is state
        ]
        groups.append({"state": STATE_NAMES[state][0], "rows": rows})
    return page(
        request,
        "review/waiting.html",
        title="Waiting on me",
        groups=groups,
        total=len(queue),
        limit=MAX_QUEUE,
    )


# -- the decision page -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    who: str
    what: str
    note: str


def _history(accord: Accord, view: dict[str, Any], record: RequestRecord) -> list[Event]:
    revisions = accord.store.list_revisions(record.id)
    events = [
        Event(record.created_at, person_name(accord, record.requester), "Drafted the request", "")
    ]
    events += [
        Event(
            r.submitted_at,
            person_name(accord, record.requester),
            f"Submitted revision {r.revision}",
            "",
        )
        for r in revisions
    ]
    for r in view["reviews"]:
        conditions = "; ".join(r["conditions"])
        note = r["note"] + (f" Conditions: {conditions}" if conditions else "")
        events.append(
            Event(
                datetime.fromisoformat(r["at"]),
                person_name(accord, r["principal"])
                + f", {_seat(accord, r['organisation'], r['role'])}",
                f"{ACTION_NAMES.get(r['action'], r['action'])} (revision {r['revision']})",
                note.strip(),
            )
        )
    for o in view["overrides"]:
        who = person_name(accord, o["principal"])
        if o["organisation"]:
            who += f", {_seat(accord, o['organisation'], o['role'] or 'legal')}"
        events.append(
            Event(
                datetime.fromisoformat(o["at"]),
                who,
                f"Overrode finding {o['finding']} (revision {o['revision']})",
                o["reason"],
            )
        )
    for d in view["decisions"]:
        events.append(
            Event(
                datetime.fromisoformat(d["decided_at"]),
                ", ".join(org_name(accord, o) for o in d["signed_by"]),
                f"Signed decision record: {d['outcome'].replace('_', ' ')}",
                "",
            )
        )
    if record.state is RequestState.WITHDRAWN and record.decided_at:
        events.append(
            Event(record.decided_at, person_name(accord, record.requester), "Withdrew it", "")
        )
    return sorted(events, key=lambda e: e.at)


def _asked(accord: Accord, record: RequestRecord) -> list[tuple[str, str]]:
    """What the request asks for, row by row, as a reviewer reads it."""
    doc = record.document
    gw = find_gateway(doc.gateway) if doc.gateway else None
    rows = [
        (
            "Asked by",
            person_name(accord, record.requester)
            + f", {org_name(accord, doc.requesting_organisation)}",
        ),
        ("Data owners", ", ".join(org_name(accord, o) for o in doc.owner_organisations())),
        ("Kind of purpose", doc.purpose_category.value.replace("_", " ").capitalize()),
        ("Purpose", doc.purpose),
        ("Public benefit", doc.public_benefit or "Not given"),
        ("How the benefit comes about", doc.logic_model or "Not given"),
        (
            "Lawful basis (UK GDPR Article 6)",
            doc.lawful_basis.value if doc.lawful_basis else "Not given",
        ),
    ]
    if doc.art9_condition:
        rows.append(("Special-category condition (Article 9)", doc.art9_condition.value))
    if doc.schedule1_condition:
        rows.append(("DPA 2018 Schedule 1 condition", doc.schedule1_condition))
    rows += [
        ("Legal gateway", f"{gw.title} ({gw.provision})" if gw else (doc.gateway or "None given")),
        ("Form the data leaves in", doc.form.value.capitalize()),
        ("How it is shared", ", ".join(c.value.replace("_", " ") for c in doc.channels)),
        (
            "How often",
            doc.frequency.value.replace("_", " ")
            + (f", every {doc.frequency_interval}" if doc.frequency_interval else ""),
        ),
        (
            "DPIA",
            (doc.dpia.reference or "No reference")
            + f": {doc.dpia.outcome.value.replace('_', ' ')}"
            + (f", completed {day(doc.dpia.completed_on)}" if doc.dpia.completed_on else ""),
        ),
        (
            "How long it is kept",
            doc.retention.describe() if doc.retention else "Until the agreement ends",
        ),
        ("How it is deleted", doc.deletion_method or "Not given"),
        ("Security", doc.security_measures or "Not given"),
        ("Onward sharing", doc.onward_sharing or "None"),
        (
            "Where it is held",
            doc.territory.upper() if doc.territory in ("uk", "eea") else doc.territory,
        ),
        (
            "Dates",
            f"{day(doc.start_date)} to {day(doc.end_date)}",
        ),
        ("Test exchange before live data", "Yes" if doc.test_exchange else "No"),
        ("Linked to the recipient's own data", "Yes" if doc.linkage else "No"),
        ("About vulnerable people", "Yes" if doc.vulnerable_people else "No"),
        (
            "Records expected",
            f"{doc.expected_records:,}" if doc.expected_records is not None else "Not given",
        ),
    ]
    if doc.processors:
        rows.append(("Processors", ", ".join(org_name(accord, p) for p in doc.processors)))
    if doc.amends:
        rows.append(("Amends agreement", doc.amends))
    return rows


def _seats(accord: Accord, view: dict[str, Any]) -> list[list[str]]:
    """Each approval the stored assessment needs, and who has given it."""
    assessment = view["assessment"]
    if assessment is None:
        return []
    given = {
        (r["organisation"], r["role"]): r
        for r in view["reviews"]
        if r["action"] == "approve" and r["assessment_sha256"] == assessment["sha256"]
    }
    rows = []
    for org in assessment["approving_organisations"]:
        for role in assessment["approver_roles"]:
            review = given.get((org, role))
            rows.append(
                [
                    org_name(accord, org),
                    ROLE_NAMES.get(Role(role), role).capitalize(),
                    f"Approved by {person_name(accord, review['principal'])}"
                    if review
                    else "Not yet approved",
                ]
            )
    return rows


def _view(accord: Accord, signed_in: SignedIn, request_id: str) -> dict[str, Any]:
    record, revisions, reviews, overrides, decisions = accord.requests.history(
        signed_in.caller, request_id
    )
    view = request_view(record, revisions, reviews, overrides, decisions)
    shown = next((r for r in revisions if r.revision == record.revision), None)
    earlier = [r for r in revisions if r.revision < record.revision]
    previous = earlier[-1] if earlier else (revisions[-1] if shown is None and revisions else None)
    changes: list[Change] = model_changes(previous.document if previous else None, record.document)
    owners = record.document.owner_organisations()
    principal = signed_in.principal
    reviewer = record.document.requesting_organisation not in principal.organisations_with(
        *Role
    ) and any(principal.has_role(o, Role.DATA_OWNER, Role.DPO, Role.LEGAL) for o in owners)
    legal = reviewer and any(principal.has_role(o, Role.LEGAL) for o in owners)
    state = record.state
    blocking = [
        f for f in (view["assessment"] or {}).get("findings", []) if f["severity"] == "block"
    ]
    return {
        "record": record,
        "view": view,
        "asked": _asked(accord, record),
        "datasets": [
            {
                "id": d.dataset,
                "owner": org_name(accord, d.dataset.split("/", 1)[0]),
                "cohort": d.cohort,
                "in_words": cohort_in_words(d.cohort),
                "fields": [
                    [f.name, f.transform.label(), f.justification or "No justification given"]
                    for f in d.fields
                ],
            }
            for d in record.document.datasets
        ],
        "state_name": STATE_NAMES[state],
        "tier_name": TIER_NAMES.get(record.tier or 0, ""),
        "seats": _seats(accord, view),
        "previous": previous.revision if previous else None,
        "changes": changes,
        "history": _history(accord, view, record),
        "reviewer": reviewer,
        "can_start": reviewer and state is RequestState.SUBMITTED,
        "can_decide": reviewer and state is RequestState.IN_REVIEW,
        "can_ask": reviewer and state in (RequestState.SUBMITTED, RequestState.IN_REVIEW),
        "can_override": legal
        and bool(blocking)
        and state in (RequestState.SUBMITTED, RequestState.IN_REVIEW),
        "blocking": blocking,
        "severity_names": SEVERITY_NAMES,
        "tier_names": TIER_NAMES,
        "approver_names": ", ".join(
            ROLE_NAMES[Role(r)] for r in (view["assessment"] or {}).get("approver_roles", [])
        ),
        "approving": ", ".join(
            org_name(accord, o)
            for o in (view["assessment"] or {}).get("approving_organisations", [])
        ),
        "org_name": lambda o: org_name(accord, o),
    }


@router.get("/review/{request_id}", response_class=HTMLResponse)
def review(request: Request, request_id: str, signed_in: SignedInDep, done: str = "") -> Response:
    accord = accord_of(request)
    context = _view(accord, signed_in, request_id)
    return page(
        request,
        "review/request.html",
        title=context["record"].document.title,
        done=DONE.get(done, ""),
        **context,
    )


# -- the actions -------------------------------------------------------------------

ACTIONS = {
    "start": ("Start the review", "Start the review"),
    "approve": ("Approve this request", "Approve"),
    "ask-for-changes": ("Ask for changes", "Ask for changes"),
    "reject": ("Reject this request", "Reject"),
    "override": ("Override a blocking finding", "Override the finding"),
}


def _form_page(
    request: Request,
    signed_in: SignedIn,
    request_id: str,
    action: str,
    *,
    status_code: int = 200,
    errors: list[dict[str, str]] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    accord = accord_of(request)
    context = _view(accord, signed_in, request_id)
    title, button = ACTIONS[action]
    roles = []
    assessment = context["view"]["assessment"]
    if action == "approve" and assessment:
        for org in assessment["approving_organisations"]:
            for role in assessment["approver_roles"]:
                if signed_in.principal.has_role(org, Role(role)):
                    seat = _seat(accord, org, role)
                    roles.append((role, seat[:1].upper() + seat[1:]))
    return page(
        request,
        "review/action.html",
        status_code=status_code,
        title=title,
        action=action,
        button_text=button,
        errors=errors or [],
        field_errors={e["field"]: e for e in errors or [] if e.get("field")},
        values=values or {},
        roles=roles,
        **context,
    )


@router.get("/review/{request_id}/{action}", response_class=HTMLResponse)
def action_form(request: Request, request_id: str, action: str, signed_in: SignedInDep) -> Response:
    if action not in ACTIONS:
        raise NotFoundError("no such page")
    return _form_page(request, signed_in, request_id, action)


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


@router.post("/review/{request_id}/{action}")
def act(
    request: Request, request_id: str, action: str, signed_in: SignedInDep, form: CheckedForm
) -> Response:
    if action not in ACTIONS:
        raise NotFoundError("no such page")
    accord = accord_of(request)
    caller = signed_in.caller
    values = {k: _text(form, k) for k in ("note", "conditions", "role", "finding", "reason")}
    errors = _check(action, values)
    if errors:
        return _form_page(
            request, signed_in, request_id, action, status_code=422, errors=errors, values=values
        )
    service = accord.requests
    try:
        if action == "start":
            service.start_review(caller, request_id, values["note"])
            done = "started"
        elif action == "approve":
            conditions = tuple(c.strip() for c in values["conditions"].splitlines() if c.strip())
            outcome = service.approve(
                caller,
                request_id,
                values["note"],
                Role(values["role"]) if values["role"] else None,
                conditions=conditions,
            )
            done = "agreement" if outcome.agreement else "approved"
        elif action == "ask-for-changes":
            service.request_changes(caller, request_id, values["note"])
            done = "changes"
        elif action == "reject":
            service.reject(caller, request_id, values["note"])
            done = "rejected"
        else:
            service.override(caller, request_id, values["finding"], values["reason"])
            done = "overridden"
    except NotFoundError:
        raise
    except AccordError as refused:
        return _form_page(
            request,
            signed_in,
            request_id,
            action,
            status_code=refused.status_code,
            errors=[{"field": "", "text": _refusal(refused)}],
            values=values,
        )
    return RedirectResponse(f"/review/{request_id}?done={done}", status_code=303)


def _refusal(error: AccordError) -> str:
    text = error.message
    return text[:1].upper() + text[1:]


def _check(action: str, values: dict[str, str]) -> list[dict[str, str]]:
    """The form's own checks, each naming its field; the service decides the rest."""
    errors = []
    note, reason = values["note"], values["reason"]
    if len(note) > MAX_NOTE:
        errors.append(
            {"field": "note", "text": f"The note must be {MAX_NOTE:,} characters or fewer"}
        )
    elif action == "ask-for-changes" and not note:
        errors.append({"field": "note", "text": "Say what needs to change"})
    elif action == "reject" and not note:
        errors.append({"field": "note", "text": "Give the reasons for rejecting the request"})
    if action == "approve":
        if values["role"] and values["role"] not in {r.value for r in Role}:
            errors.append({"field": "role", "text": "Choose the role you approve as"})
        lines = [c for c in values["conditions"].splitlines() if c.strip()]
        if len(lines) > MAX_CONDITIONS:
            errors.append(
                {"field": "conditions", "text": f"Give {MAX_CONDITIONS} conditions or fewer"}
            )
        elif any(len(c) > MAX_CONDITION for c in lines):
            errors.append(
                {
                    "field": "conditions",
                    "text": f"Each condition must be {MAX_CONDITION:,} characters or fewer",
                }
            )
    if action == "override":
        if not values["finding"]:
            errors.append({"field": "finding", "text": "Choose the finding to override"})
        if not reason:
            errors.append({"field": "reason", "text": "Give the reason for overriding the finding"})
        elif len(reason) > MAX_NOTE:
            errors.append(
                {"field": "reason", "text": f"The reason must be {MAX_NOTE:,} characters or fewer"}
            )
    return errors
