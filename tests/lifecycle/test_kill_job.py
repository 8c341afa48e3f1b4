"""The deletion job killed with SIGKILL half way through, then run again: every copy is
gone, each deletion is audited exactly once, and no file is deleted by both runs.

The job runs as the real command in its own process; the test watches the materialised
directory until some copies are gone and others are not, then kills it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from accord.core.lifecycle.deletion import ItemState
from accord.services.app import Accord
from accord.services.retention import RetentionService
from accord.settings import load_settings
from accord.store import AuditFilter
from tests.governance.conftest import build_world
from tests.lifecycle.conftest import retention_request
from tests.plane.conftest import approve

AGREEMENTS = 20
FILES = 200
DEADLINE = 60.0


def _copies(home: Path, accord: Accord) -> dict[str, set[str]]:
    """Revoked agreements, each with a materialised copy of many files (the layout
    PlaneService.materialise writes: one directory per agreement version)."""
    world = build_world(accord, home.parent)
    owner = world.acting_as("dwp.data", "test")
    copies = {}
    for _ in range(AGREEMENTS):
        agreement = approve(world, retention_request())
        world.agreements.revoke(owner, agreement.id, "the purpose is met")
        directory = home / "materialised" / f"{agreement.id}-v{agreement.version}"
        directory.mkdir(parents=True)
        names = {f"dwp_carers_allowance-v1-{i:04d}.parquet" for i in range(FILES)}
        for name in names:
            (directory / name).write_bytes(b"PAR1" + os.urandom(32) + b"PAR1")
        copies[directory.name] = names
    return copies


def _present(root: Path) -> dict[str, int]:
    found = {}
    for directory in root.iterdir():
        try:
            found[directory.name] = sum(1 for _ in directory.iterdir())
        except FileNotFoundError:
            continue
    return found


def test_a_job_killed_half_way_is_finished_by_the_next_run(tmp_path: Path) -> None:
    home = tmp_path / "home"
    accord = Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test")
    copies = _copies(home, accord)
    root = home / "materialised"
    env = {**os.environ, "ACCORD_HOME": str(home)}
    env.pop("ACCORD_DATABASE_URL", None)
    log = tmp_path / "job.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "accord", "retention", "run"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    started = time.monotonic()
    try:
        while time.monotonic() - started < DEADLINE:
            present = _present(root)
            if len(present) < AGREEMENTS - 2 or any(n < FILES for n in present.values()):
                break
            if process.poll() is not None:
                break
            time.sleep(0.001)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=DEADLINE)
    assert process.returncode == -signal.SIGKILL, log.read_text()

    service = RetentionService.of(accord)
    items = service.lifecycle.list_items()
    assert len(items) == AGREEMENTS  # the plan was written before anything was deleted
    done_before = {i.id for i in items if i.state is ItemState.DELETED}
    left_before = _present(root)
    assert left_before, "the job finished before it could be killed"
    assert len(done_before) < AGREEMENTS

    report = service.run(accord.operator())

    assert report.planned == 0
    assert report.resumed == AGREEMENTS - len(done_before)
    assert {i.id for i in report.deleted}.isdisjoint(done_before)
    assert not root.exists() or _present(root) == {}
    items = service.lifecycle.list_items()
    assert all(i.state is ItemState.DELETED for i in items)
    events = accord.store.audit_events(AuditFilter(action="retention.delete", limit=10_000))
    assert sorted(e.object for e in events) == sorted(f"materialised:{n}" for n in copies)
    for item in report.deleted:  # the second run removed exactly what the first left
        removed = {f["file"] for f in json.loads(item.detail)["files"]}
        assert len(removed) == left_before.get(item.location, 0)
        assert removed <= copies[item.location]
    assert accord.audit.verify().ok
    accord.close()
