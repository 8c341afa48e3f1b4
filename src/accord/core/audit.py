"""The tamper-evident audit log, as pure functions over events.

Each event's hash is SHA-256 over its fields and the previous event's hash, so an
edit to any column, a deleted, inserted or reordered event all break the chain at a
sequence number that :func:`verify_chain` names. The fields are joined with the
ASCII unit separator, which no field may contain (details are JSON, where control
characters are escaped): that keeps the encoding unambiguous without the cost of a
serialiser, so verification runs at the speed of the hash.

Each event also names the data-owner organisations it concerns (``owners``), so that
an owner can see every use of its data; the owners are hashed with the rest. Events
written before owners were recorded have none (``None``, not empty) and hash as they
always did, with one field fewer: :data:`LEGACY_FIELDS` against :data:`FIELDS`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "FIELDS",
    "GENESIS_HASH",
    "LEGACY_FIELDS",
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
    "join_owners",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
SEP = "\x1f"
FIELDS = 11
"""Fields in the hashed text of an event that records its owners."""
LEGACY_FIELDS = 10
"""Fields in the hashed text of an event written before owners were recorded."""
OWNER_SEP = ","
_CONTROL = re.compile("[\x00-\x1f]")


class Decision(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


def format_time(moment: datetime) -> str:
    """UTC, microseconds, a trailing Z: stored as text so it hashes identically on every store."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_details(details: Mapping[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), default=str)


def join_owners(owners: Iterable[str]) -> str:
    """Owners as stored and hashed: sorted, unique, comma-separated (organisation ids are slugs)."""
    return OWNER_SEP.join(sorted({o for o in owners if o}))


def _owner_ids(owners: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({_clean(o).replace(OWNER_SEP, "") for o in owners if o}))


def _clean(value: str) -> str:
    """Control characters written visibly as ``\\xNN``.

    Reasons and objects can quote what a caller sent, and a caller can send anything;
    escaping keeps every event writable (a refusal must never go unrecorded) while the
    separator the hash relies on can never appear in a field.
    """
    if _CONTROL.search(value) is None:
        return value
    return "".join(f"\\x{ord(ch):02x}" if ord(ch) < 0x20 else ch for ch in value)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """What happened, before the log gives it a place: a required argument of every change.

    ``decision`` and ``reason`` say why it was allowed or refused; ``object`` names
    the thing acted on (``dataset:dwp/carers``, ``token:tok_ab12``). ``organisation``
    is the actor's side; ``owners`` the organisations whose data the event concerns.
    Left empty, the store resolves the owners from ``object`` as it writes the event
    (see :mod:`accord.store.audit_store`), so no call site has to know them.
    """

    actor: str
    action: str
    object: str = ""
    organisation: str = ""
    decision: Decision = Decision.ALLOW
    reason: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    owners: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("actor", "action", "object", "organisation", "reason"):
            object.__setattr__(self, name, _clean(getattr(self, name)))
        object.__setattr__(self, "owners", _owner_ids(self.owners))

    def with_owners(self, owners: Iterable[str]) -> AuditEvent:
        """A copy naming ``owners``; the other fields are clean already, so not re-cleaned
        (the store calls this for every event it resolves)."""
        copy = object.__new__(AuditEvent)
        for name in AuditEvent.__slots__:
            object.__setattr__(copy, name, getattr(self, name))
        object.__setattr__(copy, "owners", _owner_ids(owners))
        return copy

    def with_details(self, **extra: Any) -> AuditEvent:
        return AuditEvent(
            actor=self.actor,
            action=self.action,
            object=self.object,
            organisation=self.organisation,
            decision=self.decision,
            reason=self.reason,
            details={**self.details, **extra},
            owners=self.owners,
        )


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """An event with its place in the chain.

    The tuple order of :meth:`as_row` is the column order of the store. ``owners`` is
    :func:`join_owners` of the event's owners, or ``None`` for an event written before
    owners were recorded.
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
    owners: str | None
    prev_hash: str
    hash: str

    def as_row(
        self,
    ) -> tuple[int, str, str, str, str, str, str, str, str, str | None, str, str]:
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
            self.owners,
            self.prev_hash,
            self.hash,
        )

    def payload_row(self) -> tuple[bytes, bytes]:
        """The row :func:`verify_chain` reads: the hashed text and the hash, as bytes."""
        return chain_payload(*self.as_row()[:11]).encode(), self.hash.encode()

    @property
    def owner_ids(self) -> tuple[str, ...]:
        return tuple(self.owners.split(OWNER_SEP)) if self.owners else ()

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
    owners: str | None,
    prev_hash: str,
) -> str:
    """The exact text an event's hash covers; stores rebuild it in SQL to verify fast.

    ``owners=None`` is an event written before owners were recorded: its text has no
    owners field at all, exactly as it was hashed then.
    """
    head = (str(seq), ts, actor, organisation, action, obj, decision, reason, details)
    if owners is None:
        return SEP.join((*head, prev_hash))
    return SEP.join((*head, owners, prev_hash))


def event_hash(*fields: Any) -> str:
    """SHA-256 of :func:`chain_payload` over the eleven hashed fields, in storage order."""
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
        owners = OWNER_SEP.join(event.owners)  # sorted and unique since __post_init__
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
            owners,
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
                owners,
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
    fields: int = FIELDS,
) -> ChainVerdict:
    """Check batches of ``(payload, hash)`` rows, as UTF-8 bytes, in ``seq`` order.

    ``payload`` is :func:`chain_payload` of the stored fields, which ends with the
    previous event's hash (see :meth:`AuditRecord.payload_row`); each batch holds
    what the store has for a range of sequence numbers, so a short batch means
    events are missing there. ``prev_hash=None`` checks a run whose first link the
    caller checks. ``fields`` is how many fields each payload joins: :data:`FIELDS`, or
    :data:`LEGACY_FIELDS` for a run written before owners were recorded (the store
    knows where that run ends). Returns at the first bad event, naming its sequence number and
    what is wrong: a missing event (deleted), a link that does not match the
    previous hash (reordered, inserted or deleted events), or a hash that does not
    match the fields (edited).
    """
    sha256 = hashlib.sha256
    sep = SEP.encode()
    separators = fields - 1
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
                fields=fields,
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
