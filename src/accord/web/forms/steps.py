"""The question pages of a request, in order, and which page answers each finding."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["STEPS", "Step", "next_step", "step_for_finding"]


@dataclass(frozen=True, slots=True)
class Step:
    slug: str
    title: str
    """As the "check your answers" page and the task list name it."""


STEPS: tuple[Step, ...] = (
    Step("purpose", "Title and purpose"),
    Step("category", "Kind of purpose and public benefit"),
    Step("datasets", "Datasets"),
    Step("fields", "Fields and how each leaves"),
    Step("cohort", "Who the data is about"),
    Step("form", "Form, channels and frequency"),
    Step("law", "Lawful basis and legal gateway"),
    Step("dpia", "Data protection impact assessment"),
    Step("dpia-document", "DPIA document"),
    Step("retention", "Retention, security and onward sharing"),
    Step("dates", "Dates and test exchange"),
    Step("considerations", "Benefit, cost and alternatives"),
    Step("exceptions", "Findings you ask to be accepted"),
)
SLUGS = frozenset(s.slug for s in STEPS)
TITLES = {s.slug: s.title for s in STEPS}

_BY_CODE: dict[str, str] = {
    "CATALOGUE_UNKNOWN_DATASET": "datasets",
    "PUBLISHED_ALTERNATIVE": "datasets",
    "CATALOGUE_UNKNOWN_FIELD": "fields",
    "FLAG_INVALID": "fields",
    "FORM_MISMATCH": "form",
    "CHANNEL_FORM_MISMATCH": "form",
    "LEGAL_ONWARD_SHARING": "retention",
    "LEGAL_TERRITORY": "retention",
    "RETENTION_MISSING": "retention",
    "LEGAL_OUTREACH_BULK_IDENTIFIABLE": "form",
    "LEGAL_ELIGIBILITY_BATCH_ONLY": "form",
    "LEGAL_CONSENT_AT_VOLUME": "law",
    "CONSIDERATIONS_UNANSWERED": "considerations",
    "LEGAL_FAIR_PROCESSING_INCOMPATIBLE": "considerations",
}
_BY_PREFIX: tuple[tuple[str, str], ...] = (
    ("MIN_", "fields"),
    ("COHORT_", "cohort"),
    ("DATES_", "dates"),
    ("DPIA_", "dpia"),
    ("LEGAL_", "law"),
    ("LINKAGE_", "fields"),
)


def step_for_finding(code: str) -> str | None:
    """The question page whose answer a finding is about, where one is."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    for prefix, slug in _BY_PREFIX:
        if code.startswith(prefix):
            return slug
    return None


def next_step(slug: str) -> str:
    """The page after ``slug``; after the last, the "check your answers" page."""
    order = [s.slug for s in STEPS]
    index = order.index(slug)
    return order[index + 1] if index + 1 < len(order) else "check"
