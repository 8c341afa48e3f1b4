"""Who an organisation's notices go to: its subscriptions, and who may manage them.

A subscription is one destination, an email address or a webhook, with the kinds of
notice it receives (none named means every kind). An organisation's admin keeps its
own (the platform operator may too); nobody else learns that they exist, because an
address or a webhook says who an organisation talks to.

Everything a caller sends is checked here, before anything is stored: an address is one
plain mailbox (no display name, no line breaks that could add a header), a webhook is an
``https`` URL with no credentials in it (``http`` only to a loopback host, and only when
``ACCORD_WEBHOOK_ALLOW_LOOPBACK_HTTP=1`` says so, for tests and demonstrations), and each
value has a length limit. A refusal names the field.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from accord.core.identity import Role
from accord.core.lifecycle.notices import NoticeKind
from accord.core.permissions import Caller, Verdict
from accord.errors import ValidationError

__all__ = [
    "MAX_ADDRESS",
    "MAX_SUBSCRIPTIONS",
    "MAX_URL",
    "Channel",
    "Subscription",
    "can_deliver_notices",
    "can_manage_notices",
    "check_email",
    "check_kinds",
    "check_webhook_url",
    "internal_address",
]

MAX_ADDRESS = 254
"""The longest email address SMTP carries (RFC 5321's path limit less the brackets)."""
MAX_URL = 2000
MAX_SUBSCRIPTIONS = 50
"""Destinations one organisation may have: each costs a message per notice."""

_MAILBOX = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


@dataclass(frozen=True, slots=True)
class Subscription:
    """One destination of an organisation's notices.

    ``secret`` is the webhook's signing key: shown to the admin once, when it is made,
    and never again (lists leave it out).
    """

    id: str
    organisation: str
    channel: Channel
    address: str
    """The email address, or the webhook's URL."""
    kinds: frozenset[NoticeKind]
    """The kinds it receives; empty means every kind."""
    created_at: datetime
    created_by: str
    secret: str = ""

    def wants(self, kind: NoticeKind) -> bool:
        return not self.kinds or kind in self.kinds

    def public(self) -> Subscription:
        """The subscription without its secret, as every list shows it."""
        return Subscription(
            self.id,
            self.organisation,
            self.channel,
            self.address,
            self.kinds,
            self.created_at,
            self.created_by,
        )


def check_email(address: str) -> str:
    """One plain mailbox, trimmed; refused with the field's name otherwise."""
    value = address.strip()
    if not value:
        raise ValidationError("address: enter an email address")
    if len(value) > MAX_ADDRESS:
        raise ValidationError(f"address: an email address is at most {MAX_ADDRESS} characters")
    if not _MAILBOX.fullmatch(value):
        raise ValidationError(
            "address: enter one email address like name@example.gov.uk, with no name or spaces"
        )
    return value


def internal_address(address: str) -> bool:
    """Whether an IP address is not on the public internet: private, link-local (cloud
    metadata services live there), loopback, reserved, multicast or unspecified."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return not ip.is_global


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(url: str, *, allow_loopback_http: bool) -> str:
    """An ``https`` URL with a host and no credentials; ``http`` only to loopback when allowed."""
    value = url.strip()
    if not value:
        raise ValidationError("url: enter the webhook's URL")
    if len(value) > MAX_URL:
        raise ValidationError(f"url: a webhook URL is at most {MAX_URL} characters")
    if any(ord(c) < 0x21 or c in "\\\x7f" for c in value):
        raise ValidationError("url: a webhook URL may not contain spaces or control characters")
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port that is not a number raises here
    except ValueError as exc:
        raise ValidationError(f"url: not a URL Accord can post to ({exc})") from exc
    host = (parts.hostname or "").lower()
    if not host:
        raise ValidationError("url: a webhook URL needs a host, like https://hooks.example.gov.uk/")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(
            "url: a webhook URL may not hold a user name or password; Accord signs each "
            "request instead (see the Accord-Signature header)"
        )
    if parts.fragment:
        raise ValidationError("url: a webhook URL may not have a #fragment")
    loopback_ok = allow_loopback_http and _loopback(host)
    if (internal_address(host.strip("[]")) or _loopback(host)) and not loopback_ok:
        raise ValidationError(
            "url: a webhook must be on the public internet; Accord does not post to private, "
            "link-local or loopback addresses"
        )
    if parts.scheme == "https":
        return value
    if parts.scheme == "http" and _loopback(host):
        if allow_loopback_http:
            return value
        raise ValidationError(
            "url: http is allowed only to a loopback host, and only when "
            "ACCORD_WEBHOOK_ALLOW_LOOPBACK_HTTP=1 (for tests and demonstrations); use https"
        )
    raise ValidationError("url: a webhook URL must start with https://")


def check_kinds(kinds: Iterable[str]) -> frozenset[NoticeKind]:
    """The kinds named, each one Accord has; none means every kind."""
    chosen: set[NoticeKind] = set()
    for raw in kinds:
        name = raw.strip()
        if not name:
            continue
        try:
            chosen.add(NoticeKind(name))
        except ValueError:
            known = ", ".join(k.value for k in NoticeKind)
            raise ValidationError(
                f"kinds: {name[:60]!r} is not a kind of notice; choose from {known}"
            ) from None
    return frozenset(chosen)


def can_manage_notices(caller: Caller, organisation: str) -> Verdict:
    """See and change where an organisation's notices go, and see its notices."""
    if caller.operator:
        return Verdict(True, "local operator")
    if caller.has_role(caller.platform_org, Role.ADMIN):
        return Verdict(True, "admin of the platform organisation")
    if caller.has_role(organisation, Role.ADMIN):
        return Verdict(True, f"admin of {organisation!r}")
    return Verdict(False, f"only an admin of {organisation!r} may manage its notifications")


def can_deliver_notices(caller: Caller) -> Verdict:
    """Delivery and reminders act for every organisation: the operator or a platform admin."""
    if caller.operator:
        return Verdict(True, "local operator")
    if caller.has_role(caller.platform_org, Role.ADMIN):
        return Verdict(True, "admin of the platform organisation")
    return Verdict(
        False, "only the local operator or a platform admin may deliver notices or run reminders"
    )
