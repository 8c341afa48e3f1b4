"""Machine clients sign requests (RFC 9421) with registered keys, over a real server.

Every refusal answers 401 with its reason in the error envelope and is on the record.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from typer.testing import CliRunner

from accord.api.local_server import running_server
from accord.api.signing import SignatureAuth, load_signing_key
from accord.api.tls import TLSConfig
from accord.cli.main import app as cli
from accord.core.audit import AuditRecord
from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.errors import RateLimited, ValidationError
from accord.services.app import Accord
from accord.services.client_keys import ClientKeyService, ReplayCache
from accord.store import AuditFilter
from tests.hardening.tls.conftest import PKI

CSV = "nino,postcode\nAB123456C,SW1A 1AA\nCE654321A,M1 1AE\n"


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


@dataclass
class Signed:
    accord: Accord
    base: str
    key: Ed25519PrivateKey
    key_id: str
    admin_token: str
    outsider_token: str

    def client(self, auth: httpx.Auth | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.base, auth=auth or self.auth(), timeout=30)

    def auth(self, **options: object) -> SignatureAuth:
        return SignatureAuth(self.key_id, self.key, **options)  # type: ignore[arg-type]

    def denials(self) -> list[AuditRecord]:
        found = AuditFilter(action="api.authenticate", decision="deny", limit=1000)
        return self.accord.store.audit_events(found)


@pytest.fixture
def signed(sqlite_accord: Accord, tmp_path: Path) -> Iterator[Signed]:
    accord = sqlite_accord
    op = accord.operator("test")
    accord.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    accord.identity.create_organisation(op, "hmrc", "HMRC", OrgKind.GOVERNMENT_DEPARTMENT)
    accord.identity.create_principal(
        op, "dwp.sync", "DWP sync", PrincipalKind.SERVICE, (Membership("dwp", Role.DATA_OWNER),)
    )
    accord.identity.create_principal(
        op, "dwp.admin", "DWP admin", PrincipalKind.PERSON, (Membership("dwp", Role.ADMIN),)
    )
    accord.identity.create_principal(
        op, "hmrc.admin", "HMRC admin", PrincipalKind.PERSON, (Membership("hmrc", Role.ADMIN),)
    )
    source = tmp_path / "carers.csv"
    source.write_text(CSV)
    accord.catalogue.register(op, "dwp", "carers", str(source), description="carers")
    admin = accord.identity.issue_token(op, "dwp.admin", ttl_days=1)[1]
    outsider = accord.identity.issue_token(op, "hmrc.admin", ttl_days=1)[1]
    key = Ed25519PrivateKey.generate()
    with running_server(accord) as base:
        registered = httpx.post(
            f"{base}/principals/dwp.sync/client-keys",
            json={"public_key": _pem(key).decode(), "description": "nightly sync"},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert registered.status_code == 201, registered.text
        yield Signed(accord, base, key, registered.json()["id"], admin, outsider)


def _refusal(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["code"] == "unauthenticated"
    assert reason in error["message"]


def test_a_registered_key_reads_its_organisations_data(signed: Signed) -> None:
    with signed.client() as client:
        shown = client.get("/datasets/dwp/carers")
        assert shown.status_code == 200, shown.text
        assert shown.json()["id"] == "dwp/carers"
        # A body is covered by its Content-Digest, and the route reads the same bytes.
        created = client.post(
            "/datasets/dwp/carers2?description=Carers",
            content=CSV,
            headers={"Content-Type": "text/csv"},
        )
        assert created.status_code == 201, created.text
        assert created.json()["version"]["row_count"] == 2
        # A JSON body, which FastAPI parses, is digested as the same bytes.
        second = client.post(
            "/principals/dwp.sync/client-keys",
            json={"public_key": _pem(Ed25519PrivateKey.generate()).decode()},
        )
        assert second.status_code == 201, second.text
    [access, *_] = signed.accord.store.audit_events(
        AuditFilter(actor="principal:dwp.sync", action="api.access", limit=1)
    )
    assert access.reason == f"request signed by client key {signed.key_id}"


def _send_signed_then_change(
    signed: Signed, request: httpx.Request, **changes: object
) -> httpx.Response:
    """Sign ``request`` as the client would, then send it changed in transit."""
    signed.auth().sign(request)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    sent = httpx.Request(
        str(changes.get("method", request.method)),
        str(changes.get("url", request.url)),
        headers=headers,
        content=changes.get("content", request.content),  # type: ignore[arg-type]
    )
    with httpx.Client(timeout=30) as client:
        return client.send(sent)


def test_a_tampered_body_is_refused_and_audited(signed: Signed) -> None:
    request = httpx.Request(
        "POST",
        f"{signed.base}/datasets/dwp/carers3",
        content=CSV,
        headers={"Content-Type": "text/csv"},
    )
    response = _send_signed_then_change(signed, request, content=CSV + "ZZ999999Z,E1 1AA\n")
    _refusal(response, "Content-Digest sha-256 does not match the body received")
    [denial, *_] = signed.denials()
    assert denial.actor == f"client-key:{signed.key_id}"
    assert "does not match" in denial.reason
    assert not signed.accord.store.list_datasets() or all(
        d.id != "dwp/carers3" for d in signed.accord.store.list_datasets()
    )


def test_a_body_without_a_digest_is_refused(signed: Signed) -> None:
    request = httpx.Request("POST", f"{signed.base}/datasets/dwp/carers3", content=b"")
    signed.auth().sign(request)  # signed with no body: no content-digest covered
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    sent = httpx.Request("POST", request.url, headers=headers, content=CSV.encode())
    with httpx.Client(timeout=30) as client:
        _refusal(client.send(sent), "does not cover 'content-digest'")


def test_a_wrong_method_or_path_is_refused(signed: Signed) -> None:
    request = httpx.Request("GET", f"{signed.base}/datasets/dwp/carers")
    _refusal(
        _send_signed_then_change(signed, request, method="POST"),
        f"the signature does not verify with client key {signed.key_id}",
    )
    request = httpx.Request("GET", f"{signed.base}/datasets/dwp/carers")
    _refusal(
        _send_signed_then_change(signed, request, url=f"{signed.base}/organisations"),
        "does not verify",
    )
    # A query added after signing (one the route declares: an unknown one is refused
    # before the signature is looked at).
    request = httpx.Request("GET", f"{signed.base}/datasets")
    _refusal(
        _send_signed_then_change(signed, request, url=f"{signed.base}/datasets?organisation=dwp"),
        "does not verify",
    )
    assert len(signed.denials()) == 3


def test_a_stale_or_future_created_is_refused(signed: Signed) -> None:
    for skew in (-301, 301):
        late = signed.auth(clock=lambda skew=skew: time.time() + skew)
        with signed.client(late) as client:
            _refusal(client.get("/datasets/dwp/carers"), "outside the 300s window")
    assert all(d.actor == f"client-key:{signed.key_id}" for d in signed.denials())


def test_a_replayed_request_is_refused(signed: Signed) -> None:
    request = httpx.Request("GET", f"{signed.base}/datasets/dwp/carers")
    signed.auth().sign(request)
    with httpx.Client(timeout=30) as client:
        assert client.send(request).status_code == 200
        _refusal(client.send(request), "was used already: a replayed request")
    [denial] = signed.denials()
    assert "replayed" in denial.reason


def test_a_revoked_key_is_refused(signed: Signed) -> None:
    with signed.client() as client:
        assert client.get("/datasets/dwp/carers").status_code == 200
        revoked = httpx.delete(
            f"{signed.base}/client-keys/{signed.key_id}",
            headers={"Authorization": f"Bearer {signed.admin_token}"},
        )
        assert revoked.status_code == 200
        assert revoked.json()["revoked_at"]
        _refusal(client.get("/datasets/dwp/carers"), f"client key {signed.key_id} was revoked")
    [denial] = signed.denials()
    assert denial.actor == f"client-key:{signed.key_id}"


def test_unknown_keys_are_refused_and_audited_without_flooding_the_log(signed: Signed) -> None:
    stranger = SignatureAuth("ck_nobody", Ed25519PrivateKey.generate())
    with signed.client(stranger) as client:
        for _ in range(5):
            _refusal(client.get("/datasets/dwp/carers"), "unknown client key 'ck_nobody'")
    for _ in range(3):
        garbage = httpx.get(
            f"{signed.base}/datasets/dwp/carers",
            headers={"Signature-Input": "x=(", "Signature": "x=:AA==:"},
        )
        _refusal(garbage, "malformed Signature-Input header")
    denials = signed.denials()
    # One event per kind per minute, whatever is sent: nobody floods the log with junk.
    kinds = [json.loads(d.details)["signature"] for d in denials]
    assert kinds == ["malformed", "unknown key"]
    assert all(d.actor == "anonymous" for d in denials)


def test_another_organisations_admin_cannot_register_keys(signed: Signed) -> None:
    response = httpx.post(
        f"{signed.base}/principals/dwp.sync/client-keys",
        json={"public_key": _pem(Ed25519PrivateKey.generate()).decode()},
        headers={"Authorization": f"Bearer {signed.outsider_token}"},
    )
    assert response.status_code == 403
    assert "admin of its organisations" in response.json()["error"]["message"]
    [denial] = signed.accord.store.audit_events(
        AuditFilter(action="client_key.register", decision="deny", limit=5)
    )
    assert denial.actor == "principal:hmrc.admin"


def test_registration_refuses_bad_keys_and_unknown_fields(signed: Signed) -> None:
    auth = {"Authorization": f"Bearer {signed.admin_token}"}
    url = f"{signed.base}/principals/dwp.sync/client-keys"
    bad = httpx.post(url, json={"public_key": "not a key"}, headers=auth)
    assert bad.status_code == 422
    assert "--public-key is not a PEM public key" in bad.json()["error"]["message"]
    again = httpx.post(url, json={"public_key": _pem(signed.key).decode()}, headers=auth)
    assert again.status_code == 422
    assert "already registered" in again.json()["error"]["message"]
    extra = httpx.post(
        url, json={"public_key": _pem(signed.key).decode(), "admin": True}, headers=auth
    )
    assert extra.status_code == 422
    assert "admin" in extra.text


def test_signed_requests_over_mutual_tls(pki: PKI, signed: Signed) -> None:
    """The transport checks the client's certificate; the application, its signature."""
    import ssl

    config = TLSConfig(pki.server_cert, pki.server_key, pki.ca, "required")
    context = ssl.create_default_context(cafile=str(pki.ca))
    context.load_cert_chain(str(pki.client_cert), str(pki.client_key))
    with (
        running_server(signed.accord, tls=config) as base,
        httpx.Client(base_url=base, verify=context, auth=signed.auth(), timeout=30) as client,
    ):
        assert base.startswith("https://")
        assert client.get("/datasets/dwp/carers").status_code == 200
        assert client.get("/datasets/dwp/carers", auth=None).status_code == 401


def test_the_replay_cache_is_bounded_and_never_forgets_early() -> None:
    now = [1000.0]
    cache = ReplayCache(2, clock=lambda: now[0])
    assert cache.first_use("k", "a", 1300)
    assert not cache.first_use("k", "a", 1300)
    assert cache.first_use("k", "b", 1100)
    with pytest.raises(RateLimited) as full:
        cache.first_use("k", "c", 1300)
    assert full.value.retry_after == 100
    now[0] = 1100.5
    assert cache.first_use("k", "c", 1400)
    assert not cache.first_use("k", "a", 1300)


def test_the_cli_registers_lists_and_revokes(sqlite_accord: Accord, tmp_path: Path) -> None:
    op = sqlite_accord.operator("test")
    sqlite_accord.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    sqlite_accord.identity.create_principal(
        op, "dwp.sync", "DWP sync", PrincipalKind.SERVICE, (Membership("dwp", Role.DATA_OWNER),)
    )
    key = Ed25519PrivateKey.generate()
    (tmp_path / "client.key").write_bytes(
        key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    public = tmp_path / "client.pub"
    public.write_bytes(key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH))
    env = {"ACCORD_HOME": str(sqlite_accord.home)}
    runner = CliRunner()
    registered = runner.invoke(
        cli,
        ["client-key", "register", "--principal", "dwp.sync", "--public-key", str(public)],
        env=env,
    )
    assert registered.exit_code == 0, registered.output
    [found] = ClientKeyService(sqlite_accord.store).keys.list_client_keys("dwp.sync")
    assert f"Sign requests with keyid={found.id}" in registered.output.replace("\n", "")
    assert load_signing_key(tmp_path / "client.key").public_key() == key.public_key()
    listed = runner.invoke(
        cli, ["client-key", "list", "--principal", "dwp.sync", "--json"], env=env
    )
    assert found.fingerprint in listed.output
    revoked = runner.invoke(cli, ["client-key", "revoke", found.id], env=env)
    assert revoked.exit_code == 0, revoked.output
    assert ClientKeyService(sqlite_accord.store).keys.get_client_key(found.id).revoked_at
    missing = runner.invoke(
        cli,
        ["client-key", "register", "--principal", "dwp.sync", "--public-key", str(tmp_path / "x")],
        env=env,
    )
    assert missing.exit_code != 0
    assert "cannot be read" in missing.output
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = other.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ValidationError, match="client keys must be Ed25519"):
        ClientKeyService(sqlite_accord.store).register(op, "dwp.sync", pem)
