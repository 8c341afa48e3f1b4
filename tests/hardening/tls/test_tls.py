"""`accord serve` over TLS and mutual TLS, met through real sockets as clients meet it."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp.connector
import delta_sharing
import httpx
import pytest
from fsspec.implementations.http import HTTPFileSystem
from typer.testing import CliRunner

from accord.api.local_server import running_server
from accord.api.tls import TLSConfig, ssl_context, tls_config
from accord.cli.main import app as cli
from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.errors import ConfigurationError
from accord.services.app import Accord
from accord.settings import load_settings
from tests.governance.conftest import build_world
from tests.hardening.tls.conftest import PKI
from tests.plane.conftest import agreement_request, approve

pytestmark = pytest.mark.integration


def _trusting(pki: PKI) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pki.ca))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served_tls(tmp_path: Path, pki: PKI) -> Iterator[tuple[str, str, Path]]:
    """`accord serve --tls-cert --tls-key` as a real process; its https URL and a token."""
    home = tmp_path / "home"
    accord = Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test")
    op = accord.operator("test")
    accord.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    accord.identity.create_principal(
        op, "alice", "Alice", PrincipalKind.PERSON, (Membership("dwp", Role.DATA_OWNER),)
    )
    secret = accord.identity.issue_token(op, "alice")[1]
    accord.close()
    port = _free_port()
    log = tmp_path / "server.log"
    command = [sys.executable, "-m", "accord", "serve", "--port", str(port)]
    command += ["--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key)]
    with log.open("wb") as handle:
        server = subprocess.Popen(
            command,
            env={**os.environ, "ACCORD_HOME": str(home)},
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        base = f"https://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60  # a loaded shared machine starts slowly
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{base}/health", verify=_trusting(pki), timeout=1).is_success:
                        break
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not start:\n{log.read_text()}")
                time.sleep(0.2)
            yield base, secret, log
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
                server.kill()
                server.wait(timeout=5)


def test_accord_serve_speaks_https_only(served_tls: tuple[str, str, Path], pki: PKI) -> None:
    base, secret, log = served_tls
    with httpx.Client(base_url=base, verify=_trusting(pki), timeout=10) as client:
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/organisations").status_code == 401
        listed = client.get("/organisations", headers={"Authorization": f"Bearer {secret}"})
        assert listed.status_code == 200
        assert "dwp" in {o["id"] for o in listed.json()}
    # Plain http to the TLS port gets no answer from the application.
    plain = base.replace("https://", "http://")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{plain}/organisations", headers={"Authorization": f"Bearer {secret}"})
    # A client that does not trust the CA refuses the server.
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{base}/health", timeout=5)
    assert f"Serving Accord at {base}/" in log.read_text()


def test_tls_1_2_at_least_with_forward_secret_ciphers(pki: PKI, sqlite_accord: Accord) -> None:
    config = TLSConfig(pki.server_cert, pki.server_key)
    context = ssl_context(config)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    suites = {c["name"] for c in context.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert suites
    assert all(name.startswith("ECDHE-") for name in suites)
    assert all("GCM" in name or "CHACHA20" in name for name in suites)
    with running_server(sqlite_accord, tls=config) as base:
        port = int(base.rsplit(":", 1)[1])
        client = ssl.create_default_context(cafile=str(pki.ca))
        client.maximum_version = ssl.TLSVersion.TLSv1_2
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            client.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            assert tls.version() == "TLSv1.2"
            assert tls.cipher()[0].startswith("ECDHE-")


def _handshake(port: int, pki: PKI, cert: Path | None, key: Path | None) -> int:
    context = ssl.create_default_context(cafile=str(pki.ca))
    if cert and key:
        context.load_cert_chain(str(cert), str(key))
    with httpx.Client(verify=context, timeout=5) as client:
        return client.get(f"https://127.0.0.1:{port}/health").status_code


def test_mutual_tls_required_refuses_clients_without_the_cas_certificate(
    pki: PKI, sqlite_accord: Accord
) -> None:
    config = TLSConfig(pki.server_cert, pki.server_key, pki.ca, "required")
    with running_server(sqlite_accord, tls=config) as base:
        port = int(base.rsplit(":", 1)[1])
        assert _handshake(port, pki, pki.client_cert, pki.client_key) == 200
        # TLS 1.3 reports a refused client certificate at the first read, not the connect.
        with pytest.raises(httpx.TransportError):
            _handshake(port, pki, None, None)
        with pytest.raises(httpx.TransportError):
            _handshake(port, pki, pki.stranger_cert, pki.stranger_key)


def test_mutual_tls_optional_admits_clients_without_a_certificate(
    pki: PKI, sqlite_accord: Accord
) -> None:
    config = TLSConfig(pki.server_cert, pki.server_key, pki.ca, "optional")
    with running_server(sqlite_accord, tls=config) as base:
        port = int(base.rsplit(":", 1)[1])
        assert _handshake(port, pki, None, None) == 200
        assert _handshake(port, pki, pki.client_cert, pki.client_key) == 200
        with pytest.raises(httpx.TransportError):
            _handshake(port, pki, pki.stranger_cert, pki.stranger_key)


def test_delta_sharing_client_reads_over_https(
    pki: PKI, sqlite_accord: Accord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(sqlite_accord, tmp_path)
    agreement = approve(world, agreement_request(channels=["delta_sharing"]))
    # The client reads metadata with requests and files with fsspec over aiohttp (OpenSSL).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.ca))
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca))
    # aiohttp builds its verifying SSL context once, when first imported, from the trust
    # store of that moment: in a process where an earlier test already read a share
    # over plain http, SSL_CERT_FILE comes too late, so this test's CA is added to it.
    aiohttp.connector._SSL_CONTEXT_VERIFIED.load_verify_locations(cafile=str(pki.ca))
    HTTPFileSystem.clear_instance_cache()
    with running_server(world, tls=TLSConfig(pki.server_cert, pki.server_key)) as base:
        assert base.startswith("https://")
        _, document = world.sharing.profile(
            world.operator("test"), agreement.id, "nhse.analyst", f"{base}/delta-sharing"
        )
        assert document["endpoint"].startswith("https://127.0.0.1:")
        profile = tmp_path / "analyst.share"
        profile.write_text(json.dumps(document))
        frame = delta_sharing.load_as_pandas(
            f"{profile}#{agreement.id}.governed.dwp_carers_allowance"
        )
        assert len(frame) == 2


def _config(pki: PKI, **changes: Path | str) -> TLSConfig:
    values: dict[str, object] = {"cert": pki.server_cert, "key": pki.server_key}
    values.update(changes)
    return TLSConfig(**values)  # type: ignore[arg-type]


def test_bad_files_are_named(pki: PKI, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"--tls-cert: there is no file at .*nothing\.pem"):
        ssl_context(_config(pki, cert=tmp_path / "nothing.pem"))
    with pytest.raises(ConfigurationError, match="does not match the certificate"):
        ssl_context(_config(pki, key=pki.client_key))
    with pytest.raises(ConfigurationError, match="expired on"):
        ssl_context(_config(pki, cert=pki.expired_cert, key=pki.expired_key))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(ConfigurationError, match=r"--tls-cert: .*holds no PEM certificate"):
        ssl_context(_config(pki, cert=garbage))
    with pytest.raises(ConfigurationError, match=r"--tls-client-ca: .*holds no PEM certificate"):
        ssl_context(_config(pki, client_ca=garbage))
    shared = tmp_path / "shared.key"
    shared.write_bytes(pki.server_key.read_bytes())
    shared.chmod(0o640)
    with pytest.raises(ConfigurationError, match=r"readable by group or others \(mode 0640\)"):
        ssl_context(_config(pki, key=shared))


def test_options_must_come_in_pairs(pki: PKI, tmp_path: Path) -> None:
    settings = load_settings({"ACCORD_HOME": str(tmp_path)})
    assert tls_config(settings) is None
    with pytest.raises(ConfigurationError, match="--tls-key"):
        tls_config(settings, cert=pki.server_cert)
    with pytest.raises(ConfigurationError, match="needs TLS"):
        tls_config(settings, client_ca=pki.ca)
    with pytest.raises(ConfigurationError, match="--tls-client-cert 'sometimes'"):
        tls_config(
            settings,
            cert=pki.server_cert,
            key=pki.server_key,
            client_ca=pki.ca,
            client_cert="sometimes",
        )
    from_env = load_settings(
        {
            "ACCORD_HOME": str(tmp_path),
            "ACCORD_TLS_CERT": str(pki.server_cert),
            "ACCORD_TLS_KEY": str(pki.server_key),
            "ACCORD_TLS_CLIENT_CA": str(pki.ca),
        }
    )
    assert tls_config(from_env) == TLSConfig(pki.server_cert, pki.server_key, pki.ca, "required")


def test_accord_serve_reports_a_bad_key_without_a_traceback(pki: PKI, tmp_path: Path) -> None:
    home = tmp_path / "home"
    Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test").close()
    result = CliRunner().invoke(
        cli,
        [
            *("serve", "--port", str(_free_port())),
            *("--tls-cert", str(pki.server_cert), "--tls-key", str(pki.client_key)),
        ],
        env={"ACCORD_HOME": str(home)},
    )
    assert result.exit_code != 0
    assert "does not match the certificate" in result.output
    assert "Traceback" not in result.output
