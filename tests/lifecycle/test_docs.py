"""docs/lifecycle.md documents every retention event, item state, audit action,
destruction method and certificate field, and every `accord retention` command."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer.main

from accord.cli.lifecycle import certificate_app, retention_app
from accord.core.lifecycle.certificate import DestructionCertificate, DestructionMethod
from accord.core.lifecycle.deletion import ItemState, RetentionAction
from accord.core.lifecycle.retention import RetentionEvent

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC = (DOCS / "lifecycle.md").read_text(encoding="utf-8")
CLI = (DOCS / "cli.md").read_text(encoding="utf-8")


def test_every_event_state_method_and_action_is_documented() -> None:
    for event in RetentionEvent:
        assert f"| `{event.value}` |" in DOC, event
    for state in ItemState:
        assert f"`{state.value}`" in DOC, state
    for method in DestructionMethod:
        assert f"`{method.value}`" in DOC, method
    for action in RetentionAction:
        assert f"| `{action.value}` |" in DOC, action


def test_every_certificate_field_is_documented() -> None:
    for field in dataclasses.fields(DestructionCertificate):
        assert f"`{field.name}`" in DOC, field.name


def test_every_command_is_documented() -> None:
    for name in typer.main.get_group(retention_app).commands:
        if name != "certificate":
            assert f"accord retention {name}" in CLI, name
    for name in typer.main.get_group(certificate_app).commands:
        assert f"accord retention certificate {name}" in CLI, name
