"""``like``, ``starts_with``, ``lower``, ``upper`` and ``in_area``: checked, compiled per
dialect, run on DuckDB against a synthetic geography, and refused when they cannot be
resolved rather than widened."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from accord.core.expressions import (
    DIALECTS,
    FilterTypeError,
    describe,
    matches,
    parse,
    parse_checked,
    to_sql,
)
from accord.core.expressions.areas import (
    AreaLookup,
    keeps_to,
    lookup_from_rows,
    normalise,
    uses_recipient_areas,
)
from accord.core.vocabulary import DataType
from accord.synth.geography import build_geography
from accord.synth.streams import Streams
from tests.expressions.engines import create_table, insert_sql, parameters, select_ids

SCHEMA = {"postcode": DataType.VARCHAR, "name": DataType.VARCHAR, "n": DataType.BIGINT}
TODAY = date(2025, 3, 1)
LOOKUP = lookup_from_rows(
    [
        {
            "postcode": "LS1 1AA",
            "oa_code": "E00000001",
            "lsoa_code": "E01000001",
            "la_code": "E08000035",
        },
        {
            "postcode": "TS1 2AB",
            "oa_code": "E00000002",
            "lsoa_code": "E01000002",
            "la_code": "E06000001",
        },
    ],
    served=("E06000001",),
)


def test_text_functions_compile_alike_in_every_dialect() -> None:
    typed = parse_checked(
        "lower(name) like 'mc%' and starts_with(upper(postcode), 'TS') and name not like '_'",
        SCHEMA,
    )
    for dialect in DIALECTS:
        sql = to_sql(typed, TODAY, dialect)
        assert "LIKE 'mc%'" in sql
        assert "TRANSLATE(" in sql
        assert "SUBSTRING(" in sql


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("n like '1%'", "'like' needs text, but n is BIGINT"),
        ("name like postcode", "must be a quoted string"),
        ("starts_with(n, '1')", "starts_with() needs text"),
        ("starts_with(name, postcode)", "must be a quoted string"),
        ("upper(n) = 'A'", "upper() needs text"),
        ("lower(name) = 1", "cannot compare"),
        ("in_area(n)", "in_area() needs text"),
        ("in_area(postcode, 'e06000001')", "not a local authority district code"),
        ("lower(name)", "must be true or false"),
    ],
)
def test_misuse_is_refused_naming_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(FilterTypeError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        parse_checked(text, SCHEMA)


def test_in_area_without_a_geography_or_districts_is_refused_not_widened() -> None:
    typed = parse_checked("in_area(postcode)", SCHEMA)
    with pytest.raises(FilterTypeError, match="needs the geography"):
        to_sql(typed, TODAY)
    with pytest.raises(FilterTypeError, match="declares none"):
        to_sql(typed, TODAY, areas=LOOKUP.serving(()))
    # Named districts need no declared areas.
    named = parse_checked("in_area(postcode, 'E08000035')", SCHEMA)
    assert "'LS11AA'" in to_sql(named, TODAY, areas=LOOKUP.serving(()))


def test_in_area_means_the_recipients_districts_unless_it_names_others() -> None:
    own = parse_checked("in_area(postcode)", SCHEMA)
    assert matches(own, {"postcode": "ts1 2ab"}, TODAY, areas=LOOKUP)
    assert matches(own, {"postcode": "E01000002"}, TODAY, areas=LOOKUP)
    assert matches(own, {"postcode": "E06000001"}, TODAY, areas=LOOKUP)
    assert not matches(own, {"postcode": "LS1 1AA"}, TODAY, areas=LOOKUP)
    assert not matches(own, {"postcode": "ZZ9 9ZZ"}, TODAY, areas=LOOKUP)
    assert not matches(own, {"postcode": None}, TODAY, areas=LOOKUP)
    leeds = parse_checked("in_area(postcode, 'E08000035')", SCHEMA)
    assert matches(leeds, {"postcode": "LS11AA"}, TODAY, areas=LOOKUP)
    assert describe(leeds) == "in_area(postcode, 'E08000035')"
    assert parse(describe(leeds)) == leeds.expression


def test_in_area_on_the_synthetic_geography_selects_exactly_one_districts_people() -> None:
    geography = build_geography(Streams(7), 400_000)
    directory = geography.postcode_directory().to_pylist()
    district = directory[0]["la_code"]
    lookup = geography.area_lookup(served=(district,))
    rows = [
        {"postcode": row["postcode"].lower() if i % 2 else row["postcode"], "name": "x", "n": i}
        for i, row in enumerate(directory[:: max(1, len(directory) // 400)])
    ]
    typed = parse_checked("in_area(postcode)", SCHEMA)
    expected = [
        i for i, row in enumerate(rows) if lookup.district(str(row["postcode"])) == district
    ]
    assert 0 < len(expected) < len(rows)
    duck = duckdb.connect(":memory:")
    try:
        duck.execute(create_table(SCHEMA, "duckdb"))
        duck.executemany(insert_sql(SCHEMA, "duckdb"), parameters(SCHEMA, rows))
        found = [
            r[0] for r in duck.execute(select_ids(typed, TODAY, "duckdb", areas=lookup)).fetchall()
        ]
    finally:
        duck.close()
    assert found == expected
    assert [i for i, row in enumerate(rows) if matches(typed, row, TODAY, areas=lookup)] == expected


def test_place_codes_normalise_without_spaces_in_upper_case() -> None:
    assert normalise(" ls1  1aa ") == "LS11AA"
    assert normalise("é") == "é"
    assert AreaLookup({}).district("e06000001") == "E06000001"


@pytest.mark.parametrize(
    ("cohort", "kept"),
    [
        ("in_area(postcode)", True),
        ("name = 'x' and in_area(postcode)", True),
        ("in_area(postcode, 'E06000001')", True),
        ("postcode = 'E06000001'", True),
        ("postcode in ('E06000001')", True),
        ("in_area(postcode) or in_area(name, 'E06000001')", True),
        ("in_area(postcode) or name = 'x'", False),
        ("in_area(postcode, 'E08000035')", False),
        ("not in_area(postcode)", False),
        ("postcode not in ('E06000001')", False),
        ("postcode in ('E06000001', 'E08000035')", False),
        ("name = 'x'", False),
    ],
)
def test_whether_a_cohort_keeps_to_the_served_districts(cohort: str, kept: bool) -> None:
    assert keeps_to(parse(cohort), ("E06000001",)) is kept
    assert keeps_to(parse(cohort), ()) is False


def test_an_in_area_without_codes_means_the_recipients() -> None:
    assert uses_recipient_areas(parse("n = 1 or not in_area(postcode)"))
    assert not uses_recipient_areas(parse("in_area(postcode, 'E06000001')"))
