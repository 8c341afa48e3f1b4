"""The client side of signed requests: an ``httpx.Auth`` that signs every request.

For machine clients (another deployment, a service) that registered an Ed25519 key
with ``accord client-key register``::

    key = load_signing_key(Path("client.key"))
    with httpx.Client(base_url=URL, auth=SignatureAuth("ck_…", key)) as client:
        client.get("/datasets")

Each request gets a fresh nonce and ``created`` time, a ``Content-Digest`` when it has a
body, and covers ``"@method" "@target-uri"`` (and ``"content-digest"``), which is what
the server requires (``accord.core.httpsig``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Generator
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from accord.core.httpsig import REQUIRED_COMPONENTS, Message, content_digest, sign_message
from accord.errors import ConfigurationError

__all__ = ["SignatureAuth", "load_signing_key"]


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """An unencrypted PEM Ed25519 private key (``openssl genpkey -algorithm ed25519``)."""
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise ConfigurationError(f"{path} cannot be read: {exc.strerror}") from exc
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{path} holds no unencrypted PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{path} is not an Ed25519 key: client keys must be Ed25519")
    return key


class SignatureAuth(httpx.Auth):
    """Sign each request with ``key`` as ``key_id`` (RFC 9421, ed25519)."""

    requires_request_body = True

    def __init__(
        self,
        key_id: str,
        key: Ed25519PrivateKey,
        *,
        clock: Callable[[], float] = time.time,
        label: str = "sig1",
    ) -> None:
        self.key_id = key_id
        self.key = key
        self.clock = clock
        self.label = label

    def sign(self, request: httpx.Request) -> None:
        body = request.content
        components: tuple[str, ...] = REQUIRED_COMPONENTS
        if body:
            request.headers["Content-Digest"] = content_digest(body)
            components = (*REQUIRED_COMPONENTS, "content-digest")
        message = Message(request.method, str(request.url), list(request.headers.items()))
        signature_input, signature = sign_message(
            message,
            self.key,
            keyid=self.key_id,
            created=int(self.clock()),
            nonce=secrets.token_urlsafe(16),
            components=components,
            label=self.label,
        )
        request.headers["Signature-Input"] = signature_input
        request.headers["Signature"] = signature

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request
