"""Signing in with a local account, or with an organisation's identity provider.

``POST /sign-in`` checks a username, password and security code
(:class:`accord.services.accounts.AccountService`); ``POST /sign-in/oidc/{provider}``
sends the browser to the organisation's provider and
``GET /sign-in/oidc/{provider}/callback`` brings it back (:mod:`accord.web.oidc`), the
provider's claims judged by :func:`accord.web.oidc_providers.admit`. Every way in
starts a new session (any earlier one is ended, so nothing planted is promoted), and
goes on only to a path on this service. Every refusal is a ``web.sign_in`` deny event.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from accord.errors import ConfigurationError, NotFoundError, ValidationError
from accord.services.accounts import LOCAL_METHOD, AccountService, SignInRefused
from accord.services.app import Accord
from accord.web.deps import (
    accord_of,
    current,
    require_form_token,
    safe_next,
    sessions_of,
)
from accord.web.oidc import OidcError, OidcSignIn
from accord.web.oidc_people import admit_and_apply
from accord.web.oidc_providers import Refusal, load_providers
from accord.web.render import page
from accord.web.routes.start import sign_in_page, signed_in_response
from accord.web.security import SESSION_COOKIE

__all__ = ["configure_sign_in", "router"]

router = APIRouter()

MAX_FIELD = 1000
"""Longer answers are cut here, before any work is done on them."""
MAX_FORM_BYTES = 10_000
"""A sign-in form is a few short fields: a larger body is refused before it is read."""


def _web(request: Request) -> None:
    request.state.web = True


Web = Depends(_web)


async def _sign_in_form(request: Request) -> FormData:
    request.state.web = True
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_FORM_BYTES:
        raise ValidationError(
            f"a sign-in form is sent with its length, and is at most {MAX_FORM_BYTES} bytes"
        )
    return await request.form(max_files=0, max_fields=20)


SignInForm = Annotated[FormData, Depends(_sign_in_form)]


def _field(form: FormData, name: str, most: int = MAX_FIELD, default: str = "") -> str:
    value = form.get(name, default)
    return value[:most] if isinstance(value, str) else default


def _check_form_token(request: Request, form: FormData, method: str) -> None:
    """The form's token is the one this browser was given, or a recorded refusal."""
    require_form_token(request, _field(form, "csrf_token"), method)


class _LocalAccounts:
    """Whether the sign-in page shows the password form: whenever an account exists,
    and on a service with no other way in (so that the first account can be used)."""

    def __init__(self, accounts: AccountService, other_ways: bool) -> None:
        self.accounts = accounts
        self.other_ways = other_ways

    def __bool__(self) -> bool:
        return not self.other_ways or self.accounts.any_accounts()


def configure_sign_in(app: FastAPI, accord: Accord) -> None:
    """Local accounts always; the identity providers in ``ACCORD_OIDC_PROVIDERS``."""
    accounts = AccountService(accord.store, accord.keys, accord.platform_org)
    providers = []
    if accord.settings.oidc_providers:
        path = Path(accord.settings.oidc_providers).expanduser()
        for provider in load_providers(path, os.environ):
            # A provider bound to an organisation this service does not know is a
            # configuration error, found at start-up rather than at someone's sign-in.
            try:
                accord.store.get_organisation(provider.organisation)
            except NotFoundError as exc:
                raise ConfigurationError(
                    f"ACCORD_OIDC_PROVIDERS: provider {provider.id!r} is bound to "
                    f"{provider.organisation!r}, which is not an organisation here: create "
                    "it (`accord org create`) or correct `organisation`"
                ) from exc
            providers.append(OidcSignIn(provider, accounts.accounts))
    app.state.web_accounts = accounts
    app.state.web_oidc = {sign_in.provider.id: sign_in for sign_in in providers}
    app.state.web_providers = [sign_in.provider for sign_in in providers]
    app.state.web_local_accounts = _LocalAccounts(
        accounts, bool(providers) or accord.settings.web_demo_sign_in
    )


def _start_session(
    request: Request, principal_id: str, method: str, via: str, next_path: str
) -> Response:
    sessions = sessions_of(request)
    sessions.end(request.cookies.get(SESSION_COOKIE))
    secret = sessions.start(principal_id, method, via=via)
    return signed_in_response(request, secret, next_path)


# -- local accounts ---------------------------------------------------------------------


@router.post("/sign-in", dependencies=[Web])
def sign_in_local(request: Request, form: SignInForm) -> Response:
    current(request)
    _check_form_token(request, form, LOCAL_METHOD)
    next_path = safe_next(_field(form, "next", 2000, "/"))
    username = _field(form, "username").strip()
    password, code = _field(form, "password"), _field(form, "code", 20)
    errors = [
        {"field": field, "text": text}
        for field, value, text in (
            ("username", username, "Enter your username"),
            ("password", password, "Enter your password"),
            ("code", code.strip(), "Enter the security code from your authenticator app"),
        )
        if not value
    ]
    if not errors:
        accounts: AccountService = request.app.state.web_accounts
        try:
            principal = accounts.verify(username, password, code)
        except SignInRefused as refused:
            errors = [{"field": "username", "text": refused.message}]
        else:
            return _start_session(request, principal.id, LOCAL_METHOD, "a local account", next_path)
    return sign_in_page(request, next_path, status_code=422, errors=errors, username=username)


# -- organisations' identity providers ----------------------------------------------------


def _sign_in_with(request: Request, provider_id: str) -> OidcSignIn:
    sign_in: OidcSignIn | None = request.app.state.web_oidc.get(provider_id)
    if sign_in is None:
        raise NotFoundError(f"no identity provider {provider_id!r}")
    return sign_in


def _unavailable(request: Request, sign_in: OidcSignIn) -> Response:
    return page(
        request,
        "message.html",
        status_code=502,
        title="Sorry, you cannot sign in that way at the moment",
        paragraphs=[
            f"{sign_in.provider.label} did not answer as expected. Try again later, or "
            "sign in another way."
        ],
        link=("/sign-in", "Go to the sign-in page"),
    )


def _refused(request: Request, sign_in: OidcSignIn, who: str, reason: str) -> Response:
    sessions_of(request).refuse_sign_in(who, f"oidc:{sign_in.provider.id}", reason)
    return page(
        request,
        "message.html",
        status_code=403,
        title="You could not be signed in",
        paragraphs=[
            f"{sign_in.provider.label} did not sign you in to this service, or your "
            "account there does not match your roles here.",
            "Start again from the sign-in page. If this keeps happening, ask your "
            "organisation's Accord administrator. The attempt has been recorded.",
        ],
        link=("/sign-in", "Go to the sign-in page"),
    )


@router.post("/sign-in/oidc/{provider_id}", dependencies=[Web])
def sign_in_oidc(request: Request, provider_id: str, form: SignInForm) -> Response:
    current(request)
    sign_in = _sign_in_with(request, provider_id)
    _check_form_token(request, form, f"oidc:{provider_id}")
    redirect_uri = sign_in.provider.redirect_uri or str(
        request.url_for("sign_in_oidc_callback", provider_id=provider_id)
    )
    try:
        url = sign_in.start(redirect_uri, safe_next(_field(form, "next", 2000, "/")))
    except OidcError as exc:
        sessions_of(request).refuse_sign_in("", f"oidc:{provider_id}", exc.reason)
        return _unavailable(request, sign_in)
    return Response(status_code=303, headers={"Location": url})


@router.get("/sign-in/oidc/{provider_id}/callback", dependencies=[Web])
def sign_in_oidc_callback(
    request: Request,
    provider_id: str,
    state: str = "",
    code: str = "",
    iss: str | None = None,
    error: str = "",
) -> Response:
    current(request)
    sign_in = _sign_in_with(request, provider_id)
    flow = sign_in.take(state)
    if flow is None:
        return _refused(request, sign_in, "", "unknown, expired or already used sign-in state")
    if error:
        return _refused(request, sign_in, "", f"the provider answered {error[:100]!r}")
    try:
        claims = sign_in.finish(flow, code, iss)
    except OidcError as exc:
        return _refused(request, sign_in, "", exc.reason)
    provider = sign_in.provider
    verdict = admit_and_apply(accord_of(request).store, provider, claims)
    if isinstance(verdict, Refusal):
        return _refused(request, sign_in, verdict.principal_id, verdict.reason)
    roles = ", ".join(sorted(r.value for r in verdict.roles))
    return _start_session(
        request,
        verdict.principal_id,
        f"oidc:{provider.id}",
        f"{provider.label} ({roles} at {provider.organisation})",
        flow.next_path,
    )
