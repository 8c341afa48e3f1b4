"""Outcome validation: what the department confirms to a provider about one participant.

Seed 003 (paragraphs 15-16, and the end of Annex A): the department validates
employment outcomes from the earnings employers report, and tells the provider a
participant's *first pay date* and that their earnings have *reached a threshold*
(£1,000; £2,000 and the national threshold of about £3,000, neither for JETS). It never
tells the provider the earnings themselves.

So an answer is computed, not copied: two SQL queries over the agreement's governed
views (the plan of each dataset, with its cohort, agreed fields and opt-outs), built
here and run by the release path:

- the *referrals* query finds which of the supplied keys (referral ids, NINOs in any
  typed form) are participants referred to this recipient, with their programme;
- the *events* query takes the earliest date of each outcome event for the same keys.

Both queries read the whole supplied batch at once, found or not, and every key gets
an answer of one shape. A key that is not one of the recipient's participants (another
provider's, or no one's) answers exactly :data:`NOT_FOUND`: the answer is no oracle of
who is referred where.

``earnings_to_date`` is not an agreed field, so the governed view does not hold it and
no query here can name it; the thresholds come from the events that record reaching
them. A JETS participant is answered without the £2,000 and national thresholds, and
the answer says why, even if the events held them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlglot import exp

from accord.core import identifiers as ids
from accord.core.plan.compiler import Plan
from accord.core.plan.transforms import person_identifier
from accord.errors import ValidationError

__all__ = [
    "JETS",
    "MAX_KEY_LENGTH",
    "MAX_PARTICIPANTS",
    "NOT_FOUND",
    "SUPPLIED_TABLE",
    "Key",
    "OutcomeAnswer",
    "Threshold",
    "ThresholdReached",
    "answers",
    "events_query",
    "parse_keys",
    "referrals_query",
]

MAX_PARTICIPANTS = 100
"""Participants one call may ask about: checked before anything is read."""
MAX_KEY_LENGTH = 40
SUPPLIED_TABLE = "accord_outcome_keys"
JETS = "WHP-JETS"
NOT_FOUND = "no such participant under this agreement"
FIRST_PAYMENT = "first_payment"
_REFERRAL_ID = re.compile(r"[WJ][0-9]{9}")

# The fields each governed view must share for an answer to be computed at all.
REFERRAL_FIELDS = ("referral_id", "programme", "nino")
EVENT_FIELDS = ("referral_id", "nino", "event_type", "event_date")


class Threshold(StrEnum):
    """The earnings thresholds of an outcome, each recorded by the event reaching it."""

    description: str
    jets: bool

    def __new__(cls, value: str, description: str, jets: bool) -> Threshold:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        member.jets = jets
        return member

    GBP_1000 = "earnings_reach_1000", "earnings reached £1,000", True
    GBP_2000 = "earnings_reach_2000", "earnings reached £2,000", False
    NATIONAL = (
        "earnings_reach_national_threshold",
        "earnings reached the national threshold (about £3,000)",
        False,
    )


OUTCOME_EVENTS = (FIRST_PAYMENT, *(t.value for t in Threshold))


@dataclass(frozen=True, slots=True)
class Key:
    """One participant asked about, as supplied and in its canonical form."""

    supplied: str
    kind: str
    """``referral_id`` or ``nino``."""
    canonical: str


@dataclass(frozen=True, slots=True)
class ThresholdReached:
    threshold: Threshold
    reached_on: date

    def as_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold.value,
            "description": self.threshold.description,
            "reached_on": self.reached_on.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class OutcomeAnswer:
    """The answer about one supplied key. Found or not, it has the same fields."""

    supplied: str
    found: bool
    referral_id: str | None = None
    programme: str | None = None
    first_pay_date: date | None = None
    thresholds: tuple[ThresholdReached, ...] = ()
    not_applicable: tuple[str, ...] = ()
    """Thresholds this participant's programme does not have, each with why."""
    message: str = NOT_FOUND

    def as_dict(self) -> dict[str, Any]:
        """One presentation for the CLI, the API and the web page."""
        return {
            "supplied": self.supplied,
            "found": self.found,
            "referral_id": self.referral_id,
            "programme": self.programme,
            "first_pay_date": None if self.first_pay_date is None else str(self.first_pay_date),
            "thresholds": [t.as_dict() for t in self.thresholds],
            "not_applicable": list(self.not_applicable),
            "message": self.message,
        }


def parse_keys(values: Sequence[str], *, limit: int = MAX_PARTICIPANTS) -> tuple[Key, ...]:
    """Each supplied value as a referral id (``W000000123``) or a NINO in any typed form.

    The limit is checked first, before any value is looked at; then every bad value is
    named by its position, all of them at once.
    """
    if not values:
        raise ValidationError(
            "name at least one participant (a referral id or a National Insurance number)",
            problems=[{"field": "participants", "error": "empty"}],
        )
    if len(values) > limit:
        raise ValidationError(
            f"{len(values)} participants in one call: the limit is {limit}; split the batch",
            problems=[{"field": "participants", "error": f"more than {limit}"}],
        )
    keys, problems = [], []
    for index, value in enumerate(values, start=1):
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_KEY_LENGTH:
            problems.append(
                {
                    "field": "participants",
                    "row": index,
                    "error": f"empty or longer than {MAX_KEY_LENGTH} characters",
                }
            )
            continue
        canonical = ids.normalise_identifier(value)
        if _REFERRAL_ID.fullmatch(canonical):
            keys.append(Key(value, "referral_id", canonical))
        elif ids.is_valid_nino(canonical):
            keys.append(Key(value, "nino", canonical))
        else:
            problems.append(
                {
                    "field": "participants",
                    "row": index,
                    "error": "neither a referral id (W or J and nine digits) nor a valid "
                    "National Insurance number",
                }
            )
    if problems:
        rows = ", ".join(str(p["row"]) for p in problems)
        raise ValidationError(
            f"participant {rows}: not a referral id or a National Insurance number",
            problems=problems,
        )
    return tuple(keys)


def _missing(plan: Plan, needed: Iterable[str]) -> None:
    shared = {c.name for c in plan.outputs}
    absent = [n for n in needed if n not in shared]
    if absent:
        raise ValidationError(
            f"the agreement does not share {', '.join(absent)} of {plan.dataset_id}: "
            "outcomes cannot be confirmed under it"
        )
    hashed = [n for n in needed if n in plan.pseudonymised]
    if hashed:
        raise ValidationError(
            f"the agreement shares {', '.join(hashed)} of {plan.dataset_id} pseudonymised: "
            "outcomes are confirmed only for identified participants"
        )


def _governed(plan: Plan) -> exp.Subquery:
    return plan.query.copy().subquery("accord_governed", copy=False)


def _col(name: str) -> exp.Column:
    return exp.column(name, table="accord_governed", quoted=True)


def _nino() -> exp.Expression:
    return person_identifier(exp.cast(_col("nino"), exp.DataType.build("VARCHAR")))


def _asked(expression: exp.Expression) -> exp.In:
    return exp.In(
        this=expression,
        query=exp.select(exp.column("identifier", quoted=True))
        .from_(exp.table_(SUPPLIED_TABLE, quoted=True))
        .subquery(),
    )


def _either_key() -> exp.Condition:
    referral = exp.cast(_col("referral_id"), exp.DataType.build("VARCHAR"))
    return exp.or_(_asked(referral), _asked(_nino()))


def referrals_query(plan: Plan) -> exp.Select:
    """The supplied keys' referrals in the governed referrals view, with programme."""
    _missing(plan, REFERRAL_FIELDS)
    return (
        exp.select(
            exp.alias_(_col("referral_id"), "referral_id", quoted=True),
            exp.alias_(_col("programme"), "programme", quoted=True),
            exp.alias_(_nino(), "nino", quoted=True),
        )
        .distinct()
        .from_(_governed(plan))
        .where(_either_key())
    )


def events_query(plan: Plan) -> exp.Select:
    """The earliest date of each outcome event for the supplied keys; no other field."""
    _missing(plan, EVENT_FIELDS)
    kinds = [exp.Literal.string(k) for k in OUTCOME_EVENTS]
    return (
        exp.select(
            exp.alias_(_col("referral_id"), "referral_id", quoted=True),
            exp.alias_(_col("event_type"), "event_type", quoted=True),
            exp.alias_(
                exp.Min(this=exp.cast(_col("event_date"), exp.DataType.build("DATE"))),
                "reached_on",
                quoted=True,
            ),
        )
        .from_(_governed(plan))
        .where(exp.and_(exp.In(this=_col("event_type"), expressions=kinds), _either_key()))
        .group_by(_col("referral_id"), _col("event_type"))
    )


@dataclass
class _Participant:
    referral_id: str
    programme: str
    events: dict[str, date] = field(default_factory=dict)


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def answers(
    keys: Sequence[Key],
    referrals: Iterable[dict[str, Any]],
    events: Iterable[dict[str, Any]],
) -> list[OutcomeAnswer]:
    """One answer per key, in the order supplied, from the two queries' rows."""
    by_referral: dict[str, _Participant] = {}
    by_nino: dict[str, _Participant] = {}
    for row in referrals:
        participant = _Participant(str(row["referral_id"]), str(row["programme"] or ""))
        by_referral[participant.referral_id] = participant
        if row["nino"]:
            by_nino[str(row["nino"])] = participant
    for row in events:
        found = by_referral.get(str(row["referral_id"]))
        if found is not None and row["reached_on"] is not None:
            found.events[str(row["event_type"])] = _day(row["reached_on"])
    out = []
    for key in keys:
        index = by_referral if key.kind == "referral_id" else by_nino
        match = index.get(key.canonical)
        out.append(OutcomeAnswer(key.supplied, False) if match is None else _answer(key, match))
    return out


def _answer(key: Key, participant: _Participant) -> OutcomeAnswer:
    jets = participant.programme == JETS
    reached = tuple(
        ThresholdReached(t, participant.events[t.value])
        for t in Threshold
        if t.value in participant.events and (t.jets or not jets)
    )
    not_applicable = tuple(
        f"{t.description}: not applicable to JETS (seed 003, Annex A)"
        for t in Threshold
        if jets and not t.jets
    )
    first = participant.events.get(FIRST_PAYMENT)
    message = (
        "no first payment yet"
        if first is None
        else f"first paid on {first.isoformat()}; {len(reached)} threshold(s) reached"
    )
    return OutcomeAnswer(
        supplied=key.supplied,
        found=True,
        referral_id=participant.referral_id,
        programme=participant.programme,
        first_pay_date=first,
        thresholds=reached,
        not_applicable=not_applicable,
        message=message,
    )
