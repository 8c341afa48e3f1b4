"""Refusals are made in one place, so that none goes unrecorded.

``PermissionDenied`` may only be created by :func:`accord.services.guard.refuse`, which
writes the ``deny`` event first (and answers another organisation's object as missing).
The sites listed in ``KNOWN`` predate the rule; each says why it is still safe and who
has to move it. A new ``PermissionDenied(`` anywhere else fails this test.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

SRC = Path(__file__).parents[2] / "src" / "accord"

KNOWN = Counter(
    {
        # core.permissions.check(): a pure helper no service calls; services use
        # guard.authorise, which records.
        "core/permissions.py": 1,
        # Verifying a signed file URL, pure: services/sharing.py catches each and
        # re-raises it through guard.refuse, which records it.
        "core/sharing/signing.py": 4,
        # services/transfer.py _refused() records its own deny event, then returns
        # PermissionDenied; it should call guard.refuse (owned by the transfer work).
        "services/transfer.py": 1,
    }
)


def _constructions() -> Counter[str]:
    found: Counter[str] = Counter()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "PermissionDenied"
            ):
                found[str(path.relative_to(SRC))] += 1
    return found


def test_permission_denied_is_made_only_by_the_guard() -> None:
    found = _constructions()
    assert found.pop("services/guard.py", 0) == 1, "guard.refuse makes PermissionDenied"
    unexpected = {f: n for f, n in found.items() if n > KNOWN.get(f, 0)}
    assert not unexpected, (
        f"PermissionDenied made outside accord.services.guard: {unexpected}. Raise "
        "guard.refuse(...) instead, which records the deny event first."
    )
