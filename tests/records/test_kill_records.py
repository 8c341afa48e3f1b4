"""The retention job killed with SIGKILL at random points, 20 times, then run once more
uninterrupted: exactly the due records are deleted (files and rows), none other; each
deletion is audited exactly once; the audit chain verifies; no NINO reaches the log.

Each run is the job ``accord retention run`` performs (the copies, then the held
records) in a child process forked from the test, so that twenty children cost no
interpreter start-up each; the final run is the command itself. Half the kills come at
a random time after the child starts (before it opened the store, while it plans, while
it deletes); the other half once a random number of further files are gone, which
lands them between deleting a file and committing its tombstone as often as not.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import time
import traceback
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app as cli
from accord.core.lifecycle.record_retention import RecordState
from accord.services.app import Accord
from accord.services.records import RecordsService
from accord.services.retention import RetentionService
from accord.settings import load_settings
from accord.store import AuditFilter
from tests.records.harness import hold_records, organisations

KILLS = 20
DEADLINE = 30.0


def _job(home: Path, log: Path) -> None:
    """The child: open the home afresh and run the job as ``accord retention run`` does."""
    code = 0
    try:
        app = Accord.open(load_settings({"ACCORD_HOME": str(home)}))
        RetentionService.of(app).run(app.operator())
        RecordsService.of(app).run(app.operator())
        app.close()
    except BaseException:
        log.write_text(traceback.format_exc())
        code = 1
    os._exit(code)


def _files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def _kill_one(home: Path, log: Path, rng: random.Random) -> int:
    """Start the job in a child and SIGKILL it at a random point; return its status."""
    root = home / "records"
    before = _files(root)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        _job(home, log)
    if rng.random() < 0.5:
        # Early: while the child opens the home, plans, or deletes its first records.
        # Short enough that it cannot finish the whole plan first, however idle the
        # machine, so that every kill lands on work still to do.
        time.sleep(rng.uniform(0.0, 0.15))
    else:
        target = before - rng.randint(1, 6)
        started = time.monotonic()
        while _files(root) > target and time.monotonic() - started < DEADLINE:
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                return 0  # it finished first
            time.sleep(0.0005)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return status


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_killed_twenty_times_the_job_deletes_exactly_the_due_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    accord = Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test")
    organisations(accord)
    held = hold_records(accord)
    everything = {r.id: r for r in RecordsService.of(accord).repository.records()}
    assert len(everything) > 300
    assert held.due
    assert held.kept
    accord.close()  # the children open the home afresh

    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    log = tmp_path / "child.log"
    killed = 0
    interrupted = 0  # kills that left records planned but not deleted
    for _ in range(KILLS):
        status = _kill_one(home, log, rng)
        assert not log.exists(), log.read_text()
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            killed += 1
        check = Accord.open(load_settings({"ACCORD_HOME": str(home)}))
        planned = RecordsService.of(check).repository.records(state=RecordState.PLANNED)
        interrupted += bool(planned)
        check.close()
    assert killed > KILLS // 2
    assert interrupted >= 1

    monkeypatch.setenv("ACCORD_HOME", str(home))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    monkeypatch.delenv("ACCORD_MASTER_KEY", raising=False)
    result = CliRunner().invoke(cli, ["retention", "run", "--json"])
    assert result.exit_code == 0, result.output
    assert "records" in json.loads(result.output)

    accord = Accord.open(load_settings({"ACCORD_HOME": str(home)}))
    service = RecordsService.of(accord)
    records = {r.id: r for r in service.repository.records()}
    assert set(records) == set(everything)
    deleted = {i for i, r in records.items() if r.state is RecordState.DELETED}
    assert deleted == held.due
    assert {i for i, r in records.items() if r.state is RecordState.HELD} == held.kept
    for record_id, record in records.items():
        path = home / "records" / record.holder / record.file_name
        if record_id in held.due:
            assert not path.exists()
        else:
            assert path.read_bytes()  # untouched, as added
            assert record.sha256 == everything[record_id].sha256
    leftovers = [p.name for p in (home / "records").rglob("*.tmp")]
    assert leftovers == []

    events = accord.store.audit_events(AuditFilter(action="records.delete", limit=10_000))
    objects = [e.object for e in events]
    assert sorted(objects) == sorted(f"record:{i}" for i in held.due)  # once each
    assert accord.audit.verify().ok
    everything_logged = accord.store.audit_events(AuditFilter(limit=100_000))
    text = " ".join(f"{e.object} {e.reason} {e.details}" for e in everything_logged)
    assert not any(n in text for n in held.ninos)
    accord.close()
