"""Each question page's form, read into answers or into errors at the field.

Every reader takes the answers so far and the posted form (each name with its list of
values) and returns the new answers and the errors, each naming the input it belongs
to (``field``, the id the error summary links to) in words a person can act on.
Nothing is saved from a page with errors: the page is shown again with what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from accord.core.governance.gateways import GATEWAYS
from accord.web.forms.labels import (
    ART9,
    CHANNELS,
    DPIA_OUTCOMES,
    FORMS,
    FREQUENCIES,
    LAWFUL_BASES,
    PURPOSES,
    RETENTION_EVENTS,
    TERRITORIES,
    TRANSFORMS,
)

__all__ = [
    "MAX_TEXT",
    "Errors",
    "Form",
    "date_parts",
    "read_category",
    "read_cohort",
    "read_considerations",
    "read_dataset_choice",
    "read_dates",
    "read_dpia",
    "read_exceptions",
    "read_fields",
    "read_form",
    "read_law",
    "read_purpose",
    "read_retention",
]

Form = Mapping[str, Sequence[str]]
Answers = dict[str, Any]
Errors = list[dict[str, str]]

MAX_TEXT = 5000
"""The longest answer to a free-text question."""
MAX_LINE = 200
NEEDS_ARGUMENT = {"pseudonymise", "generalise", "band", "truncate", "flag"}
PERIOD_UNITS = {"days": "D", "weeks": "W", "months": "M", "years": "Y"}


def _one(form: Form, name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()


def _text(
    form: Form, name: str, errors: Errors, what: str, *, limit: int = MAX_TEXT, least: int = 0
) -> str:
    value = _one(form, name)
    if least and len(value) < least:
        if not value:
            errors.append({"field": name, "text": f"Enter {what}"})
        else:
            errors.append(
                {"field": name, "text": f"{what.capitalize()} must be {least} characters or more"}
            )
    elif len(value) > limit:
        errors.append(
            {"field": name, "text": f"{what.capitalize()} must be {limit} characters or fewer"}
        )
    return value


def _choice(
    form: Form, name: str, allowed: Mapping[str, Any], errors: Errors, *, need: str = ""
) -> str:
    value = _one(form, name)
    if not value:
        if need:
            errors.append({"field": name, "text": need})
        return ""
    if value not in allowed:
        errors.append(
            {"field": name, "text": f"Choose one of the options for {name.replace('_', ' ')}"}
        )
        return ""
    return value


def date_parts(form: Form, name: str, what: str, errors: Errors, *, required: bool) -> str:
    """A GOV.UK date input's day, month and year (``name-day`` …) as an ISO date, or ""."""
    parts = [_one(form, f"{name}-{p}") for p in ("day", "month", "year")]
    if not any(parts):
        if required:
            errors.append({"field": f"{name}-day", "text": f"Enter {what}"})
        return ""
    missing = [p for p, v in zip(("day", "month", "year"), parts, strict=True) if not v]
    if missing:
        first = missing[0]
        errors.append(
            {"field": f"{name}-{first}", "text": f"{what.capitalize()} must include a {first}"}
        )
        return ""
    try:
        day, month, year = (int(v) for v in parts)
        if year < 1000:
            raise ValueError("a year has 4 numbers")
        return date(year, month, day).isoformat()
    except ValueError:
        errors.append({"field": f"{name}-day", "text": f"{what.capitalize()} must be a real date"})
        return ""


def _period(form: Form, name: str, what: str, errors: Errors) -> str:
    """``name-amount`` and ``name-unit`` as an ISO 8601 duration (P13M), or ""."""
    amount, unit = _one(form, f"{name}-amount"), _one(form, f"{name}-unit")
    if not amount:
        return ""
    if not amount.isdigit() or not 0 < int(amount) <= 999:
        errors.append(
            {
                "field": f"{name}-amount",
                "text": f"{what.capitalize()} must be a whole number from 1 to 999",
            }
        )
        return ""
    if unit not in PERIOD_UNITS:
        errors.append(
            {"field": f"{name}-unit", "text": f"Choose days, weeks, months or years for {what}"}
        )
        return ""
    return f"P{int(amount)}{PERIOD_UNITS[unit]}"


def read_purpose(answers: Answers, form: Form) -> tuple[Answers, Errors]:
    errors: Errors = []
    title = _text(form, "title", errors, "a title", limit=MAX_LINE, least=3)
    purpose = _text(form, "purpose", errors, "what the data is for", least=10)
    return {**answers, "title": title, "purpose": purpose}, errors


def read_category(answers: Answers, form: Form) -> tuple[Answers, Errors]:
    errors: Errors = []
    category = _choice(
        form, "purpose_category", PURPOSES, errors, need="Choose the kind of purpose"
    )
    benefit = _text(form, "public_benefit", errors, "the public benefit")
    return {**answers, "purpose_category": category, "public_benefit": benefit}, errors


def read_dataset_choice(
    answers: Answers, form: Form, known: frozenset[str]
) -> tuple[Answers, Errors]:
    """The datasets chosen; fields and cohorts already given for one still chosen stay."""
    chosen = [d for d in form.get("datasets") or [] if d]
    if not chosen:
        return answers, [{"field": "datasets", "text": "Choose at least one dataset"}]
    unknown = [d for d in chosen if d not in known]
    if unknown:
        return answers, [
            {"field": "datasets", "text": f"{unknown[0]} is not in the catalogue: choose again"}
        ]
    before = {d["dataset"]: d for d in answers.get("datasets") or []}
    datasets = [
        before.get(d, {"dataset": d, "fields": [], "cohort": ""}) for d in dict.fromkeys(chosen)
    ]
    return {**answers, "datasets": datasets}, []


def read_fields(
    answers: Answers, form: Form, dataset: str, field_names: Sequence[str]
) -> tuple[Answers, Errors]:
    """The fields ticked from one dataset, each with why it is needed and how it leaves.
    Inputs are numbered by the field's place in the dataset (``why-3``)."""
    errors: Errors = []
    ticked = set(form.get("fields") or [])
    unknown = ticked - set(field_names)
    if unknown:
        errors.append(
            {"field": "fields", "text": f"{sorted(unknown)[0]} is not a field of {dataset}"}
        )
    chosen = []
    for index, name in enumerate(field_names, start=1):
        if name not in ticked:
            continue
        why = _text(form, f"why-{index}", errors, f"why you need {name}", limit=1000)
        kind = _choice(form, f"transform-{index}", TRANSFORMS, errors) or "keep"
        argument = _text(
            form, f"argument-{index}", errors, f"the detail for {name}", limit=MAX_LINE
        )
        if kind in NEEDS_ARGUMENT and not argument:
            label, hint = TRANSFORMS[kind]
            text = f"Enter the detail needed to {label.lower()} {name}: {hint.lower()}"
            errors.append({"field": f"argument-{index}", "text": text})
        chosen.append({"name": name, "justification": why, "transform": kind, "argument": argument})
    if not chosen and not errors:
        errors.append({"field": "fields", "text": f"Choose at least one field from {dataset}"})
    datasets = [
        {**d, "fields": chosen} if d["dataset"] == dataset else d
        for d in answers.get("datasets") or []
    ]
    return {**answers, "datasets": datasets}, errors


def read_cohort(answers: Answers, form: Form) -> tuple[Answers, Errors]:
    errors: Errors = []
    datasets = []
    for index, chosen in enumerate(answers.get("datasets") or [], start=1):
        cohort = _text(form, f"cohort-{index}", errors, "who the data is about", limit=2000)
        datasets.append({**chosen, "cohort": cohort})
    return {**answers, "datasets": datasets}, errors


def read_form(answers: Answers, form: Form) -> tuple[Answers, Errors]:
    errors: Errors = []
    shape = _choice(form, "form", FORMS, errors, need="Choose the form you need the data in")
    channels = [c for c in form.get("channels") or [] if c]
    if not channels:
        errors.append({"field": "channels", "text": "Choose how the data reaches you"})
    elif any(c not in CHANNELS for c in channels):
        errors.append({"field": "channels", "text": "Choose from the channels listed"})
        channels = []
    frequency = _choice(form, "frequency", FREQUENCIES, errors, need="Choose how often") or ""
    interval = ""
    if frequency == "recurring":
        interval = _period(form, "interval", "how often", errors)
        if not interval and not any(e["field"].startswith("interval") for e in errors):
            errors.append({"field": "interval-amount", "text": "Enter how often the data is sent"})
    return {
        **answers,
        "form": shape,
        "channels": channels,
        "frequency": frequency,
        "frequency_interval": interval,
    }, errors


GATEWAY_IDS = frozenset(g.id for g in GATEWAYS)


def read_law(answers: Answers, form: Form) -> tuple[Answers, Errors]:
    errors: Errors = []
    basis = _choice(form, "lawful_basis", LAWFUL_BASES, errors)
    art9 = _choice(form, "art9_condition", ART9, errors)
    schedule1 = _text(
        form, "schedule1_condition", errors, "the Schedule 1 condition", limit=MAX_LINE
    )
    gateway = _one(form, "gateway")
    if gateway and gateway not in GATEWAY_IDS:
        errors.append({"field": "gateway", "text": "Choose a legal gateway from the list"})
        gateway = ""
    return {
        **answers,
        "lawful_basis": basis,
        "art9_condition": art9,
        "schedule1_condition": schedule1,
        "gateway": gateway,
    }, errors


def read_dpia(answers: Answers, form: Form) -> tuple[Answers, Errors]:
    errors: Errors = []
    reference = _text(form, "dpia_reference", errors, "the DPIA reference", limit=MAX_LINE)
    outcome = _choice(form, "dpia_outcome", DPIA_OUTCOMES, errors, need="Choose where the DPIA is")
    completed = date_parts(
        form, "completed", "the date the DPIA was completed", errors, required=False
    )
    if outcome in {"low_risk", "mitigated", "high_residual_risk"} and not completed and not errors:
        errors.append({"field": "completed-day", "text": "Enter the date the DPIA was completed"})
    return {
        **answers,
        "dpia_reference": reference,
        "dpia_outcome": outcome,
        "dpia_completed_on": completed,
    }, errors


def read_retention(answers: Answers, form: Form) -> tuple[Answers, Errors]:
    errors: Errors = []
    period = _period(form, "retention", "how long you keep the data", errors)
    after = _choice(form, "retention_after", RETENTION_EVENTS, errors)
    if period and not after:
        errors.append({"field": "retention_after", "text": "Choose what the time is counted from"})
    if after and not period and not errors:
        errors.append({"field": "retention-amount", "text": "Enter how long you keep the data"})
    deletion = _text(form, "deletion_method", errors, "how the data is deleted")
    security = _text(form, "security_measures", errors, "the security measures")
    territory = _choice(form, "territory", TERRITORIES, errors) or "uk"
    onward = _text(form, "onward_sharing", errors, "the onward sharing")
    return {
        **answers,
        "retention_period": period,
        "retention_after": after,
        "retention_until": "" if period else answers.get("retention_until", ""),
        "deletion_method": deletion,
        "security_measures": security,
        "territory": territory,
        "onward_sharing": onward,
    }, errors


def read_dates(answers: Answers, form: Form) -> tuple[Answers, Errors]:
    errors: Errors = []
    start = date_parts(form, "start", "the date the sharing starts", errors, required=True)
    end = date_parts(form, "end", "the date the sharing ends", errors, required=True)
    if start and end and end <= start:
        errors.append({"field": "end-day", "text": "The end date must be after the start date"})
    test = _one(form, "test_exchange")
    if test not in {"yes", "no"}:
        errors.append(
            {"field": "test_exchange", "text": "Say whether a test exchange comes before live data"}
        )
    return {
        **answers,
        "start_date": start,
        "end_date": end,
        "test_exchange": test != "no",
    }, errors


MAX_ALTERNATIVES = 3


def read_considerations(answers: Answers, form: Form) -> tuple[Answers, Errors]:
    """Seed 001's questions (paragraphs 19 and 51): benefit, cost, fair processing, the
    difference made, and up to three alternatives with why each was rejected."""
    errors: Errors = []
    given = {
        "benefit_or_detriment": _text(form, "benefit_or_detriment", errors, "the benefit"),
        "cost_against_benefit": _text(form, "cost_against_benefit", errors, "the cost"),
        "fair_processing_information": _text(
            form, "fair_processing_information", errors, "what people were told"
        ),
        "compatible_with_fair_processing": _choice(
            form, "compatible_with_fair_processing", {"yes": 1, "no": 0}, errors
        ),
        "operational_difference": _text(
            form, "operational_difference", errors, "the difference it makes"
        ),
    }
    alternatives = []
    for n in range(1, MAX_ALTERNATIVES + 1):
        option = _text(form, f"option-{n}", errors, "the alternative", limit=1000)
        why = _text(form, f"rejected-{n}", errors, "why it was rejected", limit=1000)
        if option and not why:
            errors.append(
                {"field": f"rejected-{n}", "text": f"Enter why alternative {n} was rejected"}
            )
        elif why and not option:
            errors.append({"field": f"option-{n}", "text": f"Enter alternative {n}"})
        elif option:
            alternatives.append({"option": option, "why_rejected": why})
    return {**answers, "considerations": {**given, "alternatives_considered": alternatives}}, errors


_REF = re.compile(r"[A-Z0-9_]+(:.*)?")


def read_exceptions(answers: Answers, form: Form, refs: Sequence[str]) -> tuple[Answers, Errors]:
    """A reason for each blocking finding the requester asks to be accepted (blank: not
    asked). Inputs are numbered by the finding's place in ``refs``."""
    errors: Errors = []
    asks = {}
    for index, ref in enumerate(refs, start=1):
        reason = _text(form, f"reason-{index}", errors, "the reason", limit=2000)
        if reason and _REF.fullmatch(ref):
            asks[ref] = reason
    return {**answers, "override_requests": asks}, errors
