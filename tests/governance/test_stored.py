"""The stored assessment: canonical, hashed, and diffed in words a reviewer reads."""

from __future__ import annotations

import dataclasses

from accord.core.governance.assessment import Assessment
from accord.core.governance.findings import Finding, Severity
from accord.core.governance.stored import StoredAssessment, assessment_diff, freeze
from accord.core.identity import Role


def _assessment(**changes: object) -> Assessment:
    base = Assessment(
        tier=3,
        findings=(Finding("PRECEDENT", Severity.WARN, "sets a precedent", "consider it"),),
        approver_roles=(Role.DATA_OWNER, Role.DPO),
        approving_organisations=("dwp",),
        checklist=(),
        published_alternatives=(),
        dpia_required_because=(),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_the_same_assessment_freezes_to_the_same_hash() -> None:
    first, again = freeze(_assessment()), freeze(_assessment())
    assert first == again
    assert len(first.sha256) == 64
    assert StoredAssessment.from_body(first.body) == first
    assert first.approver_roles == (Role.DATA_OWNER, Role.DPO)
    assert first.findings[0]["ref"] == "PRECEDENT"
    assert assessment_diff(first, again) == ()


def test_the_difference_is_shown_finding_by_finding() -> None:
    blocking = Finding("LEGAL_TERRITORY", Severity.BLOCK, "outside the UK", "keep it in the UK")
    before = freeze(_assessment())
    after = freeze(
        _assessment(tier=5, findings=(blocking,), approver_roles=(Role.DATA_OWNER, Role.LEGAL))
    )
    assert after.blocking_refs == ("LEGAL_TERRITORY",)
    assert assessment_diff(before, after) == (
        "tier 3 -> 5",
        "approvals needed data_owner, dpo -> data_owner, legal",
        "new finding LEGAL_TERRITORY (block): outside the UK",
        "finding PRECEDENT (warn) no longer arises",
    )
