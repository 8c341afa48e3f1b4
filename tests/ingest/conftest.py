"""Fixtures for the ingest tests.

``pg_url`` is the shared ``postgres_url`` fixture when the suite has one; otherwise it
starts a throwaway PostgreSQL cluster for this session, so the in-place reader is always
tested against a real server, never a mock.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("ACCORD_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(*command: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


@pytest.fixture(scope="session")
def _own_postgres() -> Iterator[str]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL binaries not found in {PG_BIN} (set ACCORD_PG_BIN)")
    base = Path(tempfile.mkdtemp(prefix="accord-ingest-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres(
            str(PG_BIN / "initdb"),
            *("-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"),
        ),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(base / "log"),
            "-o",
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            "start",
        ),
        check=True,
        capture_output=True,
    )
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(
            [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
            capture_output=True,
            check=False,
        ).returncode:
            if time.monotonic() > deadline:
                pytest.fail("PostgreSQL did not start")
            time.sleep(0.2)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_url(request: pytest.FixtureRequest) -> str:
    """A PostgreSQL URL: the suite's shared server if there is one, else our own."""
    try:
        return str(request.getfixturevalue("postgres_url"))
    except pytest.FixtureLookupError:
        return str(request.getfixturevalue("_own_postgres"))
