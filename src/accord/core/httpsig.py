"""HTTP Message Signatures (RFC 9421) with Ed25519, and Content-Digest (RFC 9530).

A machine client (another deployment, a service) proves who it is by signing each
request with a key it registered, rather than by holding a bearer secret that anyone
who sees it can replay. This module is the pure part: it parses the two headers (the
subset of RFC 8941 structured fields they use), builds the signature base exactly as
RFC 9421 §2.5 says, checks the parameters Accord requires and verifies the Ed25519
signature. Looking keys up, the replay cache and the audit log live in
``accord.services.client_keys``; the client side is ``accord.api.signing``.

What Accord requires of a signature (anything less is refused, with the reason):

- ``alg`` absent or ``"ed25519"`` (the registered key decides the algorithm: RFC 9421
  §3.3.7 warns against trusting ``alg`` alone);
- covered components include ``"@method"`` and ``"@target-uri"``, and
  ``"content-digest"`` whenever the request has a body;
- ``created`` within ``max_age`` seconds of now (either side), ``expires`` if given not
  past, ``keyid`` and ``nonce`` present (the nonce is remembered for the window so a
  captured request cannot be sent again).

Only plain component identifiers are supported: a component with parameters (``;sf``,
``;key``, ``;req``, ``;bs``) is refused rather than misread.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.errors import AuthenticationError

__all__ = [
    "ALGORITHM",
    "REQUIRED_COMPONENTS",
    "ClientKey",
    "Message",
    "SignatureInput",
    "check_content_digest",
    "check_params",
    "content_digest",
    "parse_signature_input",
    "parse_signatures",
    "sign_message",
    "signature_base",
    "verify_ed25519",
]

ALGORITHM = "ed25519"
REQUIRED_COMPONENTS = ("@method", "@target-uri")
BODY_COMPONENT = "content-digest"
MAX_HEADER_LENGTH = 8192
"""Longer Signature or Signature-Input headers are refused before they are parsed."""

ParamValue = int | str | bytes | bool

_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN = re.compile(r"[A-Za-z*][A-Za-z0-9!#$%&'*+\-.^_`|~:/]*")
_INTEGER = re.compile(r"-?[0-9]{1,15}")
_DERIVED = frozenset(
    {"@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"}
)


@dataclass(frozen=True, slots=True)
class ClientKey:
    """A machine client's registered Ed25519 public key; ``id`` is the ``keyid`` it signs
    with. Requests it signs act as ``principal_id``, with that principal's roles."""

    id: str
    principal_id: str
    public_key: bytes
    created_at: datetime
    description: str = ""
    revoked_at: datetime | None = None

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.public_key).hexdigest()[:32]


class _Malformed(ValueError):
    """A structured field that does not parse; turned into a 401 naming the header."""


@dataclass(frozen=True, slots=True)
class Message:
    """What a signature covers: the method, the full target URI and the header fields.

    ``headers`` pairs may repeat a name; values of one name are combined with ``", "``
    as RFC 9421 §2.1 says. Names are matched without regard to case.
    """

    method: str
    target_uri: str
    headers: Sequence[tuple[str, str]] = ()

    def header(self, name: str) -> str | None:
        values = [v.strip() for k, v in self.headers if k.lower() == name]
        return ", ".join(values) if values else None


@dataclass(frozen=True, slots=True)
class SignatureInput:
    """One member of a ``Signature-Input`` header: the covered components, in order,
    and the signature parameters, in order (both matter to the signature base)."""

    label: str
    components: tuple[str, ...]
    params: tuple[tuple[str, ParamValue], ...] = field(default=())

    def param(self, name: str) -> ParamValue | None:
        for key, value in self.params:
            if key == name:
                return value
        return None

    @property
    def keyid(self) -> str | None:
        value = self.param("keyid")
        return value if isinstance(value, str) else None

    @property
    def nonce(self) -> str | None:
        value = self.param("nonce")
        return value if isinstance(value, str) else None

    @property
    def created(self) -> int | None:
        value = self.param("created")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def serialize(self) -> str:
        """The inner list as RFC 8941 serialises it: the ``@signature-params`` value."""
        inner = " ".join(_serialize_string(c) for c in self.components)
        return f"({inner})" + _serialize_params(self.params)


# -- RFC 8941 structured fields (the subset the two headers use) ---------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.pos += 1

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise _Malformed(f"expected {char!r} at character {self.pos + 1}")
        self.pos += 1

    def key(self) -> str:
        match = _KEY.match(self.text, self.pos)
        if not match:
            raise _Malformed(f"expected a key at character {self.pos + 1}")
        self.pos = match.end()
        return match.group()

    def bare_item(self) -> ParamValue:
        char = self.peek()
        if char == '"':
            return self.string()
        if char == ":":
            return self.byte_sequence()
        if char == "?":
            self.pos += 1
            flag = self.peek()
            if flag not in ("0", "1"):
                raise _Malformed(f"expected ?0 or ?1 at character {self.pos}")
            self.pos += 1
            return flag == "1"
        if char == "-" or char.isdigit():
            match = _INTEGER.match(self.text, self.pos)
            after = self.text[match.end() : match.end() + 1] if match else ""
            if not match or (after and after in ".0123456789"):
                raise _Malformed(f"expected an integer of at most 15 digits at {self.pos + 1}")
            self.pos = match.end()
            return int(match.group())
        match = _TOKEN.match(self.text, self.pos)
        if not match:
            raise _Malformed(f"unexpected {char!r} at character {self.pos + 1}")
        self.pos = match.end()
        return match.group()

    def string(self) -> str:
        self.expect('"')
        out: list[str] = []
        while True:
            char = self.peek()
            if not char:
                raise _Malformed("a string is not closed")
            self.pos += 1
            if char == '"':
                return "".join(out)
            if char == "\\":
                escaped = self.peek()
                if escaped not in ('"', "\\"):
                    raise _Malformed(f"bad escape in a string at character {self.pos}")
                self.pos += 1
                out.append(escaped)
            elif not " " <= char <= "~":
                raise _Malformed(f"a string holds a character outside ASCII at {self.pos}")
            else:
                out.append(char)

    def byte_sequence(self) -> bytes:
        self.expect(":")
        end = self.text.find(":", self.pos)
        if end < 0:
            raise _Malformed("a byte sequence is not closed")
        raw = self.text[self.pos : end]
        self.pos = end + 1
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _Malformed("a byte sequence is not base64") from exc

    def params(self) -> tuple[tuple[str, ParamValue], ...]:
        out: list[tuple[str, ParamValue]] = []
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            name = self.key()
            value: ParamValue = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare_item()
            out = [(k, v) for k, v in out if k != name] + [(name, value)]
        return tuple(out)

    def inner_list(self) -> tuple[tuple[ParamValue, ...], tuple[tuple[str, ParamValue], ...]]:
        self.expect("(")
        items: list[ParamValue] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return tuple(items), self.params()
            item = self.bare_item()
            if self.peek() == ";":
                raise _Malformed("component parameters (;sf, ;key, ;req, ;bs) are not supported")
            items.append(item)
            if self.peek() not in (" ", ")"):
                raise _Malformed(f"expected a space or ')' at character {self.pos + 1}")

    def dictionary(self) -> list[tuple[str, object]]:
        members: list[tuple[str, object]] = []
        self.skip(" \t")
        while self.peek():
            name = self.key()
            value: object = True
            if self.peek() == "=":
                self.pos += 1
                if self.peek() == "(":
                    value = self.inner_list()
                else:
                    value = (self.bare_item(), self.params())
            else:
                value = (True, self.params())
            members = [(k, v) for k, v in members if k != name] + [(name, value)]
            self.skip(" \t")
            if not self.peek():
                break
            self.expect(",")
            self.skip(" \t")
            if not self.peek():
                raise _Malformed("a trailing comma")
        return members


def _parse_dictionary(header: str, value: str) -> list[tuple[str, object]]:
    if len(value) > MAX_HEADER_LENGTH:
        raise AuthenticationError(
            f"the {header} header is longer than {MAX_HEADER_LENGTH} characters"
        )
    try:
        return _Parser(value).dictionary()
    except _Malformed as exc:
        raise AuthenticationError(f"malformed {header} header: {exc}") from exc


def parse_signature_input(value: str) -> dict[str, SignatureInput]:
    """The ``Signature-Input`` header's members by label; a 401 naming what is wrong."""
    out: dict[str, SignatureInput] = {}
    for label, member in _parse_dictionary("Signature-Input", value):
        if not (isinstance(member, tuple) and len(member) == 2 and isinstance(member[0], tuple)):
            raise AuthenticationError(f"Signature-Input {label!r} is not an inner list")
        items, params = member
        if not all(isinstance(i, str) for i in items):
            raise AuthenticationError(f"Signature-Input {label!r} covers a non-string component")
        components = tuple(str(i) for i in items)
        if len(set(components)) != len(components):
            raise AuthenticationError(f"Signature-Input {label!r} covers a component twice")
        out[label] = SignatureInput(label, components, params)
    return out


def parse_signatures(value: str) -> dict[str, bytes]:
    """The ``Signature`` header's byte sequences by label."""
    out: dict[str, bytes] = {}
    for label, member in _parse_dictionary("Signature", value):
        item = member[0] if isinstance(member, tuple) and len(member) == 2 else None
        if not isinstance(item, bytes):
            raise AuthenticationError(f"Signature {label!r} is not a byte sequence")
        out[label] = item
    return out


def _serialize_string(value: str) -> str:
    if any(not " " <= c <= "~" for c in value):
        raise ValueError(f"{value!r} holds characters a structured string cannot")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _serialize_params(params: Iterable[tuple[str, ParamValue]]) -> str:
    out = []
    for key, value in params:
        if value is True:
            out.append(f";{key}")
        elif value is False:
            out.append(f";{key}=?0")
        elif isinstance(value, int):
            out.append(f";{key}={value}")
        elif isinstance(value, bytes):
            out.append(f";{key}=:{base64.b64encode(value).decode()}:")
        else:
            out.append(f";{key}={_serialize_string(value)}")
    return "".join(out)


# -- the signature base (RFC 9421 §2.5) --------------------------------------------------


def _component_value(message: Message, name: str) -> str:
    if name.startswith("@"):
        if name not in _DERIVED:
            raise AuthenticationError(f"the signature covers an unknown component {name!r}")
        parts = urlsplit(message.target_uri)
        if name == "@method":
            return message.method.upper()
        if name == "@target-uri":
            return message.target_uri
        if name == "@scheme":
            return parts.scheme.lower()
        if name == "@authority":
            host = (parts.hostname or "").lower()
            host = f"[{host}]" if ":" in host else host
            default = {"https": 443, "http": 80}.get(parts.scheme.lower())
            return host if parts.port in (None, default) else f"{host}:{parts.port}"
        path = parts.path or "/"
        if name == "@path":
            return path
        if name == "@query":
            return "?" + parts.query
        return path + (f"?{parts.query}" if parts.query else "")  # @request-target
    if name != name.lower() or not name:
        raise AuthenticationError(f"component {name!r} must be a lowercase field name")
    value = message.header(name)
    if value is None:
        raise AuthenticationError(f"the signature covers {name!r}, which the request lacks")
    return value


def signature_base(message: Message, signature_input: SignatureInput) -> bytes:
    """The bytes that are signed: one line per covered component, then the parameters."""
    lines = [
        f"{_serialize_string(name)}: {_component_value(message, name)}"
        for name in signature_input.components
    ]
    lines.append(f'"@signature-params": {signature_input.serialize()}')
    text = "\n".join(lines)
    if any(c in text for c in "\r\x00"):
        raise AuthenticationError("a covered component holds a control character")
    return text.encode()


def verify_ed25519(public_key: bytes, base: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s Ed25519 signature of ``base``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, base)
    except (InvalidSignature, ValueError):
        return False
    return True


def sign_message(
    message: Message,
    key: Ed25519PrivateKey,
    *,
    keyid: str,
    created: int,
    nonce: str,
    components: Sequence[str] = REQUIRED_COMPONENTS,
    label: str = "sig1",
) -> tuple[str, str]:
    """The ``Signature-Input`` and ``Signature`` header values for ``message``."""
    params: tuple[tuple[str, ParamValue], ...] = (
        ("created", created),
        ("keyid", keyid),
        ("nonce", nonce),
        ("alg", ALGORITHM),
    )
    signature_input = SignatureInput(label, tuple(components), params)
    signature = key.sign(signature_base(message, signature_input))
    return (
        f"{label}={signature_input.serialize()}",
        f"{label}=:{base64.b64encode(signature).decode()}:",
    )


# -- Accord's requirements --------------------------------------------------------------


def check_params(signature_input: SignatureInput, *, now: int, max_age: int, has_body: bool) -> str:
    """Why this signature's parameters are not acceptable, or ``""`` when they are."""
    alg = signature_input.param("alg")
    if alg is not None and alg != ALGORITHM:
        return f"signature algorithm {alg!r} is not accepted: sign with ed25519"
    if not signature_input.keyid:
        return "the signature has no keyid parameter"
    missing = [c for c in REQUIRED_COMPONENTS if c not in signature_input.components]
    if has_body and BODY_COMPONENT not in signature_input.components:
        missing.append(BODY_COMPONENT)
    if missing:
        return "the signature does not cover " + ", ".join(repr(c) for c in missing)
    created = signature_input.created
    if created is None:
        return "the signature has no created parameter"
    if abs(now - created) > max_age:
        return (
            f"the signature was created {now - created}s from now, outside the "
            f"{max_age}s window (ACCORD_SIGNATURE_MAX_AGE_SECONDS)"
        )
    expires = signature_input.param("expires")
    if isinstance(expires, int) and not isinstance(expires, bool) and expires <= now:
        return "the signature has expired"
    nonce = signature_input.nonce
    if not nonce or len(nonce) > 128:
        return "the signature needs a nonce parameter of 1 to 128 characters"
    return ""


def content_digest(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` value for ``body``: ``sha-256=:…:``."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


_DIGESTS: Mapping[str, str] = {"sha-256": "sha256", "sha-512": "sha512"}


def check_content_digest(header: str | None, body: bytes) -> str:
    """Why ``header`` does not vouch for ``body``, or ``""`` when every digest matches."""
    if header is None:
        return "the request has a body but no Content-Digest header"
    try:
        members = _Parser(header).dictionary()
    except _Malformed as exc:
        return f"malformed Content-Digest header: {exc}"
    checked = 0
    for name, member in members:
        algorithm = _DIGESTS.get(name)
        if algorithm is None:
            continue
        item = member[0] if isinstance(member, tuple) and len(member) == 2 else None
        if not isinstance(item, bytes):
            return f"Content-Digest {name} is not a byte sequence"
        if not hmac.compare_digest(item, hashlib.new(algorithm, body).digest()):
            return f"Content-Digest {name} does not match the body received"
        checked += 1
    if not checked:
        return "Content-Digest has no sha-256 or sha-512 digest"
    return ""
