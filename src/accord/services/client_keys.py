"""Machine clients' signing keys, and the requests they sign (RFC 9421).

A principal (a service account, or another deployment's node) registers Ed25519 public
keys; a request signed by one of them is that principal's, with its roles, just as a
bearer token's would be, but nothing secret crosses the wire: a captured request cannot
be altered (the method, the full URI and the body's digest are signed) nor sent again
(each nonce is remembered for the signature's lifetime).

Who may register or revoke a principal's keys is who may manage its tokens
(:func:`accord.core.permissions.can_manage_token`): the principal itself, or an admin
of one of its organisations. A key is a credential as a token is.

Refusals of a request that names a registered key are audited one by one, as
``api.authenticate`` denies whose actor is the key. Refusals that name no registered
key (malformed headers, unknown keyids) could come from anyone, as often as they like:
they are written at most once a minute per kind, with the number since the last one,
so that nobody can flood the log by sending junk.
"""

from __future__ import annotations

import heapq
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
    load_ssh_public_key,
)

from accord.core.audit import AuditEvent, Decision
from accord.core.httpsig import (
    ClientKey,
    Message,
    SignatureInput,
    check_content_digest,
    check_params,
    parse_signature_input,
    parse_signatures,
    signature_base,
    verify_ed25519,
)
from accord.core.permissions import Caller, can_manage_token
from accord.errors import AuthenticationError, RateLimited, ValidationError, not_found
from accord.services.guard import authorise, may_know_of
from accord.store import Store
from accord.store.tls_store import ClientKeyStore

__all__ = ["ClientKeyService", "ReplayCache", "SignedRequest", "parse_public_key"]

ANONYMOUS_AUDIT_INTERVAL = 60.0
"""Seconds between audit events for refusals that name no registered key, per kind."""


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What the API hands over of a request that carries a signature."""

    message: Message
    signature_input: str
    signature: str
    body: bytes


class ReplayCache:
    """The nonces seen within the signature window, bounded.

    When it holds ``capacity`` nonces that have not yet expired, a new one is refused
    with 429 until the oldest expires, rather than forgetting one (which would let
    that request be replayed). One per process: ``accord serve`` runs one.
    """

    def __init__(self, capacity: int, clock: Callable[[], float] = time.time) -> None:
        self.capacity = capacity
        self.clock = clock
        self._expiry: dict[tuple[str, str], float] = {}
        self._heap: list[tuple[float, tuple[str, str]]] = []
        self._lock = threading.Lock()

    def first_use(self, key_id: str, nonce: str, until: float) -> bool:
        """Remember ``nonce`` for ``key_id`` until ``until``; False if it was seen already."""
        now = self.clock()
        entry = (key_id, nonce)
        with self._lock:
            while self._heap and self._heap[0][0] <= now:
                _, old = heapq.heappop(self._heap)
                if self._expiry.get(old, now + 1) <= now:
                    del self._expiry[old]
            if entry in self._expiry:
                return False
            if len(self._expiry) >= self.capacity:
                wait = max(self._heap[0][0] - now, 1.0)
                raise RateLimited(
                    "too many signed requests within the signature window "
                    "(ACCORD_SIGNATURE_NONCE_CACHE): try again later",
                    retry_after=wait,
                )
            self._expiry[entry] = until
            heapq.heappush(self._heap, (until, entry))
            return True


def parse_public_key(data: bytes) -> bytes:
    """The raw 32 bytes of an Ed25519 public key given as PEM or as an OpenSSH line."""
    text = data.strip()
    try:
        key = load_ssh_public_key(text) if text.startswith(b"ssh-") else load_pem_public_key(text)
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            "--public-key is not a PEM public key (-----BEGIN PUBLIC KEY-----) or an "
            "OpenSSH ssh-ed25519 line"
        ) from exc
    if not isinstance(key, Ed25519PublicKey):
        kind = type(key).__name__.removesuffix("PublicKey").lstrip("_")
        raise ValidationError(
            f"--public-key is not an Ed25519 key (it is {kind}): client keys must be Ed25519"
        )
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


class ClientKeyService:
    def __init__(
        self,
        store: Store,
        *,
        max_age: int = 300,
        replay: ReplayCache | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.keys = ClientKeyStore(store)
        self.max_age = max_age
        self.replay = replay or ReplayCache(100_000, wall_clock)
        self.wall_clock = wall_clock
        self._anonymous: dict[str, tuple[float, int]] = {}
        self._anonymous_lock = threading.Lock()

    # -- registration ------------------------------------------------------------------

    def register(
        self, caller: Caller, principal_id: str, public_key: bytes, *, description: str = ""
    ) -> ClientKey:
        """Register a public key for ``principal_id``; its id is the keyid to sign with."""
        principal = self.store.get_principal(principal_id)
        raw = parse_public_key(public_key)
        if len(description) > 200:
            raise ValidationError("--description is longer than 200 characters")
        key = ClientKey(
            id="ck_" + secrets.token_hex(8),
            principal_id=principal.id,
            public_key=raw,
            created_at=self.store.clock(),
            description=description,
        )
        event = authorise(
            self.store,
            caller,
            can_manage_token(caller, principal),
            action="client_key.register",
            obj=f"client-key:{key.id}",
            principal=principal.id,
            fingerprint=key.fingerprint,
        )
        for existing in self.keys.list_client_keys(principal.id):
            if existing.public_key == raw and existing.revoked_at is None:
                raise ValidationError(
                    f"--public-key is already registered for {principal.id!r} as {existing.id}"
                )
        return self.keys.add_client_key(key, audit=event)

    def revoke(self, caller: Caller, key_id: str) -> ClientKey:
        key = self.keys.get_client_key(key_id)
        principal = self.store.get_principal(key.principal_id)
        verdict = can_manage_token(caller, principal)
        if not verdict.allowed and not may_know_of(self.store, caller, f"principal:{principal.id}"):
            # As for a token: someone no party to the key's principal learns nothing of it.
            self.store.record(
                AuditEvent(
                    actor=caller.actor,
                    action="client_key.revoke",
                    object=f"client-key:{key_id}",
                    decision=Decision.DENY,
                    reason=verdict.reason,
                    details={"principal": principal.id, "answered": "not found"},
                )
            )
            raise not_found("client key", key_id)
        event = authorise(
            self.store,
            caller,
            verdict,
            action="client_key.revoke",
            obj=f"client-key:{key_id}",
            principal=principal.id,
        )
        self.keys.revoke_client_key(key_id, self.store.clock(), audit=event)
        return self.keys.get_client_key(key_id)

    def list_keys(self, caller: Caller, principal_id: str) -> list[ClientKey]:
        principal = self.store.get_principal(principal_id)
        authorise(
            self.store,
            caller,
            can_manage_token(caller, principal),
            action="client_key.list",
            obj=f"principal:{principal_id}",
        )
        return self.keys.list_client_keys(principal_id)

    # -- authentication ----------------------------------------------------------------

    def authenticate(self, request: SignedRequest, access: str, platform_org: str) -> Caller:
        """The principal whose registered key signed ``request``; or a recorded 401."""
        try:
            inputs = parse_signature_input(request.signature_input)
            signatures = parse_signatures(request.signature)
        except AuthenticationError as exc:
            self._refuse_anonymous("malformed", access, exc.message)
        if len(inputs) != 1 or set(inputs) != set(signatures):
            self._refuse_anonymous(
                "malformed",
                access,
                "send exactly one signature, with the same label in Signature-Input and Signature",
            )
        [(label, signature_input)] = inputs.items()
        key = self.keys.find_client_key(signature_input.keyid or "")
        if key is None:
            self._refuse_anonymous(
                "unknown key", access, f"unknown client key {signature_input.keyid!r}"
            )
        reason = self._check(key, signature_input, signatures[label], request)
        if reason:
            self.store.record(
                AuditEvent(
                    actor=f"client-key:{key.id}",
                    action="api.authenticate",
                    object=access,
                    decision=Decision.DENY,
                    reason=reason,
                    details={"principal": key.principal_id},
                )
            )
            raise AuthenticationError(reason)
        principal = self.store.get_principal(key.principal_id)
        self.store.record(
            AuditEvent(
                actor=f"principal:{principal.id}",
                action="api.access",
                object=access,
                reason=f"request signed by client key {key.id}",
            )
        )
        return Caller.for_principal(principal, platform_org)

    def _check(
        self,
        key: ClientKey,
        signature_input: SignatureInput,
        signature: bytes,
        request: SignedRequest,
    ) -> str:
        if key.revoked_at is not None:
            return f"client key {key.id} was revoked"
        now = int(self.wall_clock())
        has_body = bool(request.body)
        reason = check_params(signature_input, now=now, max_age=self.max_age, has_body=has_body)
        if reason:
            return reason
        try:
            base = signature_base(request.message, signature_input)
        except AuthenticationError as exc:
            return exc.message
        if not verify_ed25519(key.public_key, base, signature):
            return f"the signature does not verify with client key {key.id}"
        if has_body or "content-digest" in signature_input.components:
            reason = check_content_digest(request.message.header("content-digest"), request.body)
            if reason:
                return reason
        created = signature_input.created or now
        if not self.replay.first_use(key.id, signature_input.nonce or "", created + self.max_age):
            return f"nonce {signature_input.nonce!r} was used already: a replayed request"
        return ""

    def _refuse_anonymous(self, kind: str, access: str, reason: str) -> NoReturn:
        """Refuse; audit at most once per interval per kind, counting the rest."""
        now = self.wall_clock()
        with self._anonymous_lock:
            last, suppressed = self._anonymous.get(kind, (-ANONYMOUS_AUDIT_INTERVAL, 0))
            record = now - last >= ANONYMOUS_AUDIT_INTERVAL
            self._anonymous[kind] = (now, 0) if record else (last, suppressed + 1)
        if record:
            self.store.record(
                AuditEvent(
                    actor="anonymous",
                    action="api.authenticate",
                    object=access,
                    decision=Decision.DENY,
                    reason=reason,
                    details={"signature": kind, "unrecorded_since_last": suppressed},
                )
            )
        raise AuthenticationError(reason)
