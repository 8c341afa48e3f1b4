"""The compiled SQL, per dialect: snapshots of representative filters, and folding.

The expected strings are the reviewed output; a change to the compiler or to sqlglot
that alters them should be looked at, not re-recorded blindly.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlglot import exp

from accord.core.expressions import (
    DIALECTS,
    FilterTypeError,
    parse_checked,
    to_sql,
    to_sqlglot,
)
from accord.core.vocabulary import DataType

SCHEMA = {
    "benefit": DataType.VARCHAR,
    "deceased": DataType.BOOLEAN,
    "carer": DataType.BOOLEAN,
    "date_of_birth": DataType.DATE,
    "award_start_date": DataType.DATE,
    "postcode": DataType.VARCHAR,
    "amount": DataType.DOUBLE,
    "children": DataType.BIGINT,
    "updated_at": DataType.TIMESTAMP,
    "Region Name": DataType.VARCHAR,
}
REFERENCE = date(2025, 3, 1)

AGE_DUCKDB = (
    '(2025 - YEAR("date_of_birth") - CASE WHEN MONTH("date_of_birth") > 3 OR '
    '(MONTH("date_of_birth") = 3 AND DAY("date_of_birth") > 1) THEN 1 ELSE 0 END)'
)
AGE_POSTGRES = (
    '(2025 - EXTRACT(YEAR FROM "date_of_birth") - CASE WHEN EXTRACT(MONTH FROM "date_of_birth")'
    ' > 3 OR (EXTRACT(MONTH FROM "date_of_birth") = 3 AND EXTRACT(DAY FROM "date_of_birth") > 1)'
    " THEN 1 ELSE 0 END)"
)
AGE_SPARK = AGE_DUCKDB.replace('"', "`")

SNAPSHOTS: dict[str, dict[str, str]] = {
    # The example: constants folded at the reference date.
    "benefit in ('IS', 'JSA') and not deceased and date_of_birth between date '1950-01-01' "
    "and date '1990-12-31' and award_start_date >= today() - interval 13 months "
    "and postcode is not null": {
        "duckdb": '"benefit" IN (\'IS\', \'JSA\') AND NOT "deceased" AND "date_of_birth" '
        "BETWEEN CAST('1950-01-01' AS DATE) AND CAST('1990-12-31' AS DATE) AND "
        '"award_start_date" >= CAST(\'2024-02-01\' AS DATE) AND NOT "postcode" IS NULL',
        "postgres": '"benefit" IN (\'IS\', \'JSA\') AND NOT "deceased" AND "date_of_birth" '
        "BETWEEN CAST('1950-01-01' AS DATE) AND CAST('1990-12-31' AS DATE) AND "
        '"award_start_date" >= CAST(\'2024-02-01\' AS DATE) AND NOT "postcode" IS NULL',
        "spark": "`benefit` IN ('IS', 'JSA') AND NOT `deceased` AND `date_of_birth` "
        "BETWEEN CAST('1950-01-01' AS DATE) AND CAST('1990-12-31' AS DATE) AND "
        "`award_start_date` >= CAST('2024-02-01' AS DATE) AND NOT `postcode` IS NULL",
    },
    # age() at the reference date; "or" under "and" keeps its meaning.
    "age(date_of_birth) >= 65 or carer = true and not (postcode is null)": {
        "duckdb": f'{AGE_DUCKDB} >= 65 OR "carer" = TRUE AND NOT ("postcode" IS NULL)',
        "postgres": f'{AGE_POSTGRES} >= 65 OR "carer" = TRUE AND NOT ("postcode" IS NULL)',
        "spark": f"{AGE_SPARK} >= 65 OR `carer` = TRUE AND NOT (`postcode` IS NULL)",
    },
    "(age(date_of_birth) < 18 or carer) and children > 0": {
        "duckdb": f'({AGE_DUCKDB} < 18 OR "carer") AND "children" > 0',
        "postgres": f'({AGE_POSTGRES} < 18 OR "carer") AND "children" > 0',
        "spark": f"({AGE_SPARK} < 18 OR `carer`) AND `children` > 0",
    },
    # column ± interval: a date stays a date; a timestamp keeps its time.
    "award_start_date + interval 6 months <= today() "
    "and updated_at > updated_at - interval 30 days": {
        "duckdb": "CAST(\"award_start_date\" + INTERVAL '6' MONTH AS DATE) <= "
        "CAST('2025-03-01' AS DATE) AND \"updated_at\" > (\"updated_at\" - INTERVAL '30' DAY)",
        "postgres": "CAST(\"award_start_date\" + INTERVAL '6 MONTH' AS DATE) <= "
        "CAST('2025-03-01' AS DATE) AND \"updated_at\" > (\"updated_at\" - INTERVAL '30 DAY')",
        "spark": "CAST(`award_start_date` + INTERVAL '6' MONTH AS DATE) <= "
        "CAST('2025-03-01' AS DATE) AND `updated_at` > (`updated_at` - INTERVAL '30' DAY)",
    },
    # Quoted names and awkward strings: escaped by each dialect's own rules.
    "\"Region Name\" not in ('North East', 'it''s \\ here') and amount not between -1.5 and 10": {
        "duckdb": "NOT \"Region Name\" IN ('North East', 'it''s \\ here') "
        'AND NOT "amount" BETWEEN -1.5 AND 10',
        "postgres": "NOT \"Region Name\" IN ('North East', 'it''s \\ here') "
        'AND NOT "amount" BETWEEN -1.5 AND 10',
        "spark": "NOT `Region Name` IN ('North East', 'it\\'s \\\\ here') "
        "AND NOT `amount` BETWEEN -1.5 AND 10",
    },
    # Arithmetic on constants is done at compile time, leap day included.
    "date_of_birth < date '2000-02-29' + interval 1 year and age(date '2000-02-29') = 25": {
        "duckdb": "\"date_of_birth\" < CAST('2001-02-28' AS DATE) AND 25 = 25",
        "postgres": "\"date_of_birth\" < CAST('2001-02-28' AS DATE) AND 25 = 25",
        "spark": "`date_of_birth` < CAST('2001-02-28' AS DATE) AND 25 = 25",
    },
}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("text", list(SNAPSHOTS))
def test_snapshot(text: str, dialect: str) -> None:
    assert to_sql(parse_checked(text, SCHEMA), REFERENCE, dialect) == SNAPSHOTS[text][dialect]


def test_the_result_is_a_sqlglot_expression_usable_in_a_where() -> None:
    compiled = to_sqlglot(parse_checked("children > 1", SCHEMA), REFERENCE)
    assert isinstance(compiled, exp.GT)
    query = exp.select("*").from_("t").where(compiled)
    assert query.sql(dialect="duckdb") == 'SELECT * FROM t WHERE "children" > 1'


def test_the_reference_date_is_the_only_clock() -> None:
    typed = parse_checked("award_start_date >= today() - interval 1 month", SCHEMA)
    first = to_sql(typed, date(2024, 3, 31))
    assert first == "\"award_start_date\" >= CAST('2024-02-29' AS DATE)"
    assert to_sql(typed, date(2024, 3, 31)) == first
    assert to_sql(typed, date(2023, 3, 31)).endswith("CAST('2023-02-28' AS DATE)")


def test_string_dates_compile_as_dates() -> None:
    typed = parse_checked("date_of_birth >= '1950-01-01'", SCHEMA)
    assert to_sql(typed, REFERENCE) == "\"date_of_birth\" >= CAST('1950-01-01' AS DATE)"


def test_folding_out_of_range_is_a_validation_error() -> None:
    typed = parse_checked("date_of_birth < date '9999-12-01' + interval 1 month", SCHEMA)
    with pytest.raises(FilterTypeError, match="date out of range"):
        to_sqlglot(typed, REFERENCE)
