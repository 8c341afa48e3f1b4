"""The dashboard: a DPO's view of how their organisation governs its data.

Time to decision, the open queue by state and by the role it waits on, agreements and
security assurances about to lapse, and certificates of destruction overdue. The
figures come from :class:`accord.services.dashboard.DashboardService`, which decides
who may see them (the organisation's DPOs, admins and auditors).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from accord.core.governance.permissions import can_read_dashboard
from accord.core.governance.workflow import RequestState
from accord.core.identity import AssuranceScheme, Role
from accord.errors import NotFoundError
from accord.services.dashboard import EXPIRY_WINDOWS, PERIODS, DashboardService
from accord.web.deps import SignedInDep, accord_of
from accord.web.render import ROLE_NAMES, page

__all__ = ["router"]

router = APIRouter()

STATE_NAMES = {
    RequestState.SUBMITTED: "Submitted, waiting for a review to start",
    RequestState.IN_REVIEW: "In review",
    RequestState.CHANGES_REQUESTED: "Changes asked for",
}


SCHEME_NAMES = {
    AssuranceScheme.ISO_27001: "ISO/IEC 27001 certification",
    AssuranceScheme.ASSURED_SECURITY_PLAN: "Assured security plan",
    AssuranceScheme.CYBER_ESSENTIALS_PLUS: "Cyber Essentials Plus",
    AssuranceScheme.DSPT: "Data Security and Protection Toolkit",
}


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    signed_in: SignedInDep,
    organisation: Annotated[str, Query(max_length=64)] = "",
    period: Annotated[int, Query()] = 90,
) -> Response:
    accord = accord_of(request)
    caller = signed_in.caller
    platform_wide = caller.has_role(caller.platform_org, Role.AUDITOR, Role.ADMIN)
    known = (
        {o.id for o in accord.store.list_organisations()}
        if platform_wide
        else {m.organisation_id for m in signed_in.principal.memberships}
    )
    mine = sorted(org for org in known if can_read_dashboard(caller, org).allowed)
    if not mine:
        return page(
            request,
            "dashboard/index.html",
            title="Dashboard",
            board=None,
            organisations=[],
        )
    chosen = organisation or next(
        (m.organisation_id for m in signed_in.principal.memberships if m.organisation_id in mine),
        mine[0],
    )
    if chosen not in mine:
        # Another organisation's dashboard answers as a page that does not exist.
        raise NotFoundError(f"no dashboard for {chosen!r} among your organisations")
    errors = []
    if period not in PERIODS:
        errors.append({"field": "period", "text": "Choose the last 30 days, 90 days or 365 days"})
        period = 90
    board = DashboardService(accord.store).for_organisation(caller, chosen, period_days=period)
    names = {o.id: o.name for o in accord.store.list_organisations()}
    return page(
        request,
        "dashboard/index.html",
        status_code=422 if errors else 200,
        title=f"Dashboard for {names.get(chosen, chosen)}",
        errors=errors,
        board=board,
        organisations=[(org, names.get(org, org)) for org in mine],
        chosen=chosen,
        org_name=names.get(chosen, chosen),
        org_names=names,
        period=period,
        periods=[(str(p), f"The last {p} days") for p in PERIODS],
        windows=EXPIRY_WINDOWS,
        state_names=STATE_NAMES,
        role_names={role: ROLE_NAMES[role] for role in Role},
        scheme_names=SCHEME_NAMES,
    )
