"""The assessment report, as JSON and as text a reviewer reads."""

from __future__ import annotations

from typing import Any

from accord.core.governance.assessment import Assessment
from accord.core.governance.findings import Severity

__all__ = ["TIER_NAMES", "assessment_dict", "assessment_text"]

TIER_NAMES = {
    1: "published",
    2: "unpublished aggregate",
    3: "anonymised research",
    4: "non-anonymised research",
    5: "non-anonymised operational",
}
_MARK = {Severity.BLOCK: "BLOCK ", Severity.WARN: "WARN  ", Severity.ADVICE: "ADVICE"}


def assessment_dict(assessment: Assessment) -> dict[str, Any]:
    return {
        "tier": assessment.tier,
        "tier_name": TIER_NAMES[assessment.tier],
        "approver_roles": [r.value for r in assessment.approver_roles],
        "approving_organisations": list(assessment.approving_organisations),
        "blocking": [f.ref for f in assessment.blocking],
        "findings": [
            {
                "code": f.code,
                "ref": f.ref,
                "severity": f.severity.value,
                "subject": f.subject,
                "reason": f.reason,
                "fix": f.fix,
                "override_by": [
                    {"organisation": m.organisation_id, "role": m.role.value} for m in f.override_by
                ],
            }
            for f in assessment.findings
        ],
        "published_alternatives": list(assessment.published_alternatives),
        "dpia_required_because": list(assessment.dpia_required_because),
        "ico_checklist": [
            {"item": c.item, "satisfied": c.satisfied, "note": c.note} for c in assessment.checklist
        ],
        "considerations": [
            {"question": question, "answer": answer}
            for question, answer in assessment.considerations
        ],
    }


def assessment_text(assessment: Assessment) -> str:
    approvers = ", ".join(r.value for r in assessment.approver_roles) or "none"
    orgs = ", ".join(assessment.approving_organisations)
    lines = [
        f"Tier {assessment.tier} ({TIER_NAMES[assessment.tier]})",
        f"Approvals needed: {approvers}" + (f", from {orgs}" if assessment.approver_roles else ""),
    ]
    if assessment.dpia_required_because:
        lines.append("DPIA required: " + "; ".join(assessment.dpia_required_because))
    if assessment.published_alternatives:
        lines.append("Published alternatives: " + ", ".join(assessment.published_alternatives))
    lines.append("")
    lines.append(
        f"Findings ({len(assessment.blocking)} blocking):"
        if assessment.findings
        else "No findings."
    )
    for f in assessment.findings:
        subject = f" [{f.subject}]" if f.subject else ""
        lines.append(f"  {_MARK[f.severity]} {f.code}{subject}: {f.reason}")
        lines.append(f"         fix: {f.fix}")
        if f.severity is Severity.BLOCK:
            lines.append(f"         may override: {f.override_label()}")
    if assessment.considerations:
        lines.append("")
        lines.append("Before approving (seed 001, paragraphs 19 and 51):")
        for question, answer in assessment.considerations:
            lines.append(f"  {question}")
            lines.append(f"    {answer or '(not answered)'}")
    lines.append("")
    lines.append("ICO checklist:")
    for c in assessment.checklist:
        lines.append(
            f"  [{'x' if c.satisfied else ' '}] {c.item}" + (f" ({c.note})" if c.note else "")
        )
    return "\n".join(lines)
