"""Delta Sharing profiles point at https when served so, and never send a token in clear."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app as cli
from accord.core.sharing.endpoint import (
    check_share_endpoint,
    default_share_endpoint,
    is_loopback,
)
from accord.errors import ValidationError
from accord.services.app import Accord
from tests.governance.conftest import build_world
from tests.plane.conftest import agreement_request, approve


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("LOCALHOST", True),
        ("10.0.0.5", False),
        ("accord.example.gov.uk", False),
        ("localhost.example.com", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_plain_http_off_loopback_is_refused_unless_allowed() -> None:
    with pytest.raises(ValidationError, match="plain http on a host other than loopback"):
        check_share_endpoint("http://accord.example.gov.uk/delta-sharing")
    assert check_share_endpoint("http://10.0.0.5/delta-sharing/", allow_http=True) == (
        "http://10.0.0.5/delta-sharing"
    )
    assert check_share_endpoint("http://127.0.0.1:8000/delta-sharing")
    assert check_share_endpoint("https://accord.example.gov.uk/delta-sharing/") == (
        "https://accord.example.gov.uk/delta-sharing"
    )
    for bad in ("ftp://x/delta-sharing", "https://", "https://u:p@host/delta-sharing"):
        with pytest.raises(ValidationError, match="--endpoint"):
            check_share_endpoint(bad)


def test_the_default_endpoint_follows_public_url_then_tls() -> None:
    assert default_share_endpoint(public_url="https://accord.gov.uk/", tls=False) == (
        "https://accord.gov.uk/delta-sharing"
    )
    assert default_share_endpoint(public_url="", tls=True) == (
        "https://127.0.0.1:8000/delta-sharing"
    )
    assert default_share_endpoint(public_url="", tls=False) == (
        "http://127.0.0.1:8000/delta-sharing"
    )


def test_accord_share_profile_uses_the_public_url_and_refuses_http(
    sqlite_accord: Accord, tmp_path: Path
) -> None:
    world = build_world(sqlite_accord, tmp_path)
    agreement = approve(world, agreement_request(channels=["delta_sharing"]))
    runner = CliRunner()
    home = {"ACCORD_HOME": str(world.home)}
    args = ["share", "profile", agreement.id, "--as", "nhse.analyst"]
    public = {**home, "ACCORD_PUBLIC_URL": "https://accord.example.gov.uk"}
    made = runner.invoke(cli, [*args, "--out", str(tmp_path / "p.share")], env=public)
    assert made.exit_code == 0, made.output
    profile = json.loads((tmp_path / "p.share").read_text())
    assert profile["endpoint"] == "https://accord.example.gov.uk/delta-sharing"
    refused = runner.invoke(
        cli, [*args, "--endpoint", "http://accord.example.gov.uk/delta-sharing"], env=home
    )
    assert refused.exit_code != 0
    assert "bearer token would cross the network in clear" in refused.output
    assert "bearerToken" not in refused.output
    allowed = runner.invoke(
        cli,
        [*args, "--endpoint", "http://10.1.2.3/delta-sharing"],
        env={**home, "ACCORD_ALLOW_HTTP_ENDPOINT": "1"},
    )
    assert allowed.exit_code == 0, allowed.output
    assert '"endpoint": "http://10.1.2.3/delta-sharing"' in allowed.output
