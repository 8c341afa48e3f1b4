"""Cohort filters: a small, safe expression language for choosing rows.

A requester writes a filter such as::

    benefit in ('IS', 'JSA') and not deceased
      and award_start_date >= today() - interval 13 months and postcode is not null

and it travels through four pure steps, each its own module:

``parse``        text -> immutable tree (:mod:`.nodes`), or an error naming the column
``check``        tree + schema -> :class:`TypedExpression`, or an error naming the column
``to_sqlglot``   typed tree + reference date -> sqlglot expression (never SQL text)
``describe``     tree -> canonical text, so ``parse(describe(t)) == t``

``in_area(field)`` needs the geography, an :class:`AreaLookup` passed as ``areas=``
when compiling or evaluating. ``columns`` lists what a filter reads (for minimisation)
and ``evaluate`` is the pure-Python reference the compiled SQL is tested against.
``today()`` is always the reference date the caller passes, never the clock, so a plan
compiled twice is the same plan. See ``docs/expressions.md`` for the language.
"""

from __future__ import annotations

from collections.abc import Mapping

from accord.core.expressions import describe as _describe
from accord.core.expressions.areas import AreaLookup, lookup_from_rows
from accord.core.expressions.compile import DIALECTS, to_sql, to_sqlglot
from accord.core.expressions.errors import ExpressionError, FilterSyntaxError, FilterTypeError
from accord.core.expressions.evaluate import evaluate, matches
from accord.core.expressions.nodes import Expr
from accord.core.expressions.parser import parse
from accord.core.expressions.typecheck import TypedExpression, check
from accord.core.vocabulary import DataType

__all__ = [
    "DIALECTS",
    "AreaLookup",
    "ExpressionError",
    "FilterSyntaxError",
    "FilterTypeError",
    "TypedExpression",
    "check",
    "columns",
    "describe",
    "evaluate",
    "lookup_from_rows",
    "matches",
    "parse",
    "parse_checked",
    "to_sql",
    "to_sqlglot",
]


def _tree(expression: Expr | TypedExpression) -> Expr:
    return expression.expression if isinstance(expression, TypedExpression) else expression


def columns(expression: Expr | TypedExpression) -> frozenset[str]:
    """The columns a filter reads, which minimisation must count as used."""
    return _describe.columns(_tree(expression))


def describe(expression: Expr | TypedExpression) -> str:
    """Canonical text: lower-case keywords, minimal parentheses, re-parses to the same tree."""
    return _describe.describe(_tree(expression))


def parse_checked(text: str, schema: Mapping[str, DataType]) -> TypedExpression:
    """``check(parse(text), schema)``, with type errors located by line and column too."""
    return check(parse(text), schema, source=text)
