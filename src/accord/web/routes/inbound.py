"""The inbound channel's pages, and the provider's inbox of referrals and changes.

- *Send a form* (``/send-a-form``): a designated sender chooses the agreement and the
  form, fills in its fields, checks the answers and sends; a refused answer comes back
  to the fields page with the field at fault named.
- *Received forms* (``/received-forms``): the department's inbox: form, referral,
  sender, received and state; one message's page with its record; mark actioned;
  delete once actioned.
- *Provider inbox* (``/provider-inbox``): the referrals released to the provider and
  the latest changes of circumstances, read by an in-place query through the release
  path a page at a time, so a lapsed or revoked agreement shows a refusal, not data.

Every rule lives in :class:`accord.services.inbound.InboundService` and the plane; these
routes only translate forms and render.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.core.governance.records import AgreementRecord
from accord.core.governance.workflow import AgreementState
from accord.core.lifecycle.inbound import MessageState
from accord.core.lifecycle.inbound_forms import FORM_TITLES, InboundForm
from accord.errors import NotFoundError, ValidationError
from accord.services.app import Accord
from accord.services.inbound import MAX_PAGE, REFERRAL_FIELDS, inbound_service, message_dict
from accord.services.plane import view_name
from accord.web.deps import CheckedForm, SignedInDep, accord_of
from accord.web.render import org_name, page
from accord.web.sessions import SignedIn

__all__ = ["FORM_FIELDS", "router"]

router = APIRouter()

REFERRALS_PAGE = 25
"""Referrals on one page of the provider's inbox."""
CHANGES_SHOWN = 25
"""The latest changes of circumstances shown."""
MAX_PAGES = 400
"""The furthest page of referrals a provider may ask for."""
MAX_FIELD_CHARS = 6000

FORM_FIELDS: dict[InboundForm, tuple[tuple[str, str, str, str], ...]] = {
    InboundForm.WHP07: (
        ("referral_id", "PRaP referral identifier", "input", "For example, W012345678"),
        ("nino", "National Insurance number", "input", "For example, AB 12 34 56 C"),
        ("reason", "What has changed", "radios", ""),
        ("date_of_change", "Date of the change", "input", "As YYYY-MM-DD"),
        ("details", "Details (optional)", "textarea", "What happened, briefly"),
    ),
    InboundForm.EMPLOYMENT_BUSINESS: (
        ("referral_id", "PRaP referral identifier", "input", "For example, W012345678"),
        ("customer_name", "Customer name", "input", ""),
        ("nino", "National Insurance number", "input", "For example, AB 12 34 56 C"),
        ("employment_start_date", "Date employment commenced", "input", "As YYYY-MM-DD"),
        ("first_salary_date", "Date of the first salary payment", "input",
         "As YYYY-MM-DD; send this form at least 5 days before it"),
    ),
    InboundForm.EXIT_REPORT: (
        ("referral_id", "PRaP referral identifier", "input", "For example, W012345678"),
        ("surname", "Participant surname", "input", ""),
        ("nino", "National Insurance number", "input", "For example, AB 12 34 56 C"),
        ("summary", "Summary", "textarea",
         "How the participant benefited, and progress against their activities"),
        ("employability", "Employability (WHP Core only)", "textarea",
         "Your opinion of their employment prospects. Leave empty for JETS (WHPEREJ1)."),
        ("next_steps", "Next steps", "textarea",
         "Your recommendations to Jobcentre Plus: at least 30 words"),
    ),
}  # fmt: skip
"""Each form's questions: field, label, kind of input, hint."""

REASONS = (
    ("disengaged", "The participant has disengaged", "Voluntary participants only"),
    ("re_engaged", "The participant has re-engaged after disengaging",
     "Voluntary participants only"),
    ("did_not_attend", "A mandated participant did not attend the initial appointment",
     "JETS only"),
    ("alternative_provision", "Alternative provision may better support the participant",
     "JETS only"),
)  # fmt: skip
OPTIONAL = frozenset({"details", "employability"})
"""Fields left out of the record when empty."""


def _sendable(accord: Accord, signed_in: SignedIn) -> list[tuple[AgreementRecord, str]]:
    """(agreement, form) pairs this person is a designated sender for, on active agreements."""
    pid = signed_in.principal.id
    found = []
    for agreement in accord.store.list_agreements(state=AgreementState.ACTIVE):
        if pid in agreement.policy.designated_senders:
            found += [(agreement, form) for form in agreement.policy.inbound_forms]
    return found


@router.get("/send-a-form", response_class=HTMLResponse)
def choose_form(request: Request, signed_in: SignedInDep) -> Response:
    accord = accord_of(request)
    options = [
        (f"{a.id}|{form}", f"{FORM_TITLES[InboundForm(form)]}: {a.policy.title}",
         f"To {', '.join(org_name(accord, o) for o in a.policy.data_owners)}, agreement {a.id}")
        for a, form in _sendable(accord, signed_in)
    ]  # fmt: skip
    return page(request, "inbound/choose.html", title="Send a form", options=options)


@router.post("/send-a-form")
def chose_form(request: Request, signed_in: SignedInDep, form: CheckedForm) -> Response:
    accord = accord_of(request)
    chosen = str(form.get("choice", ""))
    if chosen not in {f"{a.id}|{f}" for a, f in _sendable(accord, signed_in)}:
        options = [
            (f"{a.id}|{f}", f"{FORM_TITLES[InboundForm(f)]}: {a.policy.title}", "")
            for a, f in _sendable(accord, signed_in)
        ]
        return page(
            request, "inbound/choose.html", title="Send a form", options=options,
            errors=[{"field": "choice", "text": "Select the form to send"}], status_code=422,
        )  # fmt: skip
    agreement_id, _, form_name = chosen.partition("|")
    return RedirectResponse(f"/send-a-form/{agreement_id}/{form_name}", status_code=303)


def _form_of(accord: Accord, signed_in: SignedIn, agreement_id: str, form: str) -> InboundForm:
    """The form, if this person may send it under the agreement; else "no such page"."""
    if (agreement_id, form) not in {(a.id, f) for a, f in _sendable(accord, signed_in)}:
        raise NotFoundError(f"no form {form[:40]!r} for you to send under {agreement_id[:64]!r}")
    return InboundForm(form)


def _fields_page(
    request: Request,
    agreement_id: str,
    form: InboundForm,
    answers: dict[str, str],
    errors: list[dict[str, str]] | None = None,
) -> HTMLResponse:
    return page(
        request,
        "inbound/fields.html",
        title=FORM_TITLES[form],
        agreement_id=agreement_id,
        form=form.value,
        form_title=FORM_TITLES[form],
        questions=FORM_FIELDS[form],
        reasons=REASONS,
        answers=answers,
        errors=errors or [],
        error_of={e["field"]: e for e in errors or []},
        status_code=422 if errors else 200,
    )


@router.get("/send-a-form/{agreement_id}/{form}", response_class=HTMLResponse)
def form_fields(request: Request, agreement_id: str, form: str, signed_in: SignedInDep) -> Response:
    chosen = _form_of(accord_of(request), signed_in, agreement_id, form)
    return _fields_page(request, agreement_id, chosen, {})


@router.post("/send-a-form/{agreement_id}/{form}", response_class=HTMLResponse)
def form_answers(
    request: Request, agreement_id: str, form: str, signed_in: SignedInDep, posted: CheckedForm
) -> Response:
    accord = accord_of(request)
    chosen = _form_of(accord, signed_in, agreement_id, form)
    answers = {
        name: str(posted.get(name, ""))[:MAX_FIELD_CHARS].strip()
        for name, *_ in FORM_FIELDS[chosen]
    }
    missing = [
        {"field": name, "text": f"Enter the {label.lower()}"}
        for name, label, *_ in FORM_FIELDS[chosen]
        if not answers[name] and name not in OPTIONAL
    ]
    if missing:
        return _fields_page(request, agreement_id, chosen, answers, missing)
    if posted.get("step") != "send":
        labels = {name: label for name, label, *_ in FORM_FIELDS[chosen]}
        return page(
            request, "inbound/check.html", title="Check your answers",
            agreement_id=agreement_id, form=chosen.value, form_title=FORM_TITLES[chosen],
            rows=[(labels[n], v or "Not given") for n, v in answers.items()],
            answers=answers,
        )  # fmt: skip
    record = {k: v for k, v in answers.items() if v or k not in OPTIONAL}

    try:
        message = inbound_service(accord).send(
            signed_in.caller, agreement_id, chosen.value, json.dumps(record)
        )
    except ValidationError as refused:
        problems = [p for p in refused.problems if isinstance(p, dict)]
        labels = {name: label for name, label, *_ in FORM_FIELDS[chosen]}
        errors = [
            {"field": str(p.get("field", "")),
             "text": f"{labels.get(str(p.get('field')), p.get('field'))}: {p.get('problem')}"}
            for p in problems
        ] or [{"field": "", "text": refused.message}]  # fmt: skip
        return _fields_page(request, agreement_id, chosen, answers, errors)
    except NotFoundError as unknown:
        # The agreement was found above: what is missing is the participant.
        errors = [{"field": "referral_id", "text": f"PRaP referral identifier: {unknown.message}"}]
        return _fields_page(request, agreement_id, chosen, answers, errors)
    return page(
        request, "inbound/sent.html", title="Form sent", message=message_dict(message),
        organisation=org_name(accord, message.organisation),
    )  # fmt: skip


# -- the department's inbox ---------------------------------------------------------
@router.get("/received-forms", response_class=HTMLResponse)
def received(
    request: Request,
    signed_in: SignedInDep,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Response:
    accord = accord_of(request)
    service = inbound_service(accord)
    inboxes = []
    for org in service.inboxes(signed_in.caller):
        inbox = service.inbox(signed_in.caller, org, limit=MAX_PAGE, offset=offset)
        inboxes.append(
            {
                "name": org_name(accord, org),
                "total": inbox.total,
                "messages": [
                    {**message_dict(m), "from_name": org_name(accord, m.sender_organisation)}
                    for m in inbox.messages
                ],
            }
        )
    return page(
        request, "inbound/received.html", title="Received forms", inboxes=inboxes,
        offset=offset, page_size=MAX_PAGE,
    )  # fmt: skip


@router.get("/received-forms/{message_id}", response_class=HTMLResponse)
def received_message(request: Request, message_id: str, signed_in: SignedInDep) -> Response:
    accord = accord_of(request)
    message = inbound_service(accord).show(signed_in.caller, message_id)
    return page(
        request, "inbound/message.html", title=message.template,
        message=message_dict(message, record=True),
        record=_record_rows(message.form, message.payload),
        organisation=org_name(accord, message.sender_organisation),
        may_action=message.state is MessageState.RECEIVED,
        may_delete=message.state is MessageState.ACTIONED,
    )  # fmt: skip


def _record_rows(form: InboundForm, payload: dict[str, Any]) -> list[tuple[str, str]]:
    """The record in the form's own order and words, as the sender filled it in."""
    reasons = {value: text for value, text, _ in REASONS}
    rows = []
    for name, label, *_ in FORM_FIELDS[form]:
        if name in payload:
            value = str(payload[name])
            rows.append((label.removesuffix(" (optional)"), reasons.get(value, value)))
    return rows


@router.post("/received-forms/{message_id}/action")
def action_message(
    request: Request, message_id: str, signed_in: SignedInDep, form: CheckedForm
) -> Response:
    inbound_service(accord_of(request)).mark_actioned(signed_in.caller, message_id)
    return RedirectResponse(f"/received-forms/{message_id}", status_code=303)


@router.post("/received-forms/{message_id}/delete")
def delete_message(
    request: Request, message_id: str, signed_in: SignedInDep, form: CheckedForm
) -> Response:
    inbound_service(accord_of(request)).delete(signed_in.caller, message_id)
    return RedirectResponse("/received-forms", status_code=303)


# -- the provider's inbox of referrals and changes ---------------------------------
def _received_agreements(accord: Accord, signed_in: SignedIn) -> list[AgreementRecord]:
    """Agreements the person's organisations receive that carry referrals."""
    mine = {m.organisation_id for m in signed_in.principal.memberships}
    return [
        a
        for a in accord.store.list_agreements()
        if a.policy.recipient in mine
        and a.state is not AgreementState.SUPERSEDED
        and any(set(REFERRAL_FIELDS) <= {f.name for f in d.fields} for d in a.policy.datasets)
    ]


@router.get("/provider-inbox", response_class=HTMLResponse)
def provider_inbox(
    request: Request,
    signed_in: SignedInDep,
    agreement: Annotated[str, Query(max_length=64)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGES)] = 1,
) -> Response:
    accord = accord_of(request)
    held = _received_agreements(accord, signed_in)
    if not held:
        return page(request, "inbound/provider.html", title="Referrals and changes",
                    agreements=[], chosen=None)  # fmt: skip
    chosen = next((a for a in held if a.id == agreement), held[0])
    if agreement and chosen.id != agreement:
        raise NotFoundError(f"no agreement {agreement!r} among those your organisation receives")
    referrals, changes = _referrals_and_changes(accord, signed_in, chosen, page_number)
    return page(
        request, "inbound/provider.html", title="Referrals and changes",
        agreements=[(a.id, a.policy.title) for a in held], chosen=chosen,
        referrals=referrals[:REFERRALS_PAGE], more=len(referrals) > REFERRALS_PAGE,
        page_number=page_number, changes=changes,
    )  # fmt: skip


def _referrals_and_changes(
    accord: Accord, signed_in: SignedIn, agreement: AgreementRecord, page_number: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One page of referrals and the latest changes, each an in-place query as the person."""
    referrals: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    offset = (page_number - 1) * REFERRALS_PAGE
    for dataset in agreement.policy.datasets:
        names = {f.name for f in dataset.fields}
        view = view_name(accord.store.get_dataset(dataset.dataset))
        if set(REFERRAL_FIELDS) <= names:
            shown = [n for n in ("referral_id", "programme", "voluntary_or_mandatory",
                                 "referral_date", "forename", "surname") if n in names]  # fmt: skip
            order = "referral_date desc, referral_id" if "referral_date" in names else "referral_id"
            sql = (f"select {', '.join(shown)} from {view} order by {order} "
                   f"limit {REFERRALS_PAGE + 1} offset {offset}")  # fmt: skip
            referrals = accord.plane.query(
                signed_in.caller, agreement.id, sql, max_rows=REFERRALS_PAGE + 1
            ).table.to_pylist()
        elif {"event_type", "referral_id", "event_date"} <= names:
            sql = (f"select event_date, referral_id, event_type from {view} "
                   f"order by event_date desc, referral_id limit {CHANGES_SHOWN}")  # fmt: skip
            changes = accord.plane.query(
                signed_in.caller, agreement.id, sql, max_rows=CHANGES_SHOWN
            ).table.to_pylist()
    return referrals, changes
