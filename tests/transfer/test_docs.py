"""docs/transfer.md documents every manifest field and every package command."""

from __future__ import annotations

from pathlib import Path

from accord.core.transfer.manifest import PackageManifest

DOC = (Path(__file__).resolve().parents[2] / "docs" / "transfer.md").read_text(encoding="utf-8")


def test_every_manifest_field_is_documented() -> None:
    for name in PackageManifest.model_fields:
        assert f"| `{name}` |" in DOC, name


def test_the_commands_are_documented() -> None:
    for command in ("send", "receive", "acknowledge", "receipts"):
        assert f"accord package {command}" in DOC, command
