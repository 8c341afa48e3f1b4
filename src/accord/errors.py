"""Accord's exception tree: one root, translated at the edges.

The CLI turns these into a message and an exit code; the API into one JSON error
envelope with the HTTP status each class carries. Driver exceptions (SQLAlchemy,
DuckDB, psycopg) are caught at the adapter that raised them and re-raised as one of
these with ``raise ... from exc``, so they never leak to users.

    AccordError
    ├── ConfigurationError        a setting is missing or invalid (the message says how to fix it)
    ├── ValidationError           input is malformed; carries the problems by row and column
    ├── NotFoundError             an object named by the caller does not exist, or is
    │                             another organisation's: both answer :func:`not_found`
    ├── ConflictError             the object exists already, or its state forbids the change
    ├── AuthenticationError       no valid credential (401)
    ├── PermissionDenied          a valid caller may not do this (403); carries the reason
    ├── RateLimited               too many refusals for this caller (429); carries retry_after
    ├── AuditError                the audit log could not be written or does not verify
    ├── StoreError                the metadata store failed underneath us
    └── StorageError              a file could not be written (disk full, read-only, no
                                  permission); names the path and what to do
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AccordError",
    "AuditError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "NotFoundError",
    "PermissionDenied",
    "RateLimited",
    "StorageError",
    "StoreError",
    "ValidationError",
    "not_found",
]


class AccordError(Exception):
    """Root of every error Accord raises on purpose."""

    status_code: int = 500
    code: str = "error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}


class ConfigurationError(AccordError):
    status_code = 500
    code = "configuration"


class ValidationError(AccordError, ValueError):
    """Bad input. ``problems`` lists each one with its row and column where known."""

    status_code = 422
    code = "validation"

    def __init__(self, message: str, *, problems: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class NotFoundError(AccordError, LookupError):
    status_code = 404
    code = "not_found"


def not_found(kind: str, ident: str) -> NotFoundError:
    """The one answer for an object the caller may not know of: ``no request 'req-1'``.

    A missing object and another organisation's private one (a request, agreement,
    package, share token…) answer exactly alike, in status, message and exit code, so
    that a refusal never confirms that someone else's object exists. The message quotes
    only what the caller sent; the audit log keeps the real reason.
    """
    return NotFoundError(f"no {kind} {ident!r}")


class ConflictError(AccordError):
    status_code = 409
    code = "conflict"


class AuthenticationError(AccordError):
    status_code = 401
    code = "unauthenticated"


class PermissionDenied(AccordError, PermissionError):
    """A refusal. ``reason`` is the same text written to the audit log."""

    status_code = 403
    code = "forbidden"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(AccordError):
    """The caller has used up their allowance; ``retry_after`` says in how many seconds."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, details={"retry_after": round(retry_after, 3)})
        self.retry_after = retry_after


class AuditError(AccordError):
    status_code = 500
    code = "audit"


class StoreError(AccordError):
    status_code = 500
    code = "store"


class StorageError(AccordError):
    """A file could not be written: the disk is full, read-only or not ours to write.

    Raised by :mod:`accord.fsutil` in place of the ``OSError``, after removing whatever
    was half-written, so the message names the path and the fix instead of a traceback.
    """

    status_code = 507
    code = "storage"
