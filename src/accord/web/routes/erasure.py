"""Erasure requests in the web service: the provider's DPO follows each request against
its one-month deadline; the department's DPO assigns the reference number.

The pages read and act through :class:`accord.services.erasure.ErasureService`, as the
CLI and the API do, and show the person only by their pseudonymous reference: the name
is on the letters that go to the person, never on a page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.core.lifecycle.erasure import ErasureState
from accord.core.lifecycle.erasure_permissions import HOLDER_ROLES, can_assign_reference
from accord.errors import AccordError, NotFoundError
from accord.services.erasure import ErasureService, request_dict
from accord.web.deps import CheckedForm, SignedInDep, accord_of
from accord.web.render import org_name, page
from accord.web.sessions import SignedIn

__all__ = ["deadline_tag", "router"]

router = APIRouter()


def deadline_tag(view: dict[str, Any]) -> tuple[str, str]:
    """The words and colour of a request's deadline tag."""
    left = view["days_left"]
    match view["deadline"]:
        case "met":
            return "Answered", "green"
        case "overdue":
            return f"Overdue by {-left} day{'s' if -left != 1 else ''}", "red"
        case "due_soon":
            return ("Due today", "orange") if left == 0 else (f"Due in {left} days", "yellow")
    return f"Due in {left} days", "grey"


def _organisations(signed_in: SignedIn) -> list[str]:
    return sorted(
        {m.organisation_id for m in signed_in.principal.memberships if m.role in HOLDER_ROLES}
    )


@router.get("/erasure", response_class=HTMLResponse)
def erasure_list(
    request: Request,
    signed_in: SignedInDep,
    organisation: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    accord = accord_of(request)
    mine = _organisations(signed_in)
    if not mine:
        return page(
            request, "erasure/index.html", title="Erasure requests", views=[], organisations=[]
        )
    chosen = organisation or mine[0]
    if chosen not in mine:
        raise NotFoundError(f"no erasure requests for {chosen!r} among your organisations")
    today = accord.store.clock().date()
    service = ErasureService.of(accord)
    views = [request_dict(r, today) for r in service.list_requests(signed_in.caller, chosen)]
    return page(
        request,
        "erasure/index.html",
        title=f"Erasure requests for {org_name(accord, chosen)}",
        views=[(v, deadline_tag(v)) for v in views],
        organisations=[(o, org_name(accord, o)) for o in mine],
        chosen=chosen,
        org_name=org_name(accord, chosen),
    )


def _detail(
    request: Request,
    signed_in: SignedIn,
    request_id: str,
    *,
    status_code: int = 200,
    errors: list[dict[str, str]] | None = None,
) -> Response:
    accord = accord_of(request)
    found = ErasureService.of(accord).get(signed_in.caller, request_id)
    view = request_dict(found, accord.store.clock().date())
    may_reference = (
        found.state is ErasureState.REFERRED
        and can_assign_reference(signed_in.caller, found).allowed
    )
    return page(
        request,
        "erasure/request.html",
        status_code=status_code,
        title=f"Erasure request {view['reference'] or view['subject']}",
        view=view,
        tag=deadline_tag(view),
        may_reference=may_reference,
        provider_name=org_name(accord, found.provider),
        department_name=org_name(accord, found.department),
        errors=errors or [],
    )


@router.get("/erasure/{request_id}", response_class=HTMLResponse)
def erasure_request(request: Request, request_id: str, signed_in: SignedInDep) -> Response:
    return _detail(request, signed_in, request_id)


@router.post("/erasure/{request_id}/reference")
def erasure_reference(
    request: Request, request_id: str, signed_in: SignedInDep, form: CheckedForm
) -> Response:
    reference = str(form.get("reference") or "")
    try:
        ErasureService.of(accord_of(request)).assign_reference(
            signed_in.caller, request_id, reference
        )
    except NotFoundError:
        raise
    except AccordError as refused:
        text = "Enter the reference number" if not reference.strip() else refused.message
        return _detail(
            request,
            signed_in,
            request_id,
            status_code=refused.status_code,
            errors=[{"field": "reference", "text": text}],
        )
    return RedirectResponse(f"/erasure/{request_id}", status_code=303)
