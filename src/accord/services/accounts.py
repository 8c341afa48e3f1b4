"""Local accounts: the embedded default way to sign in to the web service.

An account belongs to a principal and its username is the principal's id. It has an
argon2id password hash and a TOTP secret (RFC 6238: 30-second steps, a code accepted
one step either side for a drifting clock, and never twice: the last accepted step is
stored). The TOTP secret is sealed under the home's master key, bound to the
principal's name, as the platform's other secrets are (:mod:`accord.keys`).

Signing in answers one message for every failure (wrong username, password or code)
and takes the same time whether the username exists or not: one argon2 verification
always runs, against a dummy hash for an unknown user. Every failure is a
``web.sign_in`` deny event, and the log is also the lockout's memory: five failures
for a username within 15 minutes, since its last success, lock it (attempts while
locked count too) until fewer than five fall within the last 15 minutes.
The success event is written by the session that starts
(:meth:`accord.web.sessions.SessionService.start`).
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from accord.core.audit import AuditEvent, Decision, format_time
from accord.core.identity import Principal, PrincipalKind
from accord.core.permissions import Caller, Verdict, can_manage_token
from accord.errors import AuthenticationError, NotFoundError, ValidationError
from accord.keys import KeyStore
from accord.services.guard import authorise
from accord.store import AuditFilter, Store
from accord.store.account_store import Account, AccountStore

__all__ = [
    "LOCAL_METHOD",
    "LOCKOUT_ATTEMPTS",
    "LOCKOUT_WINDOW",
    "AccountService",
    "Enrolment",
    "SignInRefused",
]

LOCAL_METHOD = "password+totp"
"""How a local sign-in is named in sessions and audit events."""
LOCKOUT_ATTEMPTS = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
STEP_SECONDS = 30
DRIFT_STEPS = 1
MIN_PASSWORD = 12
MAX_PASSWORD = 256
"""Long passphrases are welcome; the bound keeps one argon2 verification cheap enough."""
ISSUER = "Accord"

WRONG = "Enter a correct username, password and security code"
LOCKED = "You have entered incorrect details too many times. Wait 15 minutes, then try again"

_hasher = PasswordHasher()
"""argon2id with argon2-cffi's defaults (RFC 9106's low-memory choice: t=3, 64 MiB, p=4)."""
_VERIFYING = threading.BoundedSemaphore(4)
"""At most four verifications at once (256 MiB): a flood of sign-ins queues for them
rather than taking the server's memory, one thread of the pool at a time."""


@cache
def _dummy_hash() -> str:
    """What an unknown username is checked against, so that it costs the same time."""
    return _hasher.hash("no account has this password: it only spends the time")


class SignInRefused(AuthenticationError):
    """A refused local sign-in. ``message`` is all the person is told."""

    code = "sign_in"

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A TOTP secret, shown once: as text and as the URI an authenticator app reads."""

    secret: str
    uri: str


def _sealed_name(principal_id: str) -> str:
    return f"totp:{principal_id}"


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"password: must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValidationError(f"password: must be at most {MAX_PASSWORD} characters")
    return password


class AccountService:
    def __init__(self, store: Store, keys: KeyStore, platform_org: str) -> None:
        self.store = store
        self.accounts = AccountStore(store)
        self.keys = keys
        self.platform_org = platform_org

    # -- managing accounts ------------------------------------------------------------

    def _authorise(self, caller: Caller, principal: Principal, action: str) -> AuditEvent:
        # Who may set a principal's password is who may manage its API tokens: the
        # principal, or an admin of one of its organisations (or of the platform).
        verdict = can_manage_token(caller, principal)
        if not verdict.allowed:
            verdict = Verdict(
                False,
                f"only {principal.id!r} or an admin of its organisations may manage its "
                "password and security codes",
            )
        return authorise(
            self.store,
            caller,
            verdict,
            action=action,
            obj=f"principal:{principal.id}",
            organisation=_home_org(principal, self.platform_org),
        )

    def _enrolment(self, principal_id: str) -> tuple[Enrolment, bytes]:
        secret = pyotp.random_base32()
        uri = pyotp.TOTP(secret).provisioning_uri(name=principal_id, issuer_name=ISSUER)
        sealed = self.keys.seal(_sealed_name(principal_id), secret.encode())
        return Enrolment(secret, uri), sealed

    def create(self, caller: Caller, principal_id: str, password: str) -> Enrolment:
        """An account for a person, with its password and a new TOTP secret (shown once)."""
        principal = self.store.get_principal(principal_id)
        event = self._authorise(caller, principal, "account.create")
        if principal.kind is not PrincipalKind.PERSON:
            raise ValidationError(
                f"principal: {principal_id!r} is a service, and services use API tokens"
            )
        password_hash = _hasher.hash(_check_password(password))
        enrolment, sealed = self._enrolment(principal.id)
        now = self.store.clock()
        self.accounts.add_account(
            Account(principal.id, password_hash, sealed, 0, now, now), audit=event
        )
        return enrolment

    def set_password(self, caller: Caller, principal_id: str, password: str) -> None:
        principal = self.store.get_principal(principal_id)
        event = self._authorise(caller, principal, "account.password")
        password_hash = _hasher.hash(_check_password(password))
        self.accounts.set_password_hash(
            principal.id, password_hash, self.store.clock(), audit=event
        )

    def enrol_totp(self, caller: Caller, principal_id: str) -> Enrolment:
        """A new TOTP secret for the account (the old one stops working), shown once."""
        principal = self.store.get_principal(principal_id)
        event = self._authorise(caller, principal, "account.totp")
        if self.accounts.get_account(principal.id) is None:
            raise NotFoundError(f"{principal_id!r} has no account: create one first")
        enrolment, sealed = self._enrolment(principal.id)
        self.accounts.set_totp(principal.id, sealed, self.store.clock(), audit=event)
        return enrolment

    def any_accounts(self) -> bool:
        return self.accounts.has_accounts()

    # -- signing in -------------------------------------------------------------------

    def verify(self, username: str, password: str, code: str) -> Principal:
        """The principal whose password and current code these are; or a recorded refusal.

        Always one argon2 verification, whatever happens, so that the time taken says
        nothing about whether the username exists or is locked.
        """
        username = username.strip()[:100]
        account = self.accounts.get_account(username) if _plausible(username) else None
        password_ok = _verify_hash(
            account.password_hash if account else _dummy_hash(), password[:MAX_PASSWORD]
        )
        if self._locked(username):
            self._refuse(username, "locked out: too many failed sign-ins", locked=True)
            raise SignInRefused(LOCKED, locked=True)
        if account is None:
            self._refuse(username, "no account with this username")
            raise SignInRefused(WRONG)
        if not password_ok:
            self._refuse(username, "wrong password")
            raise SignInRefused(WRONG)
        step = self._code_step(account, code.strip().replace(" ", ""))
        if step is None:
            self._refuse(username, "wrong security code")
            raise SignInRefused(WRONG)
        if not self.accounts.use_totp_step(account.principal_id, step):
            self._refuse(username, "security code already used")
            raise SignInRefused(WRONG)
        return self.store.get_principal(account.principal_id)

    def _code_step(self, account: Account, code: str) -> int | None:
        """The step whose code this is, within the drift allowed, later than the last used."""
        if account.totp_sealed is None or not (code.isdigit() and len(code) == 6):
            return None
        secret = self.keys.unseal(_sealed_name(account.principal_id), account.totp_sealed)
        totp = pyotp.TOTP(secret.decode())
        now_step = int(self.store.clock().timestamp()) // STEP_SECONDS
        found = None
        for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
            # Every candidate is compared, so the time does not say which one matched.
            if hmac.compare_digest(totp.at(step * STEP_SECONDS), code) and found is None:
                found = step
        return found  # a step used already is refused by the store, atomically

    def _locked(self, username: str) -> bool:
        """Five failures since the last success within the window lock the username.

        An attempt refused while locked counts as a failure too: someone hammering a
        username keeps it locked (rather than pushing the real failures out of the
        events read here); it opens once fewer than five attempts fall within the window.
        """
        since = self.store.clock() - LOCKOUT_WINDOW
        events = self.store.audit_events(
            AuditFilter(
                object=f"principal:{username}",
                action="web.sign_in",
                since=format_time(since),
                limit=100,
                newest_first=True,
            )
        )
        failures = 0
        for event in events:
            if event.decision == Decision.ALLOW.value:
                break
            if event.details_dict.get("method") == LOCAL_METHOD:
                failures += 1
                if failures >= LOCKOUT_ATTEMPTS:
                    return True
        return False

    def _refuse(self, username: str, reason: str, *, locked: bool = False) -> None:
        details: dict[str, object] = {"method": LOCAL_METHOD}
        if locked:
            details["locked"] = True
        self.store.record(
            AuditEvent(
                actor=f"principal:{username}" if username else "anonymous",
                action="web.sign_in",
                object=f"principal:{username}" if username else "",
                organisation=self.platform_org,
                decision=Decision.DENY,
                reason=reason,
                details=details,
            )
        )


def _plausible(username: str) -> bool:
    return 0 < len(username) <= 64


def _verify_hash(password_hash: str, password: str) -> bool:
    with _VERIFYING:
        try:
            return _hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def _home_org(principal: Principal, platform_org: str) -> str:
    orgs = sorted({m.organisation_id for m in principal.memberships})
    return orgs[0] if orgs else platform_org
