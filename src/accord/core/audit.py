"""The tamper-evident audit log, as pure functions over events.

Each event's hash is SHA-256 over its fields and the previous event's hash, so an
edit to any column, a deleted, inserted or reordered event all break the chain at a
sequence number that :func:`verify_chain` names. The fields are joined with the
ASCII unit separator, which no field may contain (details are JSON, where control
characters are escaped): that keeps the encoding unambiguous without the cost of a
serialiser, so verification runs at the speed of the hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "GENESIS_HASH",
    "SEP",
    "AuditEvent",
    "AuditRecord",
    "ChainVerdict",
    "Decision",
    "PayloadBatch",
    "chain_events",
    "chain_payload",
    "event_hash",
    "format_time",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
SEP = "\x1f"
_FIELDS_IN_PAYLOAD = 10


class Decision(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


def format_time(moment: datetime) -> str:
    """UTC, microseconds, a trailing Z: stored as text so it hashes identically on every store."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_details(details: Mapping[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), default=str)


def _clean(value: str) -> str:
    """Control characters written visibly as ``\\xNN``.

    Reasons and objects can quote what a caller sent, and a caller can send anything;
    escaping keeps every event writable (a refusal must never go unrecorded) while the
    separator the hash relies on can never appear in a field.
    """
    if not any(ord(ch) < 0x20 for ch in value):
        return value
    return "".join(f"\\x{ord(ch):02x}" if ord(ch) < 0x20 else ch for ch in value)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """What happened, before the log gives it a place: a required argument of every change.

    ``decision`` and ``reason`` say why it was allowed or refused; ``object`` names
    the thing acted on (``dataset:dwp/carers``, ``token:tok_ab12``).
    """

    actor: str
    action: str
    object: str = ""
    organisation: str = ""
    decision: Decision = Decision.ALLOW
    reason: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("actor", "action", "object", "organisation", "reason"):
            object.__setattr__(self, name, _clean(getattr(self, name)))

    def with_details(self, **extra: Any) -> AuditEvent:
        return AuditEvent(
            actor=self.actor,
            action=self.action,
            object=self.object,
            organisation=self.organisation,
            decision=self.decision,
            reason=self.reason,
            details={**self.details, **extra},
        )


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """An event with its place in the chain.

    The tuple order of :meth:`as_row` is the column order of the store.
    """

    seq: int
    ts: str
    actor: str
    organisation: str
    action: str
    object: str
    decision: str
    reason: str
    details: str
    prev_hash: str
    hash: str

    def as_row(self) -> tuple[int, str, str, str, str, str, str, str, str, str, str]:
        return (
            self.seq,
            self.ts,
            self.actor,
            self.organisation,
            self.action,
            self.object,
            self.decision,
            self.reason,
            self.details,
            self.prev_hash,
            self.hash,
        )

    def payload_row(self) -> tuple[bytes, bytes]:
        """The row :func:`verify_chain` reads: the hashed text and the hash, as bytes."""
        return chain_payload(*self.as_row()[:10]).encode(), self.hash.encode()

    @property
    def details_dict(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.details)
        return loaded


def chain_payload(
    seq: int,
    ts: str,
    actor: str,
    organisation: str,
    action: str,
    obj: str,
    decision: str,
    reason: str,
    details: str,
    prev_hash: str,
) -> str:
    """The exact text an event's hash covers; stores rebuild it in SQL to verify fast."""
    return SEP.join(
        (str(seq), ts, actor, organisation, action, obj, decision, reason, details, prev_hash)
    )


def event_hash(*fields: Any) -> str:
    """SHA-256 of :func:`chain_payload` over the ten hashed fields, in storage order."""
    return hashlib.sha256(chain_payload(*fields).encode()).hexdigest()


def chain_events(
    events: Iterable[AuditEvent], *, after_seq: int, after_hash: str, at: datetime
) -> list[AuditRecord]:
    """Give events consecutive places after the current head, all stamped ``at``."""
    ts = format_time(at)
    records = []
    seq, prev = after_seq, after_hash
    for event in events:
        seq += 1
        details = canonical_details(event.details)
        digest = event_hash(
            seq,
            ts,
            event.actor,
            event.organisation,
            event.action,
            event.object,
            event.decision.value,
            event.reason,
            details,
            prev,
        )
        records.append(
            AuditRecord(
                seq,
                ts,
                event.actor,
                event.organisation,
                event.action,
                event.object,
                event.decision.value,
                event.reason,
                details,
                prev,
                digest,
            )
        )
        prev = digest
    return records


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    """The outcome of checking a run of events.

    ``first_link`` is the previous-hash the run's first event points at, so that
    runs checked apart (in parallel) can be stitched: each must point at the last
    hash of the run before it.
    """

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str = ""
    first_link: str = ""


PayloadBatch = tuple[int, int, Sequence[tuple[bytes, bytes]]]
"""``(first seq, last seq, rows)``: the ``(payload, hash)`` rows stored for that range."""


def verify_chain(
    batches: Iterable[PayloadBatch],
    *,
    expect_seq: int = 1,
    prev_hash: str | None = GENESIS_HASH,
) -> ChainVerdict:
    """Check batches of ``(payload, hash)`` rows, as UTF-8 bytes, in ``seq`` order.

    ``payload`` is :func:`chain_payload` of the stored fields, which ends with the
    previous event's hash (see :meth:`AuditRecord.payload_row`); each batch holds
    what the store has for a range of sequence numbers, so a short batch means
    events are missing there. ``prev_hash=None`` checks a run whose first link the
    caller checks. Returns at the first bad event, naming its sequence number and
    what is wrong: a missing event (deleted), a link that does not match the
    previous hash (reordered, inserted or deleted events), or a hash that does not
    match the fields (edited).
    """
    sha256 = hashlib.sha256
    sep = SEP.encode()
    separators = _FIELDS_IN_PAYLOAD - 1
    start = expect_seq
    prev = None if prev_hash is None else prev_hash.encode()
    first_link = b""
    seq = expect_seq - 1

    def verdict(bad_seq: int, problem: str) -> ChainVerdict:
        return ChainVerdict(
            False,
            bad_seq - start,
            bad_seq - 1,
            (prev or b"").decode(),
            bad_seq,
            problem,
            first_link.decode(),
        )

    for low, high, rows in batches:
        if low != seq + 1:
            raise ValueError(f"batches must be consecutive: expected {seq + 1}, got {low}")
        if rows and seq + 1 == start:
            first_link = rows[0][0][-64:]
            prev = first_link if prev is None else prev
        if len(rows) != high - low + 1:
            missing = _first_missing(rows, low, sep)
            # Events before the gap must still be sound: check them first.
            sound = verify_chain(
                [(low, missing - 1, rows[: missing - low])],
                expect_seq=low,
                prev_hash=None if prev is None else prev.decode(),
            )
            if not sound.ok:
                return verdict(sound.first_bad_seq or low, sound.problem)
            return verdict(missing, f"event {missing} is missing: deleted")
        for payload, digest in rows:
            seq += 1
            if not payload.endswith(prev or b"-"):
                return verdict(
                    seq,
                    f"event {seq} does not link to event {seq - 1}: inserted, deleted or reordered",
                )
            if payload.count(sep) != separators or sha256(payload).hexdigest().encode() != digest:
                return verdict(seq, f"event {seq} does not match its hash: edited")
            prev = digest
    return ChainVerdict(
        True, seq - start + 1, seq, (prev or b"").decode(), first_link=first_link.decode()
    )


def _first_missing(rows: Sequence[tuple[bytes, bytes]], low: int, sep: bytes) -> int:
    """The first sequence number in ``low..`` that has no row (payloads begin with it)."""
    for offset, (payload, _) in enumerate(rows):
        if payload.split(sep, 1)[0] != str(low + offset).encode():
            return low + offset
    return low + len(rows)
