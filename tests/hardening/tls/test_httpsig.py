"""RFC 9421 signature bases and RFC 9530 digests, checked against the RFCs' own examples."""

from __future__ import annotations

import base64
import contextlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)
from hypothesis import given
from hypothesis import strategies as st

from accord.core.httpsig import (
    Message,
    check_content_digest,
    check_params,
    content_digest,
    parse_signature_input,
    parse_signatures,
    sign_message,
    signature_base,
    verify_ed25519,
)
from accord.errors import AuthenticationError

# RFC 9421 Appendix B.1.4, "test-key-ed25519".
RFC_KEY = b"""-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""
RFC_PUBLIC_SPKI = "MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs="

# RFC 9421 Appendix B.2: the test request.
RFC_REQUEST = Message(
    method="POST",
    target_uri="https://example.com/foo?param=Value&Pet=dog",
    headers=(
        ("Host", "example.com"),
        ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        ("Content-Type", "application/json"),
        (
            "Content-Digest",
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        ),
        ("Content-Length", "18"),
    ),
)
RFC_BODY = b'{"hello": "world"}'

# RFC 9421 Appendix B.2.6, "Signing a Request Using ed25519".
B26_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
B26_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5l"
    "Ip5WPpBKRCw==:"
)
B26_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
    '"content-length");created=1618884473;keyid="test-key-ed25519"'
)


def _rfc_public_raw() -> bytes:
    return base64.b64decode(RFC_PUBLIC_SPKI)[-32:]


def test_rfc9421_b26_signature_base_and_signature() -> None:
    signature_input = parse_signature_input(B26_INPUT)["sig-b26"]
    base = signature_base(RFC_REQUEST, signature_input)
    assert base.decode() == B26_BASE
    signature = parse_signatures(B26_SIGNATURE)["sig-b26"]
    assert verify_ed25519(_rfc_public_raw(), base, signature)
    # Ed25519 is deterministic: signing the same base with the RFC's key gives the RFC's bytes.
    key = load_pem_private_key(RFC_KEY, None)
    assert isinstance(key, Ed25519PrivateKey)
    assert key.sign(base) == signature
    assert key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) == _rfc_public_raw()


def test_rfc9421_b26_fails_when_anything_covered_changes() -> None:
    signature_input = parse_signature_input(B26_INPUT)["sig-b26"]
    signature = parse_signatures(B26_SIGNATURE)["sig-b26"]
    public = _rfc_public_raw()
    changed = Message("PUT", RFC_REQUEST.target_uri, RFC_REQUEST.headers)
    assert not verify_ed25519(public, signature_base(changed, signature_input), signature)
    moved = Message("POST", "https://example.com/bar", RFC_REQUEST.headers)
    assert not verify_ed25519(public, signature_base(moved, signature_input), signature)


def test_rfc9530_digests_of_the_rfc_body() -> None:
    # RFC 9530 Appendix and RFC 9421 B.2: the sha-512 of {"hello": "world"}.
    assert check_content_digest(RFC_REQUEST.header("content-digest"), RFC_BODY) == ""
    assert content_digest(RFC_BODY) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    assert "does not match" in check_content_digest(content_digest(b"other"), RFC_BODY)
    assert "no Content-Digest" in check_content_digest(None, RFC_BODY)
    assert "no sha-256" in check_content_digest("md5=:AAAA:", RFC_BODY)


def test_derived_components() -> None:
    message = Message("get", "https://WWW.Example.com:443/a%20b/c?x=1&y=%2F")
    si = parse_signature_input(
        'l=("@method" "@target-uri" "@authority" "@scheme" "@path" "@query" "@request-target")'
    )["l"]
    lines = signature_base(message, si).decode().splitlines()
    assert lines[:7] == [
        '"@method": GET',
        '"@target-uri": https://WWW.Example.com:443/a%20b/c?x=1&y=%2F',
        '"@authority": www.example.com',
        '"@scheme": https',
        '"@path": /a%20b/c',
        '"@query": ?x=1&y=%2F',
        '"@request-target": /a%20b/c?x=1&y=%2F',
    ]


def test_a_signature_made_here_verifies_and_its_params_are_checked() -> None:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    message = Message(
        "POST", "https://127.0.0.1:8443/x", (("Content-Digest", content_digest(b"{}")),)
    )
    header_input, header_sig = sign_message(
        message,
        key,
        keyid="ck_1",
        created=1_000_000,
        nonce="n1",
        components=("@method", "@target-uri", "content-digest"),
    )
    si = parse_signature_input(header_input)["sig1"]
    assert verify_ed25519(raw, signature_base(message, si), parse_signatures(header_sig)["sig1"])
    assert check_params(si, now=1_000_100, max_age=300, has_body=True) == ""
    assert "outside the 300s window" in check_params(si, now=1_000_301, max_age=300, has_body=True)
    assert "outside" in check_params(si, now=999_000, max_age=300, has_body=True)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ('s=("@method");created=1;keyid="k";nonce="n"', "does not cover '@target-uri'"),
        ('s=("@method" "@target-uri");created=1;nonce="n"', "no keyid"),
        ('s=("@method" "@target-uri");keyid="k";nonce="n"', "no created"),
        ('s=("@method" "@target-uri");created=1;keyid="k"', "nonce"),
        ('s=("@method" "@target-uri");created=1;keyid="k";nonce="n";alg="hmac-sha256"', "ed25519"),
        ('s=("@method" "@target-uri");created=1;keyid="k";nonce="n";expires=1', "expired"),
    ],
)
def test_params_accord_requires(header: str, reason: str) -> None:
    si = parse_signature_input(header)["s"]
    assert reason in check_params(si, now=1, max_age=300, has_body=False)


def test_a_body_must_be_covered_by_its_digest() -> None:
    si = parse_signature_input('s=("@method" "@target-uri");created=1;keyid="k";nonce="n"')["s"]
    assert "content-digest" in check_params(si, now=1, max_age=300, has_body=True)


@pytest.mark.parametrize(
    "header",
    [
        's=("@method"',
        's=("@method";sf)',
        's="x"',
        's=("a" "a")',
        "s=(1)",
        "S=()",
        "s=();created=1.5",
        "s=();created=1234567890123456",
        's=("\\x")',
        "s=(),",
        "s=" + "(" + " ".join(['"a"'] * 3000) + ")",
    ],
)
def test_malformed_signature_inputs_are_401s(header: str) -> None:
    with pytest.raises(AuthenticationError, match="Signature-Input"):
        parse_signature_input(header)


@pytest.mark.parametrize("header", ["s=:not base64!:", 's="text"', "s=:abc"])
def test_malformed_signatures_are_401s(header: str) -> None:
    with pytest.raises(AuthenticationError, match="Signature"):
        parse_signatures(header)


@given(st.text(max_size=200))
def test_any_header_parses_or_is_a_401(text: str) -> None:
    for parse in (parse_signature_input, parse_signatures):
        with contextlib.suppress(AuthenticationError):
            parse(text)
    check_content_digest(text, b"")
