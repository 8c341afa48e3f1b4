"""Who is signed in, for every page; refusals for pages that need someone.

``signed_in`` resolves the session cookie once per request and leaves the answer on
``request.state`` for the layout. ``SignedInDep`` is for pages that need a person: with
nobody signed in it sends the browser to sign in and back (to a path on this service
only). ``checked_form`` reads a POSTed form and refuses it unless its CSRF token is the
session's: every form that changes anything goes through it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.datastructures import FormData

from accord.errors import PermissionDenied
from accord.services.app import Accord
from accord.web.security import SESSION_COOKIE, form_token_ok
from accord.web.sessions import SessionService, SignedIn

__all__ = [
    "CheckedForm",
    "SignInRequired",
    "SignedInDep",
    "checked_form",
    "require_form_token",
    "require_session_token",
    "safe_next",
    "sessions_of",
]

MAX_FORM_BYTES = 1_000_000
"""Forms are small; a DPIA upload has its own, larger limit where it is read."""


class SignInRequired(Exception):
    """Raised by a page that needs someone signed in; answered by a redirect."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class FormRefused(PermissionDenied):
    """A form without the session's CSRF token: refused, and on the record."""

    code = "csrf"


def sessions_of(request: Request) -> SessionService:
    sessions: SessionService = request.app.state.web_sessions
    return sessions


def accord_of(request: Request) -> Accord:
    accord: Accord = request.app.state.accord
    return accord


def current(request: Request) -> SignedIn | None:
    """The signed-in person, or None; computed once per request."""
    if not hasattr(request.state, "signed_in"):
        request.state.signed_in = sessions_of(request).resolve(request.cookies.get(SESSION_COOKIE))
        if request.state.signed_in is not None:
            # The API's error handler records refusals answered to this caller.
            request.state.caller = request.state.signed_in.caller
            request.state.audit_seq = accord_of(request).store.audit_head()[0]
    signed_in: SignedIn | None = request.state.signed_in
    return signed_in


def require_signed_in(request: Request) -> SignedIn:
    request.state.web = True
    signed_in = current(request)
    if signed_in is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(safe_next(target))
    return signed_in


SignedInDep = Annotated[SignedIn, Depends(require_signed_in)]


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path on this service, never another host.

    ``//evil.example``, ``/\\evil.example``, ``https://…`` and anything with a control
    character all become ``/``.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x20 or c == "\\" for c in target) or len(target) > 2000:
        return "/"
    return target


def sign_in_url(next_path: str) -> str:
    return "/sign-in" if next_path == "/" else f"/sign-in?next={quote(next_path, safe='')}"


async def checked_form(request: Request, signed_in: SignedInDep) -> FormData:
    """The POSTed form, once its CSRF token is the session's; a refusal otherwise."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise FormRefused(f"the form is larger than {MAX_FORM_BYTES} bytes")
    form = await request.form(max_files=0, max_fields=500)
    require_session_token(signed_in, form)
    return form


STALE_FORM = "the form's security token is missing or out of date"
AGAIN = "go back, reload the page and try again"


def require_session_token(signed_in: SignedIn, form: FormData) -> None:
    """Refuse a signed-in person's form unless its CSRF token is their session's."""
    token = form.get("csrf_token")
    if not SessionService.csrf_ok(signed_in, token if isinstance(token, str) else None):
        raise FormRefused(f"{STALE_FORM}: {AGAIN}")


def require_form_token(request: Request, token: str, method: str) -> None:
    """Refuse a form shown before sign-in unless it carries this browser's form token;
    the failed sign-in is recorded under ``method``."""
    if not form_token_ok(request, token):
        sessions_of(request).refuse_sign_in("", method, STALE_FORM)
        raise FormRefused(f"{STALE_FORM}: {AGAIN}")


CheckedForm = Annotated[FormData, Depends(checked_form)]
