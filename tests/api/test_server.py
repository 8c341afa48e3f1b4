"""The API served by a real uvicorn process over HTTP, as a client would meet it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.services.app import Accord
from accord.settings import load_settings

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
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
    env = {**os.environ, "ACCORD_HOME": str(home)}
    log = tmp_path / "server.log"
    handle = log.open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "accord", "serve", "--port", str(port)],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield base, secret
    finally:
        server.terminate()
        server.wait(timeout=10)
        handle.close()


def test_publish_and_read_over_http(served: tuple[str, str]) -> None:
    base, secret = served
    auth = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/datasets").status_code == 401
        created = client.post(
            "/datasets/dwp/carers?description=Carers&tags=carers",
            content="nino,postcode\nAB123456C,SW1A 1AA\nCE654321A,M1 1AE\n",
            headers={"Content-Type": "text/csv", **auth},
        )
        assert created.status_code == 201, created.text
        assert created.json()["version"]["row_count"] == 2
        found = client.get("/datasets/search", params={"q": "carers"}, headers=auth).json()
        assert [d["id"] for d in found] == ["dwp/carers"]
        assert "rows" not in found[0]
        spec = client.get("/openapi.json").json()
        assert "/datasets/{org_id}/{name}" in spec["paths"]
