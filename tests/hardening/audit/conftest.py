"""A home initialised by the real CLI, with checkpoints every few events, and helpers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from accord.cli.main import app
from accord.core.audit import AuditEvent
from accord.services.app import Accord

runner = CliRunner()

CHECKPOINT_EVERY = 5


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("ACCORD_HOME", str(home))
    monkeypatch.setenv("ACCORD_CHECKPOINT_EVERY", str(CHECKPOINT_EVERY))
    for name in ("ACCORD_DATABASE_URL", "ACCORD_MASTER_KEY", "ACCORD_CHECKPOINT_LOG"):
        monkeypatch.delenv(name, raising=False)
    for name in ("ACCORD_WITNESS_URL", "ACCORD_WITNESS_PUBLIC_KEY"):
        monkeypatch.delenv(name, raising=False)
    run("init")
    return home


def write_events(count: int, reason: str = "read for the test") -> None:
    """Append ``count`` events through a freshly opened application, as a command would."""
    accord = Accord.open()
    try:
        for _ in range(count):
            accord.store.record(
                AuditEvent(actor="principal:auditor", action="audit.show", reason=reason)
            )
    finally:
        accord.close()


@contextmanager
def serving(asgi: FastAPI, wait: float = 20.0) -> Iterator[str]:
    """Serve ``asgi`` with uvicorn on a free loopback port in a thread; yield its URL."""
    server = uvicorn.Server(
        uvicorn.Config(asgi, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + wait
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=wait)
