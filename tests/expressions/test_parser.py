"""The parser: what each construct becomes, and where errors point."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accord.core.expressions import FilterSyntaxError, parse
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
    InList,
    IntegerLiteral,
    IsNull,
    Not,
    NullLiteral,
    Or,
    StringLiteral,
    Today,
    Unit,
)
from accord.errors import ValidationError

ISSUE_EXAMPLE = (
    "benefit in ('IS', 'JSA') and not deceased and date_of_birth between "
    "date '1950-01-01' and date '1990-12-31' and award_start_date >= today() - "
    "interval 13 months and postcode is not null"
)


def test_the_issue_example() -> None:
    assert parse(ISSUE_EXAMPLE) == And(
        And(
            And(
                And(
                    InList(Column("benefit"), (StringLiteral("IS"), StringLiteral("JSA"))),
                    Not(Column("deceased")),
                ),
                Between(
                    Column("date_of_birth"),
                    DateLiteral(date(1950, 1, 1)),
                    DateLiteral(date(1990, 12, 31)),
                ),
            ),
            Comparison(
                CompareOp.GE,
                Column("award_start_date"),
                DateShift(Today(), True, 13, Unit.MONTH),
            ),
        ),
        IsNull(Column("postcode"), negated=True),
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("'it''s'", StringLiteral("it's")),
        ("''", StringLiteral("")),
        ("42", IntegerLiteral(42)),
        ("-42", IntegerLiteral(-42)),
        ("- 7", IntegerLiteral(-7)),
        ("3.50", DecimalLiteral(Decimal("3.50"))),
        ("-0.25", DecimalLiteral(Decimal("-0.25"))),
        ("TRUE", BooleanLiteral(True)),
        ("false", BooleanLiteral(False)),
        ("Null", NullLiteral()),
        ("DATE '2024-02-29'", DateLiteral(date(2024, 2, 29))),
        ("plain_name1", Column("plain_name1")),
        ('"Mixed Case; name"', Column("Mixed Case; name")),
        ('"say ""hi"""', Column('say "hi"')),
        ('"and"', Column("and")),
        ("Today()", Today()),
        ("today", Column("today")),
        ("AGE(dob)", Age(Column("dob"))),
        ("d + interval 1 DAY", DateShift(Column("d"), False, 1, Unit.DAY)),
        ("d - interval 2 years", DateShift(Column("d"), True, 2, Unit.YEAR)),
        (
            "d - interval 1 month + interval 3 days",
            DateShift(DateShift(Column("d"), True, 1, Unit.MONTH), False, 3, Unit.DAY),
        ),
    ],
)
def test_values(text: str, value: object) -> None:
    assert parse(f"{text} is null") == IsNull(value)  # type: ignore[arg-type]


def test_precedence_or_and_not() -> None:
    a, b, c = Column("a"), Column("b"), Column("c")
    assert parse("a or b and c") == Or(a, And(b, c))
    assert parse("a and b or c") == Or(And(a, b), c)
    assert parse("not a and b") == And(Not(a), b)
    assert parse("not a = 1") == Not(Comparison(CompareOp.EQ, a, IntegerLiteral(1)))
    assert parse("a or b or c") == Or(Or(a, b), c)
    assert parse("(a or b) and c") == And(Or(a, b), c)


def test_between_binds_its_own_and() -> None:
    assert parse("x between 1 and 2 and y") == And(
        Between(Column("x"), IntegerLiteral(1), IntegerLiteral(2)), Column("y")
    )


def test_operators_and_negations() -> None:
    x, one = Column("x"), IntegerLiteral(1)
    for text, op in [("=", "="), ("==", "="), ("<>", "!="), ("!=", "!="), ("<=", "<=")]:
        assert parse(f"x {text} 1") == Comparison(CompareOp(op), x, one)
    assert parse("x not in (1)") == InList(x, (one,), negated=True)
    assert parse("x not between 1 and 1") == Between(x, one, one, negated=True)


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("x = 'a'; drop table t", 8, "';' is not allowed"),
        ("x = 'a' or 1=1 --", 16, "comments are not allowed"),
        ("x = 1 /* hi */", 7, "comments are not allowed"),
        ('"x"" or 1=1', 1, "unterminated quoted identifier"),
        ("x = 'abc", 5, "unterminated string"),
        ("lcase(x) = 'a'", 1, "unknown function 'lcase'"),
        ("x not is null", 7, "'in', 'between' or 'like' after 'not'"),
        ("starts_with(x) = 1", 14, "starts_with(text, 'prefix') takes two arguments"),
        ("in_area(x, y)", 12, "a quoted district code"),
        ("lower(x, y) = 'a'", 8, "lower() takes one argument"),
        ("x = (select 1)", 6, "subqueries are not allowed"),
        ("a || b = 'ab'", 3, "'||'"),
        ("a < b < c", 7, "cannot be chained"),
        ("x =", 4, "expected a value, a column or '(', found end of input"),
        ("", 1, "expected an expression"),
        ("x in ()", 7, "at least one value"),
        ("x in 1", 6, "'(' to open the list"),
        ("x in (1, 2", 11, "',' or ')'"),
        ("x like", 7, "expected a value"),
        ("x not null", 7, "'in', 'between' or 'like' after 'not'"),
        ("x is 1", 6, "expected 'null'"),
        ("x between 1 or 2", 13, "expected 'and'"),
        ("d + 1 = d", 5, "expected 'interval'"),
        ("d + interval 1 week = d", 16, "'days', 'months' or 'years'"),
        ("d + interval 1.5 days = d", 14, "a whole number"),
        ("d + interval 999999 days = d", 14, "interval too long"),
        ("d = date '2023-02-29'", 10, "'2023-02-29' is not a date"),
        ("d = date '2023-2-1'", 10, "is not a date"),
        ("d = date 5", 10, "a quoted date"),
        ("x = 99999999999999999999", 5, "out of range"),
        ("x = 1.", 5, "malformed number"),
        ("x = 12abc", 5, "malformed number"),
        ("x = `y`", 5, "unexpected character '`'"),
        ("x = -y", 6, "a number after '-'"),
        ("today(1) = d", 7, "today() takes no arguments"),
        ("age(a, b) > 1", 6, "age() takes one argument"),
        ("x = 1 y", 7, "'and', 'or' or the end"),
        ("x = \0", 5, "invalid character"),
        ("and = 1", 1, "expected a value"),
    ],
)
def test_errors_name_the_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse(text)
    error = caught.value
    assert isinstance(error, ValidationError)
    assert error.column == column, error.message
    assert f"at column {column}:" in error.message
    assert fragment in error.message
    assert error.problems[0]["column"] == column


def test_errors_in_multi_line_filters_name_the_line() -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse("benefit = 'IS'\n  and (x = 1;")
    assert caught.value.line == 2
    assert caught.value.column == 13
    assert "at line 2, column 13" in caught.value.message


def test_keywords_are_case_insensitive_but_names_are_not() -> None:
    assert parse("NoT Flag AnD X Is NuLl") == And(Not(Column("Flag")), IsNull(Column("X")))
    assert parse("Flag") != parse("flag")


def test_limits_keep_the_stack_safe() -> None:
    from accord.core.expressions import check
    from accord.core.expressions.parser import MAX_DEPTH, MAX_LENGTH, MAX_NESTING
    from accord.core.vocabulary import DataType

    inner = MAX_NESTING - 1  # the filter itself is the first level
    assert parse("(" * inner + "a" + ")" * inner) == Column("a")
    with pytest.raises(FilterSyntaxError, match=f"nested more than {MAX_NESTING} deep"):
        parse("(" * 5000 + "a" + ")" * 5000)
    with pytest.raises(FilterSyntaxError, match="nested more than"):
        parse("not " * 5000 + "a")
    with pytest.raises(FilterSyntaxError, match="use 'in' for long lists"):
        parse(" or ".join(["a = 1"] * (MAX_DEPTH + 1)))
    assert parse(" or ".join(["a = 1"] * (MAX_DEPTH - 2)))
    with pytest.raises(FilterSyntaxError, match="longer than"):
        parse("a" * (MAX_LENGTH + 1))
    deep: Expr = Column("a")
    for _ in range(5000):
        deep = Not(deep)
    with pytest.raises(ValidationError, match="nested more than"):
        check(deep, {"a": DataType.BOOLEAN})


def test_long_in_lists_are_fine() -> None:
    tree = parse("x in (" + ", ".join(str(i) for i in range(5000)) + ")")
    assert isinstance(tree, InList)
    assert len(tree.items) == 5000
