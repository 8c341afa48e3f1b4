"""The service navigation: what a signed-in person can reach, by their roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from accord.core.identity import Role

if TYPE_CHECKING:
    from accord.web.sessions import SignedIn

__all__ = ["NavItem", "navigation_for"]


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    href: str
    active: bool


_ITEMS: tuple[tuple[str, str, frozenset[Role] | None], ...] = (
    ("Find data", "/find-data", None),
    ("Requests", "/my-requests", None),
    (
        "Waiting on me",
        "/waiting-on-me",
        frozenset({Role.DATA_OWNER, Role.DPO, Role.LEGAL, Role.ADMIN}),
    ),
    ("Agreements", "/our-agreements", None),
    ("My data", "/my-data", frozenset({Role.DATA_OWNER, Role.DPO, Role.ADMIN})),
    ("Output checking", "/output-checking", frozenset({Role.AUDITOR, Role.ANALYST, Role.DPO})),
    ("Dashboard", "/dashboard", frozenset({Role.DPO, Role.ADMIN, Role.AUDITOR})),
    ("Notifications", "/notifications", frozenset({Role.ADMIN})),
    ("Records", "/records", frozenset({Role.DPO, Role.ADMIN})),
    ("Received forms", "/received-forms",
     frozenset({Role.DATA_OWNER, Role.DPO, Role.ADMIN, Role.ANALYST})),
    ("Referrals and changes", "/provider-inbox", frozenset({Role.REQUESTER, Role.ANALYST})),
    ("Send a form", "/send-a-form", frozenset({Role.REQUESTER})),
    ("Access reviews", "/our-access-reviews", frozenset({Role.ADMIN, Role.DATA_OWNER, Role.DPO})),
    ("Erasure requests", "/erasure", frozenset({Role.DPO, Role.ADMIN})),
    ("Sub-contractors", "/approved-subcontractors",
     frozenset({Role.DATA_OWNER, Role.DPO, Role.ADMIN})),
)  # fmt: skip


def navigation_for(signed_in: SignedIn | None, path: str) -> list[NavItem]:
    if signed_in is None:
        return [NavItem("Public register", "/public-register", path.startswith("/public-register"))]
    roles = {m.role for m in signed_in.principal.memberships}
    return [
        NavItem(label, href, path == href or path.startswith(href + "/"))
        for label, href, needs in _ITEMS
        if needs is None or roles & needs
    ]
