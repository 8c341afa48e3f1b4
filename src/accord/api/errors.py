"""One JSON error envelope for every failure the API returns.

    {"error": {"status": 403, "code": "forbidden", "message": "...", "details": {...}}}

Accord's own errors carry their status; request-shape errors from FastAPI become 422
with the location of each bad parameter; anything unexpected becomes a 500 that says
nothing about internals.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from accord.core.problems import problem_message
from accord.errors import AccordError, AuthenticationError, RateLimited, ValidationError

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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AccordError)
    async def accord_error(_: Request, exc: AccordError) -> JSONResponse:
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
            {"location": ".".join(str(p) for p in e["loc"]), "message": problem_message(e)}
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
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal", "an unexpected error occurred; it has been logged")
