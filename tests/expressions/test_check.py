"""The checker: unknown columns, mixed types and non-boolean filters are refused by name."""

from __future__ import annotations

from datetime import date

import pytest

from accord.core.expressions import (
    FilterTypeError,
    check,
    describe,
    parse,
    parse_checked,
)
from accord.core.expressions.nodes import Comparison, DateLiteral
from accord.core.vocabulary import DataType
from accord.errors import ValidationError

SCHEMA = {
    "benefit": DataType.VARCHAR,
    "deceased": DataType.BOOLEAN,
    "date_of_birth": DataType.DATE,
    "award_start_date": DataType.DATE,
    "postcode": DataType.VARCHAR,
    "amount": DataType.DOUBLE,
    "children": DataType.BIGINT,
    "updated_at": DataType.TIMESTAMP,
    "Region Name": DataType.VARCHAR,
}


@pytest.mark.parametrize(
    "text",
    [
        "benefit in ('IS', 'JSA') and not deceased and date_of_birth between "
        "date '1950-01-01' and date '1990-12-31' and award_start_date >= today() - "
        "interval 13 months and postcode is not null",
        "deceased",
        "deceased = false",
        "amount > children and children between 1 and 2.5",
        "age(date_of_birth) >= 65",
        "age(updated_at) < 1",
        "updated_at >= date '2024-01-01' and updated_at < today()",
        "updated_at - interval 1 day > date_of_birth",
        "\"Region Name\" = 'North East'",
        "children not in (1, 2.5, -3)",
        "postcode is null or benefit is not null",
        "(children = 1) = deceased",
        "1 = 1",
    ],
)
def test_well_typed_filters_pass(text: str) -> None:
    typed = parse_checked(text, SCHEMA)
    assert typed.expression == parse(text) or "'" in text


def test_column_types_are_only_those_read() -> None:
    typed = parse_checked("age(date_of_birth) > 1 and not deceased", SCHEMA)
    assert dict(typed.column_types) == {
        "date_of_birth": DataType.DATE,
        "deceased": DataType.BOOLEAN,
    }


def test_date_like_strings_become_dates_where_compared_with_dates() -> None:
    typed = parse_checked("date_of_birth < '1990-01-01'", SCHEMA)
    assert isinstance(typed.expression, Comparison)
    assert typed.expression.right == DateLiteral(date(1990, 1, 1))
    assert describe(typed) == "date_of_birth < date '1990-01-01'"
    typed = parse_checked("'2000-02-29' in (date_of_birth, updated_at)", SCHEMA)
    assert describe(typed) == "date '2000-02-29' in (date_of_birth, updated_at)"


def test_schema_types_may_be_given_as_strings() -> None:
    assert parse_checked("n > 1", {"n": "BIGINT"})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("benfit = 'IS'", 1, "unknown column 'benfit'; did you mean 'benefit'?"),
        ("Benefit = 'IS'", 1, "did you mean 'benefit'?"),
        ("region_name = 'x'", 1, "did you mean 'Region Name'?"),
        ("nino = 'x'", 1, "unknown column 'nino'"),
        ("date_of_birth = 'yesterday'", 17, "'yesterday' is not a date"),
        ("date_of_birth > 1990", 15, "cannot compare date_of_birth (DATE) with 1990 (BIGINT)"),
        ("children = '3'", 10, "cannot compare children (BIGINT) with '3' (VARCHAR)"),
        ("benefit > 3", 9, "cannot compare benefit (VARCHAR) with 3 (BIGINT)"),
        ("children and deceased", 1, "'and' needs true or false, but children is BIGINT"),
        ("deceased or postcode", 13, "'or' needs true or false, but postcode is VARCHAR"),
        ("not amount", 5, "'not' needs true or false, but amount is DOUBLE"),
        ("children between 1 and 'x'", 24, "the upper bound of 'between'"),
        ("children between 'x' and 1", 18, "the lower bound of 'between'"),
        ("children in (1, 'two', 3)", 17, "in the 'in' list"),
        ("benefit in ('IS', 2)", 19, "cannot compare benefit (VARCHAR) with 2 (BIGINT)"),
        ("children", 1, "must be true or false for each row, but children is BIGINT"),
        ("age(date_of_birth)", 1, "but age(date_of_birth) is BIGINT"),
        ("today()", 1, "is DATE"),
        ("postcode = null", 12, "null can only be tested with 'is null'"),
        ("children in (1, null)", 17, "null can only be tested"),
        ("deceased and null", 14, "null can only be tested"),
        ("deceased < true", 10, "can only be tested with '=' or '!='"),
        ("deceased between false and true", 18, "can only be tested with '=' or '!='"),
        ("age(postcode) > 1", 5, "age() needs a date, but postcode is VARCHAR"),
        ("children + interval 1 day > 1", 1, "interval arithmetic needs a date"),
    ],
)
def test_type_errors_name_the_column_and_position(text: str, column: int, fragment: str) -> None:
    with pytest.raises(FilterTypeError) as caught:
        parse_checked(text, SCHEMA)
    error = caught.value
    assert isinstance(error, ValidationError)
    assert fragment in error.message
    assert error.column == column, error.message
    assert f"at column {column}:" in error.message


def test_errors_without_source_still_give_an_offset() -> None:
    with pytest.raises(FilterTypeError) as caught:
        check(parse("x = 1 and benfit = 'a'"), {"benefit": DataType.VARCHAR})
    assert caught.value.column == 1  # "x" comes first
    with pytest.raises(FilterTypeError) as caught:
        check(parse("benefit = 'a' and benfit = 'a'"), {"benefit": DataType.VARCHAR})
    assert caught.value.column == 19


def test_typed_expressions_are_hashable_and_picklable() -> None:
    import pickle

    typed = parse_checked("age(date_of_birth) > 1 and benefit = 'IS'", SCHEMA)
    assert pickle.loads(pickle.dumps(typed)) == typed
    assert hash(typed) == hash(parse_checked("AGE(date_of_birth) > 1 AND benefit = 'IS'", SCHEMA))
