"""Ask for data: a request written as question pages, with the live assessment beside it.

Each page asks one thing (or a small group) and saves the answers to the draft when
they are valid; a page with errors is shown again with what was typed and nothing is
saved. Beside the questions the automated assessment runs on the answers so far, once
they make a request: each finding with its reason and its fix, linked to the page that
answers it, blocking ones first; until then, which answers are still missing. "Check
your answers" comes before Submit; submitting creates (or revises) the request through
the request service and submits it, and the service's refusals are shown as errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from accord.core.catalogue import Dataset
from accord.core.governance.findings import SEVERITY_ORDER, Severity
from accord.core.governance.gateways import GATEWAYS
from accord.core.governance.report import TIER_NAMES
from accord.core.permissions import Caller, can_read_catalogue
from accord.errors import ConflictError, NotFoundError, ValidationError
from accord.services.app import Accord
from accord.services.drafts import MAX_DPIA_BYTES, DraftService
from accord.services.guard import authorise
from accord.store.draft_store import Draft
from accord.web.deps import CheckedForm, FormRefused, SignedInDep, accord_of, require_session_token
from accord.web.forms import STEPS, Built, build, check_sections, next_step, step_for_finding
from accord.web.forms import questions as q
from accord.web.forms.labels import (
    ART9,
    CHANNELS,
    DPIA_OUTCOMES,
    FORMS,
    FREQUENCIES,
    LAWFUL_BASES,
    PURPOSES,
    RETENTION_EVENTS,
    TERRITORIES,
    TRANSFORMS,
    options,
    words,
)
from accord.web.forms.steps import SLUGS, TITLES
from accord.web.render import ROLE_NAMES, page
from accord.web.sessions import SignedIn

__all__ = ["assessment_panel", "drafts_of", "router"]

router = APIRouter()

MAX_DATASET_CHOICES = 200
"""Datasets offered on the datasets page; past that, people find them through search."""
UPLOAD_SLACK = 64 * 1024
"""Room in a DPIA upload's body for the form's other fields and the multipart framing."""


def drafts_of(accord: Accord) -> DraftService:
    return DraftService(accord.store, accord.home)


def _org_name(accord: Accord, org: str) -> str:
    try:
        return accord.store.get_organisation(org).name
    except NotFoundError:
        return org


def _form(form: FormData) -> dict[str, list[str]]:
    """A posted form as names and their text values (files are not read here)."""
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out


def _base(draft: Draft) -> str:
    return f"/ask/{draft.id}"


def _sentence(text: str) -> str:
    """A finding's reason or fix as a sentence: a capital first, a full stop last."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


# -- the live assessment --------------------------------------------------------------


def assessment_panel(accord: Accord, caller: Caller, draft: Draft) -> dict[str, Any]:
    """What the panel beside the questions shows: the missing answers, or the
    assessment (tier, approvers, findings blocking first, each linked to its page)."""
    base = _base(draft)
    built = build(draft.answers, draft.organisation_id, draft.principal_id)
    if built.document is None:
        return {
            "missing": [
                {"text": p.text, "href": f"{base}/{p.step}" if p.step in SLUGS else None}
                for p in built.missing
            ],
            "findings": [],
            "blocking": [],
        }
    authorise(
        accord.store,
        caller,
        can_read_catalogue(caller),
        action="request.assess",
        obj="request:unsaved",
    )
    assessment = accord.requests.assess(built.document)
    findings = []
    for finding in sorted(assessment.findings, key=lambda f: SEVERITY_ORDER[f.severity]):
        step = step_for_finding(finding.code)
        if step == "fields" and built.document.datasets:
            subject = finding.subject.split(".")[0] if finding.subject else ""
            dataset = subject if "/" in subject else built.document.datasets[0].dataset
            href: str | None = f"{base}/fields/{dataset}"
        else:
            href = f"{base}/{step}" if step else None
        findings.append(
            {
                "ref": finding.ref,
                "severity": finding.severity.value,
                "label": {
                    Severity.BLOCK: "Must be fixed",
                    Severity.WARN: "A reviewer will look at this",
                    Severity.ADVICE: "Advice",
                }[finding.severity],
                "subject": finding.subject,
                "reason": _sentence(finding.reason),
                "fix": _sentence(finding.fix),
                "href": href,
                "overridable": finding.overridable,
                "override_by": words(
                    [
                        f"the {ROLE_NAMES[m.role]} of {_org_name(accord, m.organisation_id)}"
                        for m in finding.override_by
                    ]
                ),
            }
        )
    roles = [ROLE_NAMES[r] for r in assessment.approver_roles]
    orgs = [_org_name(accord, o) for o in assessment.approving_organisations]
    return {
        "missing": [],
        "tier": assessment.tier,
        "tier_name": TIER_NAMES[assessment.tier],
        "approvers": f"{words(roles).capitalize()} of {words(orgs)}" if roles else "",
        "findings": findings,
        "blocking": [f for f in findings if f["severity"] == "block"],
        "dpia_because": list(assessment.dpia_required_because),
        "published": list(assessment.published_alternatives),
    }


# -- starting ---------------------------------------------------------------------------


@router.get("/ask", response_class=HTMLResponse)
def ask_start(request: Request, signed_in: SignedInDep, dataset: str = "") -> Response:
    return _start_page(request, signed_in, dataset[:200])


def _start_page(
    request: Request, signed_in: SignedIn, dataset: str, errors: q.Errors | None = None
) -> Response:
    accord = accord_of(request)
    service = drafts_of(accord)
    orgs = service.requesting_organisations(signed_in.caller)
    return page(
        request,
        "ask/start.html",
        status_code=422 if errors else 200,
        title="Ask for data",
        errors=errors or [],
        drafts=service.list_open(signed_in.caller),
        may_ask=bool(orgs),
        organisations=[(o, _org_name(accord, o), "") for o in orgs],
        dataset=dataset,
    )


@router.post("/ask/new")
def ask_new(request: Request, signed_in: SignedInDep, form: CheckedForm) -> Response:
    """Start a draft, for the one organisation the person asks for or the one they chose;
    from a dataset's page, with that dataset chosen."""
    accord = accord_of(request)
    dataset = str(form.get("dataset") or "").strip()
    chosen = str(form.get("organisation") or "").strip()
    orgs = drafts_of(accord).requesting_organisations(signed_in.caller)
    if len(orgs) > 1 and chosen not in orgs:
        if "choosing" not in form:
            return RedirectResponse(f"/ask?dataset={quote(dataset)}", status_code=303)
        error = {"field": "organisation", "text": "Choose which organisation is asking"}
        return _start_page(request, signed_in, dataset, [error])
    answers: dict[str, Any] = {}
    if dataset:
        accord.catalogue.show(signed_in.caller, dataset)
        answers["datasets"] = [{"dataset": dataset, "fields": [], "cohort": ""}]
    draft = drafts_of(accord).start(
        signed_in.caller, answers, organisation=chosen if len(orgs) > 1 else None
    )
    return RedirectResponse(f"/ask/{draft.id}/purpose", status_code=303)


# -- the question pages -------------------------------------------------------------------


Reader = Callable[[dict[str, Any], q.Form], tuple[dict[str, Any], q.Errors]]

_READERS: dict[str, Reader] = {
    "purpose": q.read_purpose,
    "category": q.read_category,
    "cohort": q.read_cohort,
    "form": q.read_form,
    "law": q.read_law,
    "dpia": q.read_dpia,
    "retention": q.read_retention,
    "dates": q.read_dates,
    "considerations": q.read_considerations,
}


def _catalogue(accord: Accord, caller: Caller) -> list[Dataset]:
    return accord.catalogue.list_datasets(caller)[:MAX_DATASET_CHOICES]


class _Shown:
    """What the inputs show: what was just typed (on a page with errors), else the saved
    answers, so that nothing typed is lost when a page is shown again."""

    def __init__(self, form: q.Form | None) -> None:
        self.form = form

    def one(self, name: str, saved: object = "") -> object:
        if self.form is None:
            return saved
        return (self.form.get(name) or [""])[0]

    def many(self, name: str, saved: object = ()) -> object:
        if self.form is None:
            return saved
        return list(self.form.get(name) or [])


def _error_finder(errors: q.Errors) -> Callable[[str], dict[str, str] | None]:
    """``err("start")``: the first error of an input or of a group's inputs (start-day…)."""

    def err(name: str) -> dict[str, str] | None:
        for error in errors:
            if error["field"] == name or error["field"].startswith(name + "-"):
                return error
        return None

    return err


def _date_values(iso: str) -> dict[str, str]:
    if not iso:
        return {"day": "", "month": "", "year": ""}
    year, month, day = iso.split("-")
    return {"day": str(int(day)), "month": str(int(month)), "year": year}


def _period_values(period: str) -> dict[str, str]:
    """``P13M`` as the amount and unit inputs show it."""
    units = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}
    if len(period) >= 3 and period[0] == "P" and period[-1] in units and period[1:-1].isdigit():
        return {"amount": period[1:-1], "unit": units[period[-1]]}
    return {"amount": "", "unit": "months"}


def _question(
    request: Request,
    signed_in: SignedIn,
    draft: Draft,
    step: str,
    *,
    form: q.Form | None = None,
    errors: q.Errors | None = None,
    change: bool = False,
    **extra: Any,
) -> Response:
    accord = accord_of(request)
    answers = draft.answers
    title = extra.pop("title", None) or TITLES.get(step, "Ask for data")
    back = extra.pop("back_override", None) or (
        f"{_base(draft)}/check" if change else _previous(draft, step)
    )
    shown = _Shown(form)
    context: dict[str, Any] = {
        "draft": draft,
        "base": _base(draft),
        "step": step,
        "answers": answers,
        "val": shown.one,
        "vals": shown.many,
        "change": change,
        "panel": assessment_panel(accord, signed_in.caller, draft),
        "steps": STEPS,
        "back": back,
        "org_name": _org_name(accord, draft.organisation_id),
        "err": _error_finder(errors or []),
        "opts": {
            "purposes": options(PURPOSES),
            "forms": options(FORMS),
            "channels": options(CHANNELS),
            "frequencies": options(FREQUENCIES),
            "bases": options(LAWFUL_BASES),
            "art9": [
                ("", "None: no special category data"),
                *[(v, t) for v, t, _ in options(ART9)],
            ],
            "gateways": [("", "None"), *[(g.id, f"{g.title} ({g.provision})") for g in GATEWAYS]],
            "dpia": options(DPIA_OUTCOMES),
            "transforms": [(v, t) for v, t, _ in options(TRANSFORMS)],
            "territories": options(TERRITORIES),
            "events": options(RETENTION_EVENTS),
            "units": [
                ("days", "days"),
                ("weeks", "weeks"),
                ("months", "months"),
                ("years", "years"),
            ],
        },
        "dates": {
            "start": _date_values(answers.get("start_date", "")),
            "end": _date_values(answers.get("end_date", "")),
            "completed": _date_values(answers.get("dpia_completed_on", "")),
        },
        "periods": {
            "retention": _period_values(answers.get("retention_period", "")),
            "interval": _period_values(answers.get("frequency_interval", "")),
        },
        "max_dpia_mb": MAX_DPIA_BYTES // (1024 * 1024),
        **extra,
    }
    return page(
        request,
        f"ask/{step}.html",
        status_code=422 if errors else 200,
        title=title,
        errors=errors or [],
        **context,
    )


def _previous(draft: Draft, step: str) -> str:
    order = [s.slug for s in STEPS]
    if step not in order or order.index(step) == 0:
        return "/ask"
    return f"{_base(draft)}/{order[order.index(step) - 1]}"


def _after(draft: Draft, step: str, change: bool) -> str:
    if change:
        return f"{_base(draft)}/check"
    following = next_step(step)
    if following == "fields":
        return _fields_href(draft, 0)
    return f"{_base(draft)}/{following}"


def _fields_href(draft: Draft, index: int) -> str:
    datasets = draft.answers.get("datasets") or []
    if index < len(datasets):
        return f"{_base(draft)}/fields/{datasets[index]['dataset']}"
    return f"{_base(draft)}/cohort"


def _blocking_refs(accord: Accord, caller: Caller, draft: Draft) -> list[dict[str, Any]]:
    panel = assessment_panel(accord, caller, draft)
    return [f for f in panel.get("blocking", []) if f["overridable"]]


@router.get("/ask/{draft_id}/check", response_class=HTMLResponse)
def check_answers(request: Request, signed_in: SignedInDep, draft_id: str) -> Response:
    draft = drafts_of(accord_of(request)).get_open(signed_in.caller, draft_id)
    return _check_page(request, signed_in, draft)


def _check_page(
    request: Request, signed_in: SignedIn, draft: Draft, *, errors: q.Errors | None = None
) -> Response:
    accord = accord_of(request)
    panel = assessment_panel(accord, signed_in.caller, draft)
    if errors is None:
        errors = []
    return page(
        request,
        "ask/check.html",
        status_code=422 if errors else 200,
        title="Check your answers before you submit your request",
        errors=errors,
        draft=draft,
        base=_base(draft),
        sections=check_sections(draft.answers, _base(draft)),
        panel=panel,
        dpia=draft.dpia,
        org_name=_org_name(accord, draft.organisation_id),
        revising=draft.request_id,
    )


@router.post("/ask/{draft_id}/submit")
def submit(request: Request, signed_in: SignedInDep, draft_id: str, form: CheckedForm) -> Response:
    accord = accord_of(request)
    service = drafts_of(accord)
    caller = signed_in.caller
    draft = service.get_open(caller, draft_id)
    built = build(draft.answers, draft.organisation_id, draft.principal_id)
    if built.document is None:
        errors = [
            {"field": "", "text": p.text, "href": f"{_base(draft)}/{p.step}"} for p in built.missing
        ]
        return _check_page(request, signed_in, draft, errors=errors)
    draft, built = _prune_asks(accord, caller, draft, built)
    assert built.document is not None
    try:
        if draft.request_id is None:
            record = accord.requests.create(caller, built.document)
            draft = service.link(caller, draft, record.id)
        else:
            record = accord.requests.get(caller, draft.request_id)
            if record.document != built.document:
                record = accord.requests.edit(caller, draft.request_id, built.document)
        accord.requests.submit(caller, record.id)
    except (ValidationError, ConflictError) as refused:
        errors = [{"field": "", "text": _plain(refused)}]
        panel = assessment_panel(accord, caller, draft)
        errors += [
            {"field": "", "text": f"{f['reason']} {f['fix']}", "href": f["href"] or ""}
            for f in panel.get("blocking", [])
        ]
        return _check_page(request, signed_in, draft, errors=errors)
    service.close(caller, draft)
    return RedirectResponse(f"/my-requests/{record.id}?submitted=1", status_code=303)


def _prune_asks(accord: Accord, caller: Caller, draft: Draft, built: Built) -> tuple[Draft, Built]:
    """Drop asks to accept findings that no longer block (the answer was fixed since):
    the request service refuses a request that asks about what is not blocking."""
    assert built.document is not None
    asks = draft.answers.get("override_requests") or {}
    blocking = accord.requests.assess(built.document).blocking
    current = {f.ref for f in blocking} | {f.code for f in blocking}
    kept = {ref: reason for ref, reason in asks.items() if ref in current}
    if kept == asks:
        return draft, built
    draft = drafts_of(accord).save(
        caller, draft.id, {**draft.answers, "override_requests": kept}, "exceptions"
    )
    return draft, build(draft.answers, draft.organisation_id, draft.principal_id)


def _plain(refused: ValidationError | ConflictError) -> str:
    """The service's refusal in the words of the pages, where it speaks of the CLI."""
    if isinstance(refused, ConflictError) and "sent back for changes" in refused.message:
        return (
            "You have not changed anything since the reviewer asked for changes. "
            "Change your answers to do what they asked, then submit again."
        )
    if isinstance(refused, ValidationError) and "override_requests" in refused.message:
        return (
            "Some findings must be fixed, or you must ask for them to be accepted, "
            "before you can submit the request"
        )
    return refused.message


# -- fields, one page per dataset ----------------------------------------------------------


def _chosen(draft: Draft, dataset_id: str) -> tuple[int, dict[str, Any]]:
    for index, chosen in enumerate(draft.answers.get("datasets") or []):
        if chosen["dataset"] == dataset_id:
            return index, chosen
    raise NotFoundError(f"{dataset_id} is not one of this request's datasets")


@router.get("/ask/{draft_id}/fields/{org}/{name}", response_class=HTMLResponse)
def fields_page(
    request: Request, signed_in: SignedInDep, draft_id: str, org: str, name: str, change: str = ""
) -> Response:
    accord = accord_of(request)
    draft = drafts_of(accord).get_open(signed_in.caller, draft_id)
    return _fields(request, signed_in, draft, f"{org}/{name}", change=bool(change))


def _fields(
    request: Request,
    signed_in: SignedIn,
    draft: Draft,
    dataset_id: str,
    *,
    form: q.Form | None = None,
    errors: q.Errors | None = None,
    change: bool = False,
) -> Response:
    accord = accord_of(request)
    index, chosen = _chosen(draft, dataset_id)
    dataset, _ = accord.catalogue.show(signed_in.caller, dataset_id)
    saved = {f["name"]: f for f in chosen.get("fields", [])}
    rows = []
    for number, spec in enumerate(dataset.fields, start=1):
        if form is not None:
            ticked = spec.name in (form.get("fields") or [])
            current = {
                "justification": (form.get(f"why-{number}") or [""])[0],
                "transform": (form.get(f"transform-{number}") or ["keep"])[0],
                "argument": (form.get(f"argument-{number}") or [""])[0],
            }
        else:
            ticked = spec.name in saved
            current = saved.get(
                spec.name, {"justification": "", "transform": "keep", "argument": ""}
            )
        rows.append({"number": number, "spec": spec, "ticked": ticked, **current})
    return _question(
        request,
        signed_in,
        draft,
        "fields",
        form=form,
        errors=errors,
        change=change,
        dataset=dataset,
        rows=rows,
        title=f"Which fields do you need from {dataset.id}?",
        back_override=_fields_href(draft, index - 1) if index else f"{_base(draft)}/datasets",
    )


@router.post("/ask/{draft_id}/fields/{org}/{name}")
def fields_save(
    request: Request,
    signed_in: SignedInDep,
    draft_id: str,
    org: str,
    name: str,
    form: CheckedForm,
) -> Response:
    accord = accord_of(request)
    service = drafts_of(accord)
    draft = service.get_open(signed_in.caller, draft_id)
    dataset_id = f"{org}/{name}"
    index, _ = _chosen(draft, dataset_id)
    dataset, _ = accord.catalogue.show(signed_in.caller, dataset_id)
    posted = _form(form)
    answers, errors = q.read_fields(
        draft.answers, posted, dataset_id, [f.name for f in dataset.fields]
    )
    change = bool(posted.get("change"))
    if errors:
        return _fields(
            request, signed_in, draft, dataset_id, form=posted, errors=errors, change=change
        )
    draft = service.save(signed_in.caller, draft.id, answers, f"fields:{dataset_id}")
    target = f"{_base(draft)}/check" if change else _fields_href(draft, index + 1)
    return RedirectResponse(target, status_code=303)


# -- the DPIA document ----------------------------------------------------------------------


async def _upload_form(request: Request, signed_in: SignedIn) -> FormData:
    """The upload's form, after its size is known to be within the limit and its CSRF
    token is the session's (CheckedForm takes no files)."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise ValidationError("the upload must say its length: send it from the form")
    if int(length) > MAX_DPIA_BYTES + UPLOAD_SLACK:
        raise _TooLarge()
    form = await request.form(max_files=1, max_fields=20)
    try:
        require_session_token(signed_in, form)
    except FormRefused:
        await form.close()
        raise
    return form


class _TooLarge(Exception):
    """The upload's declared length is over the limit: answered on the page, unread."""


@router.post("/ask/{draft_id}/dpia-document")
async def dpia_upload(request: Request, signed_in: SignedInDep, draft_id: str) -> Response:
    accord = accord_of(request)
    service = drafts_of(accord)
    draft = service.get_open(signed_in.caller, draft_id)
    too_big = f"The selected file must be smaller than {MAX_DPIA_BYTES // (1024 * 1024)}MB"
    try:
        form = await _upload_form(request, signed_in)
    except _TooLarge:
        return _step_page(
            request,
            signed_in,
            draft,
            "dpia-document",
            errors=[{"field": "document", "text": too_big}],
        )
    try:
        change = bool(form.get("change"))
        upload = form.get("document")
        if not isinstance(upload, UploadFile) or not upload.filename:
            if draft.dpia is not None and form.get("keep"):
                return RedirectResponse(_after(draft, "dpia-document", change), status_code=303)
            return _step_page(
                request,
                signed_in,
                draft,
                "dpia-document",
                errors=[{"field": "document", "text": "Select the DPIA document as a PDF"}],
                change=change,
            )
        data = await upload.read(MAX_DPIA_BYTES + 1)
        try:
            draft = service.attach_dpia(signed_in.caller, draft.id, upload.filename, data)
        except ValidationError as refused:
            return _step_page(
                request,
                signed_in,
                draft,
                "dpia-document",
                errors=[{"field": "document", "text": refused.message}],
                change=change,
            )
    finally:
        await form.close()
    return RedirectResponse(f"{_base(draft)}/dpia-document?uploaded=1", status_code=303)


# -- the other pages, by their step --------------------------------------------------------


@router.get("/ask/{draft_id}/{step}", response_class=HTMLResponse)
def question(
    request: Request, signed_in: SignedInDep, draft_id: str, step: str, change: str = ""
) -> Response:
    accord = accord_of(request)
    draft = drafts_of(accord).get_open(signed_in.caller, draft_id)
    if step not in SLUGS:
        raise NotFoundError(f"no question {step!r}")
    if step == "fields":
        return RedirectResponse(_fields_href(draft, 0), status_code=303)
    return _step_page(request, signed_in, draft, step, change=bool(change))


def _step_page(
    request: Request,
    signed_in: SignedIn,
    draft: Draft,
    step: str,
    *,
    form: q.Form | None = None,
    errors: q.Errors | None = None,
    change: bool = False,
) -> Response:
    accord = accord_of(request)
    extra: dict[str, Any] = {}
    if step == "datasets":
        chosen = [d["dataset"] for d in draft.answers.get("datasets") or []]
        extra["choices"] = [
            (d.id, d.id, d.description[:200]) for d in _catalogue(accord, signed_in.caller)
        ]
        extra["chosen"] = (form or {}).get("datasets", chosen) if form is not None else chosen
    if step == "exceptions":
        extra["blocking"] = _blocking_refs(accord, signed_in.caller, draft)
    if step == "dpia-document":
        extra["uploaded"] = bool(request.query_params.get("uploaded"))
    return _question(
        request, signed_in, draft, step, form=form, errors=errors, change=change, **extra
    )


@router.post("/ask/{draft_id}/{step}")
def save_step(
    request: Request, signed_in: SignedInDep, draft_id: str, step: str, form: CheckedForm
) -> Response:
    accord = accord_of(request)
    service = drafts_of(accord)
    draft = service.get_open(signed_in.caller, draft_id)
    posted = _form(form)
    change = bool(posted.get("change"))
    if step == "datasets":
        known = frozenset(d.id for d in accord.catalogue.list_datasets(signed_in.caller))
        answers, errors = q.read_dataset_choice(draft.answers, posted, known)
    elif step == "exceptions":
        refs = [f["ref"] for f in _blocking_refs(accord, signed_in.caller, draft)]
        answers, errors = q.read_exceptions(draft.answers, posted, refs)
    elif step in _READERS:
        answers, errors = _READERS[step](draft.answers, posted)
    else:
        raise NotFoundError(f"no question {step!r}")
    if errors:
        return _step_page(
            request, signed_in, draft, step, form=posted, errors=errors, change=change
        )
    draft = service.save(signed_in.caller, draft.id, answers, step)
    return RedirectResponse(_after(draft, step, change), status_code=303)
