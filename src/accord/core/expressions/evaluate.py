"""A pure-Python reference evaluator, with SQL's three-valued logic.

It is the specification the compiled SQL is tested against, and lets other code
(eligibility rules, unit tests) apply a filter to a few rows without a database.
``None`` is SQL NULL: comparisons with it are unknown, ``and``/``or`` follow
Kleene's tables, and a row is selected only when the filter is ``True``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from accord.core.expressions import dates
from accord.core.expressions.areas import AreaLookup
from accord.core.expressions.errors import ExpressionError
from accord.core.expressions.nodes import (
    Age,
    And,
    Between,
    BooleanLiteral,
    Column,
    CompareOp,
    Comparison,
    DateLiteral,
    DateShift,
    DecimalLiteral,
    Expr,
    InArea,
    InList,
    IntegerLiteral,
    IsNull,
    Like,
    Lower,
    Not,
    NullLiteral,
    Or,
    StartsWith,
    StringLiteral,
    Today,
    Upper,
)
from accord.core.expressions.typecheck import TypedExpression

__all__ = ["evaluate", "matches"]

_OPERATORS: dict[CompareOp, Callable[[Any, Any], bool]] = {
    CompareOp.EQ: operator.eq,
    CompareOp.NE: operator.ne,
    CompareOp.LT: operator.lt,
    CompareOp.LE: operator.le,
    CompareOp.GT: operator.gt,
    CompareOp.GE: operator.ge,
}


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def like_regex(pattern: str) -> re.Pattern[str]:
    """SQL ``LIKE`` as a regular expression: ``%`` any run, ``_`` one character."""
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


def matches(
    expression: Expr | TypedExpression,
    row: Mapping[str, object],
    reference_date: date,
    *,
    areas: AreaLookup | None = None,
) -> bool:
    """Whether the filter selects ``row``: true, not false and not unknown."""
    return evaluate(expression, row, reference_date, areas=areas) is True


def evaluate(
    expression: Expr | TypedExpression,
    row: Mapping[str, object],
    reference_date: date,
    *,
    areas: AreaLookup | None = None,
) -> object:
    """The value of ``expression`` for ``row`` (column name to Python value, None for NULL).

    Pass a checked :class:`TypedExpression` so date-like strings are already dates;
    an unchecked tree that compares unlike values raises :class:`ExpressionError`.
    ``areas`` is the geography ``in_area`` reads (required only if the filter uses it).
    """
    node = expression.expression if isinstance(expression, TypedExpression) else expression
    return _Evaluator(row, reference_date, areas).value(node)


def _same_footing(left: Any, right: Any) -> tuple[Any, Any]:
    """Promote as the databases do: a float beats an exact number, a timestamp a date."""
    if isinstance(left, float) and isinstance(right, int | Decimal):
        return left, float(right)
    if isinstance(right, float) and isinstance(left, int | Decimal):
        return float(left), right
    if isinstance(left, datetime) and not isinstance(right, datetime) and isinstance(right, date):
        return left, datetime(right.year, right.month, right.day)
    if isinstance(right, datetime) and not isinstance(left, datetime) and isinstance(left, date):
        return datetime(left.year, left.month, left.day), right
    return left, right


def compare(op: CompareOp, left: object, right: object) -> bool | None:
    """One SQL comparison: unknown (None) when either side is NULL."""
    if left is None or right is None:
        return None
    left, right = _same_footing(left, right)
    try:
        return _OPERATORS[op](left, right)
    except TypeError as exc:
        raise ExpressionError(f"cannot compare {left!r} with {right!r}") from exc


def _and(left: bool | None, right: bool | None) -> bool | None:
    if left is False or right is False:
        return False
    if left is None or right is None:
        return None
    return True


def _or(left: bool | None, right: bool | None) -> bool | None:
    if left is True or right is True:
        return True
    if left is None or right is None:
        return None
    return False


def _not(value: bool | None) -> bool | None:
    return None if value is None else not value


class _Evaluator:
    def __init__(
        self, row: Mapping[str, object], reference_date: date, areas: AreaLookup | None
    ) -> None:
        self.row = row
        self.today = reference_date
        self.areas = areas

    def truth(self, node: Expr) -> bool | None:
        value = self.value(node)
        if value is None or isinstance(value, bool):
            return value
        raise ExpressionError(f"expected true or false, got {value!r}", offset=node.at)

    def value(self, node: Expr) -> object:
        match node:
            case (
                StringLiteral(value)
                | IntegerLiteral(value)
                | DecimalLiteral(value)
                | BooleanLiteral(value)
                | DateLiteral(value)
            ):
                return value
            case NullLiteral():
                return None
            case Column(name):
                if name not in self.row:
                    raise ExpressionError(f"row has no column {name!r}", offset=node.at)
                return self.row[name]
            case Today():
                return self.today
            case Age(operand):
                born = self.value(operand)
                return None if born is None else dates.age(_as_date(born), self.today)
            case DateShift(operand, subtract, amount, unit):
                start = self.value(operand)
                if start is None:
                    return None
                return dates.shift(_as_date(start), -amount if subtract else amount, unit)
            case Comparison(op, left, right):
                return compare(op, self.value(left), self.value(right))
            case InList(operand, items, negated):
                found = self.member(self.value(operand), items)
                return _not(found) if negated else found
            case Between(operand, low, high, negated):
                tested = self.value(operand)
                inside = _and(
                    compare(CompareOp.GE, tested, self.value(low)),
                    compare(CompareOp.LE, tested, self.value(high)),
                )
                return _not(inside) if negated else inside
            case IsNull(operand, negated):
                return (self.value(operand) is None) != negated
            case Lower(operand) | Upper(operand):
                text = self.value(operand)
                table = _LOWER if isinstance(node, Lower) else _UPPER
                return None if text is None else _as_text(text).translate(table)
            case Like(operand, pattern, negated):
                text, wanted = self.value(operand), self.value(pattern)
                if text is None or wanted is None:
                    return None
                found = like_regex(_as_text(wanted)).fullmatch(_as_text(text)) is not None
                return found != negated
            case StartsWith(operand, prefix):
                text, start = self.value(operand), self.value(prefix)
                if text is None or start is None:
                    return None
                return _as_text(text).startswith(_as_text(start))
            case InArea(operand, codes):
                return self.in_area(node, self.value(operand), codes)
            case Not(operand):
                return _not(self.truth(operand))
            case And(left, right):
                return _and(self.truth(left), self.truth(right))
            case Or(left, right):
                return _or(self.truth(left), self.truth(right))
        raise TypeError(f"not an expression node: {node!r}")  # pragma: no cover

    def in_area(self, node: Expr, value: object, codes: tuple[str, ...]) -> bool | None:
        if self.areas is None:
            raise ExpressionError("in_area() needs the geography: pass areas=", offset=node.at)
        wanted = codes or self.areas.served
        if not wanted:
            raise ExpressionError(
                "in_area() names no districts and the recipient declares none", offset=node.at
            )
        if value is None:
            return None
        return self.areas.district(_as_text(value)) in wanted

    def member(self, value: object, items: tuple[Expr, ...]) -> bool | None:
        """SQL ``in``: true on a match; otherwise unknown if anything was NULL."""
        result: bool | None = False
        for item in items:
            result = _or(result, compare(CompareOp.EQ, value, self.value(item)))
        return result


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    raise ExpressionError(f"expected text, got {value!r}")


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    raise ExpressionError(f"expected a date, got {value!r}")
