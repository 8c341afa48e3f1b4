"""docs/synthetic-data.md documents every dataset, field and rate (docs must not drift)."""

from __future__ import annotations

import re
from pathlib import Path

from accord.synth import SCENARIOS, CorruptionRates

DOC = Path(__file__).resolve().parents[2] / "docs" / "synthetic-data.md"


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    following = re.search(r"^#{2,3} ", text[start + len(heading) :], flags=re.MULTILINE)
    end = start + len(heading) + following.start() if following else len(text)
    return text[start:end]


def test_every_dataset_and_field_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, scenario in SCENARIOS.items():
        start = text.index(f"## Scenario `{name}`")
        rest = text[start:]
        following = re.search(r"^## Scenario ", rest[3:], flags=re.MULTILINE)
        scenario_text = rest[: following.start() + 3] if following else rest
        for spec in scenario.datasets():
            section = _section(scenario_text, f"### `{spec.path}`")
            for field in spec.fields:
                assert f"| `{field.name}` |" in section, (name, spec.name, field.name)


def test_every_rate_is_documented_with_its_default() -> None:
    text = DOC.read_text(encoding="utf-8")
    defaults = CorruptionRates()
    for kind in CorruptionRates.kinds():
        assert f"| `{kind}` | {getattr(defaults, kind):.2f} |" in text, kind
