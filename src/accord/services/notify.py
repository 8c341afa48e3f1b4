"""Delivering the outbox: email over SMTP and signed webhooks, with retries; reminders.

``accord notices deliver`` (``POST /notices/deliver``, :meth:`Deliverer.deliver`) takes the
queued notices that are due, at most ``ACCORD_NOTICES_PER_RUN`` of them, and sends each
to every subscription of *its own* organisation that wants its kind: an email to an
address, a JSON ``POST`` signed with the webhook's secret (see
:mod:`accord.core.lifecycle.delivery`). What each destination had is recorded after each
attempt, with its audit event, so a notice is never sent again to a destination that took
it; a crash between sending and recording can resend it to that one destination once,
which the ``Accord-Notice-Id`` header lets a receiver ignore. A notice some destination
did not take waits (doubling from ``ACCORD_NOTICE_RETRY_SECONDS``) and is tried again,
up to ``ACCORD_NOTICE_MAX_ATTEMPTS``, then is ``failed``. A notice no one subscribes to
is ``delivered_to_nobody``, and its organisation's admin sees it so.

Audit events name the notice and the subscription by id and the kind of failure
(``smtp refused``, ``http 500``, ``timeout``), never an address or the text sent: an
address identifies a person, and the error text a server returns often quotes it. The
full error is kept on the notice for its organisation's admin.

``accord notices remind`` (:meth:`Deliverer.remind`) queues, once per item per day, a
notice to each holder whose destruction certificate is overdue.

One deliverer runs at a time (run it from cron or a systemd timer every minute or so);
two at once could both send a due notice.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx

from accord.core.audit import AuditEvent, Decision
from accord.core.lifecycle.delivery import (
    MAX_BODY_BYTES,
    NOTICE_ID_HEADER,
    SIGNATURE_HEADER,
    notice_payload,
    retry_after,
    sign,
)
from accord.core.lifecycle.notices import Notice, NoticeKind, NoticeState
from accord.core.lifecycle.subscriptions import (
    Channel,
    Subscription,
    can_deliver_notices,
    internal_address,
)
from accord.core.permissions import Caller
from accord.errors import ConfigurationError
from accord.services.guard import authorise
from accord.settings import _default, _flag, _int
from accord.store import Store
from accord.store.lifecycle_store import LifecycleStore
from accord.store.outbox_store import NoticeStatus, OutboxStore

__all__ = ["Deliverer", "DeliveryReport", "DeliverySettings", "Sender", "reminder_id"]


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """The ``ACCORD_SMTP_*``, ``ACCORD_WEBHOOK_*`` and ``ACCORD_NOTICE*`` settings.

    Read when notices are managed or delivered, not at start-up: a node that sends no
    email needs no SMTP server, and is told so only when an email is due.
    """

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_from: str = ""
    smtp_starttls: bool = True
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_timeout: int = 10
    webhook_timeout: int = 5
    allow_loopback_http: bool = False
    max_attempts: int = 6
    retry_seconds: int = 60
    per_run: int = 200

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DeliverySettings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            return env.get(name, "") or _default(name)

        settings = cls(
            smtp_host=get("ACCORD_SMTP_HOST"),
            smtp_port=_int("ACCORD_SMTP_PORT", get("ACCORD_SMTP_PORT"), 1),
            smtp_from=get("ACCORD_SMTP_FROM"),
            smtp_starttls=_flag("ACCORD_SMTP_STARTTLS", get("ACCORD_SMTP_STARTTLS")),
            smtp_username=get("ACCORD_SMTP_USERNAME"),
            smtp_password=get("ACCORD_SMTP_PASSWORD"),
            smtp_timeout=_int("ACCORD_SMTP_TIMEOUT_SECONDS", get("ACCORD_SMTP_TIMEOUT_SECONDS"), 1),
            webhook_timeout=_int(
                "ACCORD_WEBHOOK_TIMEOUT_SECONDS", get("ACCORD_WEBHOOK_TIMEOUT_SECONDS"), 1
            ),
            allow_loopback_http=_flag(
                "ACCORD_WEBHOOK_ALLOW_LOOPBACK_HTTP", get("ACCORD_WEBHOOK_ALLOW_LOOPBACK_HTTP")
            ),
            max_attempts=_int("ACCORD_NOTICE_MAX_ATTEMPTS", get("ACCORD_NOTICE_MAX_ATTEMPTS"), 1),
            retry_seconds=_int(
                "ACCORD_NOTICE_RETRY_SECONDS", get("ACCORD_NOTICE_RETRY_SECONDS"), 1
            ),
            per_run=_int("ACCORD_NOTICES_PER_RUN", get("ACCORD_NOTICES_PER_RUN"), 1),
        )
        if settings.smtp_username and not settings.smtp_starttls:
            raise ConfigurationError(
                "ACCORD_SMTP_USERNAME is set but ACCORD_SMTP_STARTTLS=0: the password would "
                "cross the network in clear. Set ACCORD_SMTP_STARTTLS=1."
            )
        return settings

    def require_smtp(self) -> None:
        """Fail loudly, with the fix, when an email is due and SMTP is not configured."""
        missing = [
            name
            for name, value in (
                ("ACCORD_SMTP_HOST", self.smtp_host),
                ("ACCORD_SMTP_FROM", self.smtp_from),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError(
                f"notices are due by email but {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set. Set ACCORD_SMTP_HOST (and "
                "ACCORD_SMTP_PORT) to your SMTP server and ACCORD_SMTP_FROM to the address "
                "notices come from, or remove the organisations' email subscriptions."
            )


class SendFailed(Exception):
    """One destination did not take a notice. ``kind`` is safe for the audit log; the
    message (which may quote an address) is kept only on the notice."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


Sender = Callable[[Notice, Subscription], None]
"""Sends one notice to one destination, or raises :class:`SendFailed`."""


class Transports:
    """The real senders: SMTP and HTTPS (httpx), with the configured timeouts."""

    def __init__(self, settings: DeliverySettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock

    def send(self, notice: Notice, subscription: Subscription) -> None:
        if subscription.channel is Channel.EMAIL:
            self.email(notice, subscription.address)
        else:
            self.webhook(notice, subscription)

    def email(self, notice: Notice, address: str) -> None:
        s = self.settings
        s.require_smtp()
        message = EmailMessage()
        message["From"] = s.smtp_from
        message["To"] = address
        message["Subject"] = notice.subject
        message[NOTICE_ID_HEADER] = notice.id
        reference = f"\n\nReference: {notice.reference}" if notice.reference else ""
        message.set_content(f"{notice.body}{reference}\n\nNotice {notice.id}\n")
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout) as smtp:
                if s.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.smtp_username:
                    smtp.login(s.smtp_username, s.smtp_password)
                smtp.send_message(message)
        except TimeoutError as exc:
            raise SendFailed("timeout", f"the SMTP server did not answer: {exc}") from exc
        except smtplib.SMTPException as exc:
            raise SendFailed("smtp refused", f"the SMTP server refused: {exc}") from exc
        except OSError as exc:
            raise SendFailed("connection error", f"could not reach the SMTP server: {exc}") from exc

    def _check_destination(self, url: str) -> None:
        """Refuse a webhook whose host now resolves to an internal address (a public name
        pointed at a private one after it was subscribed), unless loopback is allowed."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            found = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise SendFailed(
                "connection error", f"could not resolve the webhook's host: {exc}"
            ) from exc
        for *_, sockaddr in found:
            address = str(sockaddr[0])
            if internal_address(address) and not (
                self.settings.allow_loopback_http and ipaddress.ip_address(address).is_loopback
            ):
                raise SendFailed(
                    "internal address",
                    "the webhook's host resolves to an internal address; Accord does not "
                    "post there",
                )

    def webhook(self, notice: Notice, subscription: Subscription) -> None:
        self._check_destination(subscription.address)
        body = notice_payload(notice)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(subscription.secret, int(self.clock()), body),
            NOTICE_ID_HEADER: notice.id,
            "User-Agent": "Accord-Notices/1",
        }
        try:
            answer = httpx.post(
                subscription.address,
                content=body,
                headers=headers,
                timeout=self.settings.webhook_timeout,
                follow_redirects=False,
            )
        except httpx.TimeoutException as exc:
            raise SendFailed("timeout", f"the webhook did not answer in time: {exc}") from exc
        except httpx.HTTPError as exc:
            raise SendFailed("connection error", f"could not reach the webhook: {exc}") from exc
        if not 200 <= answer.status_code < 300:
            raise SendFailed(
                f"http {answer.status_code}", f"the webhook answered {answer.status_code}"
            )


@dataclass
class DeliveryReport:
    """What one run of the deliverer did."""

    attempted: int = 0
    delivered: int = 0
    """Notices every destination has now taken."""
    nobody: int = 0
    """Notices with no subscriber: marked delivered to nobody."""
    retrying: int = 0
    failed: int = 0
    """Notices out of attempts this run."""
    sent: int = 0
    """Messages sent (emails and webhook calls that succeeded)."""
    send_errors: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "attempted": self.attempted,
            "delivered": self.delivered,
            "delivered_to_nobody": self.nobody,
            "retrying": self.retrying,
            "failed": self.failed,
            "messages_sent": self.sent,
            "send_errors": self.send_errors,
        }


def reminder_id(item_id: str, day: str) -> str:
    """The one notice id for one item's reminder on one day, so a second run adds none."""
    return "ntc-r-" + hashlib.sha256(f"{item_id}|{day}".encode()).hexdigest()[:24]


class Deliverer:
    def __init__(
        self, store: Store, settings: DeliverySettings, *, sender: Sender | None = None
    ) -> None:
        self.store = store
        self.settings = settings
        self.repository = OutboxStore(store)
        self._send = sender or Transports(settings).send
        self._smtp = sender is None
        """Whether email goes over SMTP (and so needs its settings), or to a given sender."""

    def deliver(self, caller: Caller, *, limit: int | None = None) -> DeliveryReport:
        """Send every notice that is due now (at most ``limit``, default the setting)."""
        allowed = authorise(
            self.store,
            caller,
            can_deliver_notices(caller),
            action="notices.deliver",
            obj="notices",
        )
        report = DeliveryReport()
        cap = min(limit or self.settings.per_run, self.settings.per_run)
        due = self.repository.due(self.store.clock(), cap)
        if self._smtp and any(self._wants_email(status.notice) for status in due):
            self.settings.require_smtp()
        for status in due:
            report.attempted += 1
            self._deliver_one(allowed, status, report)
        return report

    def _wants_email(self, notice: Notice) -> bool:
        return any(
            s.channel is Channel.EMAIL and s.wants(notice.kind)
            for s in self.repository.subscriptions(notice.organisation)
        )

    def _event(
        self, allowed: AuditEvent, notice: Notice, reason: str, **details: Any
    ) -> AuditEvent:
        return AuditEvent(
            actor=allowed.actor,
            action="notices.send",
            object=f"notice:{notice.id}",
            organisation=notice.organisation,
            decision=Decision.ALLOW,
            reason=reason,
            details={"kind": notice.kind.value, **details},
        )

    def _deliver_one(
        self, allowed: AuditEvent, status: NoticeStatus, report: DeliveryReport
    ) -> None:
        notice = status.notice
        attempts = status.attempts + 1
        wanted = [
            s for s in self.repository.subscriptions(notice.organisation) if s.wants(notice.kind)
        ]
        if not wanted:
            self._settle(allowed, notice, NoticeState.NOBODY, attempts, "", "no subscriber")
            report.nobody += 1
            return
        if len(notice_payload(notice)) > MAX_BODY_BYTES:
            error = f"the notice is larger than {MAX_BODY_BYTES} bytes and was not sent"
            self._settle(allowed, notice, NoticeState.FAILED, attempts, error, "too large")
            report.failed += 1
            return
        took = {d.subscription_id for d in self.repository.deliveries(notice.id) if d.delivered}
        errors: list[str] = []
        for subscription in wanted:
            if subscription.id in took:
                continue
            try:
                self._send(notice, subscription)
            except SendFailed as exc:
                errors.append(f"{subscription.id}: {exc}")
                report.send_errors += 1
                self.repository.record_attempt(
                    notice,
                    subscription,
                    delivered=False,
                    error=str(exc),
                    audit=self._event(
                        allowed,
                        notice,
                        f"not delivered by {subscription.channel.value}: {exc.kind}",
                        subscription=subscription.id,
                        channel=subscription.channel.value,
                        outcome="failed",
                        attempt=attempts,
                    ),
                )
                continue
            report.sent += 1
            self.repository.record_attempt(
                notice,
                subscription,
                delivered=True,
                error="",
                audit=self._event(
                    allowed,
                    notice,
                    f"delivered by {subscription.channel.value}",
                    subscription=subscription.id,
                    channel=subscription.channel.value,
                    outcome="delivered",
                    attempt=attempts,
                ),
            )
        if not errors:
            self._settle(allowed, notice, NoticeState.DELIVERED, attempts, "", "delivered")
            report.delivered += 1
        elif attempts >= self.settings.max_attempts:
            self._settle(allowed, notice, NoticeState.FAILED, attempts, "; ".join(errors), "failed")
            report.failed += 1
        else:
            self._settle(allowed, notice, NoticeState.QUEUED, attempts, "; ".join(errors), "retry")
            report.retrying += 1

    def _settle(
        self,
        allowed: AuditEvent,
        notice: Notice,
        state: NoticeState,
        attempts: int,
        error: str,
        outcome: str,
    ) -> None:
        now = self.store.clock()
        later = retry_after(attempts, now, self.settings.retry_seconds)
        reasons = {
            NoticeState.DELIVERED: "every subscribed destination has the notice",
            NoticeState.NOBODY: "the organisation has no subscription for this kind of notice",
            NoticeState.FAILED: f"not delivered after {attempts} attempt(s)",
            NoticeState.QUEUED: f"to be tried again at {later.isoformat()}",
        }
        self.repository.settle(
            notice.id,
            state=state,
            attempts=attempts,
            next_attempt_at=later if state is NoticeState.QUEUED else now,
            error=error[:2000],
            audit=AuditEvent(
                actor=allowed.actor,
                action="notices.deliver",
                object=f"notice:{notice.id}",
                organisation=notice.organisation,
                decision=Decision.ALLOW,
                reason=reasons[state],
                details={
                    "kind": notice.kind.value,
                    "state": state.value,
                    "attempts": attempts,
                    "outcome": outcome,
                    "authorised": {"action": allowed.action, "reason": allowed.reason},
                },
            ),
        )

    # -- reminders ---------------------------------------------------------------------

    def remind(self, caller: Caller, *, now: datetime | None = None) -> list[Notice]:
        """Queue today's reminder for each overdue destruction certificate, once a day."""
        allowed = authorise(
            self.store,
            caller,
            can_deliver_notices(caller),
            action="notices.remind",
            obj="notices",
        )
        moment = now or self.store.clock()
        day = moment.date().isoformat()
        notices = []
        for item in LifecycleStore(self.store).overdue_items(moment):
            confirm_by = item.confirm_by.date().isoformat() if item.confirm_by else "?"
            notices.append(
                Notice(
                    id=reminder_id(item.id, day),
                    organisation=item.holder,
                    kind=NoticeKind.DESTRUCTION_CERTIFICATE_OVERDUE,
                    subject=f"Destruction certificate overdue: {item.id}",
                    body=(
                        f"Your organisation holds a copy ({item.kind.value}, {item.subject}) "
                        f"under agreement {item.agreement_id} that was marked for destruction. "
                        f"Its destruction certificate was due by {confirm_by} and has not "
                        f"been received. Destroy the copy and certify it with "
                        f"`accord retention certify {item.id}` or on the API."
                    ),
                    reference=f"retention-item:{item.id}",
                )
            )
        if not notices:
            return []
        fresh_ids = set(n.id for n in notices) - self.repository.existing_ids(
            [n.id for n in notices]
        )
        fresh = [n for n in notices if n.id in fresh_ids]
        if not fresh:
            return []
        return self.repository.queue_new(
            fresh,
            audit=AuditEvent(
                actor=allowed.actor,
                action="notices.remind",
                object="notices",
                organisation=allowed.organisation,
                decision=Decision.ALLOW,
                reason=f"{len(fresh)} destruction certificate(s) overdue on {day}",
                details={
                    "items": sorted(n.reference for n in fresh),
                    "authorised": {"action": allowed.action, "reason": allowed.reason},
                },
            ),
        )
