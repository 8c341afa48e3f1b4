"""The department's "Approved sub-contractors" pages (seed 003, paragraphs 45 and 52).

A data owner's data owner, DPO or admin sees the organisation's list, approves a
sub-contractor for one prime provider (dates, due-diligence notes, and the explicit
answer to "no offshore elements or links?"), and withdraws an approval. Every rule and
every audit event is in :class:`accord.services.subcontractors.SubcontractorService`,
which the CLI and the API call too; a refusal is shown in the service's own words,
against the field it names.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.core.governance.subcontractors import APPROVER_ROLES, ApprovalForm
from accord.errors import NotFoundError, ValidationError
from accord.services.subcontractors import SubcontractorService, approval_view
from accord.web.deps import CheckedForm, SignedInDep, accord_of
from accord.web.render import org_name, page
from accord.web.sessions import SignedIn

__all__ = ["router"]

router = APIRouter()

BASE = "/approved-subcontractors"
FIELDS = ("subcontractor", "prime", "approved_from", "approved_to", "due_diligence", "no_offshore")
OFFSHORE = [
    ("yes", "Yes, confirmed: no product or service with offshore elements or links"),
    ("no", "No, an offshore element or link was found"),
]


def _owners(signed_in: SignedIn) -> list[str]:
    return list(signed_in.principal.organisations_with(*APPROVER_ROLES))


def _mine(signed_in: SignedIn, org: str) -> None:
    """Another organisation's list is not acknowledged to exist."""
    if org not in _owners(signed_in):
        raise NotFoundError(f"no list of approved sub-contractors for {org!r}")


@router.get(BASE, response_class=HTMLResponse)
def lists(request: Request, signed_in: SignedInDep) -> Response:
    accord = accord_of(request)
    service = SubcontractorService(accord.store)
    today = accord.store.clock().date()
    sections = [
        {
            "org": org,
            "name": org_name(accord, org),
            "approvals": [
                approval_view(a, today) | {"sub_name": org_name(accord, a.subcontractor),
                                           "prime_name": org_name(accord, a.prime)}
                for a in service.approvals(signed_in.caller, org)
            ],
        }
        for org in _owners(signed_in)
    ]  # fmt: skip
    return page(
        request,
        "subcontractors/list.html",
        title="Approved sub-contractors",
        sections=sections,
        approved=request.query_params.get("approved", ""),
        withdrawn=request.query_params.get("withdrawn", ""),
    )


def _form(
    request: Request,
    signed_in: SignedIn,
    org: str,
    *,
    values: dict[str, str] | None = None,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    accord = accord_of(request)
    organisations = [
        (o.id, o.name)
        for o in accord.store.list_organisations()
        if o.id not in (org, accord.platform_org)
    ]
    return page(
        request,
        "subcontractors/approve.html",
        status_code=status_code,
        title="Approve a sub-contractor",
        org=org,
        org_label=org_name(accord, org),
        organisations=[("", "Choose an organisation"), *organisations],
        offshore=OFFSHORE,
        values=values or {"approved_from": accord.store.clock().date().isoformat()},
        errors=errors or [],
        field_errors={e["field"]: e for e in errors or [] if e.get("field")},
    )


@router.get(BASE + "/{org}/approve", response_class=HTMLResponse)
def approve_form(request: Request, signed_in: SignedInDep, org: str) -> Response:
    _mine(signed_in, org)
    return _form(request, signed_in, org)


def _date(value: str, name: str, errors: list[dict[str, str]]) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append({"field": name, "text": "Enter a date as YYYY-MM-DD, for example 2027-03-31"})
        return None


@router.post(BASE + "/{org}/approve")
def approve(request: Request, signed_in: SignedInDep, org: str, form: CheckedForm) -> Response:
    _mine(signed_in, org)
    values = {name: str(form.get(name) or "")[:5000] for name in FIELDS}
    errors: list[dict[str, str]] = []
    starts = _date(values["approved_from"], "approved_from", errors)
    ends = _date(values["approved_to"], "approved_to", errors)
    if values["no_offshore"] not in ("yes", "no"):
        errors.append(
            {
                "field": "no_offshore",
                "text": "Answer whether the sub-contractor has no offshore elements or links",
            }
        )
    if not errors and starts is not None and ends is not None:
        approval_form = ApprovalForm(
            subcontractor=values["subcontractor"],
            prime=values["prime"],
            approved_from=starts,
            approved_to=ends,
            due_diligence=values["due_diligence"],
            no_offshore=values["no_offshore"] == "yes",
        )
        try:
            SubcontractorService(accord_of(request).store).approve(
                signed_in.caller, org, approval_form
            )
        except ValidationError as refused:
            errors.append(_field_error(refused.message))
        else:
            return RedirectResponse(f"{BASE}?approved={values['subcontractor']}", status_code=303)
    return _form(request, signed_in, org, values=values, errors=errors, status_code=422)


def _field_error(message: str) -> dict[str, str]:
    """The service's refusals start with the field they are about: ``due_diligence: …``."""
    field, _, text = message.partition(": ")
    if field in FIELDS and text:
        return {"field": field, "text": text[:1].upper() + text[1:]}
    return {"field": "", "text": message}


@router.get(BASE + "/{org}/{approval_id}/withdraw", response_class=HTMLResponse)
def withdraw_form(request: Request, signed_in: SignedInDep, org: str, approval_id: str) -> Response:
    return _withdraw_page(request, signed_in, org, approval_id)


def _withdraw_page(
    request: Request,
    signed_in: SignedIn,
    org: str,
    approval_id: str,
    *,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    _mine(signed_in, org)
    accord = accord_of(request)
    found = [a for a in SubcontractorService(accord.store).approvals(signed_in.caller, org)
             if a.id == approval_id and not a.withdrawn]  # fmt: skip
    if not found:
        raise NotFoundError(f"no sub-contractor approval {approval_id!r}")
    approval: Any = found[0]
    return page(
        request,
        "subcontractors/withdraw.html",
        status_code=status_code,
        title=f"Withdraw the approval of {org_name(accord, approval.subcontractor)}",
        org=org,
        approval=approval,
        sub_name=org_name(accord, approval.subcontractor),
        prime_name=org_name(accord, approval.prime),
        errors=errors or [],
        field_errors={e["field"]: e for e in errors or [] if e.get("field")},
    )


@router.post(BASE + "/{org}/{approval_id}/withdraw")
def withdraw(
    request: Request, signed_in: SignedInDep, org: str, approval_id: str, form: CheckedForm
) -> Response:
    _mine(signed_in, org)
    reason = str(form.get("reason") or "")[:5000]
    try:
        SubcontractorService(accord_of(request).store).withdraw(
            signed_in.caller, org, approval_id, reason
        )
    except ValidationError as refused:
        error = {"field": "reason", "text": refused.message.partition(": ")[2] or refused.message}
        return _withdraw_page(request, signed_in, org, approval_id, errors=[error], status_code=422)
    return RedirectResponse(f"{BASE}?withdrawn={approval_id}", status_code=303)
