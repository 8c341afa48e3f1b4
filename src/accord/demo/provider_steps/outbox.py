"""The demo's notifications: DWP's and Northfield's admins subscribe by email, and every
queued notice is delivered.

The admins subscribe their own addresses as themselves, through the same outbox the
Notifications page uses; the step then runs the reminders job and the deliverer as the
platform operator would. Email goes over real SMTP to a server on a loopback port that
the step starts (aiosmtpd); where aiosmtpd is not installed (it is a development
dependency) the same messages are written to a maildir under the demo's home instead,
and the counts say ``"transport": "maildir"``.
"""

from __future__ import annotations

import mailbox
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from accord.core.lifecycle.notices import Notice
from accord.core.lifecycle.subscriptions import Subscription
from accord.demo.provider_world import DEPARTMENT, PROVIDER, ProviderWorld
from accord.demo.steps import Step, timed
from accord.services.notify import Deliverer, DeliverySettings, Sender
from accord.services.outbox import Outbox

__all__ = ["run"]

ADMINS = (("dwp.admin", DEPARTMENT), ("northfield.admin", PROVIDER))
FROM = "accord-notices@demo.invalid"


class _Received:
    """What the loopback SMTP server accepted: recipients of each message."""

    def __init__(self) -> None:
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _smtp() -> Iterator[tuple[DeliverySettings, _Received] | None]:
    """A real SMTP server on loopback, or None where aiosmtpd is not installed."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        yield None
        return
    received = _Received()
    port = _free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = DeliverySettings(
            smtp_host="127.0.0.1", smtp_port=port, smtp_from=FROM, smtp_starttls=False
        )
        yield settings, received
    finally:
        controller.stop()


def _maildir_sender(path: Path) -> Sender:
    """Writes each email to a maildir instead of sending it (no SMTP server at hand)."""
    box = mailbox.Maildir(path, create=True)

    def send(notice: Notice, subscription: Subscription) -> None:
        message = EmailMessage()
        message["From"] = FROM
        message["To"] = subscription.address
        message["Subject"] = notice.subject
        message.set_content(notice.body)
        box.add(message)

    return send


def run(world: ProviderWorld, steps: list[Step]) -> dict[str, Any]:
    """Subscribe both admins by email, then deliver every queued notice."""
    app = world.app
    with timed(steps, "notifications: admins subscribe by email") as counts:
        outbox = Outbox(app.store)
        for principal_id, org in ADMINS:
            admin = world.caller(principal_id)
            address = app.store.get_principal(principal_id).email or f"{principal_id}@demo.invalid"
            if not any(s.address == address for s in outbox.subscriptions(admin, org)):
                outbox.subscribe_email(admin, org, address)
        counts["subscriptions"] = len(ADMINS)
    with _smtp() as server, timed(steps, "notifications: deliver the outbox") as counts:
        if server is None:
            settings = DeliverySettings()
            maildir = app.settings.home / "maildir"
            deliverer = Deliverer(app.store, settings, sender=_maildir_sender(maildir))
            counts["transport"] = "maildir"
        else:
            settings, received = server
            deliverer = Deliverer(app.store, settings)
            counts["transport"] = "smtp on loopback"
        operator = world.operator
        counts["reminders"] = len(deliverer.remind(operator))
        totals = {"delivered": 0, "delivered_to_nobody": 0, "retrying": 0, "failed": 0}
        while True:
            report = deliverer.deliver(operator).as_dict()
            for key in totals:
                totals[key] += report[key]
            if report["attempted"] == 0 or report["attempted"] == report["retrying"]:
                break
        counts.update(totals)
        counts["emails"] = (
            len(received.recipients)
            if server is not None
            else len(list(mailbox.Maildir(maildir, create=False).keys()))
        )
    return {"transport": counts["transport"], **totals, "emails": counts["emails"]}
