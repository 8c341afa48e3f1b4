"""One identifier normalisation: Python, the plan's SQL and the SQL text agree value for value.

Ingest validation, the opt-out register, the opt-out filter, pseudonymisation and linkage
all normalise a NINO or NHS number; were any two to differ, a value stored as
``AB123456C\\r`` would pass ingest yet escape an opt-out of ``AB123456C``, or get a second
pseudonym. Each rendering is compared with :func:`normalise_identifier` over generated
identifiers carrying whitespace, control characters, case, separators and non-ASCII.
"""

from __future__ import annotations

import duckdb
import psycopg
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from accord.core.identifiers import (
    IDENTIFIER_SEPARATORS,
    is_valid_nhs_number,
    is_valid_nino,
    normalise_identifier,
    normalise_identifier_sql,
)
from accord.core.plan.transforms import normalise_identifier as plan_normalise
from accord.core.plan.transforms import person_identifier_sql
from accord.core.vocabulary import SemanticType
from accord.ingest.identifier_checks import nhs_number_valid, nino_valid, normalised_identifiers

NOISE = st.sampled_from(
    [" ", "\t", "\n", "\r", "\f", "\v", "-", "--", "\x00", "\x1f", "\xa0", "\u2003", ".", "/", "_"]
)
"""Forgiven separators, and characters that look like them but are not forgiven."""

CHARACTERS = st.characters(
    codec="utf-8",
    exclude_characters="\x00",  # PostgreSQL text cannot hold NUL
)


@st.composite
def stored_identifiers(draw: st.DrawFn) -> str:
    """A NINO or NHS number as a dataset might have stored it, or something like one."""
    core = draw(
        st.one_of(
            st.from_regex(r"[A-Za-z]{2}[0-9]{6}[A-Da-d]", fullmatch=True),
            st.from_regex(r"[0-9]{10}", fullmatch=True),
            st.text(
                alphabet=st.one_of(st.sampled_from("abzABZ09\ufb06\u017f\u0131\u00e9"), CHARACTERS),
                max_size=12,
            ),
        )
    )
    pieces = list(core)
    for _ in range(draw(st.integers(0, 4))):
        noise = draw(NOISE)
        if noise == "\x00":
            continue
        pieces.insert(draw(st.integers(0, len(pieces))), noise)
    return "".join(pieces)


IDENTIFIERS = st.lists(stored_identifiers(), min_size=1, max_size=40)
PLAN_SQL = {
    dialect: plan_normalise(exp.column("v", quoted=True), SemanticType.NINO).sql(dialect=dialect)
    for dialect in ("duckdb", "postgres")
}


def test_the_rule() -> None:
    assert normalise_identifier("ab-12 34\t56 c\r") == "AB123456C"
    assert normalise_identifier("RA-65-19-08-B") == "RA651908B"
    assert normalise_identifier("943-476\v5919\f") == "9434765919"
    # Non-ASCII is never folded: the long s and the st ligature stay what they are.
    assert normalise_identifier("\u017fb123456c") == "\u017fB123456C"
    assert not is_valid_nino("\ufb06123456A")
    assert IDENTIFIER_SEPARATORS == " \t\n\r\f\v-"
    assert is_valid_nino("ra 65-19-08\tb\r")
    assert is_valid_nhs_number("943-476-5919\r\n")


@settings(max_examples=150, deadline=None)
@given(IDENTIFIERS)
def test_duckdb_sql_equals_python(values: list[str]) -> None:
    table = pa.table({"v": pa.array(values, pa.string())})
    with duckdb.connect() as con:
        con.register("t", table)
        planned = [r[0] for r in con.execute(f"SELECT {PLAN_SQL['duckdb']} FROM t").fetchall()]
        texted = [
            r[0] for r in con.execute(f"SELECT {normalise_identifier_sql('v')} FROM t").fetchall()
        ]
        linked = con.execute(f"SELECT {person_identifier_sql('v', 'duckdb')} FROM t").fetchall()
    expected = [normalise_identifier(v) for v in values]
    assert planned == expected
    assert texted == expected
    assert [r[0] for r in linked] == expected


@settings(max_examples=150, deadline=None)
@given(IDENTIFIERS)
def test_arrow_ingest_kernels_equal_python(values: list[str]) -> None:
    array = pa.array(values, pa.string())
    assert normalised_identifiers(array).to_pylist() == [normalise_identifier(v) for v in values]
    assert nino_valid(array).to_pylist() == [is_valid_nino(v) for v in values]
    assert nhs_number_valid(array).to_pylist() == [is_valid_nhs_number(v) for v in values]


@pytest.mark.postgres
def test_postgres_sql_equals_python(postgres_database: str) -> None:
    with psycopg.connect(postgres_database, autocommit=True) as conn:

        @settings(
            max_examples=100,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(IDENTIFIERS)
        def check(values: list[str]) -> None:
            rows = [(i, v) for i, v in enumerate(values)]
            for sql in (PLAN_SQL["postgres"], normalise_identifier_sql('"v"')):
                got = conn.execute(
                    f"SELECT {sql} FROM (SELECT * FROM unnest(%s::int[], %s::text[])) "
                    'AS t("i", "v") ORDER BY "i"',
                    ([i for i, _ in rows], [v for _, v in rows]),
                ).fetchall()
                assert [r[0] for r in got] == [normalise_identifier(v) for v in values]

        check()
