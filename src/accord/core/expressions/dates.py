"""Calendar arithmetic, defined once for the evaluator and for constant folding.

Months and years are added the way DuckDB, PostgreSQL and Spark 3 all add them:
move the month, keep the day, and clamp to the month's last day when it is shorter
(31 January + 1 month = 29 February in a leap year). Age is whole years completed:
someone born on 29 February turns a year older on 1 March in a common year, as
English law counts it.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from accord.core.expressions.nodes import Unit

__all__ = ["age", "shift"]


def shift(value: date, amount: int, unit: Unit) -> date:
    """``value`` moved by ``amount`` units (negative to go back).

    A ``datetime`` keeps its time of day. Raises ``OverflowError`` outside years 1-9999.
    """
    if unit is Unit.DAY:
        try:
            return value + timedelta(days=amount)
        except OverflowError:
            raise OverflowError("date out of range") from None
    months = amount * (12 if unit is Unit.YEAR else 1)
    index = value.year * 12 + (value.month - 1) + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def age(born: date, at: date) -> int:
    """Whole years from ``born`` to ``at`` (negative if ``born`` is later)."""
    if isinstance(born, datetime):
        born = born.date()
    if isinstance(at, datetime):
        at = at.date()
    had_birthday = (at.month, at.day) >= (born.month, born.day)
    return at.year - born.year - (0 if had_birthday else 1)
