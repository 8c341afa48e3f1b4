"""Disclosure control's part of the store: record keys, batch validation, the airlock.

Every change takes its audit event and writes it in the same transaction (the store
contract). The privacy budget of batch validation is a total per dataset lineage,
declared with the first check on the dataset and never renewed, allocated to an
agreement when its first batch is answered. Recording a batch re-checks the
agreement's allocation (allocating it, if this is its first) under row locks in that
transaction, so two batches racing cannot both spend the last of it: the loser's
answer is never released. (``disclosure_batch_budgets``, the old per check and
organisation budget of 0002_disclosure, is no longer read or written.)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from accord.core.audit import AuditEvent
from accord.disclosure.airlock import Decision, FileStatus, OutputFile, OutputRequest, Review
from accord.disclosure.batch import (
    DEFAULT_LINEAGE_EPSILON,
    BatchAnswer,
    BatchCheck,
    BatchOutcome,
    BatchPolicy,
    BatchRecord,
    BudgetState,
)
from accord.disclosure.cellkey import RecordKeysRef
from accord.disclosure.releases import (
    TableRelease,
    cells_from_json,
    cells_to_json,
    protection_conflict,
)
from accord.errors import ConflictError, not_found
from accord.store.base import StoreBase
from accord.store.disclosure_models import (
    AgreementBudgetRow,
    BatchCheckRow,
    BatchMemberRow,
    BatchRow,
    LineageBudgetRow,
    OutputCheckerRow,
    OutputFileRow,
    OutputRequestRow,
    OutputReviewRow,
    RecordKeysRow,
    TableReleaseRow,
)

__all__ = ["DISCLOSURE_READ_METHODS", "DisclosureStore"]

DISCLOSURE_READ_METHODS = frozenset(
    {
        "get_record_keys",
        "list_table_releases",
        "get_batch_check",
        "list_batch_checks",
        "batch_budget",
        "batch_members_seen",
        "list_batches",
        "is_output_checker",
        "list_output_checkers",
        "get_output_request",
        "list_output_requests",
    }
)
"""Public methods of :class:`DisclosureStore` that change nothing (merge into READ_METHODS)."""

_CHUNK = 500


class DisclosureStore(StoreBase):
    # -- record keys ----------------------------------------------------------------

    def get_record_keys(self, dataset_id: str, version: int) -> RecordKeysRef | None:
        query = select(RecordKeysRow).where(
            RecordKeysRow.dataset_id == dataset_id, RecordKeysRow.version == version
        )
        with self._read() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return RecordKeysRef(
            row.dataset_id, row.version, row.rows, row.path, row.sha256, row.created_at
        )

    def add_record_keys(self, ref: RecordKeysRef, *, audit: AuditEvent) -> RecordKeysRef:
        """Once per dataset version: a second draw is a conflict, never a replacement."""
        self._write(
            audit,
            lambda conn: conn.execute(
                insert(RecordKeysRow).values(
                    dataset_id=ref.dataset_id,
                    version=ref.version,
                    rows=ref.rows,
                    path=ref.path,
                    sha256=ref.sha256,
                    created_at=ref.created_at,
                )
            ),
        )
        return ref

    # -- table releases ---------------------------------------------------------------

    def list_table_releases(self, source_dataset_id: str) -> list[TableRelease]:
        """Every table released from a lineage, oldest first."""
        query = (
            select(TableReleaseRow)
            .where(TableReleaseRow.source_dataset_id == source_dataset_id)
            .order_by(TableReleaseRow.created_at, TableReleaseRow.id)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        releases = []
        for row in rows:
            shape = json.loads(row.shape)
            releases.append(
                TableRelease(
                    id=row.id,
                    source_dataset_id=row.source_dataset_id,
                    source_version=row.source_version,
                    recipient=row.recipient,
                    product=row.product,
                    protection=row.protection,
                    rows=tuple(shape["rows"]),
                    columns=tuple(shape["columns"]),
                    value=shape["value"],
                    cells=cells_from_json(row.cells),
                    created_at=row.created_at,
                )
            )
        return releases

    def add_table_release(self, release: TableRelease, *, audit: AuditEvent) -> TableRelease:
        """Record a release; the lineage's method is re-checked in the same transaction,
        so two releases racing with different methods cannot both be recorded."""

        def change(conn: Connection) -> None:
            earlier = conn.execute(
                select(TableReleaseRow.protection, TableReleaseRow.product)
                .where(TableReleaseRow.source_dataset_id == release.source_dataset_id)
                .limit(1)
            ).first()
            if earlier is not None and earlier.protection != release.protection:
                reason = protection_conflict([_stub(release, earlier)], release.protection)
                raise ConflictError(reason or "the lineage's protection method changed")
            conn.execute(
                insert(TableReleaseRow).values(
                    id=release.id,
                    source_dataset_id=release.source_dataset_id,
                    source_version=release.source_version,
                    recipient=release.recipient,
                    product=release.product,
                    protection=release.protection,
                    shape=json.dumps(
                        {
                            "rows": list(release.rows),
                            "columns": list(release.columns),
                            "value": release.value,
                        }
                    ),
                    cells=cells_to_json(release.cells),
                    created_at=release.created_at,
                )
            )

        self._write(audit, change)
        return release

    # -- batch validation -------------------------------------------------------------

    @staticmethod
    def _check(row: Any) -> BatchCheck:
        return BatchCheck(
            id=row.id,
            organisation_id=row.organisation_id,
            dataset_id=row.dataset_id,
            key_field=row.key_field,
            criterion=dict(row.criterion),
            policy=BatchPolicy.from_dict(dict(row.policy)),
            requesters=tuple(row.requesters),
            created_at=row.created_at,
            description=row.description,
        )

    def get_batch_check(self, check_id: str) -> BatchCheck:
        with self._read() as conn:
            row = conn.execute(select(BatchCheckRow).where(BatchCheckRow.id == check_id)).first()
        if row is None:
            raise not_found("batch validation check", check_id)
        return self._check(row)

    def list_batch_checks(self, organisation_id: str | None = None) -> list[BatchCheck]:
        query = select(BatchCheckRow).order_by(BatchCheckRow.id)
        if organisation_id is not None:
            query = query.where(BatchCheckRow.organisation_id == organisation_id)
        with self._read() as conn:
            return [self._check(r) for r in conn.execute(query)]

    def add_batch_check(
        self, check: BatchCheck, *, lineage_epsilon: float | None = None, audit: AuditEvent
    ) -> BatchCheck:
        """Store a check, declaring its dataset's lineage budget if this is the first.

        ``lineage_epsilon`` None takes the lineage's declared total (or the default for
        a first check); a different total from the one declared is a conflict: the
        total is declared once and never renewed, or budgets would multiply again.
        """

        def change(conn: Connection) -> None:
            if conn.execute(select(BatchCheckRow.id).where(BatchCheckRow.id == check.id)).first():
                raise ConflictError(f"batch validation check {check.id!r} exists already")
            lineage = conn.execute(
                select(LineageBudgetRow)
                .where(LineageBudgetRow.dataset_id == check.dataset_id)
                .with_for_update()
            ).first()
            if lineage is None:
                conn.execute(
                    insert(LineageBudgetRow).values(
                        dataset_id=check.dataset_id,
                        total=DEFAULT_LINEAGE_EPSILON
                        if lineage_epsilon is None
                        else lineage_epsilon,
                        allocated=0.0,
                        declared_by=audit.actor,
                        created_at=check.created_at,
                    )
                )
            elif lineage_epsilon is not None and abs(lineage.total - lineage_epsilon) > 1e-12:
                raise ConflictError(
                    f"lineage_epsilon: {check.dataset_id} has a total of {lineage.total:g} "
                    "declared already; it is declared once and never renewed"
                )
            conn.execute(
                insert(BatchCheckRow).values(
                    id=check.id,
                    organisation_id=check.organisation_id,
                    dataset_id=check.dataset_id,
                    key_field=check.key_field,
                    criterion=check.criterion,
                    policy=check.policy.as_dict(),
                    requesters=list(check.requesters),
                    description=check.description,
                    created_at=check.created_at,
                )
            )

        self._write(audit, change)
        return check

    def batch_budget(self, dataset_id: str, agreement_id: str) -> BudgetState:
        """The lineage's total and what ``agreement_id`` holds and spent of it."""
        with self._read() as conn:
            lineage = conn.execute(
                select(LineageBudgetRow).where(LineageBudgetRow.dataset_id == dataset_id)
            ).first()
            mine = conn.execute(
                select(AgreementBudgetRow).where(
                    AgreementBudgetRow.dataset_id == dataset_id,
                    AgreementBudgetRow.agreement_id == agreement_id,
                )
            ).first()
        return BudgetState(
            dataset_id,
            lineage.total if lineage else DEFAULT_LINEAGE_EPSILON,
            lineage.allocated if lineage else 0.0,
            mine.allocated if mine else None,
            mine.spent if mine else 0.0,
        )

    def batch_members_seen(
        self, check_id: str, organisation_id: str, members: Sequence[str]
    ) -> int:
        """How many of ``members`` (keyed hashes) were in this requester's earlier batches."""
        seen: set[str] = set()
        with self._read() as conn:
            for start in range(0, len(members), _CHUNK):
                chunk = list(members[start : start + _CHUNK])
                query = select(BatchMemberRow.member).where(
                    BatchMemberRow.check_id == check_id,
                    BatchMemberRow.organisation_id == organisation_id,
                    BatchMemberRow.member.in_(chunk),
                )
                seen.update(conn.execute(query).scalars())
        return len(seen)

    def record_batch(
        self,
        batch: BatchRecord,
        members: Sequence[str],
        *,
        dataset_id: str,
        agreement_id: str,
        allocation: float,
        audit: AuditEvent,
    ) -> BatchRecord:
        """Store a batch, its members' hashes and its cost against the agreement's allocation.

        The first batch answered under an agreement allocates it ``allocation`` of the
        lineage's total, or what is left of it; the cost is re-checked here under locks.
        """
        answer = batch.answer

        def change(conn: Connection) -> None:
            if answer.epsilon:
                self._charge(conn, dataset_id, agreement_id, allocation, answer.epsilon)
            conn.execute(
                insert(BatchRow).values(
                    id=batch.id,
                    check_id=batch.check_id,
                    organisation_id=batch.organisation_id,
                    actor=batch.actor,
                    records=answer.records,
                    outcome=answer.outcome.value,
                    proportion=answer.proportion,
                    band_low=answer.band[0] if answer.band else None,
                    band_high=answer.band[1] if answer.band else None,
                    epsilon=answer.epsilon,
                    reason=answer.reason,
                    created_at=batch.created_at,
                )
            )
            if answer.epsilon and members:
                conn.execute(
                    insert(BatchMemberRow),
                    [
                        {
                            "batch_id": batch.id,
                            "check_id": batch.check_id,
                            "organisation_id": batch.organisation_id,
                            "member": m,
                        }
                        for m in members
                    ],
                )

        self._write(audit, change)
        return batch

    def _charge(
        self, conn: Connection, dataset_id: str, agreement_id: str, allocation: float, cost: float
    ) -> None:
        lineage = conn.execute(
            select(LineageBudgetRow)
            .where(LineageBudgetRow.dataset_id == dataset_id)
            .with_for_update()
        ).first()
        if lineage is None:
            conn.execute(
                insert(LineageBudgetRow).values(
                    dataset_id=dataset_id,
                    total=DEFAULT_LINEAGE_EPSILON,
                    allocated=0.0,
                    declared_by="default",
                    created_at=self.clock(),
                )
            )
            total, allocated = DEFAULT_LINEAGE_EPSILON, 0.0
        else:
            total, allocated = lineage.total, lineage.allocated
        key = (AgreementBudgetRow.dataset_id == dataset_id) & (
            AgreementBudgetRow.agreement_id == agreement_id
        )
        mine = conn.execute(select(AgreementBudgetRow).where(key).with_for_update()).first()
        if mine is None:
            grant = max(0.0, min(allocation, total - allocated))
            if cost > grant + 1e-12:
                raise ConflictError(
                    "the privacy budget of this data was allocated by a concurrent batch; "
                    "nothing was released"
                )
            conn.execute(
                update(LineageBudgetRow)
                .where(LineageBudgetRow.dataset_id == dataset_id)
                .values(allocated=allocated + grant)
            )
            conn.execute(
                insert(AgreementBudgetRow).values(
                    dataset_id=dataset_id,
                    agreement_id=agreement_id,
                    allocated=grant,
                    spent=cost,
                    created_at=self.clock(),
                )
            )
            return
        if mine.spent + cost > mine.allocated + 1e-12:
            raise ConflictError(
                "the privacy budget was spent by a concurrent batch; nothing was released"
            )
        conn.execute(update(AgreementBudgetRow).where(key).values(spent=mine.spent + cost))

    def list_batches(self, check_id: str, organisation_id: str | None = None) -> list[BatchRecord]:
        query = (
            select(BatchRow)
            .where(BatchRow.check_id == check_id)
            .order_by(BatchRow.created_at, BatchRow.id)
        )
        if organisation_id is not None:
            query = query.where(BatchRow.organisation_id == organisation_id)
        with self._read() as conn:
            rows = list(conn.execute(query))
        return [
            BatchRecord(
                id=r.id,
                check_id=r.check_id,
                organisation_id=r.organisation_id,
                actor=r.actor,
                answer=BatchAnswer(
                    BatchOutcome(r.outcome),
                    r.records,
                    r.reason,
                    r.epsilon,
                    r.proportion,
                    (r.band_low, r.band_high) if r.band_low is not None else None,
                ),
                created_at=r.created_at,
            )
            for r in rows
        ]

    # -- airlock --------------------------------------------------------------------

    def is_output_checker(self, principal_id: str, organisation_id: str) -> bool:
        query = select(func.count()).where(
            OutputCheckerRow.principal_id == principal_id,
            OutputCheckerRow.organisation_id == organisation_id,
        )
        with self._read() as conn:
            return bool(conn.execute(query).scalar())

    def list_output_checkers(self, organisation_id: str) -> list[str]:
        query = (
            select(OutputCheckerRow.principal_id)
            .where(OutputCheckerRow.organisation_id == organisation_id)
            .order_by(OutputCheckerRow.principal_id)
        )
        with self._read() as conn:
            return list(conn.execute(query).scalars())

    def add_output_checker(
        self, principal_id: str, organisation_id: str, *, audit: AuditEvent
    ) -> None:
        self._write(
            audit,
            lambda conn: conn.execute(
                insert(OutputCheckerRow).values(
                    principal_id=principal_id,
                    organisation_id=organisation_id,
                    created_at=self.clock(),
                )
            ),
        )

    def get_output_request(self, request_id: str) -> OutputRequest:
        with self._read() as conn:
            row = conn.execute(
                select(OutputRequestRow).where(OutputRequestRow.id == request_id)
            ).first()
            if row is None:
                raise not_found("output request", request_id)
            files = conn.execute(
                select(OutputFileRow)
                .where(OutputFileRow.request_id == request_id)
                .order_by(OutputFileRow.id)
            )
            reviews = conn.execute(
                select(OutputReviewRow)
                .where(OutputReviewRow.request_id == request_id)
                .order_by(OutputReviewRow.id)
            )
            return OutputRequest(
                id=row.id,
                organisation_id=row.organisation_id,
                author=row.author,
                title=row.title,
                created_at=row.created_at,
                files=tuple(
                    OutputFile(
                        f.name, f.sha256, f.path, f.query, dict(f.checks), FileStatus(f.status)
                    )
                    for f in files
                ),
                reviews=tuple(
                    Review(r.file_name, r.reviewer, Decision(r.decision), r.comment, r.created_at)
                    for r in reviews
                ),
            )

    def list_output_requests(self, organisation_id: str | None = None) -> list[OutputRequest]:
        query = select(OutputRequestRow.id).order_by(
            OutputRequestRow.created_at, OutputRequestRow.id
        )
        if organisation_id is not None:
            query = query.where(OutputRequestRow.organisation_id == organisation_id)
        with self._read() as conn:
            ids = list(conn.execute(query).scalars())
        return [self.get_output_request(i) for i in ids]

    def add_output_request(self, request: OutputRequest, *, audit: AuditEvent) -> OutputRequest:
        def change(conn: Connection) -> None:
            conn.execute(
                insert(OutputRequestRow).values(
                    id=request.id,
                    organisation_id=request.organisation_id,
                    author=request.author,
                    title=request.title,
                    created_at=request.created_at,
                )
            )
            conn.execute(
                insert(OutputFileRow),
                [
                    {
                        "request_id": request.id,
                        "name": f.name,
                        "sha256": f.sha256,
                        "path": f.path,
                        "query": f.query,
                        "checks": f.checks,
                        "status": f.status.value,
                    }
                    for f in request.files
                ],
            )

        self._write(audit, change)
        return self.get_output_request(request.id)

    def add_output_review(
        self, request_id: str, review: Review, status: FileStatus, *, audit: AuditEvent
    ) -> OutputRequest:
        """A checker's review and the file status it leads to, together."""

        def change(conn: Connection) -> None:
            conn.execute(
                insert(OutputReviewRow).values(
                    request_id=request_id,
                    file_name=review.file_name,
                    reviewer=review.reviewer,
                    decision=review.decision.value,
                    comment=review.comment,
                    created_at=review.at,
                )
            )
            done = conn.execute(
                update(OutputFileRow)
                .where(
                    OutputFileRow.request_id == request_id,
                    OutputFileRow.name == review.file_name,
                    OutputFileRow.status == FileStatus.PENDING.value,
                )
                .values(status=status.value)
            )
            if done.rowcount != 1:
                raise ConflictError(f"{review.file_name} has been decided already")

        self._write(audit, change)
        return self.get_output_request(request_id)


def _stub(release: TableRelease, earlier: Any) -> TableRelease:
    """The earlier release as far as the method check needs it (its method and product)."""
    return dataclasses.replace(
        release, protection=earlier.protection, product=earlier.product, cells={}
    )
