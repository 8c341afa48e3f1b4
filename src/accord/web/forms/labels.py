"""The request's choices in plain English, each with a hint: what the pages show for
the values the request document stores."""

from __future__ import annotations

from accord.core.governance.request import (
    Art9Condition,
    Channel,
    DpiaOutcome,
    Frequency,
    LawfulBasis,
    PurposeCategory,
    RequestedForm,
    TransformKind,
)
from accord.core.lifecycle.retention import RetentionEvent

__all__ = [
    "ART9",
    "CHANNELS",
    "DPIA_OUTCOMES",
    "FORMS",
    "FREQUENCIES",
    "LAWFUL_BASES",
    "PURPOSES",
    "RETENTION_EVENTS",
    "TERRITORIES",
    "TRANSFORMS",
    "options",
    "words",
]

Labels = dict[str, tuple[str, str]]

PURPOSES: Labels = {
    PurposeCategory.STRATEGIC_PLANNING: ("Strategic planning", "Planning services from counts"),
    PurposeCategory.OUTREACH: ("Outreach", "Contacting people to offer them something"),
    PurposeCategory.CUSTOMER_TRACKING: ("Customer tracking", "Following people through a service"),
    PurposeCategory.ELIGIBILITY_CHECKING: (
        "Eligibility checking",
        "Checking whether people qualify for something",
    ),
    PurposeCategory.RESEARCH: ("Research", "Research or statistics for the public good"),
    PurposeCategory.OPERATIONAL_SERVICE_DELIVERY: (
        "Delivering a service",
        "Using the data to run a public service for the people in it",
    ),
    PurposeCategory.SAFEGUARDING: ("Safeguarding", "Protecting children or adults at risk"),
    PurposeCategory.EMERGENCY_RESPONSE: (
        "Emergency response",
        "Responding to an emergency, such as a pandemic",
    ),
}
FORMS: Labels = {
    RequestedForm.AGGREGATE: ("Counts and statistics", "No record about any one person"),
    RequestedForm.ANONYMISED: ("Anonymised records", "Records nobody can be identified from"),
    RequestedForm.PSEUDONYMISED: (
        "Pseudonymised records",
        "Identifiers replaced by codes that only link within a domain",
    ),
    RequestedForm.IDENTIFIABLE: ("Identifiable records", "Names, numbers or addresses included"),
}
CHANNELS: Labels = {
    Channel.IN_PLACE_QUERY: ("Query in place", "You query the data where it is held"),
    Channel.DELTA_SHARING: ("Delta Sharing", "You read a live share of the data"),
    Channel.BULK_PACKAGE: ("Bulk package", "An encrypted file delivered to you"),
    Channel.ELIGIBILITY_CHECK: ("Eligibility check", "A yes or no about each person you name"),
    Channel.BATCH_VALIDATION: (
        "Batch validation",
        "How many of your batch meet the criteria, never which",
    ),
    Channel.AGGREGATE_STATISTICS: ("Aggregate statistics", "Counts with disclosure control"),
}
FREQUENCIES: Labels = {
    Frequency.ONE_OFF: ("Once", ""),
    Frequency.RECURRING: ("At regular intervals", ""),
    Frequency.CONTINUOUS: ("Continuously", "Access for as long as the agreement lasts"),
}
LAWFUL_BASES: Labels = {
    LawfulBasis.CONSENT: ("Consent, Article 6(1)(a)", ""),
    LawfulBasis.CONTRACT: ("Contract, Article 6(1)(b)", ""),
    LawfulBasis.LEGAL_OBLIGATION: ("Legal obligation, Article 6(1)(c)", ""),
    LawfulBasis.VITAL_INTERESTS: ("Vital interests, Article 6(1)(d)", ""),
    LawfulBasis.PUBLIC_TASK: ("Public task, Article 6(1)(e)", ""),
    LawfulBasis.LEGITIMATE_INTERESTS: ("Legitimate interests, Article 6(1)(f)", ""),
}
ART9: Labels = {
    Art9Condition.EXPLICIT_CONSENT: ("Explicit consent, 9(2)(a)", ""),
    Art9Condition.EMPLOYMENT_SOCIAL_SECURITY: ("Employment and social security, 9(2)(b)", ""),
    Art9Condition.VITAL_INTERESTS: ("Vital interests, 9(2)(c)", ""),
    Art9Condition.NOT_FOR_PROFIT: ("Not-for-profit bodies, 9(2)(d)", ""),
    Art9Condition.MADE_PUBLIC: ("Made public by the person, 9(2)(e)", ""),
    Art9Condition.LEGAL_CLAIMS: ("Legal claims, 9(2)(f)", ""),
    Art9Condition.SUBSTANTIAL_PUBLIC_INTEREST: ("Substantial public interest, 9(2)(g)", ""),
    Art9Condition.HEALTH_SOCIAL_CARE: ("Health or social care, 9(2)(h)", ""),
    Art9Condition.PUBLIC_HEALTH: ("Public health, 9(2)(i)", ""),
    Art9Condition.ARCHIVING_RESEARCH_STATISTICS: (
        "Archiving, research and statistics, 9(2)(j)",
        "",
    ),
}
DPIA_OUTCOMES: Labels = {
    DpiaOutcome.NOT_STARTED: ("Not started", ""),
    DpiaOutcome.IN_PROGRESS: ("In progress", ""),
    DpiaOutcome.LOW_RISK: ("Completed: low risk", ""),
    DpiaOutcome.MITIGATED: ("Completed: risks mitigated", ""),
    DpiaOutcome.HIGH_RESIDUAL_RISK: (
        "Completed: high risk remains",
        "The ICO must be consulted before the sharing starts",
    ),
}
TRANSFORMS: Labels = {
    TransformKind.KEEP: ("Keep as it is", ""),
    TransformKind.PSEUDONYMISE: ("Pseudonymise", "Give the linkage domain"),
    TransformKind.GENERALISE: (
        "Generalise",
        "Give year, year_month, age_band, area, district or sector",
    ),
    TransformKind.BAND: ("Put into bands", "Give the band edges, such as 16,25,65"),
    TransformKind.TRUNCATE: ("Shorten", "Give the number of characters to keep"),
    TransformKind.FLAG: ("Replace with a yes or no flag", "Give the expression"),
    TransformKind.REDACT: ("Redact", ""),
    TransformKind.DROP: ("Leave out", ""),
}
TERRITORIES: Labels = {
    "uk": ("The UK only", ""),
    "eea": ("The UK and the European Economic Area", ""),
    "adequate": ("A country with UK adequacy regulations", ""),
    "other": ("Somewhere else", "Safeguards are needed"),
}
RETENTION_EVENTS: Labels = {
    RetentionEvent.DECISION: ("The decision to share", ""),
    RetentionEvent.DELIVERY: ("Each delivery of the data", ""),
    RetentionEvent.RECEIPT: ("Your receipt of each delivery", ""),
    RetentionEvent.AGREEMENT_END: ("The end of the agreement", ""),
}


def options(labels: Labels) -> list[tuple[str, str, str]]:
    """``(value, text, hint)`` for the radios and checkboxes macros."""
    return [(str(value), text, hint) for value, (text, hint) in labels.items()]


def words(items: list[str]) -> str:
    """``a, b and c``."""
    if not items:
        return "None"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
