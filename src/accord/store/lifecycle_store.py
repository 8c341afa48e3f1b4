"""The deletion job's plan and the destruction certificates, behind a narrow repository.

It shares the main store's engine, clock and audit chain (every change writes its audit
event in the same transaction), and reads the received-package table the transfer
store writes, without changing it. Item state changes are compare-and-set on the state
the caller read, so two runs of the job cannot both act on one item.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from accord.core.audit import AuditEvent
from accord.core.lifecycle.certificate import SignedCertificate
from accord.core.lifecycle.deletion import (
    ITEM_TRANSITIONS,
    ItemKind,
    ItemState,
    ReceivedCopy,
    RetentionItem,
)
from accord.errors import ConflictError, NotFoundError
from accord.store.base import Repository
from accord.store.lifecycle_models import DestructionCertificateRow, RetentionItemRow
from accord.store.transfer_models import PackageReceivedRow

__all__ = ["LIFECYCLE_READ_METHODS", "LifecycleStore"]

LIFECYCLE_READ_METHODS = frozenset(
    {
        "list_items",
        "get_item",
        "find_item",
        "planned_subjects",
        "received_copies",
        "list_certificates",
        "get_certificate",
        "overdue_items",
    }
)
"""Public methods that change nothing; every other public method takes ``audit``."""


def _item(row: Row[Any]) -> RetentionItem:
    return RetentionItem(
        id=row.id,
        kind=ItemKind(row.kind),
        subject=row.subject,
        agreement_id=row.agreement_id,
        agreement_version=row.agreement_version,
        holder=row.holder,
        location=row.location,
        reason=row.reason,
        due_on=row.due_on,
        state=ItemState(row.state),
        planned_at=row.planned_at,
        done_at=row.done_at,
        confirm_by=row.confirm_by,
        certificate_id=row.certificate_id,
        detail=row.detail,
    )


class LifecycleStore(Repository):
    # -- the plan ----------------------------------------------------------------------

    def plan(self, items: Sequence[RetentionItem], *, audit: AuditEvent) -> list[RetentionItem]:
        """Record work items before any is acted on; subjects already planned are skipped.

        Returns the items added (none when another run planned them first).
        """

        def change(conn: Connection) -> list[RetentionItem]:
            seen = set(
                conn.execute(
                    select(RetentionItemRow.subject).where(
                        RetentionItemRow.subject.in_([i.subject for i in items])
                    )
                ).scalars()
            )
            fresh = [i for i in items if i.subject not in seen]
            if fresh:
                conn.execute(
                    insert(RetentionItemRow),
                    [
                        {
                            "id": i.id,
                            "kind": i.kind.value,
                            "subject": i.subject,
                            "agreement_id": i.agreement_id,
                            "agreement_version": i.agreement_version,
                            "holder": i.holder,
                            "location": i.location,
                            "reason": i.reason,
                            "due_on": i.due_on,
                            "state": i.state.value,
                            "planned_at": i.planned_at,
                            "detail": "",
                        }
                        for i in fresh
                    ],
                )
            return fresh

        return self._write(audit, change)

    def _move(
        self, conn: Connection, item: RetentionItem, target: ItemState, values: dict[str, Any]
    ) -> RetentionItem:
        if (item.state, target) not in ITEM_TRANSITIONS:
            raise ConflictError(
                f"retention item {item.id} is {item.state.value} and cannot become {target.value}"
            )
        done = conn.execute(
            update(RetentionItemRow)
            .where(RetentionItemRow.id == item.id, RetentionItemRow.state == item.state.value)
            .values(state=target.value, **values)
        )
        if done.rowcount != 1:
            raise ConflictError(f"retention item {item.id} changed meanwhile")
        row = conn.execute(select(RetentionItemRow).where(RetentionItemRow.id == item.id)).one()
        return _item(row)

    def finish_deletion(
        self, item: RetentionItem, detail: str, *, audit: AuditEvent
    ) -> RetentionItem:
        """A materialised copy is gone: its item is done, with its audit event."""
        return self._write(
            audit,
            lambda conn: self._move(
                conn, item, ItemState.DELETED, {"done_at": self.clock(), "detail": detail}
            ),
        )

    def mark_for_destruction(
        self, item: RetentionItem, confirm_by: datetime, *, audit: AuditEvent
    ) -> RetentionItem:
        """A received package now awaits its holder's destruction certificate."""
        return self._write(
            audit,
            lambda conn: self._move(
                conn,
                item,
                ItemState.AWAITING_CERTIFICATE,
                {"done_at": self.clock(), "confirm_by": confirm_by},
            ),
        )

    # -- reads -------------------------------------------------------------------------

    def list_items(
        self,
        *,
        state: ItemState | None = None,
        holder: str | None = None,
        agreement_id: str | None = None,
    ) -> list[RetentionItem]:
        query = select(RetentionItemRow).order_by(RetentionItemRow.due_on, RetentionItemRow.id)
        if state is not None:
            query = query.where(RetentionItemRow.state == state.value)
        if holder is not None:
            query = query.where(RetentionItemRow.holder == holder)
        if agreement_id is not None:
            query = query.where(RetentionItemRow.agreement_id == agreement_id)
        with self._read() as conn:
            return [_item(row) for row in conn.execute(query)]

    def get_item(self, item_id: str) -> RetentionItem:
        with self._read() as conn:
            row = conn.execute(
                select(RetentionItemRow).where(RetentionItemRow.id == item_id)
            ).one_or_none()
        if row is None:
            raise NotFoundError(f"no retention item {item_id!r}")
        return _item(row)

    def find_item(self, subject: str) -> RetentionItem | None:
        with self._read() as conn:
            row = conn.execute(
                select(RetentionItemRow).where(RetentionItemRow.subject == subject)
            ).one_or_none()
        return None if row is None else _item(row)

    def planned_subjects(self) -> dict[str, ItemState]:
        """Every subject the plan has ever held, with its item's state."""
        with self._read() as conn:
            rows = conn.execute(select(RetentionItemRow.subject, RetentionItemRow.state))
            return {row.subject: ItemState(row.state) for row in rows}

    def overdue_items(self, now: datetime) -> list[RetentionItem]:
        """Marked for destruction, and not certified by the date the holder was given."""
        query = (
            select(RetentionItemRow)
            .where(
                RetentionItemRow.state == ItemState.AWAITING_CERTIFICATE.value,
                RetentionItemRow.confirm_by < now,
            )
            .order_by(RetentionItemRow.confirm_by)
        )
        with self._read() as conn:
            return [_item(row) for row in conn.execute(query)]

    def received_copies(self) -> list[ReceivedCopy]:
        """Live packages loaded at this node (test packages hold synthetic rows only)."""
        query = (
            select(PackageReceivedRow)
            .where(PackageReceivedRow.test.is_(False))
            .order_by(PackageReceivedRow.received_at, PackageReceivedRow.transfer_id)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [
            ReceivedCopy(
                transfer_id=row.transfer_id,
                agreement_id=row.agreement_id,
                agreement_version=int(json.loads(row.manifest)["agreement_version"]),
                dataset_id=row.dataset_id,
                holder=row.recipient,
                location=row.location,
                received_at=row.received_at,
            )
            for row in rows
        ]

    # -- certificates ------------------------------------------------------------------

    def add_certificate(
        self, signed: SignedCertificate, item: RetentionItem | None, *, audit: AuditEvent
    ) -> SignedCertificate:
        """Keep a signed certificate and, when it answers a work item, close the item,
        both with the audit event; a second certificate for one subject is a conflict."""
        c = signed.certificate

        def change(conn: Connection) -> None:
            seen = conn.execute(
                select(func.count())
                .select_from(DestructionCertificateRow)
                .where(
                    DestructionCertificateRow.subject_kind == c.subject_kind,
                    DestructionCertificateRow.subject_id == c.subject_id,
                    DestructionCertificateRow.holder == c.holder,
                )
            ).scalar_one()
            if seen:
                raise ConflictError(
                    f"{c.holder} has already certified the destruction of "
                    f"{c.subject_kind} {c.subject_id}"
                )
            conn.execute(
                insert(DestructionCertificateRow).values(
                    id=c.id,
                    subject_kind=c.subject_kind,
                    subject_id=c.subject_id,
                    holder=c.holder,
                    agreement_id=c.agreement_id,
                    key_fingerprint=signed.key_fingerprint,
                    document=signed.to_json().encode(),
                    issued_at=datetime.fromisoformat(c.issued_at),
                )
            )
            if item is not None:
                self._move(conn, item, ItemState.CERTIFIED, {"certificate_id": c.id})

        self._write(audit, change)
        return signed

    def list_certificates(
        self, *, holder: str | None = None, agreement_id: str | None = None
    ) -> list[SignedCertificate]:
        query = select(DestructionCertificateRow.document).order_by(
            DestructionCertificateRow.issued_at, DestructionCertificateRow.id
        )
        if holder is not None:
            query = query.where(DestructionCertificateRow.holder == holder)
        if agreement_id is not None:
            query = query.where(DestructionCertificateRow.agreement_id == agreement_id)
        with self._read() as conn:
            return [SignedCertificate.from_json(doc) for doc in conn.execute(query).scalars()]

    def get_certificate(self, certificate_id: str) -> SignedCertificate:
        with self._read() as conn:
            document = conn.execute(
                select(DestructionCertificateRow.document).where(
                    DestructionCertificateRow.id == certificate_id
                )
            ).scalar_one_or_none()
        if document is None:
            raise NotFoundError(f"no destruction certificate {certificate_id!r}")
        return SignedCertificate.from_json(document)
