"""Audit appends killed with SIGKILL at seeded random moments: every event whose commit
was acknowledged (printed by the appender after its transaction returned) is in the log
with its object, the chain and its signed checkpoints (one every 7 events here) verify,
and SQLite's integrity check is ok; the next process appends after the kill as if
nothing had happened.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from accord.services.app import Accord
from accord.settings import load_settings
from accord.store import AuditFilter
from tests.hardening.kill.harness import (
    assert_store_sound,
    kill_points,
    open_home,
    run_until_output,
)

ROOT = Path(__file__).resolve().parents[3]
# Kill moments after the first acknowledged append: within two seconds of appending.
RUN_SECONDS = 2.0


def acknowledged(output: str) -> dict[int, str]:
    """Sequence number to object, for every complete line (a line cut by the kill is
    not an acknowledgement)."""
    lines = output.split("\n")[:-1]
    return {int(seq): obj for seq, obj in (line.split(" ", 1) for line in lines if " " in line)}


def test_appends_killed_at_any_moment_lose_nothing_acknowledged(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env_settings = {"ACCORD_HOME": str(home), "ACCORD_CHECKPOINT_EVERY": "7"}
    Accord.init(load_settings(env_settings), operator="test").close()
    env = {**os.environ, **env_settings, "PYTHONPATH": str(ROOT)}
    env.pop("ACCORD_DATABASE_URL", None)
    total = 0
    for n, moment in enumerate(kill_points(RUN_SECONDS)):
        outcome = run_until_output(
            [sys.executable, "-m", "tests.hardening.kill.appender"],
            env,
            tmp_path / f"append-{n}.log",
            kill_after=moment,
        )
        assert outcome.killed, outcome.output
        acked = acknowledged(outcome.output)
        total += len(acked)
        assert_store_sound(home)
        accord = open_home(home)
        try:
            stored = {
                e.seq: e.object
                for e in accord.store.audit_events(
                    AuditFilter(actor="operator:kill-harness", limit=1_000_000)
                )
            }
        finally:
            accord.close()
        for seq, obj in acked.items():
            assert stored.get(seq) == obj, f"acknowledged event {seq} ({obj}) is lost"
    assert total > 0, "no append was acknowledged before any kill"
