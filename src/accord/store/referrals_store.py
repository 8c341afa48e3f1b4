"""The approved sub-contractors repository: each change written with its audit event.

Approvals are never deleted: a withdrawal stamps who withdrew it, when and why, so the
list keeps its history for the department's assurance and for the audit of past
releases.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update

from accord.core.audit import AuditEvent
from accord.core.governance.subcontractors import SubcontractorApproval
from accord.core.lifecycle.notices import Notice
from accord.errors import ConflictError
from accord.store.base import Repository
from accord.store.outbox_store import queue_notices
from accord.store.referrals_models import SubcontractorApprovalRow

__all__ = ["REFERRALS_READ_METHODS", "ReferralsStore"]

REFERRALS_READ_METHODS = frozenset({"approvals", "get_approval"})
"""Public methods that change nothing."""


class ReferralsStore(Repository):
    def add_approval(self, approval: SubcontractorApproval, *, audit: AuditEvent) -> None:
        def change(conn: Any) -> None:
            conn.execute(
                insert(SubcontractorApprovalRow).values(
                    id=approval.id,
                    owner=approval.owner,
                    subcontractor=approval.subcontractor,
                    prime=approval.prime,
                    approved_from=approval.approved_from,
                    approved_to=approval.approved_to,
                    due_diligence=approval.due_diligence,
                    no_offshore=approval.no_offshore,
                    approved_by=approval.approved_by,
                    approved_at=approval.approved_at,
                    withdrawn_at=None,
                    withdrawn_by="",
                    withdrawal_reason="",
                )
            )

        self._write(audit, change)

    def withdraw_approval(
        self,
        approval_id: str,
        by: str,
        at: datetime,
        reason: str,
        *,
        audit: AuditEvent,
        notices: Sequence[Notice] = (),
    ) -> None:
        """Stamp the withdrawal, and queue ``notices`` with it; a second withdrawal of the
        same approval conflicts."""

        def change(conn: Any) -> None:
            done = conn.execute(
                update(SubcontractorApprovalRow)
                .where(
                    SubcontractorApprovalRow.id == approval_id,
                    SubcontractorApprovalRow.withdrawn_at.is_(None),
                )
                .values(withdrawn_at=at, withdrawn_by=by, withdrawal_reason=reason)
            )
            if done.rowcount != 1:
                raise ConflictError(f"approval {approval_id} is already withdrawn")
            queue_notices(conn, notices, at)

        self._write(audit, change)

    def approvals(
        self, *, owners: tuple[str, ...] | None = None, subcontractor: str | None = None
    ) -> list[SubcontractorApproval]:
        query = select(SubcontractorApprovalRow.__table__).order_by(
            SubcontractorApprovalRow.approved_at, SubcontractorApprovalRow.id
        )
        if owners is not None:
            query = query.where(SubcontractorApprovalRow.owner.in_(owners))
        if subcontractor is not None:
            query = query.where(SubcontractorApprovalRow.subcontractor == subcontractor)
        with self._read() as conn:
            return [_approval(r) for r in conn.execute(query).all()]

    def get_approval(self, approval_id: str) -> SubcontractorApproval | None:
        with self._read() as conn:
            row = conn.execute(
                select(SubcontractorApprovalRow.__table__).where(
                    SubcontractorApprovalRow.id == approval_id
                )
            ).first()
        return None if row is None else _approval(row)


def _approval(r: Row[Any]) -> SubcontractorApproval:
    return SubcontractorApproval(
        id=r.id,
        owner=r.owner,
        subcontractor=r.subcontractor,
        prime=r.prime,
        approved_from=r.approved_from,
        approved_to=r.approved_to,
        due_diligence=r.due_diligence,
        approved_by=r.approved_by,
        approved_at=r.approved_at,
        no_offshore=bool(r.no_offshore),
        withdrawn_at=r.withdrawn_at,
        withdrawn_by=r.withdrawn_by,
        withdrawal_reason=r.withdrawal_reason,
    )
