"""Records a holder keeps per participant, and their record-level retention.

A provider keeps case records for each participant it was referred (mandation
evidence, ESF forms, evidence of the journey, payments, its copy of the referral);
Accord holds them for it under ``<home>/records/<holder>/`` and knows each only by a
*pseudonymous reference*: the HMAC of the participant's normalised NINO under a key of
the holder's, so the store's index and the audit log never hold the NINO and another
holder's references do not link to these.

The retention job (``accord records run``, and ``accord retention run`` after the
copies) works like the copy-deletion job of :mod:`accord.services.retention`:

1. **plan** — every held record due today (:mod:`accord.core.lifecycle.record_retention`)
   moves from ``held`` to ``planned`` in one transaction with one audit event;
2. **act** — for each planned record the file is removed (one already gone is not an
   error: the run that died removed it), then the row becomes a ``deleted`` tombstone
   in the same transaction as that record's audit event;
3. **report** — per holder, a ``records.report`` event with the counts and a
   ``retention_deleted`` notice, and, when the caller answers for the holder (its DPO
   or admin), a signed destruction certificate per run.

A run that dies anywhere leaves records planned; the next run deletes them. Nothing is
deleted twice and each deletion is audited once, because a record's state moves by
compare-and-set.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.core.audit import AuditEvent, Decision
from accord.core.identifiers import is_valid_nino, normalise_nino
from accord.core.lifecycle.certificate import DestructionMethod, SignedCertificate
from accord.core.lifecycle.deletion import RetentionAction
from accord.core.lifecycle.notices import NoticeKind
from accord.core.lifecycle.permissions import can_certify_destruction
from accord.core.lifecycle.record_retention import (
    PER_PARTICIPANT,
    RULES,
    DeleteConfig,
    EventKind,
    HeldRecord,
    RecordKind,
    RecordState,
    RetentionFact,
    can_configure,
    can_hold_records,
    can_record_event,
    can_run_records,
    delete_on,
    due,
    keep_until,
)
from accord.core.permissions import Caller, Verdict
from accord.errors import ConflictError, NotFoundError, ValidationError
from accord.fsutil import write_atomic
from accord.services.guard import authorise, refuse
from accord.services.outbox import new_notice
from accord.store import Store
from accord.store.records_store import RecordsStore

if TYPE_CHECKING:
    from accord.keys import KeyStore
    from accord.services.app import Accord
    from accord.services.retention import RetentionService

__all__ = [
    "MAX_RECORD_BYTES",
    "RecordsRunReport",
    "RecordsService",
    "ScheduledRecord",
    "programme_of",
    "record_dict",
]

MAX_RECORD_BYTES = 20 * 1024 * 1024
"""The largest file a record may hold (checked before it is read or written)."""
REFERRAL_ID = re.compile(r"^[WJ]\d{9}$")
"""PRaP referral ids: W for WHP, J for WHP-JETS, then nine digits."""
SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")
PROGRAMMES = ("WHP", "WHP-JETS")

Remover = Callable[[Path], None]


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


def programme_of(referral_id: str) -> str:
    """The programme a referral id names: ``J…`` is WHP-JETS, ``W…`` WHP."""
    return "WHP-JETS" if referral_id.startswith("J") else "WHP"


@dataclass(frozen=True, slots=True)
class ScheduledRecord:
    """A held record with its dates, for the schedule page and ``records list``."""

    record: HeldRecord
    keep_until: date | None
    delete_on: date | None


@dataclass(frozen=True, slots=True)
class RecordsRunReport:
    """What one run of the record retention job did."""

    run_id: str
    planned: int
    """Records this run found due and added to its plan."""
    resumed: int
    """Records an earlier run planned and did not delete, deleted by this one."""
    deleted: tuple[HeldRecord, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    certificates: tuple[str, ...] = field(default=())

    def by_kind(self) -> dict[str, int]:
        return dict(sorted(Counter(r.kind.value for r in self.deleted).items()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "planned": self.planned,
            "resumed": self.resumed,
            "deleted": len(self.deleted),
            "deleted_by_kind": self.by_kind(),
            "deleted_records": [r.id for r in self.deleted],
            "failed": [{"record": i, "reason": r} for i, r in self.failed],
            "certificates": list(self.certificates),
        }


def record_dict(item: ScheduledRecord) -> dict[str, Any]:
    """One presentation of a held record, shared by the CLI, the API and the page."""
    r = item.record
    return {
        "id": r.id,
        "holder": r.holder,
        "kind": r.kind.value,
        "participant": r.participant,
        "referral_id": r.referral_id,
        "programme": r.programme,
        "sha256": r.sha256,
        "bytes": r.size,
        "added_at": r.added_at.isoformat(),
        "state": r.state.value,
        "keep_until": item.keep_until.isoformat() if item.keep_until else None,
        "delete_on": item.delete_on.isoformat() if item.delete_on else None,
        "deleted_at": r.deleted_at.isoformat() if r.deleted_at else None,
    }


class RecordsService:
    def __init__(
        self,
        store: Store,
        keys: KeyStore,
        retention: RetentionService,
        *,
        home: Path,
        remove: Remover = _unlink,
    ) -> None:
        self.store = store
        self.repository = RecordsStore(store)
        self.keys = keys
        self.retention = retention
        self.root = home / "records"
        self._remove = remove

    @classmethod
    def of(cls, app: Accord, *, remove: Remover = _unlink) -> RecordsService:
        from accord.services.retention import RetentionService

        return cls(app.store, app.keys, RetentionService.of(app), home=app.home, remove=remove)

    # -- identity of participants -------------------------------------------------------

    def participant_ref(self, holder: str, nino: str) -> str:
        """The holder's pseudonymous reference for a participant: HMAC-SHA256 of the
        normalised NINO under the holder's own records key (made on first use)."""
        key = self.keys.secret(f"records-{holder}", create=True)
        return hmac.new(key, normalise_nino(nino).encode(), hashlib.sha256).hexdigest()

    # -- records ------------------------------------------------------------------------

    def add(
        self,
        caller: Caller,
        holder: str,
        *,
        kind: str,
        referral_id: str,
        nino: str,
        data: bytes,
        suffix: str = ".bin",
    ) -> HeldRecord:
        """Hold one record for ``holder``: the bytes written atomically under the
        holder's directory, the row (with the file's SHA-256) and its audit event."""
        self._check_holder(caller, holder, "records.add")
        problems = _record_problems(kind, referral_id, nino, suffix, len(data))
        if problems:
            first = problems[0]
            raise ValidationError(f"{first['field']}: {first['error']}", problems=problems)
        record_id = "rec-" + secrets.token_hex(8)
        record = HeldRecord(
            id=record_id,
            holder=holder,
            kind=RecordKind(kind),
            participant=self.participant_ref(holder, nino),
            referral_id=referral_id.strip().upper(),
            programme=programme_of(referral_id.strip().upper()),
            file_name=record_id + suffix.lower(),
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            added_at=self.store.clock(),
        )
        event = authorise(
            self.store,
            caller,
            can_hold_records(caller, holder),
            action="records.add",
            obj=f"record:{record.id}",
            organisation=holder,
            kind=record.kind.value,
            participant=record.participant,
            referral=record.referral_id,
            sha256=record.sha256,
            bytes=record.size,
        )
        path = self._path(record)
        write_atomic(path, data, mode=0o600)
        try:
            return self.repository.add_record(record, audit=event)
        except Exception:
            path.unlink(missing_ok=True)  # the row did not commit: leave no orphan file
            raise

    def schedule(
        self,
        caller: Caller,
        holder: str,
        *,
        state: RecordState | None = None,
        kind: RecordKind | None = None,
    ) -> list[ScheduledRecord]:
        """The holder's records with their keep-until and delete dates (its staff only;
        anyone else is answered as if the holder had none to show)."""
        self._check_holder(caller, holder, "records.list", record=True)
        facts = self.repository.facts(holder=holder)
        configs = {c.kind: c for c in self.repository.configs(holder=holder)}
        return [
            ScheduledRecord(r, keep_until(r, facts), delete_on(r, facts, configs.get(r.kind)))
            for r in self.repository.records(holder=holder, state=state, kind=kind)
        ]

    def facts(self, caller: Caller, holder: str) -> list[RetentionFact]:
        self._check_holder(caller, holder, "records.list")
        return self.repository.facts(holder=holder)

    def configs(self, caller: Caller, holder: str) -> list[DeleteConfig]:
        self._check_holder(caller, holder, "records.list")
        return self.repository.configs(holder=holder)

    # -- events and delete dates --------------------------------------------------------

    def record_event(
        self,
        caller: Caller,
        holder: str,
        kind: str,
        on: date,
        *,
        nino: str = "",
        programme: str = "",
    ) -> bool:
        """Record a retention event when it happens: ``decision_notified`` for a
        participant (by NINO; only its pseudonymous reference is kept), or
        ``programme_ended`` / ``final_esf_claim_paid`` for a programme. Returns False
        when the same event with the same date was already recorded."""
        try:
            event_kind = EventKind(kind)
        except ValueError:
            raise ValidationError(
                f"event: {kind!r} is not one of {', '.join(e.value for e in EventKind)}",
                problems=[{"field": "event", "error": "unknown event"}],
            ) from None
        if on > self.store.clock().date():
            raise ValidationError(
                f"date: {on.isoformat()} is in the future: record an event once it has happened",
                problems=[{"field": "date", "error": "in the future"}],
            )
        if event_kind in PER_PARTICIPANT:
            if not is_valid_nino(nino):
                raise ValidationError(
                    "nino: a decision is recorded for a participant: give a valid NINO",
                    problems=[{"field": "nino", "error": "missing or not a NINO"}],
                )
            subject = self.participant_ref(holder, nino)
        else:
            if programme not in PROGRAMMES:
                raise ValidationError(
                    f"programme: {event_kind.value} is recorded for a programme, one of "
                    f"{', '.join(PROGRAMMES)}",
                    problems=[{"field": "programme", "error": "missing or unknown"}],
                )
            subject = programme
        audit = authorise(
            self.store,
            caller,
            can_record_event(caller, holder),
            action="records.event",
            obj=f"retention-event:{event_kind.value}",
            organisation=holder,
            subject=subject,
            on=on.isoformat(),
        )
        fact_id = "rf-" + secrets.token_hex(8)
        return self.repository.record_fact(
            fact_id, RetentionFact(holder, event_kind, subject, on), audit=audit
        )

    def configure(
        self,
        caller: Caller,
        holder: str,
        kind: str,
        *,
        offset: str = "P0D",
        on: date | None = None,
    ) -> DeleteConfig:
        """Set when ``holder`` deletes records of ``kind``: ``offset`` after keep-until,
        or ``on`` a date; a date before a held record's keep-until is refused."""
        try:
            record_kind = RecordKind(kind)
        except ValueError:
            raise ValidationError(
                f"kind: {kind!r} is not one of {', '.join(k.value for k in RecordKind)}",
                problems=[{"field": "kind", "error": "unknown kind"}],
            ) from None
        config = DeleteConfig(holder, record_kind, offset.strip().upper() or "P0D", on)
        verdict = can_configure(
            caller,
            config,
            self.repository.records(holder=holder, kind=record_kind),
            self.repository.facts(holder=holder),
        )
        audit = authorise(
            self.store,
            caller,
            verdict,
            action="records.configure",
            obj=f"organisation:{holder}",
            organisation=holder,
            kind=record_kind.value,
            delete=config.describe(),
        )
        return self.repository.set_config(config, audit=audit)

    # -- the job ------------------------------------------------------------------------

    def run(
        self, caller: Caller, *, holder: str | None = None, today: date | None = None
    ) -> RecordsRunReport:
        """Plan the due records, delete every planned one, report per holder; see the
        module docstring. With ``holder``, only that holder's records."""
        start = authorise(
            self.store,
            caller,
            can_run_records(caller, holder),
            action="records.run",
            obj="records:job",
            organisation=holder or "",
        )
        self.store.record(start)
        today = today or self.store.clock().date()
        run_id = "rr-" + secrets.token_hex(8)
        resumed = self.repository.records(holder=holder, state=RecordState.PLANNED)
        planned = self._plan(caller, run_id, holder, today)
        deleted: list[HeldRecord] = []
        failed: list[tuple[str, str]] = []
        for record in self.repository.records(holder=holder, state=RecordState.PLANNED):
            try:
                deleted.append(self._delete(caller, record))
            except ConflictError:
                continue  # another run deleted it first
            except OSError as exc:
                failed.append((record.id, f"{type(exc).__name__}: {exc.strerror or exc}"))
        certificates = self._report(caller, run_id, deleted)
        return RecordsRunReport(
            run_id=run_id,
            planned=len(planned),
            resumed=len(resumed),
            deleted=tuple(deleted),
            failed=tuple(failed),
            certificates=tuple(certificates),
        )

    def _plan(
        self, caller: Caller, run_id: str, holder: str | None, today: date
    ) -> list[HeldRecord]:
        facts = self.repository.facts(holder=holder)
        configs = {(c.holder, c.kind): c for c in self.repository.configs(holder=holder)}
        found: list[tuple[HeldRecord, date]] = []
        for record in self.repository.records(holder=holder, state=RecordState.HELD):
            config = configs.get((record.holder, record.kind))
            if due(record, facts, today, config):
                when = delete_on(record, facts, config)
                assert when is not None  # due() is true only with a delete date
                found.append((record, when))
        if not found:
            return []
        event = self._event(
            caller,
            "records.plan",
            f"records:{run_id}",
            holder or "",
            f"{len(found)} held record(s) due on {today.isoformat()}",
            records=[r.id for r, _ in found],
            holders=sorted({r.holder for r, _ in found}),
        )
        return self.repository.plan(found, run_id, audit=event)

    def _delete(self, caller: Caller, record: HeldRecord) -> HeldRecord:
        path = self._path(record)
        self._remove(path)
        event = self._event(
            caller,
            "records.delete",
            f"record:{record.id}",
            record.holder,
            f"{record.kind.value}: delete date {record.due_on} reached "
            f"({RULES[record.kind].minimum} rule)",
            kind=record.kind.value,
            participant=record.participant,
            run=record.run_id,
            sha256=record.sha256,
        )
        return self.repository.finish_deletion(record, audit=event)

    def _report(self, caller: Caller, run_id: str, deleted: Sequence[HeldRecord]) -> list[str]:
        """Per holder: the counts on the record with a notice, and a certificate per
        plan the run finished when the caller may sign for the holder."""
        certificates: list[str] = []
        for holder in sorted({r.holder for r in deleted}):
            mine = [r for r in deleted if r.holder == holder]
            counts = dict(sorted(Counter(r.kind.value for r in mine).items()))
            summary = ", ".join(f"{n} {k}" for k, n in counts.items())
            signs = bool(can_certify_destruction(caller, holder))
            body = (
                f"The retention job deleted {len(mine)} record(s) whose delete date had come: "
                f"{summary}. "
                + (
                    "A destruction certificate was issued."
                    if signs
                    else "Your DPO or admin certifies the destruction with "
                    "`accord records certify`."
                )
            )
            notice = new_notice(
                holder,
                NoticeKind.RETENTION_DELETED,
                f"Records deleted under retention rules ({len(mine)})",
                body,
                f"records:{run_id}",
            )
            event = self._event(
                caller,
                "records.report",
                f"records:{run_id}",
                holder,
                f"{len(mine)} record(s) deleted",
                counts=counts,
                notice=notice.id,
            )
            self.repository.report_run([notice], audit=event)
            if signs:
                certificates.extend(s.certificate.id for s in self.certify(caller, holder))
        return certificates

    def certify(self, caller: Caller, holder: str) -> list[SignedCertificate]:
        """Sign a destruction certificate for each plan of ``holder``'s whose records are
        all deleted and that has none yet; counts by kind only, no personal data."""
        authorise(
            self.store,
            caller,
            can_certify_destruction(caller, holder),
            action=RetentionAction.CERTIFY.value,
            obj=f"organisation:{holder}",
            organisation=holder,
        )
        records = self.repository.records(holder=holder)
        certified = {
            s.certificate.subject_id
            for s in self.retention.lifecycle.list_certificates()
            if s.certificate.subject_kind == "held_records" and s.certificate.holder == holder
        }
        by_run: dict[str, list[HeldRecord]] = {}
        for r in records:
            if r.run_id:
                by_run.setdefault(r.run_id, []).append(r)
        issued: list[SignedCertificate] = []
        for run_id, mine in sorted(by_run.items()):
            if run_id in certified or any(r.state is not RecordState.DELETED for r in mine):
                continue
            counts = Counter(r.kind.value for r in mine)
            issued.append(
                self.retention.issue_certificate(
                    caller,
                    holder=holder,
                    subject_kind="held_records",
                    subject_id=run_id,
                    agreement_id="",
                    agreement_version=0,
                    description=f"{len(mine)} held record(s) deleted under seed 003's "
                    "retention rules: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())),
                    method=DestructionMethod.SECURE_DELETE,
                    note=f"records under {self.root.name}/{holder}",
                )
            )
        return issued

    # -- helpers ------------------------------------------------------------------------

    def path_of(self, record: HeldRecord) -> Path:
        """Where the record's file is kept (for an erasure that removes it)."""
        return self._path(record)

    def _path(self, record: HeldRecord) -> Path:
        return self.root / record.holder / record.file_name

    def _check_holder(self, caller: Caller, holder: str, action: str, record: bool = False) -> None:
        """The holder's staff pass; anyone else is refused on the record and answered as
        if the holder held nothing, the same answer an unknown organisation gets."""
        verdict = can_hold_records(caller, holder)
        if verdict and caller.operator:
            try:
                self.store.get_organisation(holder)
            except NotFoundError:
                verdict = Verdict(False, f"no organisation {holder!r}")
        if verdict:
            if record:
                self.store.record(
                    self._event(
                        caller,
                        action,
                        f"organisation:{holder}",
                        holder,
                        verdict.reason,
                    )
                )
            return
        refuse(
            self.store,
            caller,
            action,
            f"organisation:{holder}",
            holder,
            verdict.reason,
            answered="not found",
        )
        raise NotFoundError(f"no records held by {holder!r}")

    @staticmethod
    def _event(
        caller: Caller,
        action: str,
        obj: str,
        organisation: str,
        reason: str,
        **details: Any,
    ) -> AuditEvent:
        if caller.via:
            details["via"] = caller.via
        return AuditEvent(
            actor=caller.actor,
            action=action,
            object=obj,
            organisation=organisation,
            decision=Decision.ALLOW,
            reason=reason,
            details=details,
        )


def _record_problems(
    kind: str, referral_id: str, nino: str, suffix: str, size: int
) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []
    if kind not in {k.value for k in RecordKind}:
        problems.append(
            {
                "field": "kind",
                "error": f"{kind!r} is not one of " + ", ".join(k.value for k in RecordKind),
            }
        )
    if not REFERRAL_ID.fullmatch(referral_id.strip().upper()):
        problems.append(
            {"field": "referral", "error": "a PRaP referral id is W or J then nine digits"}
        )
    if not is_valid_nino(nino):
        problems.append({"field": "nino", "error": "not a valid National Insurance number"})
    if not SUFFIX.fullmatch(suffix.lower()):
        problems.append({"field": "file", "error": "the file's extension is 1-8 letters or digits"})
    if size == 0:
        problems.append({"field": "file", "error": "the file is empty"})
    if size > MAX_RECORD_BYTES:
        problems.append(
            {"field": "file", "error": f"{size} bytes is over the limit of {MAX_RECORD_BYTES}"}
        )
    return problems
