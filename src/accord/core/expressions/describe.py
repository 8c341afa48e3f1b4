"""Canonical text for a filter, and the columns it reads.

``describe`` is what approvers see and what an agreement stores: lower-case
keywords, single spaces, and parentheses only where precedence needs them, so
``parse(describe(tree)) == tree`` and two spellings of one filter describe alike.
"""

from __future__ import annotations

from decimal import Decimal

from accord.core.expressions.nodes import (
    Age,
    And,
    Between,
    BooleanLiteral,
    Column,
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
    children,
)
from accord.core.expressions.parser import FUNCTIONS
from accord.core.expressions.tokens import KEYWORDS

__all__ = ["columns", "describe", "quote_identifier", "quote_string"]

# Binding strength: a child binding more loosely than its slot needs parentheses.
_OR, _AND, _NOT, _PREDICATE, _ADDITIVE, _ATOM = range(6)

_BARE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")


def quote_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    """Bare when it would read back as the same column, double-quoted otherwise."""
    bare = (
        name
        and not name[0].isdigit()
        and set(name) <= _BARE
        and name.lower() not in KEYWORDS
        and name.lower() not in FUNCTIONS
    )
    return name if bare else '"' + name.replace('"', '""') + '"'


def _decimal(value: Decimal) -> str:
    text = format(value, "f")
    return text if "." in text else text + ".0"


def _strength(node: Expr) -> int:
    match node:
        case Or():
            return _OR
        case And():
            return _AND
        case Not():
            return _NOT
        case Comparison() | InList() | Between() | IsNull() | Like():
            return _PREDICATE
        case DateShift():
            return _ADDITIVE
        case _:
            return _ATOM


def _in(node: Expr, needs: int) -> str:
    text = describe(node)
    return f"({text})" if _strength(node) < needs else text


def describe(node: Expr) -> str:
    """The canonical text of ``node``; parsing it gives back an equal tree."""
    match node:
        case StringLiteral(value):
            return quote_string(value)
        case IntegerLiteral(value):
            return str(value)
        case DecimalLiteral(value):
            return _decimal(value)
        case BooleanLiteral(value):
            return "true" if value else "false"
        case NullLiteral():
            return "null"
        case DateLiteral(value):
            return f"date '{value.isoformat()}'"
        case Column(name):
            return quote_identifier(name)
        case Today():
            return "today()"
        case Age(operand):
            return f"age({describe(operand)})"
        case Lower(operand):
            return f"lower({describe(operand)})"
        case Upper(operand):
            return f"upper({describe(operand)})"
        case StartsWith(operand, prefix):
            return f"starts_with({describe(operand)}, {describe(prefix)})"
        case InArea(operand, areas):
            codes = "".join(f", {quote_string(code)}" for code in areas)
            return f"in_area({describe(operand)}{codes})"
        case Like(operand, pattern, negated):
            word = "not like" if negated else "like"
            return f"{_in(operand, _ADDITIVE)} {word} {_in(pattern, _ADDITIVE)}"
        case DateShift(operand, subtract, amount, unit):
            sign = "-" if subtract else "+"
            plural = "" if amount == 1 else "s"
            return f"{_in(operand, _ADDITIVE)} {sign} interval {amount} {unit.value}{plural}"
        case Comparison(op, left, right):
            return f"{_in(left, _ADDITIVE)} {op.value} {_in(right, _ADDITIVE)}"
        case InList(operand, items, negated):
            listed = ", ".join(_in(item, _ADDITIVE) for item in items)
            return f"{_in(operand, _ADDITIVE)} {'not in' if negated else 'in'} ({listed})"
        case Between(operand, low, high, negated):
            word = "not between" if negated else "between"
            return (
                f"{_in(operand, _ADDITIVE)} {word} {_in(low, _ADDITIVE)} and {_in(high, _ADDITIVE)}"
            )
        case IsNull(operand, negated):
            return f"{_in(operand, _ADDITIVE)} is {'not null' if negated else 'null'}"
        case Not(operand):
            return f"not {_in(operand, _NOT)}"
        case And(left, right):
            return f"{_in(left, _AND)} and {_in(right, _AND + 1)}"
        case Or(left, right):
            return f"{_in(left, _OR)} or {_in(right, _OR + 1)}"
    raise TypeError(f"not an expression node: {node!r}")  # pragma: no cover


def columns(node: Expr) -> frozenset[str]:
    """Every column the filter reads: what minimisation must count as used."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Column):
            found.add(current.name)
        stack.extend(children(current))
    return frozenset(found)
