"""Accord's exception tree: one root, translated at the edges.

The CLI turns these into a message and an exit code; the API into one JSON error
envelope with the HTTP status each class carries. Driver exceptions (SQLAlchemy,
DuckDB, psycopg) are caught at the adapter that raised them and re-raised as one of
these with ``raise ... from exc``, so they never leak to users.

    AccordError
    ├── ConfigurationError        a setting is missing or invalid (the message says how to fix it)
    ├── ValidationError           input is malformed; carries the problems by row and column
    │   └── TooLarge              a body, file or value is over a configured limit (413)
    ├── NotFoundError             an object named by the caller does not exist, or is
    │                             another organisation's: both answer :func:`not_found`
    ├── ConflictError             the object exists already, or its state forbids the change
    ├── AuthenticationError       no valid credential (401)
    ├── PermissionDenied          a valid caller may not do this (403); carries the reason
    ├── RateLimited               too many requests or refusals for this caller, or every
    │                             query slot busy (429); carries retry_after
    ├── LimitExceeded             a query or extract went past a resource limit (memory,
    │                             time, spill space): names the limit and its setting (422)
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
    "LimitExceeded",
    "NotFoundError",
    "PermissionDenied",
    "RateLimited",
    "StorageError",
    "StoreError",
    "TooLarge",
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


class TooLarge(ValidationError):
    """Input over a configured size limit: 413, naming the limit and the setting that sets it.

    A subclass of :class:`ValidationError` so that code catching bad input catches this
    too; it differs only in status, which tells a client that sending less will do.
    """

    status_code = 413
    code = "too_large"

    def __init__(self, message: str, *, limit: int, setting: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.setting = setting
        self.details.update(limit=limit, setting=setting)


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


class LimitExceeded(AccordError):
    """A query or extract stopped at one of its resource limits.

    ``limit`` is the setting that bounds it (``ACCORD_QUERY_MEMORY``, say), so the
    message tells the caller what was too big and the operator what to raise. Asking
    again unchanged fails the same way, hence 422 rather than a 5xx.
    """

    status_code = 422
    code = "limit_exceeded"

    def __init__(self, message: str, *, limit: str) -> None:
        super().__init__(message, details={"limit": limit})
        self.limit = limit


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
