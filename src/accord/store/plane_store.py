"""Opt-out registers (identifiers that no non-statistical share may ever include) and
the live deliveries an agreement's frequency is counted against."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select

from accord.core.audit import AuditEvent
from accord.core.plan.release import Delivery
from accord.store.base import StoreBase
from accord.store.plane_models import LiveDeliveryRow, OptOutRow

__all__ = ["PLANE_READ_METHODS", "PlaneStore"]

PLANE_READ_METHODS = frozenset({"list_opt_outs", "list_deliveries", "opt_out_summary"})


class PlaneStore(StoreBase):
    def add_opt_outs(
        self,
        organisation_id: str,
        identifier_type: str,
        identifiers: Sequence[str],
        at: datetime,
        *,
        audit: AuditEvent,
    ) -> int:
        """Add normalised identifiers; ones already registered are left as they are."""

        def change(conn: Connection) -> int:
            present = set(
                conn.execute(
                    select(OptOutRow.identifier).where(
                        OptOutRow.organisation_id == organisation_id,
                        OptOutRow.identifier_type == identifier_type,
                    )
                ).scalars()
            )
            new = sorted(set(identifiers) - present)
            if new:
                conn.execute(
                    insert(OptOutRow),
                    [
                        {
                            "organisation_id": organisation_id,
                            "identifier_type": identifier_type,
                            "identifier": value,
                            "created_at": at,
                        }
                        for value in new
                    ],
                )
            return len(new)

        return self._write(audit, change)

    def remove_opt_outs(
        self,
        organisation_id: str,
        identifier_type: str,
        identifiers: Sequence[str],
        *,
        audit: AuditEvent,
    ) -> int:
        def change(conn: Connection) -> int:
            done = conn.execute(
                delete(OptOutRow).where(
                    OptOutRow.organisation_id == organisation_id,
                    OptOutRow.identifier_type == identifier_type,
                    OptOutRow.identifier.in_(list(identifiers)),
                )
            )
            return int(done.rowcount)

        return self._write(audit, change)

    def list_opt_outs(self, organisation_id: str, identifier_type: str) -> list[str]:
        query = select(OptOutRow.identifier).where(
            OptOutRow.organisation_id == organisation_id,
            OptOutRow.identifier_type == identifier_type,
        )
        with self._read() as conn:
            return list(conn.execute(query.order_by(OptOutRow.identifier)).scalars())

    def opt_out_summary(self, organisation_id: str) -> list[tuple[str, int, datetime]]:
        """How many entries of each identifier type, and when one was last added: counts,
        never the identifiers, for the register's keepers to watch it."""
        query = (
            select(OptOutRow.identifier_type, func.count(), func.max(OptOutRow.created_at))
            .where(OptOutRow.organisation_id == organisation_id)
            .group_by(OptOutRow.identifier_type)
            .order_by(OptOutRow.identifier_type)
        )
        with self._read() as conn:
            return [(kind, int(count), last) for kind, count, last in conn.execute(query)]

    def record_delivery(
        self, agreement_id: str, agreement_version: int, delivery: Delivery, *, audit: AuditEvent
    ) -> None:
        """Count a live delivery, with its release event, in one transaction."""

        def change(conn: Connection) -> None:
            conn.execute(
                insert(LiveDeliveryRow).values(
                    agreement_id=agreement_id,
                    agreement_version=agreement_version,
                    dataset_id=delivery.dataset_id,
                    kind=delivery.kind,
                    reference=delivery.reference,
                    delivered_at=delivery.at,
                )
            )

        self._write(audit, change)

    def list_deliveries(self, agreement_id: str, agreement_version: int) -> list[Delivery]:
        query = (
            select(LiveDeliveryRow)
            .where(
                LiveDeliveryRow.agreement_id == agreement_id,
                LiveDeliveryRow.agreement_version == agreement_version,
            )
            .order_by(LiveDeliveryRow.delivered_at)
        )
        with self._read() as conn:
            return [
                Delivery(r.dataset_id, r.delivered_at, r.kind, r.reference)
                for r in conn.execute(query)
            ]
