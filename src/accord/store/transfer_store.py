"""Organisation keys and packages: what was sent, what was loaded, what was receipted."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from accord.core.audit import AuditEvent
from accord.core.transfer.keys import KeyPurpose, OrgKey
from accord.core.transfer.manifest import PackageManifest
from accord.core.transfer.records import ReceivedPackage, SentPackage, SignedReceipt
from accord.errors import ConflictError, NotFoundError, not_found
from accord.store.base import StoreBase
from accord.store.transfer_models import (
    OrgKeyRow,
    PackageReceiptRow,
    PackageReceivedRow,
    PackageSentRow,
)

__all__ = ["TRANSFER_READ_METHODS", "TransferStore"]

TRANSFER_READ_METHODS = frozenset(
    {
        "list_org_keys",
        "get_org_key",
        "get_sent_package",
        "list_sent_packages",
        "get_received_package",
        "list_receipts",
        "receipted_test_schemas",
    }
)


def _key(row: Row[Any]) -> OrgKey:
    return OrgKey(
        fingerprint=row.fingerprint,
        organisation=row.organisation_id,
        purpose=KeyPurpose(row.purpose),
        public_key=row.public_key,
        created_at=row.created_at,
        superseded_at=row.superseded_at,
        valid_until=row.valid_until,
    )


def _receipt_row(signed: SignedReceipt) -> dict[str, object]:
    r = signed.receipt
    return {
        "transfer_id": r.transfer_id,
        "agreement_id": r.agreement_id,
        "dataset_id": r.dataset_id,
        "sender": r.sender,
        "recipient": r.recipient,
        "test": r.test,
        "schema_sha256": r.schema_sha256,
        "document": signed.to_bytes(),
        "received_at": r.received_at,
    }


class TransferStore(StoreBase):
    # -- keys --------------------------------------------------------------------------

    def rotate_org_keys(
        self,
        new: Sequence[OrgKey],
        overlap_until: Mapping[KeyPurpose, datetime],
        *,
        audit: AuditEvent,
    ) -> list[OrgKey]:
        """Make ``new`` current; the keys they replace stay accepted until ``overlap_until``.

        Returns the keys replaced. Both happen in one transaction, so an organisation
        never has two current keys for one purpose, or none after its first.
        """

        def change(conn: Connection) -> list[OrgKey]:
            replaced: list[OrgKey] = []
            for key in new:
                current = conn.execute(
                    select(OrgKeyRow).where(
                        OrgKeyRow.organisation_id == key.organisation,
                        OrgKeyRow.purpose == key.purpose.value,
                        OrgKeyRow.superseded_at.is_(None),
                    )
                ).all()
                for row in current:
                    replaced.append(_key(row))
                    conn.execute(
                        update(OrgKeyRow)
                        .where(OrgKeyRow.fingerprint == row.fingerprint)
                        .values(
                            superseded_at=key.created_at, valid_until=overlap_until[key.purpose]
                        )
                    )
                conn.execute(
                    insert(OrgKeyRow).values(
                        fingerprint=key.fingerprint,
                        organisation_id=key.organisation,
                        purpose=key.purpose.value,
                        public_key=key.public_key,
                        created_at=key.created_at,
                    )
                )
            return replaced

        return self._write(audit, change)

    def list_org_keys(self, organisation_id: str) -> list[OrgKey]:
        query = (
            select(OrgKeyRow)
            .where(OrgKeyRow.organisation_id == organisation_id)
            .order_by(OrgKeyRow.purpose, OrgKeyRow.created_at.desc())
        )
        with self._read() as conn:
            return [_key(row) for row in conn.execute(query).all()]

    def get_org_key(self, fingerprint: str) -> OrgKey:
        with self._read() as conn:
            row = conn.execute(
                select(OrgKeyRow).where(OrgKeyRow.fingerprint == fingerprint)
            ).one_or_none()
        if row is None:
            raise NotFoundError(f"no registered key with fingerprint {fingerprint[:16]}…")
        return _key(row)

    # -- packages ----------------------------------------------------------------------

    def record_sent_package(
        self, sent: SentPackage, manifest: PackageManifest, *, audit: AuditEvent
    ) -> None:
        def change(conn: Connection) -> None:
            conn.execute(
                insert(PackageSentRow).values(
                    transfer_id=sent.transfer_id,
                    agreement_id=manifest.agreement_id,
                    dataset_id=manifest.dataset_id,
                    sender=manifest.sender,
                    recipient=manifest.recipient,
                    test=manifest.test,
                    schema_sha256=manifest.schema_sha256,
                    manifest=sent.manifest,
                    signing_key=sent.signing_key,
                    path=sent.path,
                    created_at=manifest.created_at,
                )
            )

        self._write(audit, change)

    def get_sent_package(self, transfer_id: str) -> SentPackage:
        with self._read() as conn:
            row = conn.execute(
                select(PackageSentRow).where(PackageSentRow.transfer_id == transfer_id)
            ).one_or_none()
        if row is None:
            raise not_found("package", transfer_id)
        return SentPackage(row.transfer_id, row.manifest, row.signing_key, row.path)

    def list_sent_packages(self, sender: str | None = None) -> list[SentPackage]:
        query = select(PackageSentRow).order_by(PackageSentRow.created_at)
        if sender is not None:
            query = query.where(PackageSentRow.sender == sender)
        with self._read() as conn:
            return [
                SentPackage(r.transfer_id, r.manifest, r.signing_key, r.path)
                for r in conn.execute(query).all()
            ]

    def record_received_package(
        self,
        received: ReceivedPackage,
        manifest: PackageManifest,
        receipt: SignedReceipt,
        *,
        publish: Callable[[], None],
        audit: AuditEvent,
    ) -> None:
        """Record the load and its receipt, and ``publish`` the data, as one act.

        ``publish`` (the rename that puts the loaded file in place) runs inside the
        transaction, after the inserts and the audit event and just before the commit:
        if it fails nothing is recorded, and if the commit fails the caller removes the
        file again. A transfer id seen before is a conflict, refused before publishing.
        """

        with self._transaction() as conn:
            seen = conn.execute(
                select(PackageReceivedRow.transfer_id).where(
                    PackageReceivedRow.transfer_id == received.transfer_id
                )
            ).first()
            if seen is not None:
                raise ConflictError(f"package {received.transfer_id} was received already")
            conn.execute(
                insert(PackageReceivedRow).values(
                    transfer_id=received.transfer_id,
                    agreement_id=manifest.agreement_id,
                    dataset_id=manifest.dataset_id,
                    sender=manifest.sender,
                    recipient=manifest.recipient,
                    test=manifest.test,
                    rows=manifest.rows,
                    manifest=received.manifest,
                    location=received.location,
                    received_at=received.received_at,
                )
            )
            self._insert_receipt(conn, receipt)
            self._append(conn, [audit])
            publish()

    def get_received_package(self, transfer_id: str) -> ReceivedPackage | None:
        with self._read() as conn:
            row = conn.execute(
                select(PackageReceivedRow).where(PackageReceivedRow.transfer_id == transfer_id)
            ).one_or_none()
        if row is None:
            return None
        return ReceivedPackage(row.transfer_id, row.manifest, row.location, row.received_at)

    def record_receipt(self, receipt: SignedReceipt, *, audit: AuditEvent) -> bool:
        """Keep a receipt the sender got back; False when it is already here."""

        def change(conn: Connection) -> bool:
            seen = conn.execute(
                select(PackageReceiptRow.id).where(
                    PackageReceiptRow.transfer_id == receipt.receipt.transfer_id
                )
            ).first()
            if seen is not None:
                return False
            self._insert_receipt(conn, receipt)
            return True

        return self._write(audit, change)

    @staticmethod
    def _insert_receipt(conn: Connection, receipt: SignedReceipt) -> None:
        conn.execute(insert(PackageReceiptRow).values(**_receipt_row(receipt)))

    def list_receipts(
        self, *, sender: str | None = None, agreement_id: str | None = None
    ) -> list[SignedReceipt]:
        query = select(PackageReceiptRow.document).order_by(PackageReceiptRow.received_at)
        if sender is not None:
            query = query.where(PackageReceiptRow.sender == sender)
        if agreement_id is not None:
            query = query.where(PackageReceiptRow.agreement_id == agreement_id)
        with self._read() as conn:
            return [SignedReceipt.parse(doc) for doc in conn.execute(query).scalars()]

    def receipted_test_schemas(self, agreement_id: str, dataset_id: str) -> set[str]:
        """Schema hashes of this agreement's test packages of ``dataset_id`` that came back
        receipted: what a live package's schema is checked against."""
        query = select(PackageReceiptRow.schema_sha256).where(
            PackageReceiptRow.agreement_id == agreement_id,
            PackageReceiptRow.dataset_id == dataset_id,
            PackageReceiptRow.test.is_(True),
        )
        with self._read() as conn:
            return set(conn.execute(query).scalars())
