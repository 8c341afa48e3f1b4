"""The web service, mounted beside the API on the same application and services.

``mount_web`` adds the pages, the static assets (GOV.UK Frontend's, vendored at set-up
by ``scripts/vendor-web-assets``, never from a CDN), the security headers on every
response, and HTML answers for refusals and errors on pages (the API keeps its JSON).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from accord.errors import AccordError, ConfigurationError, NotFoundError, PermissionDenied
from accord.services.app import Accord
from accord.services.faults import error_reference
from accord.web.deps import SignInRequired, current, sign_in_url
from accord.web.render import page
from accord.web.routes import ROUTERS
from accord.web.routes.signin import configure_sign_in
from accord.web.security import secure_headers
from accord.web.sessions import SessionService

__all__ = ["STATIC", "VENDOR", "mount_web", "web_error_page"]

log = logging.getLogger("accord.web")

STATIC = Path(__file__).parent / "static"
VENDOR = STATIC / "vendor"


class _Headers(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        secure_headers(request, response)
        return response


def mount_web(app: FastAPI, accord: Accord) -> None:
    if not (VENDOR / ".stamp").exists():
        raise ConfigurationError(
            f"the web service's assets are missing from {VENDOR}: run `make assets` "
            "(scripts/vendor-web-assets installs GOV.UK Frontend from npm)"
        )
    settings = accord.settings
    app.state.web_sessions = SessionService(
        accord.store,
        accord.platform_org,
        idle=timedelta(minutes=settings.web_idle_minutes),
    )
    app.state.web_demo_sign_in = settings.web_demo_sign_in
    configure_sign_in(app, accord)
    app.add_middleware(_Headers)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/assets", StaticFiles(directory=VENDOR / "govuk" / "assets"), name="assets")
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)

    app.state.page_error = lambda request, exc: (
        web_error_page(request, exc) if wants_page(request) else None
    )

    @app.exception_handler(SignInRequired)
    async def sign_in_first(_: Request, exc: SignInRequired) -> RedirectResponse:
        return RedirectResponse(sign_in_url(exc.next_path), status_code=303)


def wants_page(request: Request) -> bool:
    """A page's request (a route of the web service), or a browser asking for HTML."""
    if getattr(request.state, "web", False):
        return True
    return "text/html" in request.headers.get("accept", "") and request.method == "GET"


def web_error_page(request: Request, exc: Exception) -> HTMLResponse:
    """The page for a refusal or failure: the same words for another organisation's
    object as for a missing one, and nothing about internals."""
    current(request)
    if isinstance(exc, NotFoundError) or getattr(exc, "status_code", 0) == 404:
        return page(
            request,
            "message.html",
            status_code=404,
            title="Page not found",
            paragraphs=[
                "If you typed the web address, check it is correct.",
                "If you followed a link, what it points to does not exist or is not yours to see.",
            ],
            link=("/", "Go to the start page"),
        )
    if isinstance(exc, PermissionDenied):
        return page(
            request,
            "message.html",
            status_code=403,
            title="You cannot do that",
            paragraphs=[exc.message, "This refusal has been recorded in the audit log."],
            link=("/", "Go to the start page"),
        )
    if isinstance(exc, AccordError) and exc.status_code < 500:
        return page(
            request,
            "message.html",
            status_code=exc.status_code,
            title="That could not be done",
            paragraphs=[exc.message],
            link=("/", "Go to the start page"),
        )
    reference = getattr(request.state, "error_reference", None)
    if reference is None:  # an AccordError of the service's own (audit, store, storage)
        reference = error_reference()
        log.error("error on a page, reference %s", reference, exc_info=exc)
    return page(
        request,
        "message.html",
        status_code=getattr(exc, "status_code", 500),
        title="Sorry, there is a problem with the service",
        paragraphs=[
            "Try again later. The problem has been logged.",
            f"If you contact the service's operator, quote the reference {reference}.",
        ],
        link=None,
    )
