"""Real parts for the notification tests: an SMTP server (aiosmtpd) and an HTTP receiver
(http.server) on loopback ports, and a small world of organisations with admins."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.core.lifecycle.delivery import NOTICE_ID_HEADER, SIGNATURE_HEADER, verify
from accord.services.app import Accord
from accord.services.notify import Deliverer, DeliverySettings
from tests.provider.conftest import provider_world  # noqa: F401

PEOPLE = {
    "dwp.admin": (Membership("dwp", Role.ADMIN),),
    "dwp.data": (Membership("dwp", Role.DATA_OWNER),),
    "northfield.admin": (Membership("northfield", Role.ADMIN),),
    "eastgate.admin": (Membership("eastgate", Role.ADMIN),),
}


@pytest.fixture
def world(sqlite_accord: Accord) -> Accord:
    op = sqlite_accord.operator("test")
    for org, name in (("dwp", "DWP"), ("northfield", "Northfield"), ("eastgate", "Eastgate")):
        kind = OrgKind.GOVERNMENT_DEPARTMENT if org == "dwp" else OrgKind.CONTRACTED_PROVIDER
        sqlite_accord.identity.create_organisation(op, org, name, kind)
    for pid, memberships in PEOPLE.items():
        sqlite_accord.identity.create_principal(op, pid, pid, PrincipalKind.PERSON, memberships)
    return sqlite_accord


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    port: int
    messages: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for rcpt, m in self.messages if address in rcpt]


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on a loopback port."""
    mailbox = Mailbox(free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool


@dataclass
class Receiver:
    """Verifies each request's signature with ``secret``; fails the first ``fail_first``."""

    url: str = ""
    secret: str = ""
    fail_first: int = 0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Received]:
        return [r for r in self.requests if r.verified]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP server in a thread, answering as a webhook would."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            ok = verify(
                state.secret, self.headers.get(SIGNATURE_HEADER, ""), body, int(time.time())
            )
            with state.lock:
                state.requests.append(Received(dict(self.headers.items()), body, ok))
                failing = state.fail_first > 0
                if failing:
                    state.fail_first -= 1
            status = 401 if not ok else 500 if failing else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/accord"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def delivery_settings(mailbox: Mailbox | None = None, **changes: Any) -> DeliverySettings:
    """Settings for the loopback servers: no STARTTLS, webhooks over loopback http."""
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1" if mailbox else "",
        "smtp_port": mailbox.port if mailbox else 587,
        "smtp_from": "accord-notices@example.gov.uk" if mailbox else "",
        "smtp_starttls": False,
        "allow_loopback_http": True,
        "retry_seconds": 60,
        "max_attempts": 4,
    }
    values.update(changes)
    return DeliverySettings(**values)


def flush(
    world: Accord,
    settings: DeliverySettings,
    mailbox: Mailbox | None = None,
    receiver: Receiver | None = None,
) -> None:
    """Deliver what setting up queued (each new subscription's notice to its organisation)
    and forget it, so a test sees only the notices it queues itself."""
    Deliverer(world.store, settings).deliver(world.operator("test"))
    if mailbox is not None:
        mailbox.messages.clear()
    if receiver is not None:
        receiver.requests.clear()


__all__ = ["NOTICE_ID_HEADER", "Mailbox", "Receiver", "delivery_settings", "flush", "free_port"]
