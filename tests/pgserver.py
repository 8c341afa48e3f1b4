"""A throwaway PostgreSQL cluster for the test session, on loopback.

The tests start their own server rather than assume one: ``initdb`` into a temporary
directory, ``pg_ctl start`` on a free port bound to 127.0.0.1, and ``pg_ctl stop``
at the end. As root (CI), the server runs as the ``postgres`` user the Debian
package creates, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["find_pg_bin", "throwaway_cluster"]


def find_pg_bin() -> Path | None:
    override = os.environ.get("ACCORD_PG_BIN")
    if override:
        return Path(override)
    found = shutil.which("pg_config")
    if found:
        bindir = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(bindir.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(name) if (name := Path(p).parent.parent.name).isdigit() else 0,
    )
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@contextmanager
def throwaway_cluster(bindir: Path) -> Iterator[str]:
    """Yield the URL of a superuser ``accord`` on a fresh cluster; remove it afterwards."""
    base = Path(tempfile.mkdtemp(prefix="accord-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        _as_server_user(
            str(bindir / "initdb"),
            *("-D", str(data), "-U", "accord", "-A", "trust", "-E", "UTF8", "--no-locale"),
        ),
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    )
    subprocess.run(
        _as_server_user(
            str(bindir / "pg_ctl"),
            *("-D", str(data), "-l", str(base / "log"), "-o", options, "-w", "start"),
        ),
        check=True,
        capture_output=True,
    )
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(
            [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
            capture_output=True,
            check=False,
        ).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start; see {base / 'log'}")
            time.sleep(0.2)
        yield f"postgresql://accord@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_server_user(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)
