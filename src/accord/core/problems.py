"""Validation problems in words a civil servant can act on.

Pydantic's messages are written for programmers ("Input should be a valid date or
datetime, input is too short"); the CLI and the API show these instead, naming what
was expected. Pure: it reads one error as Pydantic reports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["problem_location", "problem_message"]

_DATE_ERRORS = frozenset(
    {"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"}
)


def problem_location(error: Mapping[str, Any]) -> str:
    """``datasets.0.fields.2.transform``: where the problem is, as a dotted path."""
    return ".".join(str(part) for part in error.get("loc", ())) or "(document)"


def problem_message(error: Mapping[str, Any]) -> str:
    """The problem, with the form expected where the input had the wrong one."""
    kind = str(error.get("type", ""))
    if kind in _DATE_ERRORS:
        return f"expected a date as YYYY-MM-DD (e.g. 2026-12-01), got {error.get('input')!r}"
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ")
