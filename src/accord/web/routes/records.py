"""Records and retention: a holder's page of the records it keeps per participant.

Read-mostly: counts by kind and state, the next deletions, the retention events
recorded, and the delete date of each kind, which the holder's DPO or admin sets here.
Every figure comes from :class:`accord.services.records.RecordsService`, which decides
who may see it (the holder's staff; anyone else gets the page that does not exist).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.core.lifecycle.record_retention import (
    RULES,
    RecordKind,
    RecordState,
    can_hold_records,
)
from accord.errors import PermissionDenied, ValidationError
from accord.services.records import RecordsService
from accord.web.deps import CheckedForm, SignedInDep, accord_of
from accord.web.render import org_name, page
from accord.web.sessions import SignedIn

__all__ = ["router"]

router = APIRouter()

NEXT_DELETIONS = 20
"""How many of the next deletions the page lists."""
KIND_NAMES = {
    RecordKind.MANDATION_EVIDENCE: "Mandation evidence",
    RecordKind.ESF_FORM: "ESF forms",
    RecordKind.JOURNEY_EVIDENCE: "Evidence of the customer journey",
    RecordKind.PAYMENT: "Payments",
    RecordKind.REFERRAL_COPY: "Copies of referrals",
}


def _holders(signed_in: SignedIn) -> list[str]:
    orgs = {m.organisation_id for m in signed_in.principal.memberships}
    return sorted(o for o in orgs if can_hold_records(signed_in.caller, o))


def _records_page(
    request: Request,
    signed_in: SignedIn,
    organisation: str,
    *,
    errors: list[dict[str, str]] | None = None,
    values: dict[str, str] | None = None,
    saved: str = "",
) -> HTMLResponse:
    accord = accord_of(request)
    mine = _holders(signed_in)
    if not mine:
        return page(request, "records/index.html", title="Records and retention", holder=None)
    holder = organisation or mine[0]
    service = RecordsService.of(accord)
    caller = signed_in.caller
    schedule = service.schedule(caller, holder)  # another holder's: not found
    counts: Counter[tuple[RecordKind, RecordState]] = Counter(
        (s.record.kind, s.record.state) for s in schedule
    )
    upcoming = sorted(
        (s for s in schedule if s.record.state is RecordState.HELD and s.delete_on),
        key=lambda s: (s.delete_on or date.max, s.record.id),
    )[:NEXT_DELETIONS]
    waiting = sum(
        1 for s in schedule if s.record.state is RecordState.HELD and s.keep_until is None
    )
    configs = {c.kind: c for c in service.configs(caller, holder)}
    facts = service.facts(caller, holder)
    return page(
        request,
        "records/index.html",
        status_code=422 if errors else 200,
        title=f"Records and retention: {org_name(accord, holder)}",
        errors=errors or [],
        field_errors={e["field"]: e for e in errors or []},
        values=values or {},
        saved=saved,
        holder=holder,
        holder_name=org_name(accord, holder),
        holders=[(o, org_name(accord, o)) for o in mine],
        kinds=list(RecordKind),
        kind_names=KIND_NAMES,
        kind_options=[(k.value, KIND_NAMES[k]) for k in RecordKind],
        states=list(RecordState),
        counts=counts,
        upcoming=upcoming,
        waiting=waiting,
        rules=RULES,
        configs=configs,
        facts=facts,
        may_configure=any(
            caller.has_role(holder, r) for r in RULES[RecordKind.MANDATION_EVIDENCE].configured_by
        ),
    )


@router.get("/records", response_class=HTMLResponse)
def records(
    request: Request,
    signed_in: SignedInDep,
    organisation: Annotated[str, Query(max_length=64)] = "",
    saved: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    return _records_page(request, signed_in, organisation, saved=saved)


@router.post("/records/delete-dates", response_class=HTMLResponse)
def set_delete_date(request: Request, signed_in: SignedInDep, form: CheckedForm) -> Response:
    """The holder's DPO or admin sets when a kind is deleted: an offset after keep-until
    or a date, never before keep-until (a refusal is shown with its reason)."""
    values = {
        k: str(form.get(k, "")).strip()[:64] for k in ("organisation", "kind", "offset", "on")
    }
    holder = values["organisation"]
    errors: list[dict[str, str]] = []
    on: date | None = None
    if values["kind"] not in {k.value for k in RecordKind}:
        errors.append({"field": "kind", "text": "Select the kind of record"})
    if values["on"]:
        try:
            on = date.fromisoformat(values["on"])
        except ValueError:
            errors.append(
                {"field": "on", "text": "Enter the date as YYYY-MM-DD, or leave it empty"}
            )
    if not errors:
        try:
            RecordsService.of(accord_of(request)).configure(
                signed_in.caller, holder, values["kind"], offset=values["offset"] or "P0D", on=on
            )
        except (PermissionDenied, ValidationError) as exc:
            errors.append({"field": "on" if on else "offset", "text": str(exc)})
    if errors:
        return _records_page(request, signed_in, holder, errors=errors, values=values)
    return RedirectResponse(
        f"/records?organisation={holder}&saved={values['kind']}#delete-dates", status_code=303
    )
