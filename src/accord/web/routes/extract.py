"""The recipient's governed extract, from the agreement's page.

The page offers what the agreement covers; the download runs the one release path
(:meth:`accord.services.plane.PlaneService.extract`): the agreement active, the caller
in the recipient organisation, the channel allowed, a receipted test exchange first
where the agreement requires one, its frequency respected, opt-outs and transforms
applied, the release audited before a byte leaves. A refusal is shown on the page in
the service's own words, and is on the record.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from accord.api.downloads import extract_download
from accord.core.governance.request import Channel
from accord.core.plan.authorise import USE_ROLES, PlaneChannel, allowed_by
from accord.errors import AccordError, NotFoundError
from accord.web.deps import CheckedForm, SignedInDep, accord_of
from accord.web.render import page
from accord.web.sessions import SignedIn

__all__ = ["extract_allowed", "router"]

router = APIRouter()

FORMATS = {"csv": "CSV (opens in a spreadsheet)", "parquet": "Parquet (for analysis tools)"}


def extract_allowed(channels: tuple[Channel, ...]) -> bool:
    """Whether an agreement with these channels may ever release an extract."""
    return bool(set(channels) & set(allowed_by(PlaneChannel.EXTRACT)))


def _context(request: Request, signed_in: SignedIn, agreement_id: str) -> dict[str, Any]:
    accord = accord_of(request)
    record = accord.agreements.show(signed_in.caller, agreement_id, None)
    policy = record.policy
    recipient = policy.recipient in signed_in.principal.organisations_with(*USE_ROLES)
    if not recipient or not extract_allowed(policy.channels):
        # Only the recipient's requesters and analysts extract, and only under an
        # agreement that allows it: to anyone else the page does not exist.
        raise NotFoundError(f"no extract page for agreement {agreement_id!r}")
    return {
        "record": record,
        "policy": policy,
        "datasets": [(d.dataset, d.dataset) for d in policy.datasets],
        "formats": list(FORMATS.items()),
    }


def _form(
    request: Request,
    signed_in: SignedIn,
    agreement_id: str,
    *,
    status_code: int = 200,
    errors: list[dict[str, str]] | None = None,
    chosen: dict[str, str] | None = None,
) -> Response:
    context = _context(request, signed_in, agreement_id)
    chosen = chosen or {}
    return page(
        request,
        "agreements/extract.html",
        status_code=status_code,
        title="Download an extract",
        errors=errors or [],
        field_errors={e["field"]: e for e in errors or [] if e.get("field")},
        dataset=chosen.get("dataset", context["datasets"][0][0] if context["datasets"] else ""),
        fmt=chosen.get("format", "csv"),
        **context,
    )


@router.get("/our-agreements/{agreement_id}/extract", response_class=HTMLResponse)
def extract_form(request: Request, agreement_id: str, signed_in: SignedInDep) -> Response:
    return _form(request, signed_in, agreement_id)


@router.post("/our-agreements/{agreement_id}/extract")
def extract(
    request: Request, agreement_id: str, signed_in: SignedInDep, form: CheckedForm
) -> Response:
    context = _context(request, signed_in, agreement_id)
    dataset = str(form.get("dataset") or "")
    fmt = str(form.get("format") or "")
    errors = []
    if dataset not in {d for d, _ in context["datasets"]}:
        errors.append({"field": "dataset", "text": "Choose the data to extract"})
    if fmt not in FORMATS:
        errors.append({"field": "format", "text": "Choose the file format"})
    if errors:
        return _form(
            request,
            signed_in,
            agreement_id,
            status_code=422,
            errors=errors,
            chosen={"dataset": dataset, "format": fmt},
        )
    try:
        return extract_download(accord_of(request), signed_in.caller, agreement_id, dataset, fmt)
    except NotFoundError:
        raise
    except AccordError as refused:
        return _form(
            request,
            signed_in,
            agreement_id,
            status_code=refused.status_code,
            errors=[{"field": "", "text": f"The extract was refused: {refused.message}"}],
            chosen={"dataset": dataset, "format": fmt},
        )
