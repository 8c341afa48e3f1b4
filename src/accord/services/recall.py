"""Recall of a package sent to the wrong organisation: open, alert, confirm, purge.

The rules and the lifecycle are in :mod:`accord.core.lifecycle.recall`. This service:

- **open** — the sender's data owner, DPO or admin recalls a package transfer it sent;
  the recall and the recipient's ``recall`` notice commit with the audit event;
- **confirm** — the recipient's data owner, DPO or admin confirms: Accord deletes the
  copy the recipient loaded (its received file), the recipient signs a destruction
  certificate (:meth:`RetentionService.issue_certificate`, the one mechanism), and the
  recall moves to ``confirmed``;
- **purge** — confirmed recalls older than three months are removed (idempotent); their
  audit events stay in the hash chain.

A transfer or recall the caller's organisation is not party to answers exactly as a
missing one, and the refusal is on the record.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from accord.core.audit import AuditEvent, Decision
from accord.core.identity import Role
from accord.core.lifecycle.certificate import DestructionMethod, SignedCertificate
from accord.core.lifecycle.notices import NoticeKind
from accord.core.lifecycle.recall import (
    Recall,
    RecallState,
    can_confirm_recall,
    can_open_recall,
    can_purge_recalls,
    can_read_recalls,
    check_reason,
)
from accord.core.permissions import Caller
from accord.core.transfer.manifest import PackageManifest
from accord.errors import ConflictError, NotFoundError, ValidationError
from accord.services.guard import authorise, refuse
from accord.services.outbox import new_notice
from accord.services.retention import RetentionService
from accord.store import Store
from accord.store.outcomes_store import RecallStore

__all__ = ["RecallService"]


class RecallService:
    def __init__(self, store: Store, retention: RetentionService) -> None:
        self.store = store
        self.retention = retention
        self.repository = RecallStore(store)

    def open(self, caller: Caller, transfer_id: str, reason: str) -> Recall:
        """The sender recalls a package it sent; the recipient is alerted at once."""
        action, obj = "recall.open", f"package:{transfer_id}"
        try:
            manifest = PackageManifest.parse(
                self.store.get_sent_package(transfer_id).manifest, "manifest"
            )
        except NotFoundError:
            raise refuse(self.store, caller, action, obj, "", "no such package transfer") from None
        # A package is private to its sender and recipient: anyone else is answered as
        # if it did not exist (guard.refuse), the recipient is told why it may not.
        allowed = authorise(self.store, caller, can_open_recall(caller, manifest.sender),
                            action=action, obj=obj, organisation=manifest.sender)  # fmt: skip
        try:
            text = check_reason(reason)
        except ValidationError as exc:
            refuse(self.store, caller, action, obj, manifest.sender, exc.message)
            raise
        now = self.store.clock()
        recall_id = f"rc-{secrets.token_hex(8)}"
        notice = new_notice(
            manifest.recipient,
            NoticeKind.RECALL,
            f"Recall: package {transfer_id} was sent to you in error",
            (
                f"{manifest.sender} has recalled package {transfer_id} ({manifest.dataset_id}, "
                f"agreement {manifest.agreement_id}). Delete every copy, then confirm recall "
                f"{recall_id} in Accord: your data owner, DPO or admin signs a destruction "
                "certificate. The record of these actions is kept for three months."
            ),
            f"recall:{recall_id}",
        )
        recall = Recall(
            id=recall_id,
            transfer_id=transfer_id,
            agreement_id=manifest.agreement_id,
            agreement_version=manifest.agreement_version,
            dataset_id=manifest.dataset_id,
            sender=manifest.sender,
            recipient=manifest.recipient,
            reason=text,
            state=RecallState.OPEN,
            opened_at=now,
            opened_by=caller.actor,
            notice_id=notice.id,
        )
        event = AuditEvent(
            actor=allowed.actor,
            action=action,
            object=f"recall:{recall_id}",
            organisation=manifest.sender,
            decision=Decision.ALLOW,
            reason=f"package {transfer_id} recalled from {manifest.recipient}: {allowed.reason}",
            details={
                "transfer_id": transfer_id,
                "recipient": manifest.recipient,
                "dataset": manifest.dataset_id,
                "notice": notice.id,
                **({"via": caller.via} if caller.via else {}),
            },
        )
        try:
            return self.repository.open_recall(recall, notice, audit=event)
        except ConflictError as exc:
            refuse(self.store, caller, action, obj, manifest.sender, exc.message)
            raise

    def confirm(
        self,
        caller: Caller,
        recall_id: str,
        *,
        method: DestructionMethod = DestructionMethod.SECURE_DELETE,
        note: str = "",
    ) -> tuple[Recall, SignedCertificate]:
        """The recipient deletes its copy and certifies it; the recall is confirmed."""
        action, obj = "recall.confirm", f"recall:{recall_id}"
        recall = self._visible(caller, recall_id, action)
        allowed = authorise(self.store, caller, can_confirm_recall(caller, recall.recipient),
                            action=action, obj=obj, organisation=recall.recipient)  # fmt: skip
        if recall.state is not RecallState.OPEN:
            reason = f"recall {recall.id} is {recall.state.value}: it was confirmed already"
            refuse(self.store, caller, action, obj, recall.recipient, reason)
            raise ConflictError(reason)
        received = self.store.get_received_package(recall.transfer_id)
        if received is not None:
            # The received file is the recipient's copy in Accord; deleting one already
            # gone (a confirmation that died after it) is not an error.
            Path(received.location).unlink(missing_ok=True)
        signed = self._certificate(recall) or self.retention.issue_certificate(
            caller,
            holder=recall.recipient,
            subject_kind="recall",
            subject_id=recall.id,
            agreement_id=recall.agreement_id,
            agreement_version=recall.agreement_version,
            description=(
                f"package {recall.transfer_id} of {recall.dataset_id}, recalled by "
                f"{recall.sender}: every copy deleted"
            ),
            method=method,
            note=note,
        )
        copy_deleted = received is not None
        now = self.store.clock()
        done = recall.confirmed(now, caller.actor, signed.certificate.id, copy_deleted)
        event = AuditEvent(
            actor=allowed.actor,
            action=action,
            object=obj,
            organisation=recall.recipient,
            decision=Decision.ALLOW,
            reason=f"copy of package {recall.transfer_id} deleted and certified: " + allowed.reason,
            details={
                "transfer_id": recall.transfer_id,
                "sender": recall.sender,
                "certificate": signed.certificate.id,
                "copy_deleted": copy_deleted,
                "keep_until": None if done.keep_until is None else done.keep_until.isoformat(),
                **({"via": caller.via} if caller.via else {}),
            },
        )
        notice = new_notice(
            recall.sender,
            NoticeKind.RECALL,
            f"Recall {recall.id} confirmed: package {recall.transfer_id} deleted",
            (
                f"{recall.recipient} has deleted package {recall.transfer_id} "
                f"({recall.dataset_id}) and signed destruction certificate "
                f"{signed.certificate.id}. The recall record is kept until "
                f"{done.keep_until.date().isoformat() if done.keep_until else 'confirmation'}."
            ),
            f"recall:{recall.id}",
        )
        confirmed = self.repository.confirm_recall(
            done, notice, expect=RecallState.OPEN, audit=event
        )
        return confirmed, signed

    def _certificate(self, recall: Recall) -> SignedCertificate | None:
        """The certificate a confirmation that died before its last step already signed:
        a retry reuses it rather than certifying the same destruction twice."""
        for signed in self.retention.lifecycle.list_certificates(
            holder=recall.recipient, agreement_id=recall.agreement_id
        ):
            c = signed.certificate
            if c.subject_kind == "recall" and c.subject_id == recall.id:
                return signed
        return None

    def get(self, caller: Caller, recall_id: str) -> Recall:
        """One recall, for the sender's and the recipient's governance roles."""
        return self._visible(caller, recall_id, "recall.list")

    def list(self, caller: Caller, organisation: str) -> list[Recall]:
        """The recalls an organisation sent or received."""
        verdict = can_read_recalls(caller, organisation)
        if not verdict:
            raise refuse(self.store, caller, "recall.list", f"organisation:{organisation}",
                         organisation, verdict.reason)  # fmt: skip
        return self.repository.recalls(organisation)

    def purge(self, caller: Caller, *, now: datetime | None = None) -> int:
        """Remove confirmed recalls kept three months; run again, it removes nothing."""
        authorise(self.store, caller, can_purge_recalls(caller), action="recall.purge",
                  obj="recalls", organisation="")  # fmt: skip
        when = now or self.store.clock()

        def event(count: int) -> AuditEvent:
            return AuditEvent(
                actor=caller.actor,
                action="recall.purge",
                object="recalls",
                organisation="",
                decision=Decision.ALLOW,
                reason=f"{count} recall record(s) kept three months after confirmation removed",
                details={"purged": count, "as_of": when.isoformat()},
            )

        return self.repository.purge_recalls(when, audit=event)

    def _visible(self, caller: Caller, recall_id: str, action: str) -> Recall:
        """The recall, if the caller's organisation is its sender or recipient (or the
        caller is the operator or a platform admin); anyone else is told it is missing."""
        obj = f"recall:{recall_id}"
        missing = f"no recall {recall_id!r}"
        try:
            recall = self.repository.get_recall(recall_id)
        except NotFoundError:
            refuse(self.store, caller, action, obj, "", "no such recall", answered="not found")
            raise NotFoundError(missing) from None
        party = caller.is_platform_admin or any(
            caller.has_role(org, *Role) for org in (recall.sender, recall.recipient)
        )
        if not party:
            refuse(self.store, caller, action, obj, recall.recipient,
                   "the caller's organisation is not party to the recall",
                   answered="not found")  # fmt: skip
            raise NotFoundError(missing)
        return recall
