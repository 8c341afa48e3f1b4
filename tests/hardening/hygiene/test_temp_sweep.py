"""Temporary files a killed write left behind are swept when Accord next starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from accord.fsutil import TEMP_PREFIX, sweep_temp
from accord.services.app import Accord
from accord.settings import load_settings
from accord.store import AuditFilter

KILLED_INGEST = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    from pathlib import Path
    from accord.services.app import Accord
    from accord.settings import load_settings

    home, source = Path(sys.argv[1]), sys.argv[2]
    accord = Accord.open(load_settings({"ACCORD_HOME": str(home)}))

    def kill_when_writing() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for _, _, files in os.walk(home / "data"):
                if any(f.startswith(sys.argv[3]) for f in files):
                    os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(0.0005)

    threading.Thread(target=kill_when_writing, daemon=True).start()
    accord.catalogue.register(accord.operator("test"), "platform", "people", source)
    print("finished without being killed")
    """
)


def _people_csv(path: Path, rows: int) -> None:
    with path.open("w") as handle:
        handle.write("nino,forename,surname,date_of_birth,postcode\n")
        for i in range(rows):
            handle.write(f"AB{i:06d}C,Mary{i},Jones{i},1961-04-12,SW1A 1AA\n")


def _temp_files(home: Path) -> list[Path]:
    return [
        Path(d) / f for d, _, files in os.walk(home) for f in files if f.startswith(TEMP_PREFIX)
    ]


def test_a_temp_file_of_an_ingest_killed_mid_write_is_gone_at_the_next_start(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test").close()
    source = tmp_path / "people.csv"
    _people_csv(source, 200_000)
    for _attempt in range(3):  # the write may, rarely, finish before the watcher sees it
        run = subprocess.run(
            [sys.executable, "-c", KILLED_INGEST, str(home), str(source), TEMP_PREFIX],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if run.returncode == -9:
            break
    assert run.returncode == -9, run.stdout + run.stderr
    left = _temp_files(home)
    assert left, "the killed ingest left no temporary file to sweep"
    old = time.time() - 7200
    for path in left:
        os.utime(path, (old, old))

    accord = Accord.open(load_settings({"ACCORD_HOME": str(home)}))
    try:
        assert _temp_files(home) == []
        [event] = accord.store.audit_events(AuditFilter(action="storage.temp_swept"))
        assert json.loads(event.details) == {"count": len(left)}
        assert TEMP_PREFIX not in str(event.details) + event.reason + event.object
    finally:
        accord.close()


def test_a_young_temp_file_is_spared_for_the_process_still_writing_it(tmp_path: Path) -> None:
    young = tmp_path / "data" / f"{TEMP_PREFIX}abc.tmp"
    young.parent.mkdir()
    young.write_bytes(b"partial")
    old = tmp_path / "data" / f"{TEMP_PREFIX}def.tmp"
    old.write_bytes(b"partial")
    stale = time.time() - 7200
    os.utime(old, (stale, stale))
    kept = tmp_path / "data" / "carers-v1.parquet"
    kept.write_bytes(b"a real file")
    os.utime(kept, (stale, stale))

    assert sweep_temp(tmp_path, grace_seconds=3600) == 1
    assert young.exists()
    assert not old.exists()
    assert kept.exists()


def test_left_over_temp_directories_and_uploads_are_swept(tmp_path: Path) -> None:
    extract = tmp_path / f"{TEMP_PREFIX}extract-x1"
    extract.mkdir()
    (extract / "rows.csv").write_text("nino\nAB123456C\n")
    upload = tmp_path / "uploads" / "tmpq1w2e3.csv"
    upload.parent.mkdir()
    upload.write_text("nino\nAB123456C\n")
    stale = time.time() - 7200
    for path in (extract, upload):
        os.utime(path, (stale, stale))

    assert sweep_temp(tmp_path, grace_seconds=3600) == 2
    assert not extract.exists()
    assert not upload.exists()
    assert (tmp_path / "uploads").is_dir()


def test_nothing_to_sweep_writes_no_event(tmp_path: Path) -> None:
    accord = Accord.init(load_settings({"ACCORD_HOME": str(tmp_path / "h")}), operator="test")
    try:
        reopened = Accord.open(accord.settings)
        assert reopened.store.audit_events(AuditFilter(action="storage.temp_swept")) == []
        reopened.close()
    finally:
        accord.close()
