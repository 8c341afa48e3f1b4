"""Scrub key material from SQL and driver messages before anyone can read them.

Token SQL carries the linkage-domain key as its two padded forms, ``K ⊕ ipad`` and
``K ⊕ opad``, written as 128-character hex literals (see
:func:`accord.linkage.tokens.hmac_sql`). Those pads are as good as the key, so the
statement is key material. An engine that fails logs the step and the statement at
DEBUG and raises with the driver's message, and the driver quotes the statement back
(DuckDB's ``LINE 1: … ^`` excerpt). Both go through :func:`redact` first, so no log
record and no error a user sees holds a pad, whatever the failure.

Any run of 32 or more hex digits is replaced: the pads (128), the raw key's hex (64)
and any pseudonym (64) alike. Nothing shorter than a 128-bit value can be key
material here, and the SQL that remains still says what failed.
"""

from __future__ import annotations

import re

__all__ = ["REDACTED", "redact"]

REDACTED = "<redacted>"
_HEX_RUN = re.compile(r"[0-9A-Fa-f]{32,}")


def redact(text: str) -> str:
    """``text`` with every run of 32 or more hex digits replaced by ``<redacted>``."""
    return _HEX_RUN.sub(REDACTED, text)
