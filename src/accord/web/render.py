"""Pages from Jinja2 templates, with the GOV.UK Frontend components as macros.

Autoescaping is always on: everything a user typed (a request's purpose, a reviewer's
note) reaches the page as text, never as markup. ``page`` fills in what every layout
needs: who is signed in, the CSRF token for its forms, the navigation.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from accord.core.identity import Principal, Role
from accord.errors import NotFoundError
from accord.services.app import Accord
from accord.web.navigation import navigation_for

__all__ = ["account_orgs", "org_name", "page", "roles_in_words", "templates"]

TEMPLATES = Path(__file__).parent / "templates"


def _when(value: datetime | date | None) -> str:
    """A date or time as GOV.UK writes it: 7 December 2026, 4:05pm."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        hour = value.hour % 12 or 12
        return f"{value.day} {value:%B %Y}, {hour}:{value:%M}{'am' if value.hour < 12 else 'pm'}"
    return f"{value.day} {value:%B %Y}"


def _humanise(value: object) -> str:
    """An identifier made readable: ``data_owner`` becomes ``data owner``."""
    return str(getattr(value, "value", value)).replace("_", " ")


def _build() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["humanise"] = _humanise
    return env


templates = _build()


def account_orgs(accord: Accord, principal: Principal) -> list[tuple[str, list[str]]]:
    """Each organisation a person belongs to, by name, with their roles in it."""
    by_org: dict[str, list[str]] = {}
    for membership in sorted(principal.memberships, key=lambda m: (m.organisation_id, m.role)):
        by_org.setdefault(membership.organisation_id, []).append(ROLE_NAMES[membership.role])
    named = []
    for org, roles in by_org.items():
        named.append((org_name(accord, org), roles))
    return named


def org_name(accord: Accord, org_id: str) -> str:
    """An organisation's name, or its id when it is not (or no longer) registered."""
    try:
        return accord.store.get_organisation(org_id).name
    except NotFoundError:
        return org_id


def roles_in_words(accord: Accord, principal: Principal) -> str:
    """``Data owner and DPO at DWP; requester at Leeds City Council``."""
    return "; ".join(
        f"{_and(roles).capitalize()} at {org}" for org, roles in account_orgs(accord, principal)
    )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


ROLE_NAMES = {
    Role.DATA_OWNER: "data owner",
    Role.REQUESTER: "requester",
    Role.DPO: "data protection officer",
    Role.LEGAL: "legal adviser",
    Role.ANALYST: "analyst",
    Role.AUDITOR: "auditor and output checker",
    Role.ADMIN: "administrator",
}


def page(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render ``template`` for this request, signed in or not."""
    signed_in = getattr(request.state, "signed_in", None)
    accord: Accord = request.app.state.accord
    context.setdefault("errors", [])
    context.setdefault("title", "")
    html = templates.get_template(template).render(
        request_path=request.url.path,
        signed_in=signed_in,
        csrf_token=signed_in.session.csrf if signed_in else "",
        navigation=navigation_for(signed_in, request.url.path),
        account_orgs=account_orgs(accord, signed_in.principal) if signed_in else [],
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
