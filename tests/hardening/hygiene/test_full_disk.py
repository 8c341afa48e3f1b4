"""A full disk gives a clear error naming the path, leaves nothing half-written, and is
on the record when the audit store can still be written.

The disk is filled for real, without root: the child process runs under a file-size
limit (``RLIMIT_FSIZE``), so a write past it fails in the kernel with ``EFBIG`` (the
``SIGXFSZ`` that would kill the process is ignored), the same path through Accord's
code as ``ENOSPC`` on a full volume.
"""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import string
import subprocess
import sys
import textwrap
from pathlib import Path

from accord.fsutil import TEMP_PREFIX
from accord.services.app import Accord
from accord.settings import load_settings
from accord.store import AuditFilter

LIMIT = 1_500_000
"""Bytes a child may write to any one file: room for the store, not for the dataset."""


def _file_size_limited() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def _temp_files(root: Path) -> list[str]:
    return [f for _, _, files in os.walk(root) for f in files if f.startswith(TEMP_PREFIX)]


def test_an_atomic_write_past_the_limit_is_a_storage_error_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    script = textwrap.dedent(
        """
        import json, sys
        from pathlib import Path
        from accord.errors import StorageError
        from accord.fsutil import write_atomic
        target = Path(sys.argv[1])
        try:
            write_atomic(target, b"x" * 4_000_000)
        except StorageError as exc:
            print(json.dumps({"message": exc.message, "details": exc.details}))
        """
    )
    target = tmp_path / "out" / "extract.csv"
    run = subprocess.run(
        [sys.executable, "-c", script, str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_file_size_limited,  # the limit binds the child only
        check=False,
    )
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["details"] == {"path": str(target), "errno": "EFBIG"}
    assert str(target) in answer["message"]
    assert "ulimit -f" in answer["message"]
    assert not target.exists()
    assert _temp_files(tmp_path) == []


def test_an_ingest_onto_a_full_disk_fails_cleanly_and_is_audited(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test").close()
    source = tmp_path / "people.csv"
    rnd = random.Random(16)
    with source.open("w") as handle:
        handle.write("nino,forename,surname,date_of_birth,postcode\n")
        for i in range(20_000):
            first, last = ("".join(rnd.choices(string.ascii_letters, k=60)) for _ in range(2))
            handle.write(f"AB{i:06d}C,{first},{last},1961-04-12,SW1A 1AA\n")

    run = subprocess.run(
        [sys.executable, "-m", "accord", "dataset", "register", "platform/people", str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ACCORD_HOME": str(home), "COLUMNS": "300"},
        preexec_fn=_file_size_limited,  # the limit binds the child only
        check=False,
    )
    assert run.returncode == 74, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert "error: could not write" in run.stderr
    assert "File too large" in run.stderr
    assert str(home / "data" / "platform" / "people") in run.stderr
    assert _temp_files(home) == []
    assert not (home / "data" / "platform" / "people").exists() or not any(
        (home / "data" / "platform" / "people").iterdir()
    )
    accord = Accord.open(load_settings({"ACCORD_HOME": str(home)}))
    try:
        assert accord.store.list_datasets() == []
        [event] = accord.store.audit_events(AuditFilter(action="storage.write_failed"))
        assert event.decision == "deny"
        assert event.reason == "a write failed: EFBIG"
        assert accord.audit.verify().ok
    finally:
        accord.close()
