"""Signed-in sessions: a random secret in a cookie, its hash in the store.

The cookie holds 32 random bytes and nothing else; the store keeps only their SHA-256,
so a copy of the database signs nobody in. A session ends on sign-out, after
``idle`` without a page view, or at ``lifetime`` after sign-in, whichever is first;
signing in always makes a new session (no fixation: a secret planted before sign-in
is never promoted). Each session has its own CSRF token, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from accord.core.audit import AuditEvent, Decision
from accord.core.identity import Principal
from accord.core.permissions import Caller
from accord.errors import NotFoundError
from accord.store import Store
from accord.store.web_store import WebSession, WebStore

__all__ = ["SessionService", "SignedIn"]

SEEN_EVERY = timedelta(seconds=30)
"""How stale ``last_seen_at`` may be before a page view writes it again."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedIn:
    session: WebSession
    principal: Principal
    caller: Caller


class SessionService:
    def __init__(
        self,
        store: Store,
        platform_org: str,
        *,
        idle: timedelta = timedelta(minutes=30),
        lifetime: timedelta = timedelta(hours=12),
    ) -> None:
        self.store = store
        self.sessions = WebStore(store)
        self.platform_org = platform_org
        self.idle = idle
        self.lifetime = lifetime

    def start(self, principal_id: str, method: str, *, via: str = "") -> str:
        """A new session for ``principal_id``; returns the cookie's secret."""
        principal = self.store.get_principal(principal_id)
        now = self.store.clock()
        secret = secrets.token_urlsafe(32)
        session = WebSession(
            id=_digest(secret),
            principal_id=principal.id,
            method=method,
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + self.lifetime,
            ended_at=None,
        )
        self.sessions.start_session(
            session,
            audit=AuditEvent(
                actor=f"principal:{principal.id}",
                action="web.sign_in",
                object=f"principal:{principal.id}",
                organisation=_home_org(principal, self.platform_org),
                reason=f"signed in to the web service by {method}",
                details={"method": method, "via": via},
            ),
        )
        return secret

    def refuse_sign_in(self, who: str, method: str, reason: str) -> None:
        """Record a failed sign-in (wrong password, code or provider answer)."""
        self.store.record(
            AuditEvent(
                actor=f"principal:{who}" if who else "anonymous",
                action="web.sign_in",
                object=f"principal:{who}" if who else "",
                organisation=self.platform_org,
                decision=Decision.DENY,
                reason=reason,
                details={"method": method},
            )
        )

    def resolve(self, secret: str | None) -> SignedIn | None:
        """The live session behind a cookie, or None (unknown, ended, idle or expired)."""
        if not secret or len(secret) > 100:
            return None
        session = self.sessions.get_session(_digest(secret))
        if session is None or session.ended_at is not None:
            return None
        now = self.store.clock()
        if now >= session.expires_at or now - session.last_seen_at >= self.idle:
            return None
        try:
            principal = self.store.get_principal(session.principal_id)
        except NotFoundError:
            return None
        if now - session.last_seen_at >= SEEN_EVERY:
            self.sessions.seen(session.id, now)
        return SignedIn(session, principal, Caller.for_principal(principal, self.platform_org))

    def end(self, secret: str | None) -> None:
        signed_in = self.resolve(secret)
        if signed_in is None:
            return
        self.sessions.end_session(
            signed_in.session.id,
            self.store.clock(),
            audit=AuditEvent(
                actor=f"principal:{signed_in.principal.id}",
                action="web.sign_out",
                object=f"principal:{signed_in.principal.id}",
                organisation=_home_org(signed_in.principal, self.platform_org),
                reason="signed out of the web service",
            ),
        )

    @staticmethod
    def csrf_ok(signed_in: SignedIn | None, token: str | None) -> bool:
        if signed_in is None or not token:
            return False
        return hmac.compare_digest(signed_in.session.csrf.encode(), token.encode())


def _home_org(principal: Principal, platform_org: str) -> str:
    orgs = sorted({m.organisation_id for m in principal.memberships})
    return orgs[0] if orgs else platform_org
