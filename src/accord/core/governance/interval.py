"""ISO 8601 durations for recurring shares (``P1M``, ``P7D``, ``P3M``, ``P1Y``, ``P2W``).

A recurring agreement allows one live delivery per interval. Only calendar parts
(years, months, weeks, days) are accepted: an interval shorter than a day is not a
recurring share but a continuous one. Months are calendar months, so ``P1M`` after
31 January is the last day of February, as a person reading the agreement expects.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["Interval", "parse_interval"]

_PATTERN = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


@dataclass(frozen=True, slots=True)
class Interval:
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0

    def after(self, moment: datetime) -> datetime:
        """The moment one interval after ``moment``."""
        month_index = moment.month - 1 + self.months + 12 * self.years
        year = moment.year + month_index // 12
        month = month_index % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day) + timedelta(
            days=self.days + 7 * self.weeks
        )

    def iso(self) -> str:
        parts = [(self.years, "Y"), (self.months, "M"), (self.weeks, "W"), (self.days, "D")]
        return "P" + "".join(f"{n}{unit}" for n, unit in parts if n)


def parse_interval(text: str, *, field: str = "frequency_interval") -> Interval:
    """``text`` as an :class:`Interval`, or a ValueError naming ``field`` and the form."""
    match = _PATTERN.match(text.strip().upper())
    if match is None or not any(match.groups()):
        raise ValueError(
            f"{field} {text!r} is not an ISO 8601 duration in days, weeks, months or years, "
            "such as P7D, P2W, P1M, P3M or P1Y"
        )
    years, months, weeks, days = (int(g or 0) for g in match.groups())
    if not years + months + weeks + days:
        raise ValueError(f"{field} {text!r} is zero: a recurring share needs a positive interval")
    return Interval(years, months, weeks, days)
