"""Retention executes: the resumable deletion job, and destruction certificates.

The job (``accord retention run``, ``POST /retention/run``) works in two steps:

1. **plan** — it finds every copy that is due (see :mod:`accord.core.lifecycle.deletion`)
   and records one work item per copy in the store, with one audit event, before it
   touches anything;
2. **act** — for each planned item it deletes the materialised files, or marks the
   received package for destruction by its holder, and moves the item on in the same
   transaction as the item's audit event.

A run that dies between the two, or half way through the second, leaves planned items;
the next run acts on them. Deleting a file that is already gone is not an error (the
run that died removed it), so nothing is deleted twice and nothing is missed; each
item's audit event is written exactly once, when its state moves on.

A holder confirms destruction with a signed certificate (:meth:`RetentionService.certify_item`),
and :meth:`RetentionService.issue_certificate` is the one way any later deletion (erasure,
recall) records its own.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.core.audit import AuditEvent, Decision, format_time
from accord.core.identity import Role
from accord.core.lifecycle.certificate import (
    DestructionCertificate,
    DestructionMethod,
    SignedCertificate,
    sign_certificate,
    verify_signature,
)
from accord.core.lifecycle.deletion import (
    ItemKind,
    ItemState,
    RetentionAction,
    RetentionItem,
    due_items,
)
from accord.core.lifecycle.permissions import (
    can_certify_destruction,
    can_read_destruction,
    can_run_retention,
)
from accord.core.permissions import Caller, Verdict
from accord.core.transfer.keys import KeyPurpose
from accord.errors import ConflictError, NotFoundError, ValidationError
from accord.services.guard import authorise, refuse
from accord.store import Store
from accord.store.lifecycle_store import LifecycleStore
from accord.transfer.org_keys import verifier

if TYPE_CHECKING:
    from accord.services.agreements import AgreementService
    from accord.services.app import Accord
    from accord.services.org_keys import OrgKeyService

__all__ = ["RetentionService", "RunReport"]

Remover = Callable[[Path], None]


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class RunReport:
    """What one run of the job did."""

    planned: int
    """Items this run added to the plan."""
    resumed: int
    """Items an earlier run planned and did not finish, acted on by this one."""
    deleted: tuple[RetentionItem, ...] = ()
    marked: tuple[RetentionItem, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    """``(item id, reason)`` of items left planned for the next run."""
    expired: tuple[str, ...] = field(default=())
    """Agreements this run found past their end date and expired first."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "resumed": self.resumed,
            "expired": list(self.expired),
            "deleted": [_item_dict(i) for i in self.deleted],
            "marked": [_item_dict(i) for i in self.marked],
            "failed": [{"item": i, "reason": r} for i, r in self.failed],
        }


def _item_dict(item: RetentionItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind.value,
        "subject": item.subject,
        "agreement": f"{item.agreement_id}:v{item.agreement_version}",
        "holder": item.holder,
        "location": item.location,
        "reason": item.reason,
        "due_on": item.due_on.isoformat(),
        "state": item.state.value,
        "planned_at": item.planned_at.isoformat(),
        "done_at": item.done_at.isoformat() if item.done_at else None,
        "confirm_by": item.confirm_by.isoformat() if item.confirm_by else None,
        "certificate": item.certificate_id,
        "detail": json.loads(item.detail) if item.detail else None,
    }


item_dict = _item_dict
"""One presentation of a work item, shared by the CLI and the API."""


class RetentionService:
    def __init__(
        self,
        store: Store,
        agreements: AgreementService,
        org_keys: OrgKeyService,
        *,
        home: Path,
        platform_org: str,
        grace: timedelta = timedelta(days=30),
        remove: Remover = _unlink,
    ) -> None:
        self.store = store
        self.lifecycle = LifecycleStore(store)
        self.agreements = agreements
        self.org_keys = org_keys
        self.materialised = home / "materialised"
        self.platform_org = platform_org
        self.grace = grace
        self._remove = remove

    @classmethod
    def of(cls, app: Accord, *, remove: Remover = _unlink) -> RetentionService:
        """The service over an application's store, keys and home."""
        return cls(
            app.store,
            app.agreements,
            app.org_keys,
            home=app.home,
            platform_org=app.platform_org,
            grace=timedelta(days=app.settings.destruction_grace_days),
            remove=remove,
        )

    # -- the job -----------------------------------------------------------------------

    def run(self, caller: Caller, *, today: date | None = None) -> RunReport:
        """Plan what is due, then act on every planned item; see the module docstring."""
        event = authorise(
            self.store,
            caller,
            can_run_retention(caller),
            action=RetentionAction.RUN.value,
            obj="retention:job",
            organisation=self.platform_org,
        )
        self.store.record(event)
        today = today or self.store.clock().date()
        expired = [f"{a.id}:v{a.version}" for a in self.agreements.expire_due(today)]
        resumed = len(self.lifecycle.list_items(state=ItemState.PLANNED))
        planned = self._plan(caller, today)
        deleted: list[RetentionItem] = []
        marked: list[RetentionItem] = []
        failed: list[tuple[str, str]] = []
        for item in self.lifecycle.list_items(state=ItemState.PLANNED):
            try:
                if item.kind is ItemKind.MATERIALISED_COPY:
                    deleted.append(self._delete(caller, item))
                else:
                    marked.append(self._mark(caller, item))
            except ConflictError:
                continue  # another run moved it on first
            except OSError as exc:
                failed.append((item.id, f"{type(exc).__name__}: {exc.strerror or exc}"))
        return RunReport(
            planned=len(planned),
            resumed=resumed,
            deleted=tuple(deleted),
            marked=tuple(marked),
            failed=tuple(failed),
            expired=tuple(expired),
        )

    def _plan(self, caller: Caller, today: date) -> list[RetentionItem]:
        root = self.materialised
        existing = {p.name for p in root.iterdir() if p.is_dir()} if root.is_dir() else set()
        due = due_items(
            self.store.list_agreements(),
            self.lifecycle.received_copies(),
            existing,
            today,
            node=self.platform_org,
            planned=self.lifecycle.planned_subjects(),
        )
        if not due:
            return []
        now = self.store.clock()
        items = [
            RetentionItem(
                id="ri-" + secrets.token_hex(8),
                kind=d.kind,
                subject=d.subject,
                agreement_id=d.agreement_id,
                agreement_version=d.agreement_version,
                holder=d.holder,
                location=d.location,
                reason=d.reason,
                due_on=d.due_on,
                state=ItemState.PLANNED,
                planned_at=now,
            )
            for d in due
        ]
        event = self._event(
            caller,
            RetentionAction.PLAN,
            "retention:plan",
            self.platform_org,
            f"{len(items)} copies due on {today.isoformat()}",
            items=[{"id": i.id, "subject": i.subject, "reason": i.reason} for i in items],
            data_owners=sorted({o for i in items for o in self._owners(i)}),
        )
        return self.lifecycle.plan(items, audit=event)

    def _delete(self, caller: Caller, item: RetentionItem) -> RetentionItem:
        root = self.materialised.resolve()
        directory = (self.materialised / item.location).resolve()
        if directory.parent != root:
            raise ConflictError(f"{item.location!r} is not a directory under {root}")
        removed: list[dict[str, Any]] = []
        if directory.is_dir():
            for path in sorted(directory.rglob("*"), reverse=True):
                if path.is_dir():
                    path.rmdir()
                    continue
                size = path.stat().st_size
                self._remove(path)
                removed.append({"file": path.name, "bytes": size})
            directory.rmdir()
        detail = {"files": removed, "bytes": sum(f["bytes"] for f in removed)}
        event = self._event(
            caller,
            RetentionAction.DELETE,
            item.subject,
            item.holder,
            item.reason,
            item=item.id,
            data_owners=list(self._owners(item)),
            **detail,
        )
        return self.lifecycle.finish_deletion(item, json.dumps(detail), audit=event)

    def _mark(self, caller: Caller, item: RetentionItem) -> RetentionItem:
        confirm_by = self.store.clock() + self.grace
        event = self._event(
            caller,
            RetentionAction.MARK,
            item.subject,
            item.holder,
            item.reason,
            item=item.id,
            location=item.location,
            confirm_by=confirm_by.isoformat(),
            data_owners=list(self._owners(item)),
        )
        return self.lifecycle.mark_for_destruction(item, confirm_by, audit=event)

    # -- certificates ------------------------------------------------------------------

    def certify_item(
        self,
        caller: Caller,
        item_id: str,
        *,
        method: DestructionMethod,
        holder: str | None = None,
        destroyed_at: datetime | None = None,
        note: str = "",
    ) -> SignedCertificate:
        """The holder confirms that a copy marked for destruction is destroyed.

        With ``holder`` (the API names the organisation in its path) the caller is
        authorised for it first and the item is looked up among that holder's; without
        it the item is found first. Either way an item the caller may not see answers
        exactly as a missing one, and every refusal is on the record.
        """
        action = RetentionAction.CERTIFY
        if holder is not None:
            self._authorise(caller, can_certify_destruction(caller, holder), action, holder)
            item = self._find(caller, item_id, action, lambda i: i.holder == holder)
        else:
            item = self._find(
                caller,
                item_id,
                action,
                lambda i: bool(can_read_destruction(caller, i.holder, self._owners(i))),
            )
            self._authorise(
                caller, can_certify_destruction(caller, item.holder), action, item.holder
            )
        obj = f"retention-item:{item.id}"
        if item.state is not ItemState.AWAITING_CERTIFICATE:
            reason = (
                f"retention item {item.id} is {item.state.value}: only a copy marked for "
                "destruction (awaiting_certificate) is certified"
            )
            self._deny(caller, action, obj, item.holder, reason)
            raise ConflictError(reason)
        _, _, subject_id = item.subject.partition(":")
        return self.issue_certificate(
            caller,
            holder=item.holder,
            subject_kind=item.kind.value,
            subject_id=subject_id,
            agreement_id=item.agreement_id,
            agreement_version=item.agreement_version,
            description=f"{item.reason}; held at {item.location}",
            method=method,
            destroyed_at=destroyed_at,
            note=note,
            item=item,
        )

    def issue_certificate(
        self,
        caller: Caller,
        *,
        holder: str,
        subject_kind: str,
        subject_id: str,
        agreement_id: str,
        agreement_version: int,
        description: str,
        method: DestructionMethod,
        destroyed_at: datetime | None = None,
        note: str = "",
        item: RetentionItem | None = None,
    ) -> SignedCertificate:
        """Sign and store a destruction certificate for ``holder``: the one mechanism every
        deletion that must be proved to another organisation uses (erasure, recall…)."""
        obj = f"{subject_kind}:{subject_id}"
        event = authorise(
            self.store,
            caller,
            can_certify_destruction(caller, holder),
            action=RetentionAction.CERTIFY.value,
            obj=obj,
            organisation=holder,
        )
        now = self.store.clock()
        when = destroyed_at or now
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if when > now:
            raise ValidationError(
                f"destroyed_at {when.isoformat()} is in the future: certify a destruction "
                "once it is done",
                problems=[{"field": "destroyed_at", "error": "in the future"}],
            )
        if not subject_kind.strip() or not subject_id.strip():
            raise ValidationError(
                "a certificate names its subject: subject_kind and subject_id are required"
            )
        signing = self.org_keys.current(holder, KeyPurpose.SIGNING)
        assert caller.principal is not None  # can_certify_destruction requires a principal
        certificate = DestructionCertificate(
            id="dc-" + secrets.token_hex(8),
            subject_kind=subject_kind,
            subject_id=subject_id,
            holder=holder,
            agreement_id=agreement_id,
            agreement_version=agreement_version,
            description=description,
            destroyed_at=format_time(when),
            method=method.value,
            certified_by=caller.principal.id,
            issued_at=format_time(now),
            note=note,
        )
        signed = sign_certificate(
            certificate, self.org_keys.ring.signer(signing), signing.fingerprint
        )
        event = AuditEvent(
            actor=event.actor,
            action=event.action,
            object=event.object,
            organisation=event.organisation,
            decision=event.decision,
            reason=event.reason,
            details={
                **event.details,
                "certificate": certificate.id,
                "method": method.value,
                "destroyed_at": certificate.destroyed_at,
                "key": signing.fingerprint,
                "agreement": f"{agreement_id}:v{agreement_version}",
                "data_owners": list(self._agreement_owners(agreement_id, agreement_version)),
            },
        )
        return self.lifecycle.add_certificate(signed, item, audit=event)

    def verify(self, signed: SignedCertificate) -> Verdict:
        """Does the certificate carry a valid signature of its holder's signing key, one
        registered in the catalogue and accepted when the certificate was issued?"""
        c = signed.certificate
        try:
            issued = datetime.fromisoformat(c.issued_at.replace("Z", "+00:00"))
        except ValueError:
            return Verdict(False, f"issued_at {c.issued_at!r} is not a time")
        accepted = self.org_keys.accepted(
            signed.key_fingerprint, c.holder, KeyPurpose.SIGNING, issued
        )
        if not accepted:
            return accepted
        key = self.store.get_org_key(signed.key_fingerprint)
        if not verify_signature(signed, verifier(key)):
            return Verdict(False, "the signature does not verify: the certificate was altered")
        return Verdict(True, f"signed by {c.holder} with {accepted.reason}")

    def certificate(
        self, caller: Caller, certificate_id: str, *, organisation: str | None = None
    ) -> SignedCertificate:
        """One stored certificate, for its holder, the data's owners and platform auditors;
        one the caller may not read answers exactly as a missing one."""
        action = RetentionAction.CERTIFICATE_READ
        obj = f"certificate:{certificate_id}"
        missing = f"no destruction certificate {certificate_id!r}"
        if organisation is not None:
            self._authorise(
                caller, can_read_destruction(caller, organisation), action, organisation
            )
        try:
            signed = self.lifecycle.get_certificate(certificate_id)
        except NotFoundError:
            self._deny(caller, action, obj, organisation or "", missing)
            raise
        c = signed.certificate
        owners = self._agreement_owners(c.agreement_id, c.agreement_version)
        verdict = (
            can_read_destruction(caller, c.holder, owners)
            if organisation is None
            else Verdict(
                organisation == c.holder or organisation in owners,
                f"certificate held by {c.holder} about data of {', '.join(owners)}",
            )
        )
        if not verdict:
            self._deny(caller, action, obj, organisation or c.holder, verdict.reason)
            raise NotFoundError(missing)
        self.store.record(self._event(caller, action, obj, c.holder, verdict.reason))
        return signed

    def certificates(
        self, caller: Caller, *, organisation: str | None = None, agreement_id: str | None = None
    ) -> list[SignedCertificate]:
        """The certificates an organisation holds or that concern its data; without an
        organisation, every one (platform auditors and the local operator)."""
        self._authorise_listing(caller, organisation, "certificates")
        found = self.lifecycle.list_certificates(agreement_id=agreement_id)
        if organisation is None:
            return found
        return [
            s
            for s in found
            if s.certificate.holder == organisation
            or organisation
            in self._agreement_owners(s.certificate.agreement_id, s.certificate.agreement_version)
        ]

    def items(
        self, caller: Caller, *, organisation: str | None = None, state: ItemState | None = None
    ) -> list[RetentionItem]:
        """The work items an organisation holds or that concern its data; without an
        organisation, every one (platform auditors and the local operator)."""
        self._authorise_listing(caller, organisation, "retention items")
        found = self.lifecycle.list_items(state=state)
        if organisation is None:
            return found
        return [i for i in found if i.holder == organisation or organisation in self._owners(i)]

    def overdue(self) -> list[RetentionItem]:
        """Copies marked for destruction whose holder has not certified in time."""
        return self.lifecycle.overdue_items(self.store.clock())

    # -- helpers -----------------------------------------------------------------------

    def _find(
        self,
        caller: Caller,
        item_id: str,
        action: RetentionAction,
        visible: Callable[[RetentionItem], bool],
    ) -> RetentionItem:
        """The item, or the one answer a missing item gets (also for one the caller may
        not see), with the refusal on the record either way."""
        obj = f"retention-item:{item_id}"
        missing = f"no retention item {item_id!r}"
        try:
            item = self.lifecycle.get_item(item_id)
        except NotFoundError:
            self._deny(caller, action, obj, "", missing)
            raise NotFoundError(missing) from None
        if not visible(item):
            self._deny(caller, action, obj, item.holder, f"{missing} visible to {caller.actor}")
            raise NotFoundError(missing)
        return item

    def _authorise(
        self, caller: Caller, verdict: Verdict, action: RetentionAction, organisation: str
    ) -> AuditEvent:
        return authorise(
            self.store,
            caller,
            verdict,
            action=action.value,
            obj=f"organisation:{organisation}",
            organisation=organisation,
        )

    def _authorise_listing(self, caller: Caller, organisation: str | None, what: str) -> None:
        if organisation is not None:
            verdict = can_read_destruction(caller, organisation)
        elif caller.is_platform_admin or caller.has_role(caller.platform_org, Role.AUDITOR):
            verdict = Verdict(True, "platform auditor, admin or local operator")
        else:
            verdict = Verdict(
                False,
                f"name your organisation to list its {what}; only a platform auditor "
                "lists every organisation's",
            )
        self._authorise(caller, verdict, RetentionAction.CERTIFICATE_READ, organisation or "")

    def _owners(self, item: RetentionItem) -> tuple[str, ...]:
        return self._agreement_owners(item.agreement_id, item.agreement_version)

    def _agreement_owners(self, agreement_id: str, version: int) -> tuple[str, ...]:
        try:
            return self.store.get_agreement(agreement_id, version).policy.data_owners
        except NotFoundError:
            return ()

    def _deny(
        self, caller: Caller, action: RetentionAction, obj: str, organisation: str, reason: str
    ) -> None:
        refuse(self.store, caller, action.value, obj, organisation, reason)

    @staticmethod
    def _event(
        caller: Caller,
        action: RetentionAction,
        obj: str,
        organisation: str,
        reason: str,
        **details: Any,
    ) -> AuditEvent:
        if caller.via:
            details["via"] = caller.via
        return AuditEvent(
            actor=caller.actor,
            action=action.value,
            object=obj,
            organisation=organisation,
            decision=Decision.ALLOW,
            reason=reason,
            details=details,
        )


def certificate_dict(signed: SignedCertificate, verdict: Verdict | None = None) -> dict[str, Any]:
    """One presentation of a certificate, shared by the CLI and the API."""
    out: dict[str, Any] = {
        **signed.certificate.as_dict(),
        "key_fingerprint": signed.key_fingerprint,
        "signature": signed.signature,
    }
    if verdict is not None:
        out["verified"] = verdict.allowed
        out["verification"] = verdict.reason
    return out
