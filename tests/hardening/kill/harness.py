"""Kill a real ``accord`` process with SIGKILL at a moment chosen by a seeded RNG, then
check what it left: the store's integrity, the audit chain, and no half-written files.

Each scenario calibrates the length of one uninterrupted run, then kills a few more at
random points inside it: early (imports, opening the store), in the middle (reading,
writing files) and late (the commit). Every moment is reproducible from the seed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from sqlalchemy import text

from accord.fsutil import TEMP_PREFIX
from accord.services.app import Accord
from accord.settings import load_settings

SEED = 16
KILLS = 3
RUN_DEADLINE = 60.0


@dataclass(frozen=True)
class Outcome:
    """How one run ended: ``killed`` by us, or exited with ``returncode`` on its own."""

    killed: bool
    returncode: int
    output: str


def accord_env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "ACCORD_HOME": str(home), **extra}
    env.pop("ACCORD_DATABASE_URL", None)
    return env


def run(args: list[str], env: dict[str, str], log: Path, kill_after: float | None) -> Outcome:
    """Run ``args`` and, unless ``kill_after`` is None, SIGKILL it that many seconds in
    (if it is still running then)."""
    with log.open("wb") as output:
        process = subprocess.Popen(args, env=env, stdout=output, stderr=subprocess.STDOUT)
    killed = False
    try:
        process.wait(timeout=kill_after if kill_after is not None else RUN_DEADLINE)
    except subprocess.TimeoutExpired:
        if kill_after is None:
            raise
        os.kill(process.pid, signal.SIGKILL)
        killed = True
    finally:
        process.wait(timeout=RUN_DEADLINE)
    return Outcome(killed, process.returncode, log.read_text(errors="replace"))


def run_until_output(args: list[str], env: dict[str, str], log: Path, kill_after: float) -> Outcome:
    """Run ``args`` until it has written its first line to ``log``, then SIGKILL it
    ``kill_after`` seconds later: a slow start on a loaded machine does not use up the
    moment meant for the work."""
    with log.open("wb") as output:
        process = subprocess.Popen(args, env=env, stdout=output, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + RUN_DEADLINE
        while b"\n" not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no output before it ended: {log.read_text()}")
            time.sleep(0.01)
        time.sleep(kill_after)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=RUN_DEADLINE)
    return Outcome(True, process.returncode, log.read_text(errors="replace"))


def accord_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "accord", *args]


def timed(args: list[str], env: dict[str, str], log: Path) -> tuple[Outcome, float]:
    started = time.monotonic()
    outcome = run(args, env, log, None)
    return outcome, time.monotonic() - started


def kill_points(length: float, count: int = KILLS, seed: int = SEED) -> list[float]:
    """``count`` moments inside a run of ``length`` seconds, reproducible from ``seed``."""
    rng = random.Random(seed)
    return sorted(rng.uniform(0.15, 1.0) * length for _ in range(count))


def assert_store_sound(home: Path) -> None:
    """SQLite's own integrity check, then the audit chain and its checkpoints."""
    accord = open_home(home)
    try:
        with accord.store.engine.connect() as conn:
            verdict = conn.execute(text("PRAGMA integrity_check")).scalar()
        assert verdict == "ok", verdict
        report = accord.audit.verify()
        assert report.ok, report
    finally:
        accord.close()


def open_home(home: Path) -> Accord:
    return Accord.open(load_settings({"ACCORD_HOME": str(home)}))


def temporary_files(root: Path) -> list[Path]:
    """Files named as Accord names its temporaries (:data:`accord.fsutil.TEMP_PREFIX`)."""
    return [
        p
        for p in root.rglob("*")
        if p.is_file() and (p.name.startswith(TEMP_PREFIX) or fnmatch(p.name, ".*.tmp"))
    ]


def swept(home: Path) -> list[Path]:
    """Open the home as a restarted server would, with no grace for young temporaries,
    and answer what temporary files are left (none, if the start-up sweep works)."""
    Accord.open(load_settings({"ACCORD_HOME": str(home), "ACCORD_TEMP_GRACE_SECONDS": "0"})).close()
    return temporary_files(home)
