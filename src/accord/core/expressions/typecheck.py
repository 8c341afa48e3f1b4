"""Checking a parsed filter against a dataset's schema.

The checker is where a filter stops being text a requester typed and becomes
something an approver can trust: every column exists, every comparison is between
like and like, and the whole thing is true or false for each row. A string literal
compared with a date is read as a date here (``dob < '1990-01-01'``) so the compiler
never guesses; anything else that mixes types is refused, naming the column.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from accord.core.expressions.areas import is_district
from accord.core.expressions.describe import describe
from accord.core.expressions.errors import FilterTypeError
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
    depth,
)
from accord.core.expressions.parser import MAX_DEPTH, parse_date
from accord.core.vocabulary import DataType

__all__ = ["TypedExpression", "check"]

_FAMILY = {
    DataType.BOOLEAN: "boolean",
    DataType.BIGINT: "number",
    DataType.DOUBLE: "number",
    DataType.DATE: "date",
    DataType.TIMESTAMP: "date",
    DataType.VARCHAR: "text",
}
_TEMPORAL = (DataType.DATE, DataType.TIMESTAMP)
_EQUALITY = (CompareOp.EQ, CompareOp.NE)
_NULL_USE = "null can only be tested with 'is null' or 'is not null'"


@dataclass(frozen=True, slots=True)
class TypedExpression:
    """A filter that passed :func:`check`: boolean, and only over known columns.

    ``expression`` is the parsed tree with date-like strings turned into dates;
    ``columns_read`` pairs each column it reads with its type, sorted by name, which is
    all the compiler needs to know about the schema. Hashable and picklable, so plans
    built from it can be cached.
    """

    expression: Expr
    columns_read: tuple[tuple[str, DataType], ...]

    @property
    def column_types(self) -> Mapping[str, DataType]:
        """``columns_read`` as a read-only mapping."""
        return MappingProxyType(dict(self.columns_read))


def check(expression: Expr, schema: Mapping[str, DataType], *, source: str = "") -> TypedExpression:
    """Check ``expression`` against ``schema`` (column name to type).

    ``source``, the text it was parsed from, lets errors give line and column.
    Raises :class:`FilterTypeError` (a ``ValidationError``) on the first problem.
    """
    if depth(expression) > MAX_DEPTH:
        raise FilterTypeError(f"filter nested more than {MAX_DEPTH} levels deep")
    checker = _Checker({name: DataType(kind) for name, kind in schema.items()}, source)
    typed, kind = checker.visit(expression)
    if kind is not DataType.BOOLEAN:
        raise checker.error(
            typed,
            f"a filter must be true or false for each row, but {describe(typed)} is {_name(kind)}",
        )
    used = tuple((name, checker.schema[name]) for name in sorted(checker.used))
    return TypedExpression(typed, used)


def _name(kind: DataType | None) -> str:
    return "null" if kind is None else kind.value


class _Checker:
    def __init__(self, schema: dict[str, DataType], source: str) -> None:
        self.schema = schema
        self.source = source
        self.used: set[str] = set()

    def error(self, node: Expr, reason: str) -> FilterTypeError:
        return FilterTypeError(reason, text=self.source, offset=node.at)

    def visit(self, node: Expr) -> tuple[Expr, DataType | None]:
        match node:
            case StringLiteral():
                return node, DataType.VARCHAR
            case IntegerLiteral():
                return node, DataType.BIGINT
            case DecimalLiteral():
                return node, DataType.DOUBLE
            case BooleanLiteral():
                return node, DataType.BOOLEAN
            case NullLiteral():
                return node, None
            case DateLiteral() | Today():
                return node, DataType.DATE
            case Column(name):
                return node, self.column(node, name)
            case Age(operand):
                inner = self.temporal(operand, "age()")
                return Age(inner, at=node.at), DataType.BIGINT
            case DateShift(operand, subtract, amount, unit):
                inner = self.temporal(operand, "interval arithmetic")
                _, kind = self.visit(inner)
                return DateShift(inner, subtract, amount, unit, at=node.at), kind
            case Comparison(op, left, right):
                left, right = self.comparable(node, left, right, ordered=op not in _EQUALITY)
                return Comparison(op, left, right, at=node.at), DataType.BOOLEAN
            case InList(operand, items, negated):
                return self.in_list(node, operand, items, negated), DataType.BOOLEAN
            case Between(operand, low, high, negated):
                operand, low = self.comparable(
                    low, operand, low, ordered=True, context=", the lower bound of 'between'"
                )
                operand, high = self.comparable(
                    high, operand, high, ordered=True, context=", the upper bound of 'between'"
                )
                return Between(operand, low, high, negated, at=node.at), DataType.BOOLEAN
            case IsNull(operand, negated):
                inner, _ = self.visit(operand)
                return IsNull(inner, negated, at=node.at), DataType.BOOLEAN
            case Lower(operand):
                return Lower(self.text(operand, "lower()"), at=node.at), DataType.VARCHAR
            case Upper(operand):
                return Upper(self.text(operand, "upper()"), at=node.at), DataType.VARCHAR
            case Like(operand, pattern, negated):
                inner = self.text(operand, "'like'")
                self.literal_text(pattern, "the pattern after 'like'", wildcards=True)
                return Like(inner, pattern, negated, at=node.at), DataType.BOOLEAN
            case StartsWith(operand, prefix):
                inner = self.text(operand, "starts_with()")
                self.literal_text(prefix, "the prefix of starts_with()", wildcards=False)
                return StartsWith(inner, prefix, at=node.at), DataType.BOOLEAN
            case InArea(operand, areas):
                inner = self.text(operand, "in_area()")
                for code in areas:
                    if not is_district(code):
                        raise self.error(
                            node,
                            f"in_area(): {code!r} is not a local authority district code "
                            "(expected a code like 'E06000001')",
                        )
                return InArea(inner, areas, at=node.at), DataType.BOOLEAN
            case Not(operand):
                return Not(self.boolean(operand, "not"), at=node.at), DataType.BOOLEAN
            case And(left, right):
                both = self.boolean(left, "and"), self.boolean(right, "and")
                return And(*both, at=node.at), DataType.BOOLEAN
            case Or(left, right):
                both = self.boolean(left, "or"), self.boolean(right, "or")
                return Or(*both, at=node.at), DataType.BOOLEAN
        raise TypeError(f"not an expression node: {node!r}")  # pragma: no cover

    def column(self, node: Expr, name: str) -> DataType:
        if name in self.schema:
            self.used.add(name)
            return self.schema[name]
        folded = [known for known in self.schema if known.lower() == name.lower()]
        close = folded or difflib.get_close_matches(name, list(self.schema), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise self.error(node, f"unknown column {name!r}{hint}")

    def boolean(self, node: Expr, word: str) -> Expr:
        typed, kind = self.visit(node)
        if kind is None:
            raise self.error(typed, _NULL_USE)
        if kind is not DataType.BOOLEAN:
            raise self.error(
                typed, f"'{word}' needs true or false, but {describe(typed)} is {kind.value}"
            )
        return typed

    def text(self, node: Expr, what: str) -> Expr:
        typed, kind = self.visit(node)
        if kind is None:
            raise self.error(typed, _NULL_USE)
        if kind is not DataType.VARCHAR:
            raise self.error(typed, f"{what} needs text, but {describe(typed)} is {kind.value}")
        return typed

    def literal_text(self, node: Expr, what: str, *, wildcards: bool) -> None:
        """A quoted string, fixed when the filter is written (and so reviewable)."""
        if not isinstance(node, StringLiteral):
            raise self.error(node, f"{what} must be a quoted string, like 'LS1%'")
        if wildcards and "\\" in node.value:
            raise self.error(
                node,
                f"{what} may not contain a backslash: engines read it differently; "
                "'%' and '_' are the only special characters",
            )

    def temporal(self, node: Expr, what: str) -> Expr:
        typed, kind = self.visit(node)
        if kind is None:
            raise self.error(typed, _NULL_USE)
        if kind not in _TEMPORAL:
            raise self.error(typed, f"{what} needs a date, but {describe(typed)} is {kind.value}")
        return typed

    def comparable(
        self, node: Expr, left: Expr, right: Expr, *, ordered: bool, context: str = ""
    ) -> tuple[Expr, Expr]:
        """Both sides typed, a date-like string on either side read as a date."""
        left, left_kind = self.visit(left)
        right, right_kind = self.visit(right)
        if left_kind is None or right_kind is None:
            raise self.error(left if left_kind is None else right, _NULL_USE)
        if left_kind in _TEMPORAL and isinstance(right, StringLiteral):
            right, right_kind = self.as_date(right, left), DataType.DATE
        elif right_kind in _TEMPORAL and isinstance(left, StringLiteral):
            left, left_kind = self.as_date(left, right), DataType.DATE
        if _FAMILY[left_kind] != _FAMILY[right_kind]:
            raise self.error(
                node,
                f"cannot compare {describe(left)} ({left_kind.value}) "
                f"with {describe(right)} ({right_kind.value}){context}",
            )
        if ordered and left_kind is DataType.BOOLEAN:
            raise self.error(
                node, f"{describe(left)} is BOOLEAN: it can only be tested with '=' or '!='"
            )
        return left, right

    def as_date(self, literal: StringLiteral, other: Expr) -> DateLiteral:
        value = parse_date(literal.value)
        if value is None:
            raise self.error(
                literal,
                f"{describe(literal)} is not a date (expected 'YYYY-MM-DD') "
                f"to compare with {describe(other)}",
            )
        return DateLiteral(value, at=literal.at)

    def in_list(self, node: Expr, operand: Expr, items: tuple[Expr, ...], negated: bool) -> InList:
        checked: list[Expr] = []
        for item in items:
            operand, typed = self.comparable(
                item, operand, item, ordered=False, context=", in the 'in' list"
            )
            checked.append(typed)
        return InList(operand, tuple(checked), negated, at=node.at)
