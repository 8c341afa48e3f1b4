"""OpenID Connect sign-in: the authorization code flow with PKCE, for one provider.

The browser is sent to the provider with a fresh ``state``, ``nonce`` and PKCE
challenge (S256); what they stand for is kept on the server
(:class:`accord.store.account_store.OidcFlow`, under the hash of ``state``), never in
the browser. On its return the flow is consumed once (a replayed or forged callback
finds nothing), the code is exchanged with the verifier, and the ID token's signature
(the provider's published keys, asymmetric algorithms only) and claims (``iss``,
``aud``, ``azp``, ``exp``, ``iat``, ``nonce``) are checked before anyone is signed in.
Authlib makes the requests; joserfc (the JOSE library Authlib itself uses) checks the
token.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta
from typing import Any

import httpx
from authlib.integrations.httpx_client import OAuth2Client  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.errors import OAuth2Error  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from accord.store.account_store import AccountStore, OidcFlow
from accord.web.oidc_providers import Provider

__all__ = ["FLOW_LIFETIME", "OidcError", "OidcSignIn", "check_claims", "flow_id"]

FLOW_LIFETIME = timedelta(minutes=10)
"""How long a person has at their provider before the sign-in must start again."""
MAX_FLOWS = 10_000
"""Sign-ins under way at once, across providers: each start writes a row, so a flood of
starts is refused once this many are waiting rather than filling the store."""
METADATA_TTL = 3600.0
LEEWAY = 60
"""Seconds of clock difference tolerated on ``exp`` and ``iat``."""
TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 1_000_000
SIGNING_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "EdDSA",
)
"""Asymmetric only: never ``none``, never a MAC keyed with the (shared) client secret."""


class OidcError(Exception):
    """The provider's answer failed a check; ``reason`` goes to the audit log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def flow_id(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


class OidcSignIn:
    """The protocol with one provider; metadata and keys are fetched lazily and cached."""

    def __init__(self, provider: Provider, flows: AccountStore) -> None:
        self.provider = provider
        self.flows = flows
        self._metadata: dict[str, Any] | None = None
        self._fetched_at = 0.0

    # -- the provider's published configuration ---------------------------------------

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as http:
                response = http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OidcError(f"{url} did not answer: {exc}") from exc
        if response.status_code != 200 or len(response.content) > MAX_RESPONSE_BYTES:
            raise OidcError(f"{url} answered {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise OidcError(f"{url} did not answer JSON") from exc
        if not isinstance(body, dict):
            raise OidcError(f"{url} did not answer a JSON object")
        return body

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None or time.monotonic() - self._fetched_at > METADATA_TTL:
            issuer = self.provider.issuer
            metadata = self._get_json(f"{issuer}/.well-known/openid-configuration")
            if metadata.get("issuer") != issuer:
                raise OidcError(
                    f"the discovery document names issuer {metadata.get('issuer')!r}, "
                    f"not {issuer!r}"
                )
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(metadata.get(key), str):
                    raise OidcError(f"the discovery document has no {key}")
            methods = metadata.get("code_challenge_methods_supported")
            if isinstance(methods, list) and "S256" not in methods:
                raise OidcError("the provider does not support PKCE with S256")
            self._metadata, self._fetched_at = metadata, time.monotonic()
        return self._metadata

    def _client(self, redirect_uri: str) -> OAuth2Client:
        return OAuth2Client(
            client_id=self.provider.client_id,
            client_secret=self.provider.client_secret,
            scope=" ".join(self.provider.scopes),
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=TIMEOUT,
        )

    # -- the two legs ----------------------------------------------------------------

    def start(self, redirect_uri: str, next_path: str) -> str:
        """Remember a new flow and return the provider's URL to send the browser to."""
        endpoint = self.metadata()["authorization_endpoint"]
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        now = self.flows.clock()
        opened = self.flows.open_oidc_flow(
            OidcFlow(
                id=flow_id(state),
                provider=self.provider.id,
                nonce=nonce,
                code_verifier=verifier,
                next_path=next_path,
                redirect_uri=redirect_uri,
                created_at=now,
                expires_at=now + FLOW_LIFETIME,
            ),
            most=MAX_FLOWS,
        )
        if not opened:
            raise OidcError(f"{MAX_FLOWS} sign-ins are under way already")
        with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                endpoint, state=state, nonce=nonce, code_verifier=verifier
            )
        return str(url)

    def take(self, state: str) -> OidcFlow | None:
        """The flow a callback's ``state`` names, consumed; None if forged, expired or used."""
        if not state or len(state) > 200:
            return None
        return self.flows.take_oidc_flow(flow_id(state), self.provider.id, self.flows.clock())

    def finish(self, flow: OidcFlow, code: str, iss: str | None) -> dict[str, Any]:
        """Exchange the code and return the ID token's checked claims."""
        metadata = self.metadata()
        if iss is not None and iss != self.provider.issuer:
            raise OidcError(f"the callback names issuer {iss!r} (RFC 9207 mix-up)")
        if not code or len(code) > 2000:
            raise OidcError("the callback carries no authorization code")
        try:
            with self._client(flow.redirect_uri) as client:
                token = client.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=flow.code_verifier,
                )
        except (OAuth2Error, httpx.HTTPError, ValueError) as exc:
            raise OidcError(f"the code exchange failed: {exc}") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the token response has no ID token")
        return self.check_id_token(id_token, flow.nonce)

    def check_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        metadata = self.metadata()
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [a for a in offered if a in SIGNING_ALGORITHMS]
        try:
            keys = KeySet.import_key_set(self._get_json(metadata["jwks_uri"]))  # type: ignore[arg-type]
            decoded = jwt.decode(id_token, keys, algorithms=algorithms)
        except (JoseError, ValueError, TypeError) as exc:
            raise OidcError(f"the ID token's signature does not verify: {exc}") from exc
        claims: dict[str, Any] = dict(decoded.claims)
        check_claims(claims, self.provider.issuer, self.provider.client_id, nonce, time.time())
        return claims


def check_claims(
    claims: dict[str, Any], issuer: str, client_id: str, nonce: str, now: float
) -> None:
    """The ID token's claims are for this client, from this issuer, current, and for this
    sign-in (OpenID Connect Core 3.1.3.7); raise OidcError naming the first that is not."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    checks = (
        (claims.get("iss") == issuer, f"iss is {claims.get('iss')!r}"),
        (client_id in audiences, f"aud {audience!r} does not include {client_id!r}"),
        (
            len(audiences) == 1 or claims.get("azp") == client_id,
            f"azp {claims.get('azp')!r} is not {client_id!r}",
        ),
        (_number(claims.get("exp")) > now - LEEWAY, "the ID token has expired"),
        (
            0 < _number(claims.get("iat")) < now + LEEWAY,
            "the ID token has no iat, or was issued in the future",
        ),
        (
            isinstance(claims.get("nonce"), str) and secrets.compare_digest(claims["nonce"], nonce),
            "the nonce is not this sign-in's",
        ),
        (isinstance(claims.get("sub"), str) and bool(claims.get("sub")), "no sub claim"),
    )
    for passed, reason in checks:
        if not passed:
            raise OidcError(f"the ID token failed a check: {reason}")


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
