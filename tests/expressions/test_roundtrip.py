"""describe() is canonical: parsing it gives back the same tree, and it is a fixed point."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from accord.core.expressions import columns, describe, parse
from accord.core.expressions.nodes import Expr
from tests.expressions.strategies import expressions


@given(expressions())
@settings(max_examples=500)
def test_describe_then_parse_gives_the_same_tree(tree: Expr) -> None:
    text = describe(tree)
    assert parse(text) == tree
    assert describe(parse(text)) == text


@given(expressions())
def test_columns_are_exactly_the_column_nodes(tree: Expr) -> None:
    assert columns(parse(describe(tree))) == columns(tree)


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("A = 1 AND B <> 2", "A = 1 and B != 2"),
        ("x == 'it''s'", "x = 'it''s'"),
        ("NOT (a OR b)", "not (a or b)"),
        ("(a or b) and c", "(a or b) and c"),
        ("a or (b and c)", "a or b and c"),
        ("a and (b and c)", "a and (b and c)"),
        ("((x))   IS  NOT NULL", "x is not null"),
        ("\"date\" = DATE '2024-02-29'", "\"date\" = date '2024-02-29'"),
        ("TODAY() - INTERVAL 1 YEAR <= dob", "today() - interval 1 year <= dob"),
        ("d + interval 2 DAY = d", "d + interval 2 days = d"),
        ("x not in (1, -2, 3.50)", "x not in (1, -2, 3.50)"),
        ("x NOT BETWEEN 1 AND 2", "x not between 1 and 2"),
        ("AGE(dob) >= 65", "age(dob) >= 65"),
        ('"has ""quotes""" = true', '"has ""quotes""" = true'),
        ('"plain" = 1', "plain = 1"),
        ('"age" = 1 and "today" = 2', '"age" = 1 and "today" = 2'),
        ("(x = 1) = false", "(x = 1) = false"),
    ],
)
def test_canonical_text(written: str, canonical: str) -> None:
    assert describe(parse(written)) == canonical
    assert parse(canonical) == parse(written)


def test_columns_lists_every_reference() -> None:
    tree = parse('a = 1 and (b in (c, 2) or age("d e") between f and 3) and not g is null')
    assert columns(tree) == frozenset({"a", "b", "c", "d e", "f", "g"})
