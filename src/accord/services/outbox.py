"""The outbox: notices queued with the changes they report, for delivery by email and
webhook (:mod:`accord.core.lifecycle.notices` says what a notice may carry), and each
organisation's subscriptions saying where its notices go.

Services that change state queue their notices inside their own store transaction
(:func:`accord.store.outbox_store.queue_notices`); :meth:`Outbox.queue` is for a notice
that is itself the change (a reminder that a deadline is near). Delivery is
:mod:`accord.services.notify`.

An organisation's subscriptions and notices are its admin's (and the platform
operator's). To anyone else they answer exactly as missing ones would: a refusal to a
member of the organisation says why; to an outsider it says "not found", and the audit
log keeps the real reason either way.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence

from accord.core.audit import AuditEvent, Decision
from accord.core.lifecycle.notices import Notice, NoticeKind, NoticeState
from accord.core.lifecycle.subscriptions import (
    MAX_SUBSCRIPTIONS,
    Channel,
    Subscription,
    can_manage_notices,
    check_email,
    check_kinds,
    check_webhook_url,
)
from accord.core.permissions import Caller
from accord.errors import NotFoundError, ValidationError, not_found
from accord.services.guard import authorise, refuse
from accord.store import Store
from accord.store.outbox_store import NoticeStatus, OutboxStore

__all__ = ["Outbox", "new_notice", "status_dict", "subscription_dict"]

RECENT = 100
"""Notices an organisation's admin sees on one page."""


def new_notice(
    organisation: str, kind: NoticeKind, subject: str, body: str, reference: str = ""
) -> Notice:
    """A notice with a fresh id, to be queued."""
    return Notice(f"ntc-{secrets.token_hex(8)}", organisation, kind, subject, body, reference)


class Outbox:
    def __init__(self, store: Store, *, allow_loopback_http: bool = False) -> None:
        self.store = store
        self.repository = OutboxStore(store)
        self.allow_loopback_http = allow_loopback_http

    def queue(self, notices: Sequence[Notice], *, audit: AuditEvent) -> None:
        self.repository.queue(notices, audit=audit)

    def notices(
        self,
        *,
        organisation: str | None = None,
        kind: NoticeKind | None = None,
        state: NoticeState | None = None,
        limit: int = 1000,
    ) -> list[Notice]:
        return self.repository.notices(
            organisation=organisation, kind=kind, state=state, limit=limit
        )

    # -- an organisation's own view ----------------------------------------------------

    def _authorise(
        self, caller: Caller, organisation: str, action: str, **details: object
    ) -> AuditEvent:
        """The allow event, or a refusal: with its reason to a member of the organisation,
        as "not found" to anyone else (the log keeps the real reason)."""
        verdict = can_manage_notices(caller, organisation)
        obj = f"notices:{organisation}"
        if verdict.allowed or self._member(caller, organisation):
            return authorise(
                self.store,
                caller,
                verdict,
                action=action,
                obj=obj,
                organisation=organisation,
                **details,
            )
        raise self._hidden(caller, action, obj, organisation, verdict.reason, "notifications for")

    @staticmethod
    def _member(caller: Caller, organisation: str) -> bool:
        return caller.principal is not None and any(
            m.organisation_id == organisation for m in caller.principal.memberships
        )

    def _hidden(
        self, caller: Caller, action: str, obj: str, organisation: str, reason: str, kind: str
    ) -> NotFoundError:
        details: dict[str, object] = {"answered": "not found"}
        if caller.via:
            details["via"] = caller.via
        self.store.record(
            AuditEvent(
                actor=caller.actor,
                action=action,
                object=obj,
                organisation=organisation,
                decision=Decision.DENY,
                reason=reason,
                details=details,
            )
        )
        return not_found(kind, obj.partition(":")[2])

    def subscriptions(self, caller: Caller, organisation: str) -> list[Subscription]:
        """The organisation's subscriptions, without their secrets."""
        self._authorise(caller, organisation, "notices.show")
        return [s.public() for s in self.repository.subscriptions(organisation)]

    def recent(self, caller: Caller, organisation: str, limit: int = RECENT) -> list[NoticeStatus]:
        """The organisation's most recent notices with their delivery state."""
        self._authorise(caller, organisation, "notices.show")
        return self.repository.statuses(organisation, limit=min(limit, RECENT))

    def subscribe_email(
        self, caller: Caller, organisation: str, address: str, kinds: Iterable[str] = ()
    ) -> Subscription:
        """Send the organisation's notices (of ``kinds``, or all) to an email address."""
        value = check_email(address)
        chosen = check_kinds(kinds)
        return self._subscribe(caller, organisation, Channel.EMAIL, value, chosen, "")

    def subscribe_webhook(
        self, caller: Caller, organisation: str, url: str, kinds: Iterable[str] = ()
    ) -> Subscription:
        """POST the organisation's notices to ``url``, signed; the result holds the secret,
        which is shown this once and never again."""
        value = check_webhook_url(url, allow_loopback_http=self.allow_loopback_http)
        chosen = check_kinds(kinds)
        secret = "whsec_" + secrets.token_urlsafe(32)
        return self._subscribe(caller, organisation, Channel.WEBHOOK, value, chosen, secret)

    def _subscribe(
        self,
        caller: Caller,
        organisation: str,
        channel: Channel,
        address: str,
        kinds: frozenset[NoticeKind],
        secret: str,
    ) -> Subscription:
        subscription_id = f"sub-{secrets.token_hex(8)}"
        allowed = self._authorise(
            caller,
            organisation,
            "notices.subscribe",
            subscription=subscription_id,
            channel=channel.value,
            kinds=sorted(k.value for k in kinds) or "all",
        )
        held = self.repository.subscriptions(organisation)
        if len(held) >= MAX_SUBSCRIPTIONS:
            raise ValidationError(
                f"address: {organisation!r} has {len(held)} subscriptions, the most allowed; "
                "remove one first"
            )
        if any(s.channel is channel and s.address == address for s in held):
            raise ValidationError(
                f"address: that {channel.value} destination is subscribed already"
            )
        subscription = Subscription(
            id=subscription_id,
            organisation=organisation,
            channel=channel,
            address=address,
            kinds=kinds,
            created_at=self.store.clock(),
            created_by=caller.actor,
            secret=secret,
        )
        told = new_notice(
            organisation,
            NoticeKind.SUBSCRIPTION_ADDED,
            f"A new {channel.value} destination receives your notices",
            f"{caller.actor} added {subscription_id} ({channel.value}; "
            f"{', '.join(sorted(k.value for k in kinds)) or 'every kind'}) to the destinations "
            f"of {organisation}'s notices from Accord. Every destination, this one included, "
            "is told. If this was not expected, ask your organisation's administrator to "
            "remove it on the Notifications page.",
            reference=f"subscription:{subscription_id}",
        )
        return self.repository.subscribe(subscription, told, audit=allowed)

    def unsubscribe(self, caller: Caller, organisation: str, subscription_id: str) -> None:
        """Stop sending notices to one destination. Another organisation's subscription
        answers exactly as a missing one."""
        obj = f"subscription:{subscription_id}"
        found = self.repository.get_subscription(subscription_id)
        verdict = can_manage_notices(caller, organisation)
        if found is None or found.organisation != organisation:
            raise self._hidden(
                caller,
                "notices.unsubscribe",
                obj,
                organisation,
                "no such subscription of this organisation"
                if found is None
                else f"subscription of {found.organisation!r}, not of {organisation!r}",
                "subscription",
            )
        if not verdict.allowed:
            if self._member(caller, organisation):
                raise refuse(
                    self.store,
                    caller,
                    "notices.unsubscribe",
                    f"notices:{organisation}",
                    organisation,
                    verdict.reason,
                    subscription=subscription_id,
                )
            raise self._hidden(
                caller,
                "notices.unsubscribe",
                obj,
                organisation,
                verdict.reason,
                "subscription",
            )
        allowed = authorise(
            self.store,
            caller,
            verdict,
            action="notices.unsubscribe",
            obj=obj,
            organisation=organisation,
            channel=found.channel.value,
        )
        self.repository.unsubscribe(subscription_id, audit=allowed)


def subscription_dict(subscription: Subscription) -> dict[str, object]:
    """One subscription as the CLI, the API and the page show it; the secret only when
    it has one to show (the answer to making a webhook, once)."""
    shown: dict[str, object] = {
        "id": subscription.id,
        "organisation": subscription.organisation,
        "channel": subscription.channel.value,
        "address": subscription.address,
        "kinds": sorted(k.value for k in subscription.kinds) or ["all"],
        "created_at": subscription.created_at.isoformat(),
    }
    if subscription.secret:
        shown["secret"] = subscription.secret
    return shown


def status_dict(status: NoticeStatus) -> dict[str, object]:
    """One notice and where its delivery stands."""
    notice = status.notice
    return {
        "id": notice.id,
        "kind": notice.kind.value,
        "subject": notice.subject,
        "reference": notice.reference,
        "created_at": notice.created_at.isoformat() if notice.created_at else None,
        "state": status.state.value,
        "attempts": status.attempts,
        "next_attempt_at": status.next_attempt_at.isoformat()
        if status.state is NoticeState.QUEUED
        else None,
        "delivered_at": status.delivered_at.isoformat() if status.delivered_at else None,
        "last_error": status.last_error,
    }
