"""Request bodies capped per route, refused with 413 before they fill memory or disk.

A pure ASGI middleware, so it sees the body as the server hands it over, before
FastAPI or a route reads any of it. Each request is matched to a cap:

- a declared ``Content-Length`` over the cap is answered 413 at once, unread;
- a body without one (chunked) is counted as it arrives, and the read that crosses
  the cap raises :class:`~accord.errors.TooLarge` inside the route that was reading
  it (an upload then removes its partial file), whose answer is replaced by the 413.

Caps: dataset uploads ``ACCORD_MAX_UPLOAD_BYTES``; lists of up to 100,000
identifiers (batch validation, checks, opt-outs) 8 MiB; held-record files and the web
service's DPIA document their own fixed limits (their routes give the friendlier
answer up to those, and this cap, a little above, stops anything larger); every
other body, JSON or form, ``ACCORD_MAX_BODY_BYTES``. The 413 is the API's one JSON
error envelope, naming the limit and the setting.

It runs before authentication, so it records nothing: a refusal here costs the
server one header's reading, and counting anonymous refusals is the rate limiter's
job. An authenticated upload refused later, by its content, is audited by its route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.api.errors import error_response
from accord.errors import TooLarge
from accord.settings import Settings

__all__ = ["BodyCap", "BodyLimits", "caps_for"]

_MULTIPART_SLACK = 64 * 1024
"""Room above a form's file limit for its multipart framing and other fields."""
IDENTIFIER_LIST_BYTES = 8 * 1024**2
"""The cap for bodies carrying a list of identifiers (up to 100,000 of them, which is
about 1.5 MB of JSON): generous for the largest list a route accepts, bounded."""


@dataclass(frozen=True, slots=True)
class BodyCap:
    """The most bytes a request's body may hold, and the setting (or rule) that says so."""

    limit: int
    setting: str
    route_answers_length: bool = False
    """The route refuses a declared length itself, unread, once it knows the caller (the
    dataset uploads, to audit it) or on a page a person can act on (the web service's
    DPIA upload); this cap then only counts what is streamed."""

    def refusal(self, what: str) -> TooLarge:
        return TooLarge(
            f"the request body {what}, over the limit of {self.limit:,} bytes for this "
            f"endpoint ({self.setting}); nothing was stored",
            limit=self.limit,
            setting=self.setting,
        )


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    path: re.Pattern[str]
    cap: BodyCap


def caps_for(settings: Settings) -> tuple[tuple[_Route, ...], BodyCap]:
    """The per-route caps and the default cap, from the settings and the routes' rules."""
    from accord.services.drafts import MAX_DPIA_BYTES
    from accord.services.records import MAX_RECORD_BYTES

    segment = "[^/]+"
    # The upload routes refuse a declared length themselves, once the caller is known,
    # so that an authenticated caller's refusal is audited; here only the stream counts.
    upload = BodyCap(
        settings.max_upload_bytes, "ACCORD_MAX_UPLOAD_BYTES", route_answers_length=True
    )
    identifiers = BodyCap(IDENTIFIER_LIST_BYTES, "the identifier-list limit, 8 MiB")
    routes = (
        _Route("POST", re.compile(f"/datasets/{segment}/{segment}(/versions)?/?"), upload),
        _Route(
            "POST",
            re.compile(f"/organisations/{segment}/held-records/?"),
            BodyCap(
                MAX_RECORD_BYTES + _MULTIPART_SLACK,
                "the held-record file limit, 20 MiB",
                route_answers_length=True,
            ),
        ),
        *(
            _Route("POST", re.compile(path), identifiers)
            for path in (
                f"/batch-checks/{segment}/{segment}/batches/?",
                f"/agreements/{segment}/check/?",
                f"/organisations/{segment}/opt-outs/?",
            )
        ),
        _Route(
            "POST",
            re.compile(f"/ask/{segment}/dpia-document/?"),
            BodyCap(
                MAX_DPIA_BYTES + _MULTIPART_SLACK,
                "the DPIA document limit, 10 MiB",
                route_answers_length=True,
            ),
        ),
    )
    return routes, BodyCap(settings.max_body_bytes, "ACCORD_MAX_BODY_BYTES")


class BodyLimits:
    """The middleware: see the module docstring."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.routes, self.default = caps_for(settings)

    def cap(self, method: str, path: str) -> BodyCap:
        for route in self.routes:
            if route.method == method and route.path.fullmatch(path):
                return route.cap
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > cap.limit and not cap.route_answers_length:
            await _answer(cap.refusal(f"declares {declared:,} bytes"), scope, receive, send)
            return
        received = 0
        crossed: TooLarge | None = None
        started = False

        async def counted() -> Message:
            nonlocal received, crossed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap.limit:
                    crossed = cap.refusal(f"passed {cap.limit:,} bytes")
                    raise crossed
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if crossed is not None:
                return  # the app's own answer to the error; the 413 is sent below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except TooLarge:
            if crossed is None:
                raise
        if crossed is not None and not started:
            await _answer(crossed, scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _answer(error: TooLarge, scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(error.status_code, error.code, error.message, dict(error.details))
    # The rest of the body is not read: the connection cannot be reused for another request.
    response.headers["Connection"] = "close"
    await response(scope, receive, send)
