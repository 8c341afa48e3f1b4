"""From the answers so far to a SharingRequest, and back, and to "check your answers".

Answers are JSON-shaped (what a draft stores): plain strings, lists and booleans, keyed
as the question pages ask. ``build`` says what is still missing, in the words of the
page that asks it, until the answers parse as a request; then it hands back the
request. ``carried`` keeps what a request written elsewhere (the API, YAML) says that
no question page asks, so revising it in the browser loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError as PydanticError

from accord.core.governance.gateways import GATEWAYS
from accord.core.governance.request import SharingRequest
from accord.core.lifecycle.retention import Retention
from accord.web.forms.labels import (
    ART9,
    CHANNELS,
    DPIA_OUTCOMES,
    FORMS,
    FREQUENCIES,
    LAWFUL_BASES,
    PURPOSES,
    TERRITORIES,
    TRANSFORMS,
    words,
)
from accord.web.forms.steps import TITLES

__all__ = ["Built", "Problem", "answers_from_request", "build", "check_sections", "long_date"]

Answers = dict[str, Any]

_STEP_OF_FIELD = {
    "title": "purpose",
    "purpose": "purpose",
    "purpose_category": "category",
    "public_benefit": "category",
    "datasets": "datasets",
    "form": "form",
    "channels": "form",
    "frequency": "form",
    "frequency_interval": "form",
    "lawful_basis": "law",
    "art9_condition": "law",
    "schedule1_condition": "law",
    "gateway": "law",
    "dpia": "dpia",
    "retention": "retention",
    "deletion_method": "retention",
    "security_measures": "retention",
    "territory": "retention",
    "onward_sharing": "retention",
    "start_date": "dates",
    "end_date": "dates",
    "test_exchange": "dates",
    "override_requests": "exceptions",
    "considerations": "considerations",
}


@dataclass(frozen=True, slots=True)
class Problem:
    step: str
    text: str


@dataclass(frozen=True, slots=True)
class Built:
    document: SharingRequest | None
    missing: tuple[Problem, ...] = ()
    """Answers still needed before the request can be assessed, page by page."""


def long_date(value: str | date | None) -> str:
    """``2026-12-07`` as GOV.UK writes it: 7 December 2026."""
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{day.day} {day:%B %Y}"


def _missing(answers: Answers) -> list[Problem]:
    need: list[Problem] = []
    if not str(answers.get("title", "")).strip():
        need.append(Problem("purpose", "Give the request a title"))
    if not str(answers.get("purpose", "")).strip():
        need.append(Problem("purpose", "Say what the data is for"))
    if not answers.get("purpose_category"):
        need.append(Problem("category", "Choose the kind of purpose"))
    datasets = answers.get("datasets") or []
    if not datasets:
        need.append(Problem("datasets", "Choose at least one dataset"))
    for chosen in datasets:
        if not chosen.get("fields"):
            need.append(Problem("fields", f"Choose the fields you need from {chosen['dataset']}"))
    if not answers.get("form"):
        need.append(Problem("form", "Choose the form you need the data in"))
    if not answers.get("channels"):
        need.append(Problem("form", "Choose how the data reaches you"))
    if not answers.get("start_date") or not answers.get("end_date"):
        need.append(Problem("dates", "Give the dates the sharing starts and ends"))
    return need


def document_of(answers: Answers, organisation: str, requester: str) -> dict[str, Any]:
    """The request document the answers say, as SharingRequest parses it."""
    document: dict[str, Any] = dict(answers.get("carried") or {})
    document.update(
        title=str(answers.get("title", "")).strip(),
        requesting_organisation=organisation,
        requester=requester,
        purpose_category=answers.get("purpose_category"),
        purpose=str(answers.get("purpose", "")).strip(),
        public_benefit=str(answers.get("public_benefit", "")).strip(),
        datasets=[
            {
                "dataset": chosen["dataset"],
                "cohort": chosen.get("cohort", ""),
                "fields": [
                    {
                        "name": f["name"],
                        "justification": f.get("justification", ""),
                        "transform": {
                            "kind": f.get("transform") or "keep",
                            "argument": f.get("argument", ""),
                        },
                    }
                    for f in chosen.get("fields", [])
                ],
            }
            for chosen in answers.get("datasets") or []
        ],
        form=answers.get("form"),
        channels=list(answers.get("channels") or []),
        frequency=answers.get("frequency") or "one_off",
        frequency_interval=answers.get("frequency_interval", "")
        if answers.get("frequency") == "recurring"
        else "",
        lawful_basis=answers.get("lawful_basis") or None,
        art9_condition=answers.get("art9_condition") or None,
        schedule1_condition=answers.get("schedule1_condition", ""),
        gateway=answers.get("gateway", ""),
        dpia={
            "reference": answers.get("dpia_reference", ""),
            "outcome": answers.get("dpia_outcome") or "not_started",
            "completed_on": answers.get("dpia_completed_on") or None,
        },
        retention=_retention(answers),
        deletion_method=answers.get("deletion_method", ""),
        security_measures=answers.get("security_measures", ""),
        territory=answers.get("territory") or "uk",
        onward_sharing=answers.get("onward_sharing", ""),
        start_date=answers.get("start_date"),
        end_date=answers.get("end_date"),
        test_exchange=bool(answers.get("test_exchange", True)),
        considerations=_considerations(answers) or document.get("considerations"),
        override_requests=[
            {"finding": ref, "reason": reason}
            for ref, reason in sorted((answers.get("override_requests") or {}).items())
            if str(reason).strip()
        ],
    )
    return document


CONSIDERATION_TEXTS = (
    "benefit_or_detriment",
    "cost_against_benefit",
    "fair_processing_information",
    "operational_difference",
)


def _considerations(answers: Answers) -> dict[str, Any] | None:
    """Seed 001's questions as the request's ``considerations``, if any is answered."""
    given = answers.get("considerations") or {}
    compatible = given.get("compatible_with_fair_processing", "")
    shape: dict[str, Any] = {k: given.get(k, "") for k in CONSIDERATION_TEXTS}
    shape["compatible_with_fair_processing"] = {"yes": True, "no": False}.get(compatible)
    shape["alternatives_considered"] = [
        a for a in given.get("alternatives_considered") or [] if a.get("option")
    ]
    answered = any(shape[k] for k in CONSIDERATION_TEXTS) or shape["alternatives_considered"]
    if not answered and shape["compatible_with_fair_processing"] is None:
        return None
    return shape


def _retention(answers: Answers) -> dict[str, str] | None:
    if answers.get("retention_until"):
        return {"until": answers["retention_until"]}
    if answers.get("retention_period") and answers.get("retention_after"):
        return {"period": answers["retention_period"], "after": answers["retention_after"]}
    return None


def retention_words(answers: Answers) -> str:
    """How long the data is kept, in words: ``13 months after the decision``."""
    shape = _retention(answers)
    if shape is None:
        return "Not given"
    try:
        return Retention.model_validate(shape).describe()
    except PydanticError:
        return "Not valid: answer the question again"


def build(answers: Answers, organisation: str, requester: str) -> Built:
    """The request the answers make, or what is still missing before there is one."""
    if missing := _missing(answers):
        return Built(None, tuple(missing))
    try:
        return Built(SharingRequest.parse(document_of(answers, organisation, requester)))
    except PydanticError as exc:
        problems = []
        for error in exc.errors():
            top = str(error["loc"][0]) if error["loc"] else ""
            if not top:  # a check across fields: the first field its message names
                top = next((f for f in _STEP_OF_FIELD if f in str(error["msg"])), "")
            step = _STEP_OF_FIELD.get(top, "check")
            where = TITLES.get(step, "your answers")
            problems.append(Problem(step, f"{where}: {error['msg'].removeprefix('Value error, ')}"))
        return Built(None, tuple(problems))


def answers_from_request(document: SharingRequest) -> Answers:
    """A request's document as the question pages' answers, to change it in the browser."""
    data = document.model_dump(mode="json")
    asked = {
        "title",
        "requesting_organisation",
        "requester",
        "purpose_category",
        "purpose",
        "public_benefit",
        "datasets",
        "form",
        "channels",
        "frequency",
        "frequency_interval",
        "lawful_basis",
        "art9_condition",
        "schedule1_condition",
        "gateway",
        "dpia",
        "retention",
        "deletion_method",
        "security_measures",
        "territory",
        "onward_sharing",
        "start_date",
        "end_date",
        "test_exchange",
        "override_requests",
        "considerations",
    }
    given = document.considerations
    return {
        "title": document.title,
        "purpose": document.purpose,
        "purpose_category": document.purpose_category.value,
        "public_benefit": document.public_benefit,
        "datasets": [
            {
                "dataset": d.dataset,
                "cohort": d.cohort,
                "fields": [
                    {
                        "name": f.name,
                        "justification": f.justification,
                        "transform": f.transform.kind.value,
                        "argument": f.transform.argument,
                    }
                    for f in d.fields
                ],
            }
            for d in document.datasets
        ],
        "form": document.form.value,
        "channels": [c.value for c in document.channels],
        "frequency": document.frequency.value,
        "frequency_interval": document.frequency_interval,
        "lawful_basis": document.lawful_basis.value if document.lawful_basis else "",
        "art9_condition": document.art9_condition.value if document.art9_condition else "",
        "schedule1_condition": document.schedule1_condition,
        "gateway": document.gateway,
        "dpia_reference": document.dpia.reference,
        "dpia_outcome": document.dpia.outcome.value,
        "dpia_completed_on": document.dpia.completed_on.isoformat()
        if document.dpia.completed_on
        else "",
        "retention_period": document.retention.period or "" if document.retention else "",
        "retention_after": document.retention.after.value
        if document.retention and document.retention.after
        else "",
        "retention_until": document.retention.until.isoformat()
        if document.retention and document.retention.until
        else "",
        "deletion_method": document.deletion_method,
        "security_measures": document.security_measures,
        "territory": document.territory,
        "onward_sharing": document.onward_sharing,
        "start_date": document.start_date.isoformat(),
        "end_date": document.end_date.isoformat(),
        "test_exchange": document.test_exchange,
        "override_requests": {o.finding: o.reason for o in document.override_requests},
        "considerations": {
            **{k: getattr(given, k) for k in CONSIDERATION_TEXTS},
            "compatible_with_fair_processing": _yes_no(given.compatible_with_fair_processing),
            "alternatives_considered": [
                {"option": a.option, "why_rejected": a.why_rejected}
                for a in given.alternatives_considered
            ],
        }
        if given
        else {},
        "carried": {k: v for k, v in data.items() if k not in asked},
    }


def _gateway(gateway_id: str) -> str:
    for known in GATEWAYS:
        if known.id == gateway_id:
            return f"{known.title} ({known.provision})"
    return gateway_id or "None"


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


Rows = list[tuple[str, str, str]]


def check_sections(answers: Answers, base: str) -> list[tuple[str, Rows]]:
    """The answers as "check your answers" lays them out: a heading and its rows, each
    row with the page that changes it (``base`` is the draft's pages' prefix)."""

    def href(step: str) -> str:
        return f"{base}/{step}?change=1"

    sections: list[tuple[str, Rows]] = [
        (
            "The request",
            [
                ("Title", answers.get("title", ""), href("purpose")),
                ("Purpose", answers.get("purpose", ""), href("purpose")),
                (
                    "Kind of purpose",
                    PURPOSES.get(answers.get("purpose_category") or "", ("", ""))[0],
                    href("category"),
                ),
                ("Public benefit", answers.get("public_benefit", ""), href("category")),
            ],
        )
    ]
    for chosen in answers.get("datasets") or []:
        rows: Rows = []
        org, _, name = chosen["dataset"].partition("/")
        for f in chosen.get("fields", []):
            how = TRANSFORMS.get(f.get("transform") or "keep", ("", ""))[0]
            if f.get("argument"):
                how += f" ({f['argument']})"
            why = f.get("justification") or "No reason given"
            rows.append((f["name"], f"{how}. {why}", f"{base}/fields/{org}/{name}?change=1"))
        rows.append(("Who", chosen.get("cohort") or "Everyone in the dataset", href("cohort")))
        sections.append((f"Data from {chosen['dataset']}", rows))
    channels = [CHANNELS.get(c, (c, ""))[0] for c in answers.get("channels") or []]
    frequency = FREQUENCIES.get(answers.get("frequency") or "one_off", ("", ""))[0]
    if answers.get("frequency") == "recurring" and answers.get("frequency_interval"):
        frequency += f", every {answers['frequency_interval']}"
    sections.append(
        (
            "How the data is shared",
            [
                ("Form", FORMS.get(answers.get("form") or "", ("", ""))[0], href("form")),
                ("Channels", words(channels), href("form")),
                ("Frequency", frequency, href("form")),
            ],
        )
    )
    sections.append(
        (
            "The law",
            [
                (
                    "Lawful basis",
                    LAWFUL_BASES.get(answers.get("lawful_basis") or "", ("Not given", ""))[0],
                    href("law"),
                ),
                (
                    "Article 9 condition",
                    ART9.get(answers.get("art9_condition") or "", ("None", ""))[0],
                    href("law"),
                ),
                (
                    "Schedule 1 condition",
                    answers.get("schedule1_condition") or "None",
                    href("law"),
                ),
                ("Legal gateway", _gateway(answers.get("gateway", "")), href("law")),
            ],
        )
    )
    sections.append(
        (
            "Data protection impact assessment",
            [
                ("Reference", answers.get("dpia_reference") or "None", href("dpia")),
                (
                    "Outcome",
                    DPIA_OUTCOMES.get(answers.get("dpia_outcome") or "not_started", ("", ""))[0],
                    href("dpia"),
                ),
                (
                    "Completed",
                    long_date(answers.get("dpia_completed_on")) or "Not completed",
                    href("dpia"),
                ),
            ],
        )
    )
    sections.append(
        (
            "Keeping the data",
            [
                ("Retention", retention_words(answers), href("retention")),
                (
                    "Deletion method",
                    answers.get("deletion_method") or "Not given",
                    href("retention"),
                ),
                (
                    "Security measures",
                    answers.get("security_measures") or "Not given",
                    href("retention"),
                ),
                (
                    "Where it is processed",
                    TERRITORIES.get(answers.get("territory") or "uk", ("", ""))[0],
                    href("retention"),
                ),
                ("Onward sharing", answers.get("onward_sharing") or "None", href("retention")),
            ],
        )
    )
    sections.append(
        (
            "Dates",
            [
                ("Starts", long_date(answers.get("start_date")) or "Not given", href("dates")),
                ("Ends", long_date(answers.get("end_date")) or "Not given", href("dates")),
                (
                    "Test exchange first",
                    "Yes" if answers.get("test_exchange", True) else "No",
                    href("dates"),
                ),
            ],
        )
    )
    weighed = answers.get("considerations") or {}
    alternatives = weighed.get("alternatives_considered") or []
    sections.append(
        (
            "Benefit, cost and alternatives",
            [
                (label, weighed.get(key) or "Not answered", href("considerations"))
                for key, label in (
                    ("benefit_or_detriment", "Benefit or detriment to the people"),
                    ("cost_against_benefit", "Cost against benefit"),
                    ("fair_processing_information", "What people were told"),
                )
            ]
            + [
                (
                    "Compatible with what people were told",
                    {"yes": "Yes", "no": "No"}.get(
                        weighed.get("compatible_with_fair_processing", ""), "Not answered"
                    ),
                    href("considerations"),
                ),
                (
                    "Difference to the service",
                    weighed.get("operational_difference") or "Not answered",
                    href("considerations"),
                ),
                (
                    "Alternatives considered",
                    "; ".join(
                        f"{a['option']} (rejected: {a.get('why_rejected', '')})"
                        for a in alternatives
                    )
                    or "None given",
                    href("considerations"),
                ),
            ],
        )
    )
    asks = answers.get("override_requests") or {}
    if asks:
        sections.append(
            (
                "Findings you ask to be accepted",
                [(ref, reason, href("exceptions")) for ref, reason in sorted(asks.items())],
            )
        )
    return sections
