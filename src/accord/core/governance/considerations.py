"""Seed 001's questions beyond the law (paragraphs 19 and 51), read from a request.

Before approving a share the data owner weighs whether the people benefit or suffer
detriment, whether the cost is reasonable against the benefit, what fair-processing
information they were given and whether the share is compatible with it, what
operational difference it makes, and which alternatives were considered and why they
were rejected. The request carries the answers in ``considerations``; the assessment
lists them for reviewers and warns when an operational share of identifiable data
leaves them unanswered.

The ``considerations`` field is read defensively (``getattr``), so this module works
with request documents that predate it.
"""

from __future__ import annotations

from collections.abc import Sequence

from accord.core.governance.findings import Finding, Severity
from accord.core.governance.request import OPERATIONAL_PURPOSES, SharingRequest

__all__ = ["QUESTIONS", "considerations_findings", "seed_questions"]

QUESTIONS: tuple[tuple[str, str], ...] = (
    ("benefit_or_detriment", "Will the individuals benefit directly, or suffer detriment?"),
    ("cost_against_benefit", "Is the resource cost reasonable against the expected benefit?"),
    ("fair_processing_information", "What fair-processing information were people given?"),
    (
        "compatible_with_fair_processing",
        "Is the share compatible with that fair-processing information?",
    ),
    ("operational_difference", "What operational difference will it make to the service?"),
    ("alternatives_considered", "Which alternatives were considered, and why were they rejected?"),
)
"""(field of ``considerations``, the question as reviewers read it), in seed 001's order."""

_SHORT = {
    "benefit_or_detriment": "benefit or detriment to the people",
    "cost_against_benefit": "cost against benefit",
    "fair_processing_information": "fair-processing information given",
    "compatible_with_fair_processing": "compatibility with it",
    "operational_difference": "operational difference",
    "alternatives_considered": "alternatives considered",
}


def _answer(considerations: object, name: str) -> str:
    """One answer as text; "" when unanswered (including a field the document lacks)."""
    value = getattr(considerations, name, None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Sequence):
        parts = []
        for alternative in value:
            option = str(getattr(alternative, "option", alternative)).strip()
            why = str(getattr(alternative, "why_rejected", "")).strip()
            if option:
                parts.append(f"{option} (rejected: {why})" if why else option)
        return "; ".join(parts)
    return str(value).strip()


def seed_questions(request: SharingRequest) -> tuple[tuple[str, str], ...]:
    """Each question with the request's answer ("" where it gives none)."""
    considerations = getattr(request, "considerations", None)
    return tuple((question, _answer(considerations, name)) for name, question in QUESTIONS)


def considerations_findings(request: SharingRequest, *, identified: bool) -> list[Finding]:
    """Warn when an operational share of identifiable data leaves questions unanswered;
    block when the requester says the share is incompatible with what people were told."""
    considerations = getattr(request, "considerations", None)
    out = []
    if getattr(considerations, "compatible_with_fair_processing", None) is False:
        out.append(
            Finding(
                "LEGAL_FAIR_PROCESSING_INCOMPATIBLE",
                Severity.BLOCK,
                "the share is not compatible with the fair-processing information people "
                "were given",
                "Tell people about the share first (update the privacy notice and allow time), "
                "or rely on a power that does not depend on it, recorded by legal.",
            )
        )
    if not identified or request.purpose_category not in OPERATIONAL_PURPOSES:
        return out
    missing = [question for (name, question) in QUESTIONS if not _answer(considerations, name)]
    if missing:
        out.append(
            Finding(
                "CONSIDERATIONS_UNANSWERED",
                Severity.WARN,
                f"an operational share of identifiable data leaves {len(missing)} of seed "
                "001's questions unanswered: " + " ".join(missing),
                "Answer them under `considerations` in the request (benefit_or_detriment, "
                "cost_against_benefit, fair_processing_information, "
                "compatible_with_fair_processing, operational_difference, "
                "alternatives_considered): the data owner weighs them before approving.",
            )
        )
    return out
