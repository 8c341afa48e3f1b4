"""A recursive-descent parser from filter text to the tree in :mod:`.nodes`.

Precedence, loosest first: ``or``, ``and``, ``not``, then one predicate
(comparison, ``in``, ``between``, ``is null``) over operands that may carry
``± interval`` arithmetic. Each rule is one method; a token the grammar does not
allow is reported with its column and what would have been accepted there.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from accord.core.expressions.errors import FilterSyntaxError
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
    Unit,
    Upper,
    depth,
)
from accord.core.expressions.tokens import Kind, Token, tokenize

__all__ = [
    "BIGINT_MAX",
    "BIGINT_MIN",
    "FUNCTIONS",
    "MAX_DECIMAL_DIGITS",
    "MAX_DEPTH",
    "MAX_INTERVAL",
    "MAX_LENGTH",
    "MAX_NESTING",
    "parse",
]

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1
MAX_DECIMAL_DIGITS = 38
"""The widest exact decimal DuckDB, PostgreSQL and Spark all accept."""

MAX_INTERVAL = {Unit.DAY: 366_000, Unit.MONTH: 12_000, Unit.YEAR: 1_000}
"""About a thousand years in each unit: more is a typo, and would overflow dates."""

MAX_LENGTH = 100_000
"""Characters in one filter: far beyond any real cohort, short of any memory concern."""
MAX_NESTING = 40
"""Parentheses, ``not``s and ``age(`` nested inside each other."""
MAX_DEPTH = 200
"""Levels in the tree, so every recursive step after parsing stays well within Python's stack."""

_COMPARE = {
    "=": CompareOp.EQ,
    "==": CompareOp.EQ,
    "!=": CompareOp.NE,
    "<>": CompareOp.NE,
    "<": CompareOp.LT,
    "<=": CompareOp.LE,
    ">": CompareOp.GT,
    ">=": CompareOp.GE,
}
_UNITS = {
    "day": Unit.DAY,
    "days": Unit.DAY,
    "month": Unit.MONTH,
    "months": Unit.MONTH,
    "year": Unit.YEAR,
    "years": Unit.YEAR,
}
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
FUNCTIONS = ("today", "age", "lower", "upper", "starts_with", "in_area")
"""Every function a filter may call; a column of one of these names is fine unless called."""
_FUNCTIONS = "the functions are " + ", ".join(f"{name}()" for name in FUNCTIONS)


def parse(text: str) -> Expr:
    """Parse one filter. Raises :class:`FilterSyntaxError` naming the column."""
    if len(text) > MAX_LENGTH:
        raise FilterSyntaxError(f"filter longer than {MAX_LENGTH} characters")
    tree = _Parser(text).parse()
    if depth(tree) > MAX_DEPTH:
        raise FilterSyntaxError(
            f"filter nested more than {MAX_DEPTH} levels deep: use 'in' for long lists of "
            "alternatives"
        )
    return tree


def parse_date(value: str) -> date | None:
    """A ``YYYY-MM-DD`` calendar date, or None if ``value`` is not exactly one."""
    match = _ISO_DATE.fullmatch(value)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.nesting = 0

    # -- helpers ---------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        if token.kind is not Kind.END:
            self.i += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        return self.token.kind is Kind.KEYWORD and self.token.text in words

    def error(self, expected: str, token: Token | None = None) -> FilterSyntaxError:
        token = token or self.token
        return FilterSyntaxError(
            f"expected {expected}, found {token.describe()}", text=self.text, offset=token.offset
        )

    def expect(self, kind: Kind, expected: str) -> Token:
        if self.token.kind is not kind:
            raise self.error(expected)
        return self.advance()

    def expect_keyword(self, word: str) -> Token:
        if not self.at_keyword(word):
            raise self.error(f"'{word}'")
        return self.advance()

    # -- grammar ---------------------------------------------------------------

    def parse(self) -> Expr:
        if self.token.kind is Kind.END:
            raise self.error("an expression")
        expr = self.or_()
        rest = self.tokens[self.i]
        if rest.kind is Kind.OP:
            raise FilterSyntaxError(
                "comparisons cannot be chained; join them with 'and'",
                text=self.text,
                offset=rest.offset,
            )
        if rest.kind is not Kind.END:
            raise self.error("'and', 'or' or the end of the filter")
        return expr

    def or_(self) -> Expr:
        left = self.and_()
        while self.at_keyword("or"):
            at = self.advance().offset
            left = Or(left, self.and_(), at=at)
        return left

    def and_(self) -> Expr:
        left = self.not_()
        while self.at_keyword("and"):
            at = self.advance().offset
            left = And(left, self.not_(), at=at)
        return left

    def not_(self) -> Expr:
        # Every nested construct passes through here: guard the Python stack once.
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise FilterSyntaxError(
                f"nested more than {MAX_NESTING} deep", text=self.text, offset=self.token.offset
            )
        try:
            if self.at_keyword("not"):
                at = self.advance().offset
                return Not(self.not_(), at=at)
            return self.predicate()
        finally:
            self.nesting -= 1

    def predicate(self) -> Expr:
        left = self.additive()
        token = self.token
        if token.kind is Kind.OP:
            self.advance()
            return Comparison(_COMPARE[token.text], left, self.additive(), at=token.offset)
        if self.at_keyword("is"):
            self.advance()
            negated = self.at_keyword("not")
            if negated:
                self.advance()
            self.expect_keyword("null")
            return IsNull(left, negated, at=token.offset)
        negated = self.at_keyword("not")
        if negated:
            nxt = self.tokens[self.i + 1]
            if not (nxt.kind is Kind.KEYWORD and nxt.text in ("in", "between", "like")):
                raise self.error("'in', 'between' or 'like' after 'not'", nxt)
            self.advance()
        if self.at_keyword("like"):
            self.advance()
            return Like(left, self.additive(), negated, at=token.offset)
        if self.at_keyword("in"):
            self.advance()
            return InList(left, self.in_items(), negated, at=token.offset)
        if self.at_keyword("between"):
            self.advance()
            low = self.additive()
            self.expect_keyword("and")
            return Between(left, low, self.additive(), negated, at=token.offset)
        return left

    def in_items(self) -> tuple[Expr, ...]:
        self.expect(Kind.LPAREN, "'(' to open the list after 'in'")
        if self.token.kind is Kind.RPAREN:
            raise self.error("at least one value in the list")
        items = [self.additive()]
        while self.token.kind is Kind.COMMA:
            self.advance()
            items.append(self.additive())
        self.expect(Kind.RPAREN, "',' or ')' to close the list")
        return tuple(items)

    def additive(self) -> Expr:
        operand = self.unary()
        while self.token.kind in (Kind.PLUS, Kind.MINUS):
            sign = self.advance()
            self.expect_keyword("interval")
            amount_token = self.expect(Kind.INTEGER, "a whole number of days, months or years")
            unit_token = self.expect(Kind.IDENT, "'days', 'months' or 'years'")
            unit = _UNITS.get(unit_token.text.lower())
            if unit is None:
                raise self.error("'days', 'months' or 'years'", unit_token)
            amount = int(amount_token.text)
            if amount > MAX_INTERVAL[unit]:
                raise FilterSyntaxError(
                    f"interval too long: at most {MAX_INTERVAL[unit]} {unit.value}s",
                    text=self.text,
                    offset=amount_token.offset,
                )
            operand = DateShift(operand, sign.kind is Kind.MINUS, amount, unit, at=sign.offset)
        return operand

    def unary(self) -> Expr:
        if self.token.kind is Kind.MINUS:
            minus = self.advance()
            if self.token.kind not in (Kind.INTEGER, Kind.DECIMAL):
                raise self.error("a number after '-'")
            return self.number(self.advance(), minus.offset, negative=True)
        return self.primary()

    def number(self, token: Token, at: int, *, negative: bool = False) -> Expr:
        if token.kind is Kind.INTEGER:
            value = -int(token.text) if negative else int(token.text)
            if not BIGINT_MIN <= value <= BIGINT_MAX:
                raise FilterSyntaxError(
                    "integer out of range (64-bit)", text=self.text, offset=token.offset
                )
            return IntegerLiteral(value, at=at)
        if len(token.text) - 1 > MAX_DECIMAL_DIGITS:
            raise FilterSyntaxError(
                f"decimal has more than {MAX_DECIMAL_DIGITS} digits",
                text=self.text,
                offset=token.offset,
            )
        decimal = Decimal(token.text)
        return DecimalLiteral(-decimal if negative else decimal, at=at)

    def primary(self) -> Expr:
        token = self.token
        if token.kind in (Kind.INTEGER, Kind.DECIMAL):
            return self.number(self.advance(), token.offset)
        if token.kind is Kind.STRING:
            self.advance()
            return StringLiteral(token.text, at=token.offset)
        if token.kind is Kind.QUOTED_IDENT:
            self.advance()
            return Column(token.text, at=token.offset)
        if token.kind is Kind.IDENT:
            self.advance()
            if self.token.kind is Kind.LPAREN:
                return self.call(token)
            return Column(token.text, at=token.offset)
        if token.kind is Kind.LPAREN:
            self.advance()
            if self.token.kind is Kind.IDENT and self.token.text.lower() == "select":
                raise FilterSyntaxError(
                    "subqueries are not allowed", text=self.text, offset=self.token.offset
                )
            inner = self.or_()
            self.expect(Kind.RPAREN, "')'")
            return inner
        if token.kind is Kind.KEYWORD:
            return self.keyword_literal()
        raise self.error("a value, a column or '('")

    def keyword_literal(self) -> Expr:
        token = self.advance()
        if token.text in ("true", "false"):
            return BooleanLiteral(token.text == "true", at=token.offset)
        if token.text == "null":
            return NullLiteral(at=token.offset)
        if token.text == "date":
            string = self.expect(Kind.STRING, "a quoted date after 'date', like '2024-01-31'")
            value = parse_date(string.text)
            if value is None:
                raise FilterSyntaxError(
                    f"{string.text!r} is not a date (expected 'YYYY-MM-DD')",
                    text=self.text,
                    offset=string.offset,
                )
            return DateLiteral(value, at=token.offset)
        raise self.error("a value, a column or '('", token)

    def call(self, name: Token) -> Expr:
        function = name.text.lower()
        if function not in FUNCTIONS:
            raise FilterSyntaxError(
                f"unknown function {name.text!r}: {_FUNCTIONS}", text=self.text, offset=name.offset
            )
        self.advance()  # the "("
        at = name.offset
        if function == "today":
            self.expect(Kind.RPAREN, "')': today() takes no arguments")
            return Today(at=at)
        operand = self.or_()
        if function == "starts_with":
            self.expect(Kind.COMMA, "',': starts_with(text, 'prefix') takes two arguments")
            prefix = self.or_()
            self.expect(Kind.RPAREN, "')': starts_with(text, 'prefix') takes two arguments")
            return StartsWith(operand, prefix, at=at)
        if function == "in_area":
            return InArea(operand, self.area_codes(), at=at)
        self.expect(Kind.RPAREN, f"')': {function}() takes one argument")
        if function == "lower":
            return Lower(operand, at=at)
        if function == "upper":
            return Upper(operand, at=at)
        return Age(operand, at=at)

    def area_codes(self) -> tuple[str, ...]:
        """The quoted district codes after ``in_area(field``, up to the closing ``)``."""
        codes: list[str] = []
        while self.token.kind is Kind.COMMA:
            self.advance()
            codes.append(self.expect(Kind.STRING, "a quoted district code, like 'E06000001'").text)
        self.expect(Kind.RPAREN, "',' and a district code, or ')' to close in_area(")
        return tuple(codes)
