"""The forms a provider sends back to the department, as strict validated records.

Seed 003 names three, each "one record per e-mail", on a "standard template"
(paragraph 49):

- **WHP07**, change of circumstances (paragraph 10): the participant has disengaged or
  re-engaged (voluntary participants only, WHP Core and JETS); for JETS only, a mandated
  participant did not attend the initial appointment, or alternative provision may
  better support them.
- **WHP Employment Business Customer Form** (paragraphs 13-14): customer name, NINO and
  the date employment commenced, sent at least five days before the first salary payment.
- **Exit report** (paragraphs 17-21): WHP Core's form (surname, NINO, summary,
  employability, next steps with a minimum word count) or, for JETS, the streamlined
  WHPEREJ1 short form (surname, NINO, summary, next steps).

Validation happens in two steps because a rule may depend on the participant: the
*envelope* (form and referral id) is read first, the service looks the referral up
through the release path, and then :func:`parse_record` validates the whole record
against the model the form and the participant's programme choose, and against the
participant's facts (:class:`ReferralFacts`). Every problem names its field. Pure: no
I/O, the day received is an argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from accord.core import identifiers as ids
from accord.core.problems import problem_location, problem_message
from accord.errors import ValidationError

__all__ = [
    "FORM_TITLES",
    "REFERRAL_ID_PATTERN",
    "WHP07_RULES",
    "EmploymentBusinessForm",
    "ExitReportCore",
    "ExitReportJets",
    "InboundForm",
    "InboundRecord",
    "InboundRules",
    "Programme",
    "ReferralFacts",
    "ReferralType",
    "Whp07Form",
    "Whp07Reason",
    "model_for",
    "parse_record",
    "read_envelope",
    "word_count",
]

REFERRAL_ID_PATTERN = r"[JW][0-9]{9}"
"""A PRaP referral identifier: J (JETS) or W (WHP Core) and nine digits."""
_REFERRAL_ID = re.compile(REFERRAL_ID_PATTERN)
_WORD = re.compile(r"\S+")


class InboundForm(StrEnum):
    """The forms an agreement may allow back (its ``inbound_forms`` term)."""

    WHP07 = "whp07"
    EMPLOYMENT_BUSINESS = "employment_business"
    EXIT_REPORT = "exit_report"


FORM_TITLES: dict[InboundForm, str] = {
    InboundForm.WHP07: "Change of circumstances (WHP07)",
    InboundForm.EMPLOYMENT_BUSINESS: "Employment Business Customer Form",
    InboundForm.EXIT_REPORT: "Exit report",
}


class Programme(StrEnum):
    WHP = "WHP"
    JETS = "WHP-JETS"


class ReferralType(StrEnum):
    VOLUNTARY = "Voluntary"
    MANDATORY = "Mandatory"


class Whp07Reason(StrEnum):
    DISENGAGED = "disengaged"
    RE_ENGAGED = "re_engaged"
    DID_NOT_ATTEND = "did_not_attend"
    ALTERNATIVE_PROVISION = "alternative_provision"


WHP07_RULES: dict[Whp07Reason, tuple[frozenset[Programme], frozenset[ReferralType], str]] = {
    Whp07Reason.DISENGAGED: (
        frozenset(Programme),
        frozenset({ReferralType.VOLUNTARY}),
        "the participant has disengaged (voluntary participants only)",
    ),
    Whp07Reason.RE_ENGAGED: (
        frozenset(Programme),
        frozenset({ReferralType.VOLUNTARY}),
        "the participant has re-engaged after disengaging (voluntary participants only)",
    ),
    Whp07Reason.DID_NOT_ATTEND: (
        frozenset({Programme.JETS}),
        frozenset({ReferralType.MANDATORY}),
        "a mandated participant did not attend the initial appointment (JETS only)",
    ),
    Whp07Reason.ALTERNATIVE_PROVISION: (
        frozenset({Programme.JETS}),
        frozenset(ReferralType),
        "alternative provision may better support the participant (JETS only)",
    ),
}
"""Seed 003 paragraph 10: for each WHP07 reason, the programmes and referral types it
may be sent for, and what it means."""


@dataclass(frozen=True, slots=True)
class InboundRules:
    """The limits a message is held to. The defaults suit the seed; a deployment may set
    a stricter minimum for exit reports' next steps."""

    next_steps_min_words: int = 30
    """Seed 003 paragraph 18: "a minimum word count ... to ensure a consistent quality
    referral"."""
    max_words: int = 600
    """The most words any free-text field may hold."""
    max_chars: int = 6000
    """The most characters any free-text field may hold."""
    salary_notice_days: int = 5
    """Paragraph 14: the form arrives at least this many days before the first salary."""
    employment_start_ahead_days: int = 90
    """How far ahead an employment start date may be: further is a typing mistake."""
    max_message_bytes: int = 16_384
    """The most bytes a message's body may have, checked before it is parsed."""


@dataclass(frozen=True, slots=True)
class ReferralFacts:
    """What the department told the provider about the participant, read through the
    release path: the rules of WHP07 and the exit form depend on it."""

    referral_id: str
    nino: str
    programme: Programme
    referral_type: ReferralType


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _one_value(value: Any) -> Any:
    if isinstance(value, list | tuple | dict):
        raise ValueError("one record per message: give a single value, not a list")
    return value


def _nino(value: Any) -> str:
    _one_value(value)
    if not isinstance(value, str):
        raise ValueError("expected a National Insurance number as text, e.g. AB 12 34 56 C")
    if len(value) > 32:
        raise ValueError("a National Insurance number has nine characters")
    if any(sep in value for sep in ",;/&|"):
        raise ValueError("one record per message: give one National Insurance number")
    nino = ids.normalise_nino(value)
    if not ids.is_valid_nino(nino):
        raise ValueError(
            "not a valid National Insurance number: two prefix letters (not a temporary "
            "or unallocated prefix such as TN or ZZ), six digits and a letter A-D"
        )
    return nino


class _Record(BaseModel):
    """A form's record: strict, frozen, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    FREE_TEXT: ClassVar[tuple[str, ...]] = ()
    """Fields held to the word and character limits of :class:`InboundRules`."""

    referral_id: str
    nino: str

    @field_validator("*", mode="before")
    @classmethod
    def _single(cls, value: Any) -> Any:
        return _one_value(value)

    @field_validator("referral_id")
    @classmethod
    def _referral(cls, value: str) -> str:
        value = ids.ascii_upper(value.strip())
        if not _REFERRAL_ID.fullmatch(value):
            raise ValueError(
                "expected a PRaP referral identifier: J or W and nine digits, e.g. W012345678"
            )
        return value

    @field_validator("nino", mode="before")
    @classmethod
    def _valid_nino(cls, value: Any) -> str:
        return _nino(value)


class Whp07Form(_Record):
    """WHP07: a change of circumstances the provider reports (paragraph 10)."""

    reason: Whp07Reason
    date_of_change: date
    details: str = Field(default="", description="What happened, briefly")

    FREE_TEXT: ClassVar[tuple[str, ...]] = ("details",)


class EmploymentBusinessForm(_Record):
    """The WHP Employment Business Customer Form (paragraphs 13-14)."""

    customer_name: str = Field(min_length=1, max_length=200)
    employment_start_date: date
    first_salary_date: date


class ExitReportCore(_Record):
    """WHP Core's exit report (paragraph 18)."""

    surname: str = Field(min_length=1, max_length=100)
    summary: str = Field(min_length=1)
    employability: str = Field(min_length=1)
    next_steps: str = Field(min_length=1)

    FREE_TEXT: ClassVar[tuple[str, ...]] = ("summary", "employability", "next_steps")


class ExitReportJets(_Record):
    """JETS' streamlined exit form, WHPEREJ1 (paragraph 21)."""

    surname: str = Field(min_length=1, max_length=100)
    summary: str = Field(min_length=1)
    next_steps: str = Field(min_length=1)

    FREE_TEXT: ClassVar[tuple[str, ...]] = ("summary", "next_steps")


InboundRecord = Whp07Form | EmploymentBusinessForm | ExitReportCore | ExitReportJets


def model_for(form: InboundForm, programme: Programme) -> type[_Record]:
    """The template the form and the participant's programme choose."""
    if form is InboundForm.WHP07:
        return Whp07Form
    if form is InboundForm.EMPLOYMENT_BUSINESS:
        return EmploymentBusinessForm
    return ExitReportJets if programme is Programme.JETS else ExitReportCore


def template_name(form: InboundForm, programme: Programme) -> str:
    if form is InboundForm.EXIT_REPORT:
        return "WHPEREJ1 (JETS)" if programme is Programme.JETS else "WHP Core exit report"
    return FORM_TITLES[form]


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", problems=({"field": field, "problem": message},))


def read_envelope(form: str, payload: Any) -> tuple[InboundForm, str]:
    """The form and referral id of a message, before anything else is read.

    A message carries exactly one record: a JSON object. A list, or an object holding a
    list of records, is refused here.
    """
    try:
        chosen = InboundForm(form)
    except ValueError:
        raise _fail("form", f"unknown form {form!r}; one of: {', '.join(InboundForm)}") from None
    if isinstance(payload, list):
        raise _fail(
            "(message)",
            f"one record per message: this message holds a list of {len(payload)}; "
            "send one message per participant",
        )
    if not isinstance(payload, dict):
        raise _fail("(message)", "expected one record: a JSON object of the form's fields")
    stated = payload.get("form")
    if stated is not None and stated != chosen.value:
        raise _fail("form", f"the message says {stated!r} but was sent as {chosen.value!r}")
    for key in ("records", "participants", "messages"):
        if key in payload:
            raise _fail(key, "one record per message: send one message per participant")
    referral = payload.get("referral_id")
    if referral is None:
        raise _fail("referral_id", "missing: the PRaP referral identifier of the participant")
    if isinstance(referral, list | tuple | dict):
        raise _fail("referral_id", "one record per message: give one referral identifier")
    if not isinstance(referral, str):
        raise _fail("referral_id", "expected text, e.g. W012345678")
    value = ids.ascii_upper(referral.strip())
    if not _REFERRAL_ID.fullmatch(value):
        raise _fail(
            "referral_id",
            "expected a PRaP referral identifier: J or W and nine digits, e.g. W012345678",
        )
    return chosen, value


def parse_record(
    form: InboundForm,
    payload: dict[str, Any],
    facts: ReferralFacts,
    received: date,
    rules: InboundRules = InboundRules(),
) -> InboundRecord:
    """The validated record, or a :class:`ValidationError` naming every field at fault."""
    model = model_for(form, facts.programme)
    body = {k: v for k, v in payload.items() if k != "form"}
    try:
        record = model.model_validate(body)
    except PydanticValidationError as exc:
        problems = []
        for error in exc.errors():
            where = problem_location(error)
            message = problem_message(error)
            if error.get("type") == "extra_forbidden":
                message = f"not a field of the {template_name(form, facts.programme)} form"
            problems.append({"field": where, "problem": message})
        text = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        raise ValidationError(text, problems=problems) from None
    broken = _rule_problems(record, facts, received, rules)
    if broken:
        text = "; ".join(f"{f}: {m}" for f, m in broken)
        raise ValidationError(text, problems=[{"field": f, "problem": m} for f, m in broken])
    return record  # type: ignore[return-value]


def _rule_problems(
    record: _Record, facts: ReferralFacts, received: date, rules: InboundRules
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if record.nino != facts.nino:
        problems.append(("nino", f"does not match the participant of referral {facts.referral_id}"))
    for name in type(record).FREE_TEXT:
        text = getattr(record, name)
        if len(text) > rules.max_chars:
            problems.append((name, f"{len(text)} characters; at most {rules.max_chars}"))
        elif word_count(text) > rules.max_words:
            problems.append((name, f"{word_count(text)} words; at most {rules.max_words}"))
    if isinstance(record, Whp07Form):
        programmes, types, meaning = WHP07_RULES[record.reason]
        if facts.programme not in programmes:
            problems.append(
                ("reason", f"{record.reason.value} is only for JETS ({meaning}); "
                 f"referral {facts.referral_id} is on {facts.programme.value}")
            )  # fmt: skip
        elif facts.referral_type not in types:
            problems.append(
                ("reason", f"{record.reason.value} is only for "
                 f"{' or '.join(sorted(t.value.lower() for t in types))} participants ({meaning}); "
                 f"referral {facts.referral_id} is {facts.referral_type.value.lower()}")
            )  # fmt: skip
        if record.date_of_change > received:
            problems.append(("date_of_change", "is in the future: report a change once it happens"))
    if isinstance(record, EmploymentBusinessForm):
        latest_start = received + timedelta(days=rules.employment_start_ahead_days)
        if record.employment_start_date > latest_start:
            problems.append(
                ("employment_start_date", f"is more than {rules.employment_start_ahead_days} "
                 "days ahead; check the date")
            )  # fmt: skip
        if record.first_salary_date < record.employment_start_date:
            problems.append(
                ("first_salary_date", "is before employment_start_date: the first salary "
                 "cannot be paid before employment starts")
            )  # fmt: skip
        earliest_salary = received + timedelta(days=rules.salary_notice_days)
        if record.first_salary_date < earliest_salary:
            problems.append(
                ("first_salary_date", f"the form must arrive at least {rules.salary_notice_days} "
                 f"days before the first salary payment: for a form received on {received}, "
                 f"the first salary must be on {earliest_salary} or later")
            )  # fmt: skip
    if isinstance(record, ExitReportCore | ExitReportJets):
        words = word_count(record.next_steps)
        if words < rules.next_steps_min_words:
            problems.append(
                ("next_steps", f"{words} words; at least {rules.next_steps_min_words} "
                 "are needed for a consistent quality referral")
            )  # fmt: skip
    return problems
