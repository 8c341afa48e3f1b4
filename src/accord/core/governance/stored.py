"""Decide once, store it: the assessment a revision was submitted with.

Reviewers approve what they were shown. At submission the assessment is frozen into
canonical JSON with its SHA-256; approvals bind to that hash, overrides and approvals
read the stored findings rather than recomputing them, and at approval a fresh
assessment that differs (the catalogue changed meanwhile) is refused with the
difference shown, so nobody approves something other than what was reviewed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from accord.core.governance.assessment import Assessment
from accord.core.identity import Role

__all__ = ["StoredAssessment", "assessment_diff", "freeze"]


def _jsonable(value: Any) -> Any:
    """Plain JSON values: enums as their values, tuples as lists."""
    return json.loads(json.dumps(value, default=str))


def _body(assessment: Assessment) -> dict[str, Any]:
    """Every field of the assessment (whatever it grows to hold), as plain JSON, each
    finding with the ref that overrides name it by."""
    body: dict[str, Any] = _jsonable(asdict(assessment))
    body["findings"] = [
        {**finding, "ref": f.ref}
        for finding, f in zip(body["findings"], assessment.findings, strict=True)
    ]
    return body


def _canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class StoredAssessment:
    """An assessment as canonical JSON, and the SHA-256 that approvals bind to."""

    body: str
    sha256: str

    @classmethod
    def from_body(cls, body: str) -> StoredAssessment:
        """A stored one, re-hashed: a body altered in the store no longer matches its hash."""
        return cls(body, hashlib.sha256(body.encode()).hexdigest())

    @property
    def data(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value

    @property
    def tier(self) -> int:
        return int(self.data["tier"])

    @property
    def approver_roles(self) -> tuple[Role, ...]:
        return tuple(Role(r) for r in self.data["approver_roles"])

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self.data["findings"])

    @property
    def blocking(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["severity"] == "block"]

    @property
    def blocking_refs(self) -> tuple[str, ...]:
        return tuple(f["ref"] for f in self.blocking)


def freeze(assessment: Assessment) -> StoredAssessment:
    return StoredAssessment.from_body(_canonical(_body(assessment)))


def assessment_diff(before: StoredAssessment, after: StoredAssessment) -> tuple[str, ...]:
    """What changed between two assessments, in words a reviewer reads; empty if none."""
    if before.sha256 == after.sha256:
        return ()
    old, new = before.data, after.data
    lines: list[str] = []
    if old["tier"] != new["tier"]:
        lines.append(f"tier {old['tier']} -> {new['tier']}")
    if old["approver_roles"] != new["approver_roles"]:
        lines.append(
            f"approvals needed {', '.join(old['approver_roles']) or 'none'} -> "
            f"{', '.join(new['approver_roles']) or 'none'}"
        )
    was = {f["ref"]: f for f in old["findings"]}
    now = {f["ref"]: f for f in new["findings"]}
    for ref in sorted(set(now) - set(was)):
        lines.append(f"new finding {ref} ({now[ref]['severity']}): {now[ref]['reason']}")
    for ref in sorted(set(was) - set(now)):
        lines.append(f"finding {ref} ({was[ref]['severity']}) no longer arises")
    for ref in sorted(set(was) & set(now)):
        if was[ref] != now[ref]:
            lines.append(f"finding {ref} changed: {was[ref]['reason']} -> {now[ref]['reason']}")
    old_checks = {c["item"]: c for c in old["checklist"]}
    for item in new["checklist"]:
        prior = old_checks.get(item["item"])
        if prior is not None and prior["satisfied"] != item["satisfied"]:
            mark = "now satisfied" if item["satisfied"] else "no longer satisfied"
            lines.append(f"checklist: {item['item']} {mark}")
    shown = {"tier", "approver_roles", "findings", "checklist"}
    for key in sorted((set(old) | set(new)) - shown):
        if old.get(key) != new.get(key):
            lines.append(f"{key.replace('_', ' ')}: {old.get(key)} -> {new.get(key)}")
    return tuple(lines) or ("the assessment differs in detail",)
