"""Record-level retention: how long a holder keeps each record about a participant.

Seed 003 (paras 34-42 and their notes) asks a provider to keep, per participant:

* **mandation evidence** for at least 13 months from the day the provider was notified
  of the decision maker's decision (``decision_notified``, recorded per participant);
* **ESF records** (ESF1420 forms, evidence of the customer journey, payments, the
  referral it holds) for 10 years after the programme ends *and* the final ESF claim is
  paid (``programme_ended`` and ``final_esf_claim_paid``, recorded per programme when
  they happen; the later of the two starts the clock).

Each rule gives a *keep-until* date (the earliest day the record may go) and the holder
configures a separate *delete date*: the day it will actually delete, on or after
keep-until, as an offset after keep-until or a fixed date. A fixed date before a
record's keep-until never deletes it early: :func:`delete_on` takes the later of the
two, and :func:`can_configure` refuses such a configuration outright.

Until the event a rule counts from has happened, keep-until is unknown and the record
is never due: an unknown event keeps everything. This module is pure: the store and the
job (``accord retention run``) supply records, events and configurations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from accord.core.identity import Role
from accord.core.lifecycle.retention import add_duration, parse_duration
from accord.core.permissions import Caller, Verdict

__all__ = [
    "RULES",
    "DeleteConfig",
    "EventKind",
    "HeldRecord",
    "RecordKind",
    "RecordState",
    "RetentionFact",
    "RetentionRule",
    "can_configure",
    "can_hold_records",
    "can_record_event",
    "can_run_records",
    "delete_on",
    "due",
    "keep_until",
]


class RecordKind(StrEnum):
    """What a held record is; each kind has one :class:`RetentionRule`."""

    MANDATION_EVIDENCE = "mandation_evidence"
    """Evidence of mandation activity: interview notices, non-compliance, re-compliance."""
    ESF_FORM = "esf_form"
    """ESF1420 forms: the participant referral form (initial), end data, etc."""
    JOURNEY_EVIDENCE = "journey_evidence"
    """Evidence demonstrating the customer journey."""
    PAYMENT = "payment"
    """Payment records (outcome and service fees)."""
    REFERRAL_COPY = "referral_copy"
    """The provider's copy of the referral (Annex A items) for its case file."""


class EventKind(StrEnum):
    """Dated facts a retention period counts from."""

    DECISION_NOTIFIED = "decision_notified"
    """The provider was notified of the decision maker's decision (per participant)."""
    PROGRAMME_ENDED = "programme_ended"
    """The programme (contract) ended (per programme)."""
    FINAL_ESF_CLAIM_PAID = "final_esf_claim_paid"
    """The final ESF claim for the programme was paid (per programme)."""


PER_PARTICIPANT = frozenset({EventKind.DECISION_NOTIFIED})
"""Events recorded for one participant; the others are recorded for a whole programme."""


class RecordState(StrEnum):
    HELD = "held"
    PLANNED = "planned"
    """Found due by a run of the job and recorded in its plan; not yet deleted."""
    DELETED = "deleted"
    """The file is gone; the row stays as a tombstone with its hash and dates."""


RECORD_TRANSITIONS: frozenset[tuple[RecordState, RecordState]] = frozenset(
    {(RecordState.HELD, RecordState.PLANNED), (RecordState.PLANNED, RecordState.DELETED)}
)
"""The only moves a record makes (owner of each: the job); the store refuses others."""


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """One kind's rule: the events its clock waits for and its minimum period.

    With several events the clock starts at the *latest* of them: all must have
    happened (ESF: the programme ended and its final claim was paid)."""

    kind: RecordKind
    after: tuple[EventKind, ...]
    minimum: str
    """An ISO 8601 calendar duration (``P13M``, ``P10Y``)."""
    configured_by: tuple[Role, ...]
    """Who in the holder sets the delete date."""
    source: str
    """Where the rule comes from, for the pages and the docs."""


_CONFIGURERS = (Role.DPO, Role.ADMIN)
_ESF = (EventKind.PROGRAMME_ENDED, EventKind.FINAL_ESF_CLAIM_PAID)
_ESF_SOURCE = (
    "seed 003 para 39 note: up to 10 years after the programme ends and the final ESF claim is paid"
)

RULES: Mapping[RecordKind, RetentionRule] = {
    RecordKind.MANDATION_EVIDENCE: RetentionRule(
        RecordKind.MANDATION_EVIDENCE,
        (EventKind.DECISION_NOTIFIED,),
        "P13M",
        _CONFIGURERS,
        "seed 003 paras 34-35 and notes: at least 13 months from the date the provider is "
        "notified of the decision maker's decision",
    ),
    RecordKind.ESF_FORM: RetentionRule(
        RecordKind.ESF_FORM, _ESF, "P10Y", _CONFIGURERS, _ESF_SOURCE
    ),
    RecordKind.JOURNEY_EVIDENCE: RetentionRule(
        RecordKind.JOURNEY_EVIDENCE, _ESF, "P10Y", _CONFIGURERS, _ESF_SOURCE
    ),
    RecordKind.PAYMENT: RetentionRule(RecordKind.PAYMENT, _ESF, "P10Y", _CONFIGURERS, _ESF_SOURCE),
    RecordKind.REFERRAL_COPY: RetentionRule(
        RecordKind.REFERRAL_COPY, _ESF, "P10Y", _CONFIGURERS, _ESF_SOURCE
    ),
}


@dataclass(frozen=True, slots=True)
class HeldRecord:
    """A record a holder keeps about one participant, as stored (the file lives apart)."""

    id: str
    holder: str
    kind: RecordKind
    participant: str
    """The pseudonymous reference: HMAC of the normalised NINO under the holder's key."""
    referral_id: str
    programme: str
    file_name: str
    sha256: str
    size: int
    added_at: datetime
    state: RecordState = RecordState.HELD
    due_on: date | None = None
    run_id: str = ""
    """The run whose plan found it due."""
    deleted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RetentionFact:
    """A dated retention event: for a participant (``decision_notified``) or a programme."""

    holder: str
    kind: EventKind
    subject: str
    """The participant's pseudonymous reference, or the programme's name."""
    on: date


@dataclass(frozen=True, slots=True)
class DeleteConfig:
    """When a holder deletes one kind: ``offset`` after keep-until, or ``on`` a date."""

    holder: str
    kind: RecordKind
    offset: str = "P0D"
    on: date | None = None

    def describe(self) -> str:
        return f"on {self.on.isoformat()}" if self.on else f"{self.offset} after keep-until"


def _event_subject(record: HeldRecord, event: EventKind) -> str:
    return record.participant if event in PER_PARTICIPANT else record.programme


def _index(events: Iterable[RetentionFact]) -> dict[tuple[str, EventKind, str], date]:
    found: dict[tuple[str, EventKind, str], date] = {}
    for e in events:
        key = (e.holder, e.kind, e.subject)
        found[key] = max(found.get(key, e.on), e.on)  # the latest notification counts
    return found


def keep_until(record: HeldRecord, events: Iterable[RetentionFact]) -> date | None:
    """The last day ``record`` must be kept, or None while an event its rule counts from
    has not been recorded (then it is kept, whatever the day)."""
    rule = RULES[record.kind]
    index = _index(events)
    starts = [index.get((record.holder, e, _event_subject(record, e))) for e in rule.after]
    if any(s is None for s in starts):
        return None
    return add_duration(max(s for s in starts if s is not None), rule.minimum)


def delete_on(
    record: HeldRecord, events: Iterable[RetentionFact], configured: DeleteConfig | None
) -> date | None:
    """The day the holder deletes ``record``: its configured date or offset, never
    before keep-until; None while keep-until is unknown."""
    keep = keep_until(record, events)
    if keep is None:
        return None
    if configured is None:
        return keep
    planned = configured.on if configured.on is not None else add_duration(keep, configured.offset)
    return max(planned, keep)


def due(
    record: HeldRecord,
    events: Iterable[RetentionFact],
    today: date,
    configured: DeleteConfig | None = None,
) -> bool:
    """Is ``record`` due for deletion today? Only a held record whose delete date has
    come; a record already planned or deleted is the job's, not due again."""
    if record.state is not RecordState.HELD:
        return False
    when = delete_on(record, events, configured)
    return when is not None and when <= today


def can_configure(
    caller: Caller,
    config: DeleteConfig,
    records: Iterable[HeldRecord],
    events: Iterable[RetentionFact],
) -> Verdict:
    """May ``caller`` set this delete date? Only the holder's DPO or admin, and never a
    date that falls before the keep-until of a record of that kind it holds now."""
    rule = RULES[config.kind]
    if not any(caller.has_role(config.holder, r) for r in rule.configured_by):
        return Verdict(
            False,
            f"only a {' or '.join(r.value for r in rule.configured_by)} of {config.holder!r} "
            f"may set when it deletes {config.kind.value} records",
        )
    try:
        parse_duration(config.offset)
    except ValueError as exc:
        return Verdict(False, str(exc))
    if config.on is not None:
        facts = list(events)
        for record in records:
            if record.kind is not config.kind or record.state is not RecordState.HELD:
                continue
            keep = keep_until(record, facts)
            if keep is not None and config.on < keep:
                return Verdict(
                    False,
                    f"delete date {config.on.isoformat()} is before record {record.id}'s "
                    f"keep-until {keep.isoformat()} ({rule.minimum} by {rule.source}): a "
                    "holder never deletes before keep-until",
                )
    return Verdict(True, f"{config.describe()}, never before keep-until ({rule.minimum})")


_STAFF = tuple(Role)


def can_hold_records(caller: Caller, holder: str) -> Verdict:
    """A holder's case records are its staff's: anyone with a role in it adds and lists
    them; the local operator too (it runs the node)."""
    if caller.operator:
        return Verdict(True, "local operator")
    for role in _STAFF:
        if caller.has_role(holder, role):
            return Verdict(True, f"{role.value} of {holder!r}, the holder")
    return Verdict(False, f"only {holder!r}'s staff may see or add its records")


def can_record_event(caller: Caller, holder: str) -> Verdict:
    """Retention events start the clocks: the holder's DPO or admin records them."""
    if caller.operator:
        return Verdict(True, "local operator")
    for role in _CONFIGURERS:
        if caller.has_role(holder, role):
            return Verdict(True, f"{role.value} of {holder!r}, the holder")
    return Verdict(False, f"only a DPO or admin of {holder!r} may record its retention events")


def can_run_records(caller: Caller, holder: str | None) -> Verdict:
    """The job over every holder is the operator's or a platform admin's; a holder's DPO
    or admin may run it over the holder's own records (and then signs the certificate)."""
    if caller.is_platform_admin:
        return Verdict(True, "local operator or platform admin")
    if holder is not None:
        return can_record_event(caller, holder)
    return Verdict(
        False, "only the local operator or a platform admin runs the job for every holder"
    )
