"""What the edges do with a fault: a refused write on the record, an unexpected error
behind a reference.

A full disk or a read-only file system is not the caller's doing, but it stops an
action they asked for, so it goes to the audit log as a ``deny`` of
``storage.write_failed``, when the audit store can still be written (it may well be on
another disk). Anything unexpected is told to the user as one line with a reference;
the traceback goes to the operator's log only, where the reference finds it.
"""

from __future__ import annotations

import logging
import secrets

from accord.core.audit import AuditEvent, Decision
from accord.errors import AccordError, StorageError
from accord.store import Store

__all__ = ["error_reference", "record_write_failure"]

log = logging.getLogger("accord")


def record_write_failure(store: Store, actor: str, error: StorageError, obj: str) -> None:
    """A ``deny`` event for a write the file system refused; never masks the error."""
    try:
        store.record(
            AuditEvent(
                actor=actor,
                action="storage.write_failed",
                object=obj,
                decision=Decision.DENY,
                reason=f"a write failed: {error.details.get('errno', 'error')}",
                details={"path": str(error.details.get("path", ""))},
            )
        )
    except AccordError as exc:
        log.warning("could not audit the failed write (%s): %s", error.message, exc)


def error_reference() -> str:
    """A short random reference tying an answer to the traceback in the operator's log."""
    return secrets.token_hex(6)
