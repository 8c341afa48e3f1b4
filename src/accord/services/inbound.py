"""The inbound governed channel: forms a recipient sends back to the data owners.

Seed 003's provider tells the department of changes (WHP07), of participants it
employs (the Employment Business Customer Form) and of how each participant left
(exit reports), one record per message from a designated inbox
(:mod:`accord.core.lifecycle.inbound`). :meth:`InboundService.send` checks, in order
and before any work it can avoid:

1. the body's size (:attr:`InboundRules.max_message_bytes`), before it is parsed;
2. that the agreement exists and the caller is its designated sender for the form
   (refused on the record, through :func:`accord.services.guard.authorise`);
3. the envelope: one record, a known form, a referral id of the right shape;
4. that the referral is one of the agreement's participants, by an in-place query on
   the agreement's governed referrals view as the sender (the release path: a lapsed
   or revoked agreement, or another provider's participant, finds nothing, and both
   answer exactly as an unknown referral does);
5. the record, against the template the form and the participant's programme choose.

An accepted message is stored with its ``inbound.receive`` event and a notice to the
data owner, in one transaction. Refusals are ``deny`` events naming the fields at
fault, never their values: the audit log holds referral and message ids, not a NINO
or a name.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.core.audit import AuditEvent, Decision
from accord.core.governance.records import AgreementRecord
from accord.core.identity import Role
from accord.core.lifecycle.inbound import (
    InboundMessage,
    MessageAction,
    MessageState,
    can_act_on,
    can_read_inbox,
    can_send,
    readable_forms,
)
from accord.core.lifecycle.inbound_forms import (
    FORM_TITLES,
    InboundForm,
    InboundRules,
    Programme,
    ReferralFacts,
    ReferralType,
    parse_record,
    read_envelope,
    template_name,
)
from accord.core.lifecycle.notices import NoticeKind
from accord.core.permissions import Caller
from accord.errors import NotFoundError, ValidationError, not_found
from accord.services.guard import authorise, refuse
from accord.services.outbox import new_notice
from accord.services.plane import PlaneService, view_name
from accord.store import Store
from accord.store.inbound_store import InboundStore

__all__ = [
    "REFERRAL_FIELDS",
    "InboundService",
    "Inbox",
    "inbound_service",
    "message_dict",
]

REFERRAL_FIELDS = ("referral_id", "nino", "programme", "voluntary_or_mandatory")
"""The agreed fields a referrals dataset must carry for forms to be checked against it."""
MAX_PAGE = 100
"""The most messages one page of an inbox lists."""


@dataclass(frozen=True, slots=True)
class Inbox:
    organisation: str
    messages: tuple[InboundMessage, ...]
    total: int
    forms: frozenset[InboundForm]


def message_dict(message: InboundMessage, *, record: bool = False) -> dict[str, Any]:
    """The one presentation of a message for the CLI, the API and the pages; the record
    (which names the person) only when asked for, on a reader's view of one message."""
    shown: dict[str, Any] = {
        "id": message.id,
        "agreement": message.agreement_id,
        "organisation": message.organisation,
        "from": message.sender_organisation,
        "sender": message.sender,
        "form": message.form.value,
        "title": FORM_TITLES[message.form],
        "template": message.template,
        "referral_id": message.referral_id,
        "received_at": message.received_at.isoformat(),
        "state": message.state.value,
        "actioned_at": message.actioned_at.isoformat() if message.actioned_at else None,
        "sha256": message.sha256,
    }
    if record:
        shown["record"] = message.payload
    return shown


def inbound_service(app: Any, rules: InboundRules | None = None) -> InboundService:
    """The service over an :class:`accord.services.app.Accord`."""
    return InboundService(app.store, app.plane, rules or InboundRules())


class InboundService:
    def __init__(self, store: Store, plane: PlaneService, rules: InboundRules) -> None:
        self.store = store
        self.plane = plane
        self.rules = rules
        self.repository = InboundStore(store)

    # -- sending --------------------------------------------------------------------
    def send(
        self,
        caller: Caller,
        agreement_id: str,
        form: str,
        body: bytes | str,
        *,
        received: datetime | None = None,
    ) -> InboundMessage:
        """Validate and deliver one message to the agreement's data owner."""
        raw = body.encode() if isinstance(body, str) else body
        obj = f"agreement:{agreement_id}"
        if len(raw) > self.rules.max_message_bytes:
            self._deny(caller, obj, "", f"message of {len(raw)} bytes refused unread")
            raise ValidationError(
                f"(message): {len(raw)} bytes; a message may hold at most "
                f"{self.rules.max_message_bytes} bytes (one record)"
            )
        agreement = self._agreement(caller, agreement_id)
        recipient = agreement.policy.recipient
        chosen = self._form(caller, obj, recipient, form)
        allowed = authorise(
            self.store,
            caller,
            can_send(caller, agreement, chosen),
            action="inbound.send",
            obj=obj,
            organisation=recipient,
            form=chosen.value,
        )
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._deny(caller, obj, recipient, "message is not JSON", form=chosen.value)
            raise ValidationError(
                f"(message): not a JSON object of the form's fields ({exc})"
            ) from None
        try:
            _, referral_id = read_envelope(chosen.value, payload)
        except ValidationError as exc:
            self._invalid(caller, obj, recipient, chosen, exc)
            raise
        facts, owner = self._referral(caller, agreement, referral_id)
        when = received or self.store.clock()
        try:
            record = parse_record(chosen, payload, facts, when.date(), self.rules)
        except ValidationError as exc:
            self._invalid(caller, obj, recipient, chosen, exc, referral_id=referral_id)
            raise
        content = record.model_dump(mode="json")
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
        message = InboundMessage(
            id=f"msg-{secrets.token_hex(8)}",
            agreement_id=agreement.id,
            organisation=owner,
            sender_organisation=recipient,
            sender=caller.principal.id if caller.principal else caller.actor,
            form=chosen,
            template=template_name(chosen, facts.programme),
            referral_id=referral_id,
            received_at=when,
            payload=content,
            sha256=hashlib.sha256(canonical.encode()).hexdigest(),
            state=MessageState.RECEIVED,
        )
        notice = new_notice(
            owner,
            NoticeKind.INBOUND_MESSAGE,
            f"{FORM_TITLES[chosen]} from {recipient}",
            f"Message {message.id} ({message.template}) about referral {referral_id} arrived "
            f"under agreement {agreement.id}. Read it in your inbox.",
            reference=f"message:{message.id}",
        )
        event = AuditEvent(
            actor=allowed.actor,
            action="inbound.receive",
            object=obj,
            organisation=owner,
            decision=Decision.ALLOW,
            reason=f"{chosen.value} from a designated sender of {recipient}",
            details={
                **allowed.details,
                "message_id": message.id,
                "referral_id": referral_id,
                "template": message.template,
                "sha256": message.sha256,
                "authorised": {"action": allowed.action, "reason": allowed.reason},
            },
        )
        self.repository.receive(message, (notice,), audit=event)
        return message

    def _agreement(self, caller: Caller, agreement_id: str) -> AgreementRecord:
        try:
            return self.store.get_agreement(agreement_id)
        except NotFoundError:
            raise refuse(
                self.store, caller, "inbound.send", f"agreement:{agreement_id}", "",
                "no such agreement",
            ) from None  # fmt: skip

    def _form(self, caller: Caller, obj: str, org: str, form: str) -> InboundForm:
        try:
            return InboundForm(form)
        except ValueError:
            self._deny(caller, obj, org, "unknown form")
            raise ValidationError(
                f"form: unknown form {form[:40]!r}; one of: {', '.join(InboundForm)}"
            ) from None

    def _referral(
        self, caller: Caller, agreement: AgreementRecord, referral_id: str
    ) -> tuple[ReferralFacts, str]:
        """The participant's facts, read as the sender through the agreement's view."""
        policy = agreement.policy
        for dataset_policy in policy.datasets:
            names = {f.name for f in dataset_policy.fields}
            if set(REFERRAL_FIELDS) <= names:
                break
        else:
            raise refuse(
                self.store, caller, "inbound.send", f"agreement:{agreement.id}", policy.recipient,
                "the agreement carries no referrals to check a form against "
                f"(agreed fields {', '.join(REFERRAL_FIELDS)})",
            )  # fmt: skip
        view = view_name(self.store.get_dataset(dataset_policy.dataset))
        # The referral id was checked against REFERRAL_ID_PATTERN: letters and digits only.
        sql = (
            f"select {', '.join(REFERRAL_FIELDS)} from {view} "
            f"where referral_id = '{referral_id}' limit 2"
        )
        rows = self.plane.query(caller, agreement.id, sql, max_rows=2).table.to_pylist()
        if len(rows) != 1:
            self._deny(
                caller, f"agreement:{agreement.id}", policy.recipient,
                "no such referral among the agreement's participants", referral_id=referral_id,
            )  # fmt: skip
            raise not_found("referral", referral_id)
        row = rows[0]
        try:
            facts = ReferralFacts(
                referral_id=referral_id,
                nino=str(row["nino"] or "").upper(),
                programme=Programme(row["programme"]),
                referral_type=ReferralType(row["voluntary_or_mandatory"]),
            )
        except ValueError as exc:
            raise ValidationError(
                f"referral {referral_id}: the department's record has no programme or "
                f"referral type a form can be checked against ({exc})"
            ) from None
        return facts, dataset_policy.dataset.split("/", 1)[0]

    def _deny(self, caller: Caller, obj: str, org: str, reason: str, **details: Any) -> None:
        refuse(self.store, caller, "inbound.send", obj, org, reason, **details)

    def _invalid(
        self,
        caller: Caller,
        obj: str,
        org: str,
        form: InboundForm,
        exc: ValidationError,
        **details: Any,
    ) -> None:
        fields = sorted({str(p.get("field", "")) for p in exc.problems if isinstance(p, dict)})
        self._deny(
            caller, obj, org, f"invalid {form.value}: {', '.join(fields) or 'message'}",
            form=form.value, fields=fields, **details,
        )  # fmt: skip

    # -- the department's inbox -----------------------------------------------------
    def inbox(
        self,
        caller: Caller,
        organisation: str,
        *,
        state: MessageState | None = None,
        limit: int = MAX_PAGE,
        offset: int = 0,
    ) -> Inbox:
        verdict = can_read_inbox(caller, organisation)
        if not verdict:
            refuse(self.store, caller, "inbound.list", f"inbox:{organisation[:64]}",
                   organisation[:64], verdict.reason, answered="not found")  # fmt: skip
            raise not_found("inbox", organisation[:64])
        forms = readable_forms(caller, organisation)
        listed = self.repository.messages(
            organisation,
            forms=sorted(forms),
            state=state,
            limit=max(1, min(limit, MAX_PAGE)),
            offset=max(0, offset),
        )
        total = self.repository.count_messages(organisation, forms=sorted(forms))
        return Inbox(organisation, tuple(listed), total, forms)

    def inboxes(self, caller: Caller) -> tuple[str, ...]:
        """The organisations whose inbox ``caller`` reads."""
        if caller.principal is None:
            return ()
        orgs = caller.principal.organisations_with(Role.DATA_OWNER, Role.DPO, Role.ADMIN)
        return tuple(sorted(orgs | caller.principal.organisations_with(Role.ANALYST)))

    def show(self, caller: Caller, message_id: str) -> InboundMessage:
        """One message, its record included; reading it is on the record."""
        message = self._readable(caller, message_id, "inbound.show", None)
        self.store.record(
            AuditEvent(
                actor=caller.actor,
                action="inbound.show",
                object=f"message:{message.id}",
                organisation=message.organisation,
                decision=Decision.ALLOW,
                reason=f"reader of {message.form.value} messages at {message.organisation}",
                details={"referral_id": message.referral_id, "agreement": message.agreement_id},
            )
        )
        return message

    def mark_actioned(self, caller: Caller, message_id: str) -> InboundMessage:
        message = self._readable(caller, message_id, "inbound.action", MessageAction.ACTION)
        self.repository.mark_actioned(
            message.id, caller.actor, audit=self._event(caller, message, "inbound.action")
        )
        found = self.repository.get_message(message.id)
        assert found is not None
        return found

    def delete(self, caller: Caller, message_id: str) -> None:
        """Delete an actioned message: the department keeps no copy (paragraph 57)."""
        message = self._readable(caller, message_id, "inbound.delete", MessageAction.DELETE)
        self.repository.delete_message(
            message.id, audit=self._event(caller, message, "inbound.delete")
        )

    def _readable(
        self, caller: Caller, message_id: str, action: str, step: MessageAction | None
    ) -> InboundMessage:
        message = self.repository.get_message(message_id[:64])
        obj = f"message:{message_id[:64]}"
        if message is None:
            refuse(self.store, caller, action, obj, "", "no such message", answered="not found")
            raise not_found("message", message_id[:64])
        verdict = can_act_on(caller, message.organisation, message.form, message.state)
        if not verdict:
            refuse(self.store, caller, action, obj, message.organisation, verdict.reason,
                   answered="not found")  # fmt: skip
            raise not_found("message", message_id[:64])
        if step is not None:
            verdict = can_act_on(caller, message.organisation, message.form, message.state, step)
            if not verdict:
                raise refuse(self.store, caller, action, obj, message.organisation, verdict.reason)
        return message

    def _event(self, caller: Caller, message: InboundMessage, action: str) -> AuditEvent:
        return AuditEvent(
            actor=caller.actor,
            action=action,
            object=f"message:{message.id}",
            organisation=message.organisation,
            decision=Decision.ALLOW,
            reason=f"reader of {message.form.value} messages at {message.organisation}",
            details={
                "referral_id": message.referral_id,
                "agreement": message.agreement_id,
                "form": message.form.value,
                **({"via": caller.via} if caller.via else {}),
            },
        )
