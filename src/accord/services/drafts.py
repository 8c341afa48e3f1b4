"""Request drafts written in the web service's question pages, and their DPIA documents.

A draft holds the answers so far, whatever their state, so that nothing typed is lost
between pages or sessions; it becomes a request (through the request service) only when
it is submitted. A draft is its writer's alone: to anyone else it answers exactly as a
missing one, and the refusal is on the record.

A DPIA document is a PDF, checked by its magic bytes and held to ``MAX_DPIA_BYTES``;
it is kept under the home by its SHA-256 (written atomically), and the hash is recorded
against the draft and in the audit event, so the document reviewers read can be proved
to be the one uploaded.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any

from accord.core.audit import AuditEvent, Decision
from accord.core.identity import Role
from accord.core.permissions import Caller
from accord.errors import NotFoundError, ValidationError, not_found
from accord.fsutil import write_atomic
from accord.services.guard import refuse
from accord.store import Store
from accord.store.draft_store import DpiaDocument, Draft, DraftStore

__all__ = ["MAX_DPIA_BYTES", "DraftService", "check_pdf"]

MAX_DPIA_BYTES = 10 * 1024 * 1024
"""The largest DPIA document taken: checked before the whole file is read."""
PDF_MAGIC = b"%PDF-"
_FILENAME = re.compile(r"[^A-Za-z0-9 ._()-]+")


def check_pdf(data: bytes, filename: str) -> str:
    """Why ``data`` is not a DPIA document Accord takes, or "" when it is one."""
    if not data:
        return "The selected file is empty"
    if len(data) > MAX_DPIA_BYTES:
        return f"The selected file must be smaller than {MAX_DPIA_BYTES // (1024 * 1024)}MB"
    if not data.startswith(PDF_MAGIC):
        return f"The selected file must be a PDF: {filename or 'this file'} is not one"
    return ""


def _clean_filename(filename: str) -> str:
    name = _FILENAME.sub("_", Path(filename.replace("\\", "/")).name).strip() or "dpia.pdf"
    return name[:200]


class DraftService:
    def __init__(self, store: Store, home: Path) -> None:
        self.store = store
        self.drafts = DraftStore(store)
        self.documents = home / "dpia"

    # -- who --------------------------------------------------------------------------

    @staticmethod
    def requesting_organisations(caller: Caller) -> list[str]:
        """The organisations the caller may ask on behalf of: where they are a requester."""
        if caller.principal is None:
            return []
        return sorted(caller.principal.organisations_with(Role.REQUESTER))

    @classmethod
    def requesting_organisation(cls, caller: Caller) -> str | None:
        """The organisation the caller asks for, when no other is named: the first."""
        orgs = cls.requesting_organisations(caller)
        return orgs[0] if orgs else None

    def _event(self, caller: Caller, action: str, draft: Draft, **details: Any) -> AuditEvent:
        if caller.via:
            details["via"] = caller.via
        return AuditEvent(
            actor=caller.actor,
            action=action,
            object=f"draft:{draft.id}",
            organisation=draft.organisation_id,
            reason="the draft's writer",
            details=details,
        )

    def get(self, caller: Caller, draft_id: str) -> Draft:
        """The caller's own draft; anyone else's answers exactly as a missing one."""
        draft = self.drafts.get_draft(draft_id) if len(draft_id) <= 40 else None
        mine = caller.principal is not None and draft is not None
        if draft is None or not mine or draft.principal_id != caller.principal.id:  # type: ignore[union-attr]
            self.store.record(
                AuditEvent(
                    actor=caller.actor,
                    action="draft.show",
                    object=f"draft:{draft_id[:40]}",
                    organisation=draft.organisation_id if draft else "",
                    decision=Decision.DENY,
                    reason="no such draft" if draft is None else "another person's draft",
                    details={"answered": "not found"},
                )
            )
            raise not_found("draft", draft_id[:40])
        return draft

    def get_open(self, caller: Caller, draft_id: str) -> Draft:
        """A draft still being written: a submitted one is the request's now."""
        draft = self.get(caller, draft_id)
        if draft.closed_at is not None:
            raise NotFoundError(
                "that draft has been submitted: follow the request from your requests"
            )
        return draft

    def list_open(self, caller: Caller) -> list[Draft]:
        if caller.principal is None:
            return []
        return self.drafts.list_drafts(caller.principal.id)

    # -- changes ------------------------------------------------------------------------

    def start(
        self,
        caller: Caller,
        answers: dict[str, Any],
        *,
        request_id: str | None = None,
        organisation: str | None = None,
    ) -> Draft:
        """A new draft for the caller's requesting organisation (``organisation``, to
        revise a request made for it); refused, on the record, for someone who is not a
        requester there."""
        org = organisation or self.requesting_organisation(caller)
        draft_id = "drf-" + secrets.token_hex(6)
        if org is None or caller.principal is None or not caller.has_role(org, Role.REQUESTER):
            raise refuse(
                self.store,
                caller,
                "draft.start",
                f"draft:{draft_id}",
                "",
                "only a requester of an organisation may ask for data on its behalf",
            )
        now = self.store.clock()
        draft = Draft(
            id=draft_id,
            principal_id=caller.principal.id,
            organisation_id=org,
            answers=answers,
            created_at=now,
            updated_at=now,
            request_id=request_id,
        )
        return self.drafts.add_draft(
            draft, audit=self._event(caller, "draft.start", draft, request=request_id or "")
        )

    def save(self, caller: Caller, draft_id: str, answers: dict[str, Any], step: str) -> Draft:
        draft = self.get_open(caller, draft_id)
        updated = replace(draft, answers=answers, updated_at=self.store.clock())
        return self.drafts.update_draft(
            updated, audit=self._event(caller, "draft.save", draft, step=step)
        )

    def attach_dpia(self, caller: Caller, draft_id: str, filename: str, data: bytes) -> Draft:
        """Keep the DPIA document by its hash and record the hash against the draft."""
        draft = self.get_open(caller, draft_id)
        if why := check_pdf(data, filename):
            self.store.record(
                replace(
                    self._event(caller, "draft.dpia", draft, filename=filename[:200]),
                    decision=Decision.DENY,
                    reason=why,
                )
            )
            raise ValidationError(why)
        digest = hashlib.sha256(data).hexdigest()
        target = self.documents / f"{digest}.pdf"
        if not target.exists():
            self.documents.mkdir(parents=True, exist_ok=True)
            write_atomic(target, data, mode=0o600)
        document = DpiaDocument(digest, _clean_filename(filename), len(data))
        updated = replace(draft, dpia=document, updated_at=self.store.clock())
        return self.drafts.update_draft(
            updated,
            audit=self._event(
                caller,
                "draft.dpia",
                draft,
                sha256=digest,
                filename=document.filename,
                bytes=len(data),
                request=draft.request_id or "",
            ),
        )

    def dpia_path(self, document: DpiaDocument) -> Path:
        return self.documents / f"{document.sha256}.pdf"

    def link(self, caller: Caller, draft: Draft, request_id: str) -> Draft:
        """Record the request a draft became, as soon as it exists."""
        updated = replace(draft, request_id=request_id, updated_at=self.store.clock())
        return self.drafts.update_draft(
            updated, audit=self._event(caller, "draft.save", draft, request=request_id)
        )

    def close(self, caller: Caller, draft: Draft) -> Draft:
        """The draft was submitted: it is the request's now, and leaves the list of drafts."""
        now = self.store.clock()
        updated = replace(draft, closed_at=now, updated_at=now)
        return self.drafts.update_draft(
            updated,
            audit=self._event(caller, "draft.close", draft, request=draft.request_id or ""),
        )

    def latest_for_request(self, request_id: str) -> Draft | None:
        """The newest draft written for a request (the caller has been shown the request)."""
        drafts = self.drafts.drafts_for_request(request_id)
        return drafts[0] if drafts else None

    def open_for_request(self, caller: Caller, request_id: str) -> Draft | None:
        """The caller's own draft of changes to a request, still being written."""
        for draft in self.drafts.drafts_for_request(request_id):
            mine = caller.principal is not None and draft.principal_id == caller.principal.id
            if mine and draft.closed_at is None:
                return draft
        return None

    def dpia_for_request(self, request_id: str) -> DpiaDocument | None:
        """The DPIA document most recently attached to a draft of the request."""
        for draft in self.drafts.drafts_for_request(request_id):
            if draft.dpia is not None:
                return draft.dpia
        return None
