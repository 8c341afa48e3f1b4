"""My data: a data owner's (or DPO's, or admin's) view of their organisation's datasets.

Each dataset with its fields' classifications to confirm or change, the agreements
that cover it, the organisation's opt-out register as counts, and every use of its
data from the audit log. Another organisation's pages answer exactly as missing ones:
the catalogue's metadata is open to every member in *Find data*, but the owner's view
of it (what waits to be confirmed, who holds agreements on it) is the owner's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.core.actions import AuditAction
from accord.core.audit import AuditRecord
from accord.core.catalogue import Dataset
from accord.core.governance.records import AgreementRecord
from accord.core.identity import Role
from accord.core.permissions import can_publish, can_read_audit_about
from accord.core.vocabulary import Category, SemanticType
from accord.errors import NotFoundError
from accord.services.app import Accord
from accord.store import AuditFilter
from accord.web.deps import CheckedForm, SignedInDep, accord_of
from accord.web.render import org_name, page
from accord.web.sessions import SignedIn

__all__ = ["ACCESS_PAGE", "CATEGORY_CHOICES", "router"]

router = APIRouter()

ACCESS_PAGE = 100
"""Audit events on one page of the access log."""
MAX_DATASETS = 200
"""Datasets listed for one organisation; more are counted, not listed."""
MAX_REASON = 1000

STEWARDS = (Role.DATA_OWNER, Role.DPO, Role.ADMIN)
"""Who sees an organisation's own view of its data."""

CATEGORY_CHOICES: tuple[tuple[str, str, str], ...] = (
    (
        Category.DIRECT_IDENTIFIER.value,
        "Direct identifier",
        "Identifies a person on its own, like a National Insurance number or a name.",
    ),
    (
        Category.QUASI_IDENTIFIER.value,
        "Indirect identifier",
        "Could identify a person together with other data, like a date of birth or postcode.",
    ),
    (
        Category.SPECIAL_CATEGORY.value,
        "Special category data",
        "Health, ethnicity, religion, sexual orientation and the other kinds in "
        "Article 9 of the UK GDPR.",
    ),
    (Category.PERSONAL.value, "Personal data", "About a person, but identifies nobody alone."),
    (Category.NON_PERSONAL.value, "Not personal data", "About no one in particular."),
)

SEMANTIC_NAMES: dict[str, str] = {
    SemanticType.NINO.value: "National Insurance number",
    SemanticType.NHS_NUMBER.value: "NHS number",
    SemanticType.GIVEN_NAME.value: "Given name",
    SemanticType.FAMILY_NAME.value: "Family name",
    SemanticType.FULL_NAME.value: "Full name",
    SemanticType.TITLE.value: "Title",
    SemanticType.DATE_OF_BIRTH.value: "Date of birth",
    SemanticType.SEX.value: "Sex",
    SemanticType.POSTCODE.value: "Postcode",
    SemanticType.ADDRESS.value: "Address",
    SemanticType.PHONE.value: "Phone number",
    SemanticType.EMAIL.value: "Email address",
    SemanticType.DATE.value: "Date",
    SemanticType.FLAG.value: "Yes or no",
    SemanticType.CODE.value: "Code",
    SemanticType.AMOUNT.value: "Amount",
    SemanticType.FREE_TEXT.value: "Free text",
    SemanticType.OTHER.value: "Other",
}

_ACTION_WORDS = {action.value: action.description for action in AuditAction}

IDENTIFIER_NAMES = {"nino": "National Insurance number", "nhs_number": "NHS number"}


def _stewarded(signed_in: SignedIn) -> list[str]:
    """The organisations whose own view of their data this person may open."""
    return sorted(signed_in.principal.organisations_with(*STEWARDS))


def _mine(signed_in: SignedIn, org: str) -> None:
    """Another organisation's view answers exactly as a page that does not exist."""
    if org not in _stewarded(signed_in):
        raise NotFoundError(f"no page for {org!r} among your organisations' data")


def _dataset(accord: Accord, signed_in: SignedIn, org: str, name: str) -> Dataset:
    _mine(signed_in, org)
    dataset, _ = accord.catalogue.show(signed_in.caller, f"{org}/{name}")
    return dataset


def _agreements_on(accord: Accord, dataset_id: str) -> list[AgreementRecord]:
    """The current version of every agreement that covers the dataset."""
    latest: dict[str, AgreementRecord] = {}
    for agreement in accord.store.list_agreements():
        if any(d.dataset == dataset_id for d in agreement.policy.datasets):
            held = latest.get(agreement.id)
            if held is None or agreement.version > held.version:
                latest[agreement.id] = agreement
    return sorted(latest.values(), key=lambda a: (a.policy.valid_to, a.id))


@router.get("/my-data", response_class=HTMLResponse)
def my_data(request: Request, signed_in: SignedInDep) -> Response:
    accord = accord_of(request)
    caller = signed_in.caller
    organisations: list[dict[str, Any]] = []
    for org in _stewarded(signed_in):
        datasets = accord.catalogue.list_datasets(caller, org)
        keeps_register = caller.has_role(org, Role.DATA_OWNER, Role.DPO)
        organisations.append(
            {
                "id": org,
                "name": org_name(accord, org),
                "datasets": datasets[:MAX_DATASETS],
                "more": max(0, len(datasets) - MAX_DATASETS),
                "opt_outs": accord.plane.opt_out_counts(caller, org) if keeps_register else None,
                "reads_access": can_read_audit_about(caller, org).allowed,
            }
        )
    return page(
        request,
        "my_data/index.html",
        title="My data",
        organisations=organisations,
        identifier_names=IDENTIFIER_NAMES,
    )


@router.get("/my-data/{org}/access-log", response_class=HTMLResponse)
def access_log(
    request: Request,
    org: str,
    signed_in: SignedInDep,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Every event about the organisation, newest first, a page at a time.

    The audit service decides who may read it (the organisation's DPOs and auditors);
    a data owner who is neither is refused with that reason, and the refusal recorded.
    """
    accord = accord_of(request)
    _mine(signed_in, org)
    found = accord.audit.show(
        signed_in.caller, AuditFilter(about=org, limit=ACCESS_PAGE + 1, before=before)
    )
    shown, more = found[:ACCESS_PAGE], len(found) > ACCESS_PAGE
    orgs = {o.id: o.name for o in accord.store.list_organisations()}
    people = {
        p.id: (
            p.name,
            ", ".join(
                sorted({orgs.get(m.organisation_id, m.organisation_id) for m in p.memberships})
            ),
        )
        for p in accord.store.list_principals()
    }
    return page(
        request,
        "my_data/access_log.html",
        title=f"Every use of {org_name(accord, org)}'s data",
        org=org,
        org_name=org_name(accord, org),
        events=[_event_row(e, people) for e in shown],
        older=f"/my-data/{org}/access-log?before={shown[-1].seq}" if more else "",
        paged=before is not None,
        page_size=ACCESS_PAGE,
    )


def _event_row(event: AuditRecord, people: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """One event as the access log shows it: who by name and their organisation (not
    the event's, which for a request is the requester's whoever acted)."""
    kind, _, ident = event.actor.partition(":")
    if kind == "principal":
        who, organisation = people.get(ident, (ident, ""))
    else:
        who, organisation = f"Platform operator ({ident})", ""
    words = _ACTION_WORDS.get(event.action) or event.action.replace("_", " ").replace(".", ": ")
    return {
        "seq": event.seq,
        "when": datetime.fromisoformat(event.ts.replace("Z", "+00:00")),
        "who": who,
        "organisation": organisation,
        "action": words,
        "object": event.object,
        "allowed": event.decision == "allow",
        "reason": event.reason,
    }


@router.get("/my-data/{org}/{name}", response_class=HTMLResponse)
def dataset_page(
    request: Request, org: str, name: str, signed_in: SignedInDep, saved: str = ""
) -> Response:
    accord = accord_of(request)
    dataset = _dataset(accord, signed_in, org, name)
    saved_field = saved if saved in {f.name for f in dataset.fields} else ""
    return page(
        request,
        "my_data/dataset.html",
        title=dataset.id,
        org_name=org_name(accord, org),
        dataset=dataset,
        may_classify=can_publish(signed_in.caller, org).allowed,
        unconfirmed=sum(not f.confirmed for f in dataset.fields),
        agreements=_agreements_on(accord, dataset.id),
        org_names={o.id: o.name for o in accord.store.list_organisations()},
        saved=saved_field,
        category_names={value: text for value, text, _ in CATEGORY_CHOICES},
        semantic_names=SEMANTIC_NAMES,
    )


def _field_page(
    request: Request,
    accord: Accord,
    dataset: Dataset,
    field: str,
    *,
    values: dict[str, str] | None = None,
    errors: list[dict[str, str]] | None = None,
) -> Response:
    try:
        spec = dataset.field(field)
    except KeyError:
        raise NotFoundError(f"dataset {dataset.id!r} has no field {field!r}") from None
    chosen = values or {
        "category": spec.category.value,
        "semantic_type": spec.semantic_type.value,
        "reason": "",
    }
    return page(
        request,
        "my_data/field.html",
        status_code=422 if errors else 200,
        title=f"How should {field} be classified?",
        dataset=dataset,
        org_name=org_name(accord, dataset.organisation_id),
        spec=spec,
        chosen=chosen,
        categories=CATEGORY_CHOICES,
        current_category=dict((v, t) for v, t, _ in CATEGORY_CHOICES)[spec.category.value],
        semantic_types=sorted(SEMANTIC_NAMES.items(), key=lambda kv: kv[1]),
        errors=errors or [],
        field_errors={e["field"]: e for e in errors or []},
    )


@router.get("/my-data/{org}/{name}/fields/{field}", response_class=HTMLResponse)
def field_page(
    request: Request, org: str, name: str, field: str, signed_in: SignedInDep
) -> Response:
    accord = accord_of(request)
    return _field_page(request, accord, _dataset(accord, signed_in, org, name), field)


@router.post("/my-data/{org}/{name}/fields/{field}", response_class=HTMLResponse)
def classify(
    request: Request, org: str, name: str, field: str, signed_in: SignedInDep, form: CheckedForm
) -> Response:
    """Save the owner's classification of one field: confirmed as suggested, or changed
    with a reason the audit log keeps."""
    accord = accord_of(request)
    dataset = _dataset(accord, signed_in, org, name)
    try:
        spec = dataset.field(field)
    except KeyError:
        raise NotFoundError(f"dataset {dataset.id!r} has no field {field!r}") from None
    values = {k: str(form.get(k, "")).strip() for k in ("category", "semantic_type", "reason")}
    errors = []
    if values["category"] not in {c.value for c in Category}:
        errors.append({"field": "category", "text": "Select what kind of data this field holds"})
    if values["semantic_type"] not in SEMANTIC_NAMES:
        errors.append({"field": "semantic_type", "text": "Select what this field records"})
    changed = (values["category"], values["semantic_type"]) != (
        spec.category.value,
        spec.semantic_type.value,
    )
    if changed and not values["reason"]:
        errors.append(
            {
                "field": "reason",
                "text": "Enter why this field is classified differently from the suggestion",
            }
        )
    if len(values["reason"]) > MAX_REASON:
        errors.append(
            {"field": "reason", "text": f"The reason must be {MAX_REASON} characters or fewer"}
        )
    if errors:
        return _field_page(request, accord, dataset, field, values=values, errors=errors)
    accord.catalogue.classify(
        signed_in.caller,
        dataset.id,
        field,
        category=Category(values["category"]),
        semantic_type=SemanticType(values["semantic_type"]),
        reason=values["reason"],
    )
    return RedirectResponse(f"/my-data/{org}/{name}?saved={field}#fields", status_code=303)


@router.post("/my-data/{org}/{name}/fields/{field}/confirm")
def confirm(
    request: Request, org: str, name: str, field: str, signed_in: SignedInDep, form: CheckedForm
) -> Response:
    """Confirm the suggested classification as it stands, with one button."""
    accord = accord_of(request)
    dataset = _dataset(accord, signed_in, org, name)
    accord.catalogue.classify(signed_in.caller, dataset.id, field)
    return RedirectResponse(f"/my-data/{org}/{name}?saved={field}#fields", status_code=303)
