"""The start page, signing in and out, and the accessibility statement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.core.identity import PrincipalKind
from accord.errors import NotFoundError
from accord.web.deps import (
    STALE_FORM,
    FormRefused,
    accord_of,
    current,
    require_form_token,
    safe_next,
    sessions_of,
)
from accord.web.render import page, roles_in_words
from accord.web.security import SESSION_COOKIE, form_token, set_cookie

router = APIRouter()


def _web(request: Request) -> None:
    request.state.web = True


Web = Depends(_web)


@router.get("/", response_class=HTMLResponse, dependencies=[Web])
def start(request: Request) -> Response:
    current(request)
    return page(request, "start.html", title="Share personal data under an agreement")


def _demo_people(request: Request) -> list[dict[str, str]]:
    if not request.app.state.web_demo_sign_in:
        return []
    accord = accord_of(request)
    people = []
    for principal in accord.store.list_principals():
        if principal.kind is not PrincipalKind.PERSON or not principal.memberships:
            continue
        people.append(
            {
                "id": principal.id,
                "name": principal.name,
                "roles": roles_in_words(accord, principal),
            }
        )
    return sorted(people, key=lambda p: p["roles"])


def sign_in_page(
    request: Request,
    next_path: str,
    *,
    status_code: int = 200,
    errors: list[dict[str, str]] | None = None,
    username: str = "",
) -> Response:
    response = HTMLResponse("")
    token = form_token(request, response)
    field_errors = {e["field"]: e for e in errors or [] if e.get("field")}
    rendered = page(
        request,
        "sign_in.html",
        status_code=status_code,
        title="Sign in",
        next=next_path,
        form_token=token,
        providers=list(getattr(request.app.state, "web_providers", ())),
        local_accounts=bool(getattr(request.app.state, "web_local_accounts", False)),
        demo_people=_demo_people(request),
        errors=errors or [],
        field_errors=field_errors,
        username=username,
    )
    for key, value in response.headers.items():
        if key == "set-cookie":
            rendered.headers.append(key, value)
    return rendered


@router.get("/sign-in", response_class=HTMLResponse, dependencies=[Web])
def sign_in(request: Request, next: str = "/") -> Response:
    current(request)
    return sign_in_page(request, safe_next(next))


def signed_in_response(request: Request, secret: str, next_path: str) -> Response:
    """Send the browser on with its new session; any earlier session cookie is replaced."""
    response = RedirectResponse(safe_next(next_path), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, secret)
    return response


@router.post("/sign-in/demo", dependencies=[Web])
def sign_in_demo(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    principal: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    if not request.app.state.web_demo_sign_in:
        raise NotFoundError("no such page")
    require_form_token(request, csrf_token, "demo")
    if principal not in {p["id"] for p in _demo_people(request)}:
        return sign_in_page(
            request,
            safe_next(next),
            status_code=422,
            errors=[{"field": "person", "text": "Choose who you are"}],
        )
    sessions = sessions_of(request)
    sessions.end(request.cookies.get(SESSION_COOKIE))
    secret = sessions.start(principal, "demo", via="a demonstration's list of people")
    return signed_in_response(request, secret, next)


@router.post("/sign-out", dependencies=[Web])
def sign_out(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    signed_in = current(request)
    sessions = sessions_of(request)
    if signed_in is not None and sessions.csrf_ok(signed_in, csrf_token):
        sessions.end(request.cookies.get(SESSION_COOKIE))
        request.state.signed_in = None
    elif signed_in is not None:
        raise FormRefused(STALE_FORM)
    response = page(
        request,
        "message.html",
        title="You have signed out",
        paragraphs=["Close the browser window if you are on a shared computer."],
        link=("/sign-in", "Sign in again"),
    )
    if SESSION_COOKIE in request.cookies:
        # Only a request that carried the cookie may clear it: a cross-site form (which
        # SameSite=Lax sends without it) must not sign the browser out.
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/accessibility", response_class=HTMLResponse, dependencies=[Web])
def accessibility(request: Request) -> Response:
    current(request)
    return page(request, "accessibility.html", title="Accessibility statement")
