"""docs/lifecycle/records.md documents every kind of record, retention event and record
state, and docs/cli.md every `accord records` command."""

from __future__ import annotations

from pathlib import Path

import typer.main

from accord.cli.records import records_app
from accord.core.lifecycle.record_retention import RULES, EventKind, RecordKind, RecordState

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC = (DOCS / "lifecycle" / "records.md").read_text(encoding="utf-8")
CLI = (DOCS / "cli.md").read_text(encoding="utf-8")


def test_every_kind_event_state_and_period_is_documented() -> None:
    for kind in RecordKind:
        assert f"`{kind.value}`" in DOC, kind
        assert f"`{RULES[kind].minimum}`" in DOC or RULES[kind].minimum in DOC, kind
    for event in EventKind:
        assert f"`{event.value}`" in DOC, event
    for state in RecordState:
        assert f"`{state.value}`" in DOC, state


def test_every_command_is_documented() -> None:
    for name in typer.main.get_group(records_app).commands:
        assert f"accord records {name}" in CLI, name
        assert f"accord records {name} " in DOC, name
