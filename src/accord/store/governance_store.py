"""Requests, reviews, overrides and agreement versions.

State changes are compare-and-set on the state the service decided from, so two
reviewers acting at once cannot both move a request on from the same state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from accord.core.audit import AuditEvent
from accord.core.governance.agreement import AgreementPolicy
from accord.core.governance.records import AgreementRecord, Override, RequestRecord, Review
from accord.core.governance.request import SharingRequest
from accord.core.governance.workflow import AgreementState, RequestState
from accord.errors import ConflictError, NotFoundError, not_found
from accord.store.base import StoreBase
from accord.store.governance_models import AgreementRow, OverrideRow, RequestRow, ReviewRow

__all__ = ["GOVERNANCE_READ_METHODS", "GovernanceStore"]

GOVERNANCE_READ_METHODS = frozenset(
    {
        "get_request",
        "list_requests",
        "list_reviews",
        "list_overrides",
        "get_agreement",
        "list_agreements",
        "agreement_versions",
    }
)


def _request(row: Row[Any]) -> RequestRecord:
    return RequestRecord(
        id=row.id,
        revision=row.revision,
        state=RequestState(row.state),
        document=SharingRequest.model_validate_json(row.document),
        requester=row.requester,
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
        tier=row.tier,
    )


def _agreement(row: Row[Any]) -> AgreementRecord:
    return AgreementRecord(
        id=row.id,
        version=row.version,
        state=AgreementState(row.state),
        policy=AgreementPolicy.model_validate_json(row.policy),
        request_id=row.request_id,
        decision_record=row.decision_record,
        signature=row.signature,
        key_fingerprint=row.key_fingerprint,
        signed_by=row.signed_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class GovernanceStore(StoreBase):
    # -- requests ------------------------------------------------------------------

    def add_request(self, record: RequestRecord, *, audit: AuditEvent) -> RequestRecord:
        def change(conn: Connection) -> None:
            conn.execute(
                insert(RequestRow).values(
                    id=record.id,
                    revision=record.revision,
                    state=record.state.value,
                    title=record.document.title,
                    requesting_organisation=record.document.requesting_organisation,
                    requester=record.requester,
                    document=record.document.model_dump_json(),
                    tier=record.tier,
                    created_at=record.created_at,
                    updated_at=record.updated_at,
                )
            )

        self._write(audit, change)
        return record

    def _load_request(self, conn: Connection, request_id: str) -> RequestRecord:
        row = conn.execute(select(RequestRow).where(RequestRow.id == request_id)).first()
        if row is None:
            raise not_found("request", request_id)
        return _request(row)

    def get_request(self, request_id: str) -> RequestRecord:
        with self._read() as conn:
            return self._load_request(conn, request_id)

    def list_requests(
        self, *, state: RequestState | None = None, organisation: str | None = None
    ) -> list[RequestRecord]:
        query = select(RequestRow).order_by(RequestRow.created_at, RequestRow.id)
        if state is not None:
            query = query.where(RequestRow.state == state.value)
        if organisation is not None:
            query = query.where(RequestRow.requesting_organisation == organisation)
        with self._read() as conn:
            return [_request(row) for row in conn.execute(query)]

    def _move_request(
        self, conn: Connection, current: RequestRecord, values: dict[str, Any]
    ) -> None:
        done = conn.execute(
            update(RequestRow)
            .where(
                RequestRow.id == current.id,
                RequestRow.state == current.state.value,
                RequestRow.revision == current.revision,
            )
            .values(**values)
        )
        if done.rowcount != 1:
            raise ConflictError(
                f"request {current.id} changed while this action was being decided; look again"
            )

    def update_request(
        self,
        current: RequestRecord,
        *,
        state: RequestState | None = None,
        document: SharingRequest | None = None,
        revision: int | None = None,
        tier: int | None = None,
        submitted_at: datetime | None = None,
        decided_at: datetime | None = None,
        review: Review | None = None,
        audit: AuditEvent | Sequence[AuditEvent],
    ) -> RequestRecord:
        """Move a request on from ``current`` (compare-and-set), with its review if any."""
        values: dict[str, Any] = {"updated_at": self.clock()}
        if state is not None:
            values["state"] = state.value
        if document is not None:
            values["document"] = document.model_dump_json()
            values["title"] = document.title
        for name, value in (
            ("revision", revision),
            ("tier", tier),
            ("submitted_at", submitted_at),
            ("decided_at", decided_at),
        ):
            if value is not None:
                values[name] = value

        def change(conn: Connection) -> RequestRecord:
            self._move_request(conn, current, values)
            if review is not None:
                self._insert_review(conn, review)
            return self._load_request(conn, current.id)

        return self._write(audit, change)

    @staticmethod
    def _insert_review(conn: Connection, review: Review) -> None:
        conn.execute(
            insert(ReviewRow).values(
                request_id=review.request_id,
                revision=review.revision,
                action=review.action,
                principal_id=review.principal_id,
                organisation_id=review.organisation_id,
                role=review.role,
                note=review.note,
                at=review.at,
            )
        )

    def list_reviews(self, request_id: str, revision: int | None = None) -> list[Review]:
        query = select(ReviewRow).where(ReviewRow.request_id == request_id).order_by(ReviewRow.id)
        if revision is not None:
            query = query.where(ReviewRow.revision == revision)
        with self._read() as conn:
            return [
                Review(
                    r.request_id,
                    r.revision,
                    r.action,
                    r.principal_id,
                    r.organisation_id,
                    r.role,
                    r.note,
                    r.at,
                )
                for r in conn.execute(query)
            ]

    def add_override(self, override: Override, *, audit: AuditEvent) -> Override:
        def change(conn: Connection) -> None:
            conn.execute(
                insert(OverrideRow).values(
                    request_id=override.request_id,
                    revision=override.revision,
                    finding=override.finding,
                    principal_id=override.principal_id,
                    reason=override.reason,
                    at=override.at,
                )
            )

        self._write(audit, change)
        return override

    def list_overrides(self, request_id: str, revision: int) -> list[Override]:
        query = select(OverrideRow).where(
            OverrideRow.request_id == request_id, OverrideRow.revision == revision
        )
        with self._read() as conn:
            return [
                Override(
                    r.request_id,
                    r.revision,
                    r.finding,
                    r.principal_id,
                    r.reason,
                    r.at,
                )
                for r in conn.execute(query.order_by(OverrideRow.id))
            ]

    # -- agreements ----------------------------------------------------------------

    def approve_request(
        self,
        current: RequestRecord,
        review: Review,
        agreement: AgreementRecord,
        *,
        supersedes: AgreementRecord | None,
        audit: Sequence[AuditEvent],
    ) -> AgreementRecord:
        """The final approval: request approved, agreement version active, the old one
        superseded, all in one transaction with their audit events."""

        def change(conn: Connection) -> None:
            now = self.clock()
            self._move_request(
                conn,
                current,
                {"state": RequestState.APPROVED.value, "decided_at": now, "updated_at": now},
            )
            self._insert_review(conn, review)
            if supersedes is not None:
                self._move_agreement(conn, supersedes, AgreementState.SUPERSEDED)
            conn.execute(
                insert(AgreementRow).values(
                    id=agreement.id,
                    version=agreement.version,
                    state=agreement.state.value,
                    request_id=agreement.request_id,
                    recipient=agreement.policy.recipient,
                    policy=agreement.policy.model_dump_json(),
                    policy_sha256=agreement.policy.sha256(),
                    decision_record=agreement.decision_record,
                    signature=agreement.signature,
                    key_fingerprint=agreement.key_fingerprint,
                    signed_by=agreement.signed_by,
                    created_at=agreement.created_at,
                    updated_at=agreement.updated_at,
                )
            )

        self._write(audit, change)
        return agreement

    def _move_agreement(
        self, conn: Connection, current: AgreementRecord, state: AgreementState
    ) -> None:
        done = conn.execute(
            update(AgreementRow)
            .where(
                AgreementRow.id == current.id,
                AgreementRow.version == current.version,
                AgreementRow.state == current.state.value,
            )
            .values(state=state.value, updated_at=self.clock())
        )
        if done.rowcount != 1:
            raise ConflictError(f"agreement {current.id} v{current.version} changed meanwhile")

    def set_agreement_state(
        self, current: AgreementRecord, state: AgreementState, *, audit: AuditEvent
    ) -> AgreementRecord:
        def change(conn: Connection) -> AgreementRecord:
            self._move_agreement(conn, current, state)
            return self._load_agreement(conn, current.id, current.version)

        return self._write(audit, change)

    def _load_agreement(
        self, conn: Connection, agreement_id: str, version: int | None
    ) -> AgreementRecord:
        query = select(AgreementRow).where(AgreementRow.id == agreement_id)
        if version is not None:
            query = query.where(AgreementRow.version == version)
        row = conn.execute(query.order_by(AgreementRow.version.desc())).first()
        if row is None:
            if version is None:
                raise not_found("agreement", agreement_id)
            raise NotFoundError(f"no agreement {agreement_id!r} version {version}")
        return _agreement(row)

    def get_agreement(self, agreement_id: str, version: int | None = None) -> AgreementRecord:
        """A version, or the latest one."""
        with self._read() as conn:
            return self._load_agreement(conn, agreement_id, version)

    def agreement_versions(self, agreement_id: str) -> list[AgreementRecord]:
        query = (
            select(AgreementRow)
            .where(AgreementRow.id == agreement_id)
            .order_by(AgreementRow.version)
        )
        with self._read() as conn:
            return [_agreement(row) for row in conn.execute(query)]

    def list_agreements(
        self, *, recipient: str | None = None, state: AgreementState | None = None
    ) -> list[AgreementRecord]:
        query = select(AgreementRow).order_by(AgreementRow.created_at, AgreementRow.id)
        if recipient is not None:
            query = query.where(AgreementRow.recipient == recipient)
        if state is not None:
            query = query.where(AgreementRow.state == state.value)
        with self._read() as conn:
            return [_agreement(row) for row in conn.execute(query)]
