"""Every error that reaches a user is a message, never a traceback.

The CLI: every command is wrapped in ``handles_errors`` (walked, so a new command cannot
forget), and an unexpected exception prints one line with a reference, its traceback
going to the operator's log only. The API: a 500 in the JSON envelope with the same kind
of reference; a refused write is a 507 naming the path, on the record.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from accord.cli.common import EXIT_INTERNAL, handles_errors
from accord.cli.main import app as cli
from accord.store import AuditFilter
from tests.hardening.hygiene.conftest import Api


def commands(app: typer.Typer, prefix: str = "") -> Iterator[tuple[str, Callable[..., Any]]]:
    for command in app.registered_commands:
        assert command.callback is not None
        yield f"{prefix}{command.name or command.callback.__name__}", command.callback
    for group in app.registered_groups:
        assert group.typer_instance is not None
        yield from commands(group.typer_instance, f"{prefix}{group.name} ")
    callback = app.registered_callback
    if callback is not None and callback.callback is not None:
        yield f"{prefix}(callback)", callback.callback


def test_every_cli_command_turns_errors_into_messages() -> None:
    found = dict(commands(cli))
    assert len(found) > 100, "the walk found too few commands: has the CLI changed shape?"
    unwrapped = [name for name, f in found.items() if not getattr(f, "handles_errors", False)]
    assert unwrapped == []


def test_an_unexpected_cli_error_is_one_line_with_a_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_HOME", str(tmp_path / "home"))
    broken = typer.Typer()

    @broken.command()
    @handles_errors
    def explode() -> None:
        {"a": 1}["nino AB123456C"]  # a bug whose message could carry personal data

    result = CliRunner().invoke(broken, [])
    assert result.exit_code == EXIT_INTERNAL
    assert "Traceback" not in result.output
    assert "AB123456C" not in result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("internal error, reference ")
    reference = line.split("reference ")[1].split(":")[0]
    log = tmp_path / "home" / "logs" / "errors.log"
    assert f"see {log}" in line
    text = log.read_text()
    assert f"reference {reference} command explode" in text
    assert "Traceback" in text
    assert log.stat().st_mode & 0o077 == 0


def test_an_unexpected_api_error_is_the_envelope_with_a_reference(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    def explode() -> None:
        raise RuntimeError("nino AB123456C broke something")

    api.client.app.add_api_route("/test-explode", explode)  # type: ignore[attr-defined]
    answer = api.client.get("/test-explode")
    assert answer.status_code == 500
    error = answer.json()["error"]
    reference = error["details"]["reference"]
    assert error["code"] == "internal"
    assert error["message"] == (
        f"internal error, reference {reference}: the server's log holds the details"
    )
    assert "AB123456C" not in answer.text
    assert "Traceback" not in answer.text
    [logged] = [r for r in caplog.records if reference in r.getMessage()]
    assert logged.exc_info is not None


def test_a_full_disk_under_the_api_is_507_naming_the_path_and_audited(api: Api) -> None:
    def fill() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/accord/data/x.parquet")

    api.client.app.add_api_route("/test-full", fill)  # type: ignore[attr-defined]
    answer = api.client.get("/test-full")
    assert answer.status_code == 507
    error = answer.json()["error"]
    assert error["code"] == "storage"
    assert error["message"].startswith(
        "could not write /srv/accord/data/x.parquet: No space left on device; the disk is full"
    )
    [event] = api.accord.store.audit_events(AuditFilter(action="storage.write_failed"))
    assert event.decision == "deny"
    assert event.object == "GET /test-full"
    assert json.loads(event.details) == {"path": "/srv/accord/data/x.parquet"}


def test_typer_s_own_exits_and_usage_errors_pass_through() -> None:
    app = typer.Typer()

    @app.command()
    @handles_errors
    def check(fail: bool = False) -> None:
        if fail:
            raise typer.Exit(1)
        raise typer.BadParameter("must be better", param_hint="--fail")

    runner = CliRunner()
    assert runner.invoke(app, ["--fail"]).exit_code == 1
    usage = runner.invoke(app, [])
    assert usage.exit_code == 2
    assert "must be better" in usage.output
