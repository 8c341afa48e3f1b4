"""The public register of data-sharing agreements: open to anyone, no sign-in.

It shows exactly what the agreement service publishes (``AgreementService.register``,
the API's ``/register``): who shares with whom, for what, under which legal power,
between which dates. Never a person, a field value or a record.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from accord.core.governance.workflow import AgreementState
from accord.errors import NotFoundError
from accord.services.agreements import RegisterEntry
from accord.services.app import Accord
from accord.web.deps import accord_of, current
from accord.web.render import org_name, page
from accord.web.routes.agreements import AGREEMENT_STATES
from accord.web.routes.review import day

__all__ = ["router"]

router = APIRouter()

PER_PAGE = 50
"""Rows of the register shown on one page."""


def _web(request: Request) -> None:
    request.state.web = True
    current(request)


Web = Depends(_web)


def _row(accord: Accord, entry: RegisterEntry) -> dict[str, object]:
    return {
        "id": entry.agreement,
        "version": entry.version,
        "state": AGREEMENT_STATES[AgreementState(entry.state)],
        "owners": ", ".join(org_name(accord, o) for o in entry.data_owners),
        "recipient": org_name(accord, entry.recipient),
        "purpose": entry.purpose,
        "legal_power": entry.legal_power,
        "lawful_basis": entry.lawful_basis or "None given",
        "valid_from": day(date.fromisoformat(entry.valid_from)),
        "valid_to": day(date.fromisoformat(entry.valid_to)),
        "benefits": entry.expected_benefits or "Not given",
        "tier": entry.tier,
        "domains": [
            {
                "domain": d.domain,
                "recipients": ", ".join(org_name(accord, r) for r in d.recipients),
                "agreements": ", ".join(d.agreements),
            }
            for d in entry.linkage_domains
        ],
    }


@router.get("/public-register", response_class=HTMLResponse, dependencies=[Web])
def public_register(request: Request, page_number: str = "1") -> Response:
    accord = accord_of(request)
    entries = accord.agreements.register()
    pages = max(1, -(-len(entries) // PER_PAGE))
    asked = int(page_number) if page_number.isdigit() and len(page_number) < 7 else 1
    number = min(max(1, asked), pages)
    shown = entries[(number - 1) * PER_PAGE : number * PER_PAGE]
    return page(
        request,
        "public_register/register.html",
        title="Public register of data-sharing agreements",
        rows=[_row(accord, e) for e in shown],
        total=len(entries),
        number=number,
        pages=pages,
    )


@router.get("/public-register/{agreement_id}", response_class=HTMLResponse, dependencies=[Web])
def register_entry(request: Request, agreement_id: str) -> Response:
    accord = accord_of(request)
    entry = next((e for e in accord.agreements.register() if e.agreement == agreement_id), None)
    if entry is None:
        raise NotFoundError(f"no agreement {agreement_id} on the public register")
    row = _row(accord, entry)
    return page(request, "public_register/entry.html", title=str(row["purpose"])[:80], row=row)
