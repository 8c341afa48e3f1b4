"""Compiling a checked filter to a sqlglot expression, one node at a time.

Nothing here writes or parses SQL text: every column becomes a quoted identifier
node and every value a literal node, so whatever a requester typed can only ever
be a name or a value. Date arithmetic that involves no column (``today()``,
``date '…' - interval 1 year``, ``age(date '…')``) is done here, at the reference
date, and reaches the database as a plain date or integer; ``column ± interval``
and ``age(column)`` become expressions every target dialect evaluates alike.
"""

from __future__ import annotations

from datetime import date

from sqlglot import exp

from accord.core.expressions.areas import AreaLookup
from accord.core.expressions.describe import columns
from accord.core.expressions.errors import FilterTypeError
from accord.core.expressions.evaluate import evaluate
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
from accord.core.vocabulary import DataType

__all__ = ["DIALECTS", "to_sql", "to_sqlglot"]

DIALECTS = ("duckdb", "postgres", "spark")
"""The dialects whose rendering is tested; sqlglot can render others, untested."""

_COMPARISONS: dict[CompareOp, type[exp.Expression]] = {
    CompareOp.EQ: exp.EQ,
    CompareOp.NE: exp.NEQ,
    CompareOp.LT: exp.LT,
    CompareOp.LE: exp.LTE,
    CompareOp.GT: exp.GT,
    CompareOp.GE: exp.GTE,
}
_ATOMS = (
    StringLiteral,
    IntegerLiteral,
    DecimalLiteral,
    BooleanLiteral,
    NullLiteral,
    DateLiteral,
    Column,
    Today,
)


_LOWER_CASE = "abcdefghijklmnopqrstuvwxyz"
_UPPER_CASE = _LOWER_CASE.upper()


def to_sqlglot(
    typed: TypedExpression, reference_date: date, *, areas: AreaLookup | None = None
) -> exp.Expression:
    """The filter as a sqlglot boolean expression, with ``today()`` = ``reference_date``.

    ``areas`` is the geography ``in_area`` is resolved with, and the districts the
    recipient serves; a filter using ``in_area`` without it is refused, never widened.
    """
    return _Compiler(typed, reference_date, areas).node(typed.expression)


def to_sql(
    typed: TypedExpression,
    reference_date: date,
    dialect: str = "duckdb",
    *,
    areas: AreaLookup | None = None,
) -> str:
    """The filter rendered for one dialect, e.g. for a ``WHERE`` clause or a snapshot."""
    return to_sqlglot(typed, reference_date, areas=areas).sql(dialect=dialect)


def _translate(value: exp.Expression, source: str, target: str) -> exp.Expression:
    """Letters a to z mapped one for one: the same on every engine, whatever its locale."""
    return exp.Translate(
        this=value, from_=exp.Literal.string(source), to=exp.Literal.string(target)
    )


def date_literal(value: date) -> exp.Expression:
    """``CAST('YYYY-MM-DD' AS DATE)``: the one date literal all three dialects read."""
    return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))


class _Compiler:
    def __init__(
        self, typed: TypedExpression, reference_date: date, areas: AreaLookup | None
    ) -> None:
        self.types = dict(typed.columns_read)
        self.today = reference_date
        self.areas = areas

    def node(self, node: Expr) -> exp.Expression:
        folded = self.fold(node)
        if folded is not None:
            return folded
        match node:
            case StringLiteral(value):
                return exp.Literal.string(value)
            case IntegerLiteral(value):
                return exp.Literal.number(value)
            case DecimalLiteral(value):
                return exp.Literal.number(format(value, "f"))
            case BooleanLiteral(value):
                return exp.Boolean(this=value)
            case NullLiteral():
                return exp.Null()
            case DateLiteral(value):
                return date_literal(value)
            case Column(name):
                return exp.Column(this=exp.to_identifier(name, quoted=True))
            case Age(operand):
                return self.age(operand)
            case DateShift(operand, subtract, amount, unit):
                interval = exp.Interval(
                    this=exp.Literal.string(str(amount)), unit=exp.Var(this=unit.value.upper())
                )
                arithmetic = exp.Sub if subtract else exp.Add
                shifted = arithmetic(this=self.operand(operand), expression=interval)
                if self.is_timestamp(operand):
                    return exp.Paren(this=shifted)
                # date ± interval is a timestamp in DuckDB and PostgreSQL: keep it a date.
                return exp.Cast(this=shifted, to=exp.DataType.build("DATE"))
            case Comparison(op, left, right):
                return _COMPARISONS[op](this=self.operand(left), expression=self.operand(right))
            case InList(operand, items, negated):
                member = exp.In(
                    this=self.operand(operand), expressions=[self.operand(i) for i in items]
                )
                return exp.Not(this=member) if negated else member
            case Between(operand, low, high, negated):
                between = exp.Between(
                    this=self.operand(operand), low=self.operand(low), high=self.operand(high)
                )
                return exp.Not(this=between) if negated else between
            case IsNull(operand, negated):
                test = exp.Is(this=self.operand(operand), expression=exp.Null())
                return exp.Not(this=test) if negated else test
            case Lower(operand):
                return _translate(self.operand(operand), _UPPER_CASE, _LOWER_CASE)
            case Upper(operand):
                return _translate(self.operand(operand), _LOWER_CASE, _UPPER_CASE)
            case Like(operand, pattern, negated):
                like = exp.Like(this=self.operand(operand), expression=self.operand(pattern))
                return exp.Not(this=like) if negated else like
            case StartsWith(operand, StringLiteral(prefix)):
                start = exp.Substring(
                    this=self.operand(operand),
                    start=exp.Literal.number(1),
                    length=exp.Literal.number(len(prefix)),
                )
                return exp.EQ(this=start, expression=exp.Literal.string(prefix))
            case InArea(operand, codes):
                return self.in_area(node, operand, codes)
            case Not(operand):
                return exp.Not(this=self.operand(operand))
            case And(left, right):
                return exp.And(this=self.conjunct(left), expression=self.conjunct(right))
            case Or(left, right):
                # "or" binds loosest, so its operands never need parentheses.
                return exp.Or(this=self.node(left), expression=self.node(right))
        raise TypeError(f"not an expression node: {node!r}")  # pragma: no cover

    def operand(self, node: Expr) -> exp.Expression:
        """A child, parenthesised unless it cannot be split by its parent's operator."""
        compiled = self.node(node)
        if isinstance(node, _ATOMS):
            return compiled
        if isinstance(compiled, exp.Literal | exp.Cast | exp.Paren | exp.Column):
            return compiled
        return exp.Paren(this=compiled)

    def conjunct(self, node: Expr) -> exp.Expression:
        """An operand of "and": only an "or" binds more loosely and needs parentheses."""
        compiled = self.node(node)
        return exp.Paren(this=compiled) if isinstance(node, Or) else compiled

    def in_area(self, node: Expr, operand: Expr, codes: tuple[str, ...]) -> exp.Expression:
        """``normalised(operand) IN (every place in the districts)``: one list, no join."""
        if self.areas is None:
            raise FilterTypeError(
                "in_area() needs the geography to resolve places to districts; "
                "compile the filter with areas=",
                offset=node.at,
            )
        wanted = codes or self.areas.served
        if not wanted:
            raise FilterTypeError(
                "in_area() without district codes means the recipient's areas, and it "
                "declares none (`accord org update ID --areas …`)",
                offset=node.at,
            )
        spaceless = exp.Replace(
            this=self.operand(operand),
            expression=exp.Literal.string(" "),
            replacement=exp.Literal.string(""),
        )
        return exp.In(
            this=_translate(spaceless, _LOWER_CASE, _UPPER_CASE),
            expressions=[exp.Literal.string(code) for code in self.areas.members(wanted)],
        )

    def fold(self, node: Expr) -> exp.Expression | None:
        """Date arithmetic over constants, done now: a date or an integer literal."""
        if not isinstance(node, Today | DateShift | Age) or columns(node):
            return None
        try:
            value = evaluate(node, {}, self.today)
        except OverflowError as exc:
            raise FilterTypeError(str(exc), offset=node.at) from exc
        if isinstance(value, date):
            return date_literal(value)
        if isinstance(value, int):
            return exp.Literal.number(value)
        raise TypeError(f"cannot fold {node!r} to {value!r}")  # pragma: no cover

    def is_timestamp(self, node: Expr) -> bool:
        match node:
            case Column(name):
                return self.types.get(name) is DataType.TIMESTAMP
            case DateShift(operand):
                return self.is_timestamp(operand)
        return False

    def age(self, operand: Expr) -> exp.Expression:
        """Whole years at the reference date: one fewer until the birthday is reached.

        ``year(ref) - year(born) - (1 if (month, day) of born is after ref's else 0)``.
        Born 29 February, the birthday in a common year is reached on 1 March.
        """
        born = self.operand(operand)
        if self.is_timestamp(operand):
            born = exp.Cast(this=born, to=exp.DataType.build("DATE"))
        month = exp.Month(this=born.copy())
        later_month = exp.GT(this=month, expression=exp.Literal.number(self.today.month))
        same_month = exp.EQ(this=month.copy(), expression=exp.Literal.number(self.today.month))
        later_day = exp.GT(
            this=exp.Day(this=born.copy()), expression=exp.Literal.number(self.today.day)
        )
        not_yet = exp.Or(
            this=later_month,
            expression=exp.Paren(this=exp.And(this=same_month, expression=later_day)),
        )
        correction = exp.Case(
            ifs=[exp.If(this=not_yet, true=exp.Literal.number(1))],
            default=exp.Literal.number(0),
        )
        years = exp.Sub(
            this=exp.Literal.number(self.today.year), expression=exp.Year(this=born.copy())
        )
        return exp.Paren(this=exp.Sub(this=years, expression=correction))
