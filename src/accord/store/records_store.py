"""Held records, retention events and delete dates, behind a narrow repository.

It shares the main store's engine, clock and audit chain: every change writes its
audit event in the same transaction. A record's state moves by compare-and-set on the
state the caller read (held -> planned -> deleted), so two runs of the job cannot both
plan or both delete one record, and each deletion's audit event is written once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from accord.core.audit import AuditEvent
from accord.core.lifecycle.notices import Notice
from accord.core.lifecycle.record_retention import (
    RECORD_TRANSITIONS,
    DeleteConfig,
    EventKind,
    HeldRecord,
    RecordKind,
    RecordState,
    RetentionFact,
)
from accord.errors import ConflictError, NotFoundError
from accord.store.base import Repository
from accord.store.outbox_store import queue_notices
from accord.store.records_models import DeleteConfigRow, HeldRecordRow, RetentionFactRow

__all__ = ["RECORDS_READ_METHODS", "RecordsStore"]

RECORDS_READ_METHODS = frozenset({"records", "get_record", "facts", "configs"})
"""Public methods that change nothing; every other public method takes ``audit``."""


def _record(row: Row[Any]) -> HeldRecord:
    return HeldRecord(
        id=row.id,
        holder=row.holder,
        kind=RecordKind(row.kind),
        participant=row.participant,
        referral_id=row.referral_id,
        programme=row.programme,
        file_name=row.file_name,
        sha256=row.sha256,
        size=row.size,
        added_at=row.added_at,
        state=RecordState(row.state),
        due_on=row.due_on,
        run_id=row.run_id,
        deleted_at=row.deleted_at,
    )


class RecordsStore(Repository):
    # -- changes -----------------------------------------------------------------------

    def add_record(self, record: HeldRecord, *, audit: AuditEvent) -> HeldRecord:
        def change(conn: Connection) -> HeldRecord:
            conn.execute(
                insert(HeldRecordRow).values(
                    id=record.id,
                    holder=record.holder,
                    kind=record.kind.value,
                    participant=record.participant,
                    referral_id=record.referral_id,
                    programme=record.programme,
                    file_name=record.file_name,
                    sha256=record.sha256,
                    size=record.size,
                    added_at=record.added_at,
                    state=RecordState.HELD.value,
                    due_on=None,
                    run_id="",
                    deleted_at=None,
                )
            )
            return record

        return self._write(audit, change)

    def record_fact(self, fact_id: str, fact: RetentionFact, *, audit: AuditEvent) -> bool:
        """Record a dated event; False (and nothing written) when it is already recorded."""

        def change(conn: Connection) -> bool:
            found = conn.execute(
                select(RetentionFactRow.id).where(
                    RetentionFactRow.holder == fact.holder,
                    RetentionFactRow.kind == fact.kind.value,
                    RetentionFactRow.subject == fact.subject,
                    RetentionFactRow.happened_on == fact.on,
                )
            ).first()
            if found is not None:
                return False
            conn.execute(
                insert(RetentionFactRow).values(
                    id=fact_id,
                    holder=fact.holder,
                    kind=fact.kind.value,
                    subject=fact.subject,
                    happened_on=fact.on,
                    recorded_at=self.clock(),
                )
            )
            return True

        with self._transaction() as conn:
            added = change(conn)
            if added:
                self._append(conn, [audit])
        return added

    def set_config(self, config: DeleteConfig, *, audit: AuditEvent) -> DeleteConfig:
        def change(conn: Connection) -> DeleteConfig:
            values = {
                "delete_offset": config.offset,
                "delete_date": config.on,
                "set_at": self.clock(),
            }
            done = conn.execute(
                update(DeleteConfigRow)
                .where(
                    DeleteConfigRow.holder == config.holder,
                    DeleteConfigRow.kind == config.kind.value,
                )
                .values(**values)
            )
            if done.rowcount == 0:
                conn.execute(
                    insert(DeleteConfigRow).values(
                        holder=config.holder, kind=config.kind.value, **values
                    )
                )
            return config

        return self._write(audit, change)

    def plan(
        self, due: Sequence[tuple[HeldRecord, date]], run_id: str, *, audit: AuditEvent
    ) -> list[HeldRecord]:
        """Move each due record from held to planned, with one audit event for the plan.
        Records another run planned first are skipped; returns those this plan holds."""

        def change(conn: Connection) -> list[HeldRecord]:
            moved: list[HeldRecord] = []
            for record, due_on in due:
                done = conn.execute(
                    update(HeldRecordRow)
                    .where(
                        HeldRecordRow.id == record.id,
                        HeldRecordRow.state == RecordState.HELD.value,
                    )
                    .values(state=RecordState.PLANNED.value, due_on=due_on, run_id=run_id)
                )
                if done.rowcount == 1:
                    moved.append(self._get(conn, record.id))
            return moved

        return self._write(audit, change)

    def finish_deletion(self, record: HeldRecord, *, audit: AuditEvent) -> HeldRecord:
        """The record's file is gone: the row becomes a tombstone, with its audit event."""
        if (record.state, RecordState.DELETED) not in RECORD_TRANSITIONS:
            raise ConflictError(f"record {record.id} is {record.state.value}: it cannot be deleted")

        def change(conn: Connection) -> HeldRecord:
            done = conn.execute(
                update(HeldRecordRow)
                .where(
                    HeldRecordRow.id == record.id,
                    HeldRecordRow.state == record.state.value,
                )
                .values(state=RecordState.DELETED.value, deleted_at=self.clock())
            )
            if done.rowcount != 1:
                raise ConflictError(f"record {record.id} changed meanwhile")
            return self._get(conn, record.id)

        return self._write(audit, change)

    def erase_participant(
        self, holder: str, participant: str, *, audit: AuditEvent
    ) -> list[HeldRecord]:
        """An accepted erasure: every record of the participant at ``holder``, held or
        already deleted, becomes a tombstone that no longer names them (no pseudonymous
        reference, no referral id), with its audit event. Returns the records as they
        were, so that the caller knows which files were theirs."""

        def change(conn: Connection) -> list[HeldRecord]:
            rows = conn.execute(
                select(HeldRecordRow.__table__).where(
                    HeldRecordRow.holder == holder, HeldRecordRow.participant == participant
                )
            ).all()
            records = [_record(r) for r in rows]
            if records:
                conn.execute(
                    update(HeldRecordRow)
                    .where(HeldRecordRow.id.in_([r.id for r in records]))
                    .values(
                        state=RecordState.DELETED.value,
                        deleted_at=self.clock(),
                        participant="erased",
                        referral_id="",
                    )
                )
            return records

        return self._write(audit, change)

    def report_run(self, notices: Sequence[Notice], *, audit: AuditEvent) -> None:
        """A run's summary for one holder, with the notice that tells it, together."""
        self._write(audit, lambda conn: queue_notices(conn, notices, self.clock()))

    # -- reads -------------------------------------------------------------------------

    def _get(self, conn: Connection, record_id: str) -> HeldRecord:
        row = conn.execute(
            select(HeldRecordRow.__table__).where(HeldRecordRow.id == record_id)
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"no record {record_id!r}")
        return _record(row)

    def get_record(self, record_id: str) -> HeldRecord:
        with self._read() as conn:
            return self._get(conn, record_id)

    def records(
        self,
        *,
        holder: str | None = None,
        state: RecordState | None = None,
        kind: RecordKind | None = None,
    ) -> list[HeldRecord]:
        query = select(HeldRecordRow.__table__).order_by(HeldRecordRow.added_at, HeldRecordRow.id)
        if holder is not None:
            query = query.where(HeldRecordRow.holder == holder)
        if state is not None:
            query = query.where(HeldRecordRow.state == state.value)
        if kind is not None:
            query = query.where(HeldRecordRow.kind == kind.value)
        with self._read() as conn:
            return [_record(r) for r in conn.execute(query)]

    def facts(self, *, holder: str | None = None) -> list[RetentionFact]:
        query = select(RetentionFactRow.__table__).order_by(
            RetentionFactRow.happened_on, RetentionFactRow.id
        )
        if holder is not None:
            query = query.where(RetentionFactRow.holder == holder)
        with self._read() as conn:
            return [
                RetentionFact(r.holder, EventKind(r.kind), r.subject, r.happened_on)
                for r in conn.execute(query)
            ]

    def configs(self, *, holder: str | None = None) -> list[DeleteConfig]:
        query = select(DeleteConfigRow.__table__)
        if holder is not None:
            query = query.where(DeleteConfigRow.holder == holder)
        with self._read() as conn:
            return [
                DeleteConfig(r.holder, RecordKind(r.kind), r.delete_offset, r.delete_date)
                for r in conn.execute(query)
            ]
