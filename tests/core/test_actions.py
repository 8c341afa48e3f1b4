"""One registry of audit actions: every action the code records is in it, and documented.

The source is read as Python (the AST), not grepped: every ``action=`` argument, and
every string literal shaped like an action in one of the registry's namespaces (the
ones handed on positionally, ``_agreement_for(..., "extract.run")``), must be a
member of :class:`AuditAction`; f-strings like ``f"request.{action.value}"`` expand
over the workflow's enum. And ``docs/audit.md`` carries the registry's table.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

from accord.core.actions import AuditAction, markdown_table
from accord.core.governance.workflow import AgreementAction, RequestAction

ROOT = Path(__file__).parents[2]
SRC = ROOT / "src" / "accord"
ACTION_SHAPE = re.compile(r"[a-z_]+(\.[a-z_]+)+")
EXPANSIONS: dict[str, type[StrEnum]] = {"request.": RequestAction, "agreement.": AgreementAction}
"""f-string prefixes whose formatted part is a workflow action."""
REGISTERED = {a.value for a in AuditAction}
NAMESPACES = {value.split(".", 1)[0] for value in REGISTERED}


def _sources() -> Iterator[tuple[Path, ast.AST]]:
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "actions.py" and path.parent.name == "core":
            continue
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _used() -> dict[str, str]:
    """Every action string the code can record, with where it is."""
    used: dict[str, str] = {}
    for path, tree in _sources():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "action":
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    used[value.value] = f"{where}:{value.lineno}"
                elif isinstance(value, ast.JoinedStr):
                    head = value.values[0]
                    prefix = head.value if isinstance(head, ast.Constant) else ""
                    assert prefix in EXPANSIONS, (
                        f"{where}:{value.lineno}: action f-string with prefix {prefix!r}: "
                        "add the enum it expands over to EXPANSIONS"
                    )
                    for member in EXPANSIONS[str(prefix)]:
                        used[f"{prefix}{member.value}"] = f"{where}:{value.lineno}"
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and ACTION_SHAPE.fullmatch(node.value)
                and node.value.split(".", 1)[0] in NAMESPACES
            ):
                used[node.value] = f"{where}:{node.lineno}"
    return used


def test_every_action_the_code_records_is_registered() -> None:
    used = _used()
    missing = {action: where for action, where in used.items() if action not in REGISTERED}
    assert not missing, f"add these to accord.core.actions.AuditAction: {missing}"


def test_every_registered_action_is_recorded_somewhere() -> None:
    stale = REGISTERED - set(_used())
    assert not stale, f"registered but never recorded: {sorted(stale)}"


def test_every_action_has_a_description() -> None:
    for action in AuditAction:
        assert action.description.endswith("."), action
        assert len(action.description) > 15, action


def test_docs_carry_the_registry() -> None:
    docs = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    assert markdown_table() in docs, (
        "docs/audit.md's table of actions is out of date: paste the output of "
        "`python -m accord.core.actions`"
    )
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", docs, flags=re.MULTILINE))
    assert documented >= REGISTERED
