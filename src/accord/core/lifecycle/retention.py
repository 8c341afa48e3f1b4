"""Retention as a term the platform can execute, not a sentence a person must read.

An agreement keeps data either for a *period* (an ISO 8601 duration such as ``P13M``)
counted from a named *event* (the decision, each delivery, its receipt, the end of the
agreement), or *until* a fixed date. Seed 003's "13 months from the decision maker's
decision" is ``{period: P13M, after: decision}``.

Only calendar durations are accepted (years, months, weeks, days): retention is a
matter of dates, and an hour-level period would suggest a precision no deletion job
or holder can promise. Month arithmetic clamps to the month's last day, as a person
would count it (31 January + P1M is 28 or 29 February).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator, model_validator

__all__ = [
    "RETENTION_FORMS",
    "OptionalRetention",
    "Retention",
    "RetentionEvent",
    "add_duration",
    "parse_duration",
    "parse_retention",
]

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")

RETENTION_FORMS = (
    "a period from an event, {period: P13M, after: decision} or 'P13M after decision', "
    "or a date, {until: 2027-03-31} or 'until 2027-03-31'"
)


class RetentionEvent(StrEnum):
    """What a retention period is counted from."""

    DECISION = "decision"
    """The day the agreement version was approved (seed 003: the decision maker's decision)."""
    DELIVERY = "delivery"
    """The day each package was delivered to the recipient (its load)."""
    RECEIPT = "receipt"
    """The day the recipient receipted each package (at the recipient, the same day as
    delivery: the receipt is signed as the package is loaded)."""
    AGREEMENT_END = "agreement_end"
    """The day the agreement ended: its end date, or the day it was revoked or expired."""


def parse_duration(text: str) -> tuple[int, int, int]:
    """``(years, months, days)`` of an ISO 8601 calendar duration, weeks as 7 days.

    Raises ValueError with a message that says what is accepted.
    """
    match = _DURATION.match(text.strip().upper())
    if match is None or text.strip().upper() == "P":
        raise ValueError(
            f"retention period {text!r} is not an ISO 8601 duration in years, months, weeks "
            "or days, such as P13M, P1Y6M, P90D or P10Y"
        )
    years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
    return years, months, weeks * 7 + days


def add_duration(start: date, period: str) -> date:
    """``start`` plus ``period``: years and months on the calendar (clamped), then days."""
    years, months, days = parse_duration(period)
    total = start.month - 1 + months + 12 * years
    year, month = start.year + total // 12, total % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) + timedelta(days=days)


class Retention(BaseModel):
    """How long a copy may be kept: ``period`` after ``after``, or ``until`` a date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    period: str | None = None
    after: RetentionEvent | None = None
    until: date | None = None

    @field_validator("period")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parse_duration(value)
        return value.strip().upper()

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _parse_text(value)
        return value

    @model_validator(mode="after")
    def _one_form(self) -> Retention:
        if self.until is not None:
            if self.period is not None or self.after is not None:
                raise ValueError(
                    "retention: give either until (a date) or period and after, not both"
                )
            return self
        if self.period is None or self.after is None:
            missing = "after (the event it counts from)" if self.period else "period"
            raise ValueError(f"retention needs {missing}: give {RETENTION_FORMS}")
        return self

    def describe(self) -> str:
        """The readable form the agreement and its decision record show."""
        if self.until is not None:
            return f"until {self.until.isoformat()}"
        assert self.period is not None
        assert self.after is not None
        return f"{_words(self.period)} after the {self.after.value.replace('_', ' ')}"

    def keep_until(self, events: Mapping[RetentionEvent, date]) -> date | None:
        """The last day a copy may be kept (it is due for deletion the day after), or
        None when the event it counts from is not known for this copy."""
        if self.until is not None:
            return self.until
        assert self.period is not None
        assert self.after is not None
        start = events.get(self.after)
        return None if start is None else add_duration(start, self.period)


def parse_retention(value: object) -> Retention | None:
    """A request's or agreement's ``retention`` as written: a mapping, a short text form,
    or empty for none. Free text that says no period or date is refused with the forms
    that are accepted, so that what is agreed is what the deletion job executes."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return Retention.model_validate(value)


def _blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


OptionalRetention = Annotated[Retention | None, BeforeValidator(_blank_is_none)]
"""The ``retention`` field of requests and agreements: empty text or null means none set."""


def _parse_text(text: str) -> dict[str, object]:
    words = text.strip().split()
    if len(words) == 1:
        try:
            return {"until": date.fromisoformat(words[0])}
        except ValueError:
            pass
    if len(words) == 2 and words[0].lower() == "until":
        try:
            return {"until": date.fromisoformat(words[1])}
        except ValueError:
            raise ValueError(
                f"retention date {words[1]!r} is not a date: write it as YYYY-MM-DD"
            ) from None
    if len(words) >= 3 and words[1].lower() == "after" and words[0].upper().startswith("P"):
        event = "_".join(w.lower() for w in words[2:] if w.lower() != "the")
        if event not in {e.value for e in RetentionEvent}:
            raise ValueError(
                f"retention event {' '.join(words[2:])!r} is not one Accord knows: use one of "
                + ", ".join(e.value for e in RetentionEvent)
            )
        return {"period": words[0], "after": event}
    raise ValueError(f"retention {text!r} names no period or date: give {RETENTION_FORMS}")


def _words(period: str) -> str:
    years, months, days = parse_duration(period)
    parts = [
        f"{n} {unit}{'' if n == 1 else 's'}"
        for n, unit in ((years, "year"), (months, "month"), (days, "day"))
        if n
    ]
    return " ".join(parts) if parts else "0 days"
