"""The Delta Sharing protocol's error body, for every route under ``/delta-sharing``.

Delta Sharing clients expect ``{"errorCode": "...", "message": "..."}`` with the
protocol's codes, not Accord's own envelope, so the protocol's routes use
:class:`DeltaSharingRoute`, which translates at this edge what the rest of the API
translates in :mod:`accord.api.errors`. The rules stay Accord's: a refusal is on the
record (the sharing service writes it; :func:`~accord.api.errors.record_refusal` covers
anything it did not), another organisation's share answers exactly as a missing one
(both are ``RESOURCE_DOES_NOT_EXIST``), and an unexpected failure says nothing about
internals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from accord.api.errors import record_refusal
from accord.core.problems import problem_message
from accord.errors import AccordError

__all__ = [
    "ERROR_CODES",
    "ERROR_RESPONSES",
    "DeltaSharingError",
    "DeltaSharingRoute",
    "delta_error",
    "error_code",
]

log = logging.getLogger("accord.api")

ERROR_CODES: dict[int, str] = {
    400: "INVALID_PARAMETER_VALUE",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_DOES_NOT_EXIST",
    409: "INVALID_PARAMETER_VALUE",
    416: "INVALID_PARAMETER_VALUE",
    422: "INVALID_PARAMETER_VALUE",
    429: "RESOURCE_EXHAUSTED",
}
"""The protocol's code for each status Accord answers with; anything else is
``INTERNAL_ERROR``."""


class DeltaSharingError(BaseModel):
    """The protocol's error body, as the OpenAPI document describes it."""

    errorCode: str
    message: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": DeltaSharingError, "description": text}
    for status, text in (
        (400, "Invalid parameter, named in the message"),
        (401, "Missing, unknown, expired or revoked share token"),
        (403, "The agreement behind the share does not allow this"),
        (404, "No such share, schema or table (or not yours)"),
        (409, "Conflicts with what exists"),
        (422, "Invalid input (answered as 400, the protocol's status)"),
    )
}
"""The error answers of every protocol route, documented in the protocol's shape: they
replace the API-wide envelope the application declares for the same statuses."""


def error_code(status: int) -> str:
    return ERROR_CODES.get(status, "INTERNAL_ERROR")


def delta_error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The protocol's error body. A bad parameter is a 400, as the protocol has it
    (Accord's own API says 422 for the same thing)."""
    if status == 422:
        status = 400
    extra = dict(headers or {})
    if status == 401:
        extra["WWW-Authenticate"] = 'Bearer realm="accord-delta-sharing"'
    return JSONResponse(
        {"errorCode": error_code(status), "message": message}, status_code=status, headers=extra
    )


class DeltaSharingRoute(APIRoute):
    """A route answering its errors in the protocol's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except AccordError as exc:
                await run_in_threadpool(record_refusal, request, exc)
                headers: dict[str, str] = {}
                retry_after = getattr(exc, "retry_after", None)
                if retry_after is not None:
                    headers["Retry-After"] = str(max(1, int(retry_after) + 1))
                return delta_error(exc.status_code, exc.message, headers)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else None
                where = ".".join(str(p) for p in first["loc"]) if first else "request"
                text = problem_message(first) if first else "invalid"
                return delta_error(400, f"{where}: {text}")
            except Exception:
                log.exception("unhandled error in a Delta Sharing route")
                return delta_error(500, "an unexpected error occurred; it has been logged")

        return answer
