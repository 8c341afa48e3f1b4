"""docs/disclosure.md lists the query checker's functions and the output controls' terms."""

from __future__ import annotations

import re
from pathlib import Path

from accord.core.governance.agreement import OutputControls
from accord.core.plan.query import AGGREGATE_FUNCTIONS, ALLOWED_FUNCTIONS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _section(text: str, title: str) -> str:
    start = text.index(f"## {title}")
    following = text.find("\n## ", start + 1)
    return text[start : following if following != -1 else None]


def test_every_allowed_function_is_documented_and_nothing_else() -> None:
    checker = _section((DOCS / "disclosure.md").read_text(), "In-place queries: the checker")
    functions = checker[checker.index("**Functions**") : checker.index("**Tables.**")]
    listed = set(re.findall(r"\b[A-Z][A-Z_]*[A-Z]\b", functions))
    names = {f.sql_name() for f in ALLOWED_FUNCTIONS}
    assert names <= listed, names - listed
    assert {f.sql_name() for f in AGGREGATE_FUNCTIONS} <= listed
    assert listed - names <= {"ALLOWED_FUNCTIONS"}, listed - names


def test_every_output_control_is_in_the_agreements_policy_table() -> None:
    row = next(
        line
        for line in (DOCS / "agreements.md").read_text().splitlines()
        if line.startswith("| `output_controls` |")
    )
    for name in OutputControls.model_fields:
        assert f"`{name}`" in row, name
