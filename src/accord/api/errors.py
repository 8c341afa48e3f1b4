"""One JSON error envelope for every failure the API returns.

    {"error": {"status": 403, "code": "forbidden", "message": "...", "details": {...}}}

Accord's own errors carry their status; request-shape errors from FastAPI become 422
with the location of each bad parameter (an unknown body field is named); a full disk
or refused write becomes 507 ``storage`` and a ``storage.write_failed`` event; anything
unexpected becomes a 500 that says nothing about internals, only a reference under which
the server's log holds the traceback.

Refusals are uniform and always on the record. Another organisation's private object
answers exactly as a missing one: 404, ``not_found``, ``no request 'req-1'`` (see
:func:`accord.errors.not_found` and :func:`accord.services.guard.refuse`). And every
403 or 404 answered to an authenticated caller leaves a ``deny`` event: if the service
that refused did not write one (a lookup of a missing object, say), this edge writes
it, as ``api.access`` with the answer's message as the reason.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from accord.core.audit import AuditEvent, Decision
from accord.core.problems import problem_message
from accord.errors import (
    AccordError,
    AuthenticationError,
    NotFoundError,
    PermissionDenied,
    RateLimited,
    StorageError,
    ValidationError,
)
from accord.fsutil import storage_error
from accord.services.faults import error_reference, record_write_failure
from accord.store import AuditFilter

__all__ = ["ErrorBody", "ErrorEnvelope", "error_response", "install_error_handlers"]

log = logging.getLogger("accord.api")


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorEnvelope(BaseModel):
    error: ErrorBody


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> JSONResponse:
    body = ErrorEnvelope(
        error=ErrorBody(status=status, code=code, message=message, details=details or {})
    )
    headers = {"WWW-Authenticate": 'Bearer realm="accord"'} if status == 401 else None
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _problems(exc: ValidationError) -> list[dict[str, Any]]:
    out = []
    for problem in exc.problems[:100]:
        out.append(
            {
                "row": getattr(problem, "row", None),
                "column": getattr(problem, "column", None),
                "code": getattr(problem, "code", "invalid"),
                "message": getattr(problem, "message", str(problem)),
            }
        )
    return out


def record_refusal(request: Request, exc: AccordError) -> None:
    """Write a ``deny`` event for a refusal to an authenticated caller, unless one was."""
    caller = getattr(request.state, "caller", None)
    if caller is None or not isinstance(exc, PermissionDenied | NotFoundError):
        return
    store = request.app.state.accord.store
    since: int = request.state.audit_seq
    latest = store.audit_events(AuditFilter(actor=caller.actor, decision="deny", limit=1))
    if latest and latest[0].seq > since:
        return
    store.record(
        AuditEvent(
            actor=caller.actor,
            action="api.access",
            object=f"{request.method} {request.url.path}",
            decision=Decision.DENY,
            reason=exc.message,
            details={"status": exc.status_code},
        )
    )


def record_storage_failure(request: Request, exc: StorageError) -> None:
    caller = getattr(request.state, "caller", None)
    actor = caller.actor if caller is not None else "anonymous"
    obj = f"{request.method} {request.url.path}"
    record_write_failure(request.app.state.accord.store, actor, exc, obj)


def _page(request: Request, exc: Exception) -> Response | None:
    """The web service's HTML answer, when the request was for a page (see
    :mod:`accord.web.app`); None for the API, which answers in JSON."""
    hook = getattr(request.app.state, "page_error", None)
    result: Response | None = hook(request, exc) if hook is not None else None
    return result


def _request_problem(error: dict[str, Any]) -> str:
    """A request-shape problem in words; an unknown field is named, since it is most
    likely a misspelling of one the endpoint knows (see :class:`accord.api.schemas.StrictModel`)."""
    if error.get("type") == "extra_forbidden" and error.get("loc"):
        return f"unknown field {str(error['loc'][-1])!r}: check its spelling"
    return problem_message(error)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AccordError)
    async def accord_error(request: Request, exc: AccordError) -> Response:
        await run_in_threadpool(record_refusal, request, exc)
        if isinstance(exc, StorageError):
            await run_in_threadpool(record_storage_failure, request, exc)
        html = await run_in_threadpool(_page, request, exc)
        if html is not None:
            return html
        details = dict(exc.details)
        if isinstance(exc, ValidationError) and exc.problems:
            details["problems"] = _problems(exc)
            details["problem_count"] = len(exc.problems)
        if isinstance(exc, AuthenticationError):
            details["hint"] = "send Authorization: Bearer <token> with a valid, unrevoked token"
        response = error_response(exc.status_code, exc.code, exc.message, details)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
        return response

    @app.exception_handler(RequestValidationError)
    async def request_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": ".".join(str(p) for p in e["loc"]), "message": _request_problem(e)}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"location": "request", "message": "invalid"}
        return error_response(
            422,
            "validation",
            f"{first['location']}: {first['message']}",
            {"errors": errors},
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        html = await run_in_threadpool(_page, request, exc)
        if html is not None:
            return html
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        translated = storage_error(exc, getattr(exc, "filename", None) or "a file")
        if translated is not None:
            log.warning("write refused: %s", translated.message)
            return await accord_error(request, translated)
        reference = error_reference()
        request.state.error_reference = reference
        log.error("unhandled error, reference %s", reference, exc_info=exc)
        if getattr(request.state, "web", False):
            html = await run_in_threadpool(_page, request, exc)
            if html is not None:
                return html
        return error_response(
            500,
            "internal",
            f"internal error, reference {reference}: the server's log holds the details",
            {"reference": reference},
        )
