"""docs/disclosure.md documents every rule default and every expected difference."""

from __future__ import annotations

from pathlib import Path

from accord.disclosure.crosscheck import EXPECTED_DIFFERENCES
from accord.disclosure.rules import RULE_SOURCES, DisclosureRules

DOC = (Path(__file__).resolve().parents[2] / "docs" / "disclosure.md").read_text(encoding="utf-8")


def test_every_rule_and_its_default_is_documented() -> None:
    defaults = DisclosureRules().as_dict()
    assert set(defaults) == set(RULE_SOURCES)
    for name, value in defaults.items():
        shown = str(value).lower()
        assert f"| `{name}` | {shown} |" in DOC, name


def test_every_expected_difference_is_documented() -> None:
    for difference in EXPECTED_DIFFERENCES:
        assert f"`{difference.code}`" in DOC, difference.code
