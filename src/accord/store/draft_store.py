"""Request drafts of the web service, behind a narrow repository on the main store's engine.

Every change to a draft (started, answers saved, DPIA document attached, closed on
submission) is written with its audit event in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from accord.core.audit import AuditEvent
from accord.errors import NotFoundError
from accord.store.base import Repository
from accord.store.draft_models import DraftRow

__all__ = ["DRAFT_READ_METHODS", "DpiaDocument", "Draft", "DraftStore"]

DRAFT_READ_METHODS = frozenset({"get_draft", "list_drafts", "drafts_for_request"})
"""Public methods that change nothing."""


@dataclass(frozen=True, slots=True)
class DpiaDocument:
    """An uploaded DPIA, kept under the home by its SHA-256."""

    sha256: str
    filename: str
    size: int


@dataclass(frozen=True, slots=True)
class Draft:
    id: str
    principal_id: str
    organisation_id: str
    answers: dict[str, Any] = field(hash=False)
    created_at: datetime
    updated_at: datetime
    request_id: str | None = None
    dpia: DpiaDocument | None = None
    closed_at: datetime | None = None


def _draft(r: Any) -> Draft:
    dpia = (
        DpiaDocument(r.dpia_sha256, r.dpia_filename or "", int(r.dpia_bytes or 0))
        if r.dpia_sha256
        else None
    )
    return Draft(
        id=r.id,
        principal_id=r.principal_id,
        organisation_id=r.organisation_id,
        answers=json.loads(r.answers),
        created_at=r.created_at,
        updated_at=r.updated_at,
        request_id=r.request_id,
        dpia=dpia,
        closed_at=r.closed_at,
    )


def _columns(draft: Draft) -> dict[str, Any]:
    return {
        "principal_id": draft.principal_id,
        "organisation_id": draft.organisation_id,
        "answers": json.dumps(draft.answers, sort_keys=True),
        "request_id": draft.request_id,
        "dpia_sha256": draft.dpia.sha256 if draft.dpia else None,
        "dpia_filename": draft.dpia.filename if draft.dpia else None,
        "dpia_bytes": draft.dpia.size if draft.dpia else None,
        "created_at": draft.created_at,
        "updated_at": draft.updated_at,
        "closed_at": draft.closed_at,
    }


class DraftStore(Repository):
    def add_draft(self, draft: Draft, *, audit: AuditEvent) -> Draft:
        def change(conn: Connection) -> None:
            conn.execute(insert(DraftRow).values(id=draft.id, **_columns(draft)))

        self._write(audit, change)
        return draft

    def update_draft(self, draft: Draft, *, audit: AuditEvent) -> Draft:
        """Write the draft as it now is: answers, request, DPIA document, closed."""

        def change(conn: Connection) -> None:
            done = conn.execute(
                update(DraftRow).where(DraftRow.id == draft.id).values(**_columns(draft))
            ).rowcount
            if not done:
                raise NotFoundError(f"no draft {draft.id!r}")

        self._write(audit, change)
        return draft

    def get_draft(self, draft_id: str) -> Draft | None:
        with self._read() as conn:
            r = conn.execute(select(DraftRow.__table__).where(DraftRow.id == draft_id)).first()
        return None if r is None else _draft(r)

    def list_drafts(self, principal_id: str, *, open_only: bool = True) -> list[Draft]:
        query = select(DraftRow.__table__).where(DraftRow.principal_id == principal_id)
        if open_only:
            query = query.where(DraftRow.closed_at.is_(None))
        with self._read() as conn:
            rows = conn.execute(query.order_by(DraftRow.updated_at.desc())).all()
        return [_draft(r) for r in rows]

    def drafts_for_request(self, request_id: str) -> list[Draft]:
        """Every draft written for a request, newest first (open or closed)."""
        with self._read() as conn:
            rows = conn.execute(
                select(DraftRow.__table__)
                .where(DraftRow.request_id == request_id)
                .order_by(DraftRow.updated_at.desc())
            ).all()
        return [_draft(r) for r in rows]
