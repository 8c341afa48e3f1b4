"""How a notice is delivered: the webhook signature, the retry schedule, the size limit.

Pure functions, so the deliverer (:mod:`accord.services.notify`) and a receiver's own
check agree by construction.

**Signature.** Each webhook request carries ``Accord-Signature: t=<unix>,v1=<hex>``,
where ``<hex>`` is HMAC-SHA256, keyed by the webhook's secret, of ``"<t>.<body>"``. A
receiver recomputes it over the raw body and rejects a mismatch, or a ``t`` too far from
its own clock (a replay). ``Accord-Notice-Id`` lets it ignore a notice it already has:
a crash between sending and recording can resend one notice once to one destination.

**Retries.** A notice that some destination did not take is tried again after
``base * 2**(attempts - 1)`` (1, 2, 4, 8… minutes with the default base of 60 s), up to
``max_attempts`` attempts in all; then it is ``failed`` and stays visible to the
organisation's admin. Destinations that took it are never sent it again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

from accord.core.lifecycle.notices import Notice

__all__ = [
    "MAX_BODY_BYTES",
    "NOTICE_ID_HEADER",
    "SIGNATURE_HEADER",
    "notice_payload",
    "retry_after",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "Accord-Signature"
NOTICE_ID_HEADER = "Accord-Notice-Id"
MAX_BODY_BYTES = 64 * 1024
"""The largest notice (JSON payload) Accord sends; a larger one fails without being sent."""
TOLERANCE_SECONDS = 300


def notice_payload(notice: Notice) -> bytes:
    """The JSON a webhook receives: the notice's fields, keys sorted, UTF-8."""
    body: dict[str, Any] = {
        "id": notice.id,
        "organisation": notice.organisation,
        "kind": notice.kind.value,
        "subject": notice.subject,
        "body": notice.body,
        "reference": notice.reference,
        "created_at": notice.created_at.isoformat() if notice.created_at else None,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Accord-Signature`` header's value for ``body`` sent at ``timestamp``."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify(
    secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret``, at a time within ``tolerance``."""
    fields: dict[str, str] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, value)
    stamp, given = fields.get("t", ""), fields.get("v1", "")
    if not stamp.isdigit() or not given:
        return False
    if abs(now - int(stamp)) > tolerance:
        return False
    return hmac.compare_digest(_mac(secret, int(stamp), body), given)


def retry_after(attempts: int, now: datetime, base_seconds: int) -> datetime:
    """When to try again after ``attempts`` attempts: ``base * 2**(attempts - 1)`` later."""
    return now + timedelta(seconds=base_seconds * 2 ** max(0, attempts - 1))
