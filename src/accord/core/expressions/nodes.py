"""The expression tree: small, immutable, and comparable by meaning.

Every node is a frozen dataclass, so a parsed filter can be cached, hashed and
compared. ``at`` records where in the source text a node began (a 0-based offset,
or -1 for a node built by hand); it is excluded from equality, so a filter equals
its re-parsed canonical description however it was spaced or cased.

There is no node for parentheses: grouping is the tree's shape, and ``describe``
puts parentheses back only where precedence needs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "Age",
    "And",
    "Between",
    "BooleanLiteral",
    "Column",
    "CompareOp",
    "Comparison",
    "DateLiteral",
    "DateShift",
    "DecimalLiteral",
    "Expr",
    "InArea",
    "InList",
    "IntegerLiteral",
    "IsNull",
    "Like",
    "Literal",
    "Lower",
    "Not",
    "NullLiteral",
    "Or",
    "StartsWith",
    "StringLiteral",
    "Today",
    "Unit",
    "Upper",
    "children",
    "depth",
]


class CompareOp(StrEnum):
    """Comparison operators, by their canonical spelling (``<>`` is read as ``!=``)."""

    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


class Unit(StrEnum):
    """Calendar units an interval may count."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


def _at() -> int:
    return field(default=-1, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class StringLiteral:
    value: str
    at: int = _at()


@dataclass(frozen=True, slots=True)
class IntegerLiteral:
    value: int
    at: int = _at()


@dataclass(frozen=True, slots=True)
class DecimalLiteral:
    """A number written with a decimal point; kept exact, never as a float."""

    value: Decimal
    at: int = _at()


@dataclass(frozen=True, slots=True)
class BooleanLiteral:
    value: bool
    at: int = _at()


@dataclass(frozen=True, slots=True)
class NullLiteral:
    at: int = _at()


@dataclass(frozen=True, slots=True)
class DateLiteral:
    value: date
    at: int = _at()


@dataclass(frozen=True, slots=True)
class Column:
    """A reference to a field of the dataset, by its exact (case-sensitive) name."""

    name: str
    at: int = _at()


@dataclass(frozen=True, slots=True)
class Today:
    """The reference date the caller supplies: never the wall clock, so plans repeat."""

    at: int = _at()


@dataclass(frozen=True, slots=True)
class Age:
    """Whole years from ``operand`` (a date of birth) to the reference date."""

    operand: Expr
    at: int = _at()


@dataclass(frozen=True, slots=True)
class DateShift:
    """``operand + interval amount unit`` (or minus, when ``subtract``)."""

    operand: Expr
    subtract: bool
    amount: int
    unit: Unit
    at: int = _at()


@dataclass(frozen=True, slots=True)
class Comparison:
    op: CompareOp
    left: Expr
    right: Expr
    at: int = _at()


@dataclass(frozen=True, slots=True)
class InList:
    operand: Expr
    items: tuple[Expr, ...]
    negated: bool = False
    at: int = _at()


@dataclass(frozen=True, slots=True)
class Between:
    """``operand between low and high``, both bounds inclusive, as in SQL."""

    operand: Expr
    low: Expr
    high: Expr
    negated: bool = False
    at: int = _at()


@dataclass(frozen=True, slots=True)
class IsNull:
    operand: Expr
    negated: bool = False
    at: int = _at()


@dataclass(frozen=True, slots=True)
class Like:
    """``operand like 'pattern'``: ``%`` any run of characters, ``_`` one; case-sensitive."""

    operand: Expr
    pattern: Expr
    negated: bool = False
    at: int = _at()


@dataclass(frozen=True, slots=True)
class StartsWith:
    """``starts_with(operand, 'prefix')``: the text begins with ``prefix``, as written."""

    operand: Expr
    prefix: Expr
    at: int = _at()


@dataclass(frozen=True, slots=True)
class Lower:
    """``lower(operand)``: the letters A to Z made a to z, and nothing else changed."""

    operand: Expr
    at: int = _at()


@dataclass(frozen=True, slots=True)
class Upper:
    """``upper(operand)``: the letters a to z made A to Z, and nothing else changed."""

    operand: Expr
    at: int = _at()


@dataclass(frozen=True, slots=True)
class InArea:
    """``in_area(operand[, 'E06000001', …])``: the postcode, output area, LSOA or district
    code in ``operand`` lies in one of ``areas`` (local authority district codes).

    With no codes it means the districts the recipient serves, bound when the filter is
    compiled (:class:`accord.core.expressions.areas.AreaLookup`), so one agreement's cohort
    follows the organisation's declared areas.
    """

    operand: Expr
    areas: tuple[str, ...] = ()
    at: int = _at()


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    at: int = _at()


@dataclass(frozen=True, slots=True)
class And:
    left: Expr
    right: Expr
    at: int = _at()


@dataclass(frozen=True, slots=True)
class Or:
    left: Expr
    right: Expr
    at: int = _at()


Literal = (
    StringLiteral | IntegerLiteral | DecimalLiteral | BooleanLiteral | NullLiteral | DateLiteral
)

Expr = (
    Literal
    | Column
    | Today
    | Age
    | DateShift
    | Comparison
    | InList
    | Between
    | IsNull
    | Like
    | StartsWith
    | Lower
    | Upper
    | InArea
    | Not
    | And
    | Or
)


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``node``, in reading order."""
    match node:
        case (
            Age(operand)
            | DateShift(operand)
            | IsNull(operand)
            | Not(operand)
            | Lower(operand)
            | Upper(operand)
            | InArea(operand)
        ):
            return (operand,)
        case (
            Comparison(_, left, right)
            | And(left, right)
            | Or(left, right)
            | Like(left, right)
            | StartsWith(left, right)
        ):
            return (left, right)
        case InList(operand, items):
            return (operand, *items)
        case Between(operand, low, high):
            return (operand, low, high)
    return ()


def depth(node: Expr) -> int:
    """Levels in the tree (a leaf is 1), counted without recursion so any tree is safe."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children(current))
    return deepest
