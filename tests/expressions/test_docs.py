"""docs/expressions.md stays true: its filters check, its errors are the real ones.

Every ```filter block must pass against the schema table the page documents, every
row of the error table must produce exactly the message shown, every keyword is
listed, and every name in the API table is exported.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import accord.core.expressions as expressions
from accord.core.expressions import describe, parse, parse_checked
from accord.core.expressions.tokens import KEYWORDS
from accord.core.vocabulary import DataType
from accord.errors import ValidationError

DOC = (Path(__file__).parents[2] / "docs" / "expressions.md").read_text()


def _section(title: str) -> str:
    start = DOC.index(f"## {title}\n")
    end = DOC.find("\n## ", start + 1)
    return DOC[start : end if end >= 0 else len(DOC)]


def _schema() -> dict[str, DataType]:
    schema: dict[str, DataType] = {}
    table = DOC[DOC.index("| column | type |") : DOC.index("## Grammar")]
    for names, kind in re.findall(r"^\| (.+?) \| (\w+) \|$", table, re.MULTILINE)[1:]:
        for name in re.findall(r"`([^`]+)`", names):
            schema[name] = DataType(kind)
    return schema


SCHEMA = _schema()
FILTERS = re.findall(r"```filter\n(.*?)```", DOC, re.DOTALL)
ERRORS = re.findall(r"^\| `(.+?)` \| `(cohort filter .+?)` \|$", _section("Errors"), re.MULTILINE)


def test_the_schema_table_was_read() -> None:
    assert SCHEMA["Local Authority"] is DataType.VARCHAR
    assert len(SCHEMA) == 10


@pytest.mark.parametrize("text", FILTERS)
def test_documented_filters_check(text: str) -> None:
    typed = parse_checked(text, SCHEMA)
    assert parse(describe(typed)) == typed.expression


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_documented_errors_are_the_real_messages(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_checked(text, SCHEMA)
    assert caught.value.message == message


def test_every_keyword_is_documented() -> None:
    listed = re.search(r"The keywords `([a-z ]+)` cannot", DOC)
    assert listed is not None
    assert set(listed.group(1).split()) == KEYWORDS


def test_every_api_name_is_exported() -> None:
    names = re.findall(r"^\| `(\w+)\(", _section("Python API"), re.MULTILINE)
    assert names
    for name in names:
        assert name in expressions.__all__, name


def test_enough_examples() -> None:
    assert len(FILTERS) >= 5
    assert len(ERRORS) >= 7
