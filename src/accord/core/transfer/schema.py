"""One hash for a table's shape, so a changed schema is noticed wherever it matters.

The schema hash covers column names, their order and their types, not nullability or
metadata: a test exchange proves the recipient can load *this* shape, and any change to
it (a column added, renamed, retyped or moved) needs a new test exchange.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

__all__ = ["Column", "schema_sha256"]

Column = tuple[str, str]
"""(name, type) with the type as Arrow spells it, e.g. ``("date_of_birth", "date32[day]")``."""


def schema_sha256(columns: Sequence[Column]) -> str:
    canonical = json.dumps([[name, kind] for name, kind in columns], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
