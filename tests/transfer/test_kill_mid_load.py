"""A receiver killed half way through loading leaves no file and no record behind.

The receive runs as the real command in its own process; the test watches that process's
open files until it is writing the decrypted payload into the inbox, then SIGKILLs it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from accord.services.app import Accord
from accord.settings import load_settings
from tests.governance.conftest import build_world
from tests.plane.conftest import agreement_request, approve
from tests.transfer.conftest import Exchange, issue_keys

ROWS = 1_500_000


def _big_dataset(path: Path) -> None:
    """Incompressible text, so the payload is large enough to be caught mid-load."""
    noise = np.frombuffer(os.urandom(ROWS * 32), dtype=np.uint8)
    text = noise.tobytes().hex().encode()
    offsets = pa.array(np.arange(ROWS + 1, dtype=np.int32) * 64)
    notes = pa.StringArray.from_buffers(ROWS, offsets.buffers()[1], pa.py_buffer(text))
    ids = pa.array([f"CASE{i:08d}" for i in range(ROWS)])
    pq.write_table(pa.table({"case_ref": ids, "notes": notes}), path)


def _loading_file(pid: int, inbox: Path) -> bool:
    """Is the process holding a non-empty file in the inbox open for writing?"""
    fds = Path(f"/proc/{pid}/fd")
    try:
        for fd in fds.iterdir():
            target = os.readlink(fd)
            if target.startswith(str(inbox)) and os.stat(fd).st_size > 0:
                return True
    except OSError:
        return False
    return False


def test_killing_the_receiver_mid_load_leaves_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    accord = Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test")
    world = build_world(accord, tmp_path)
    source = tmp_path / "big.parquet"
    _big_dataset(source)
    world.catalogue.register(world.operator("test"), "dwp", "case_notes", str(source))
    agreement = approve(
        world,
        agreement_request(
            test_exchange=False,
            datasets=[
                {
                    "dataset": "dwp/case_notes",
                    "fields": [
                        {"name": "case_ref", "justification": "match"},
                        {"name": "notes", "justification": "context"},
                    ],
                }
            ],
        ),
    )
    issue_keys(world)
    exchange = Exchange(world, agreement, tmp_path / "outbox", tmp_path / "inbox")
    sent = exchange.send()
    world.close()
    exchange.inbox.mkdir()
    command = [sys.executable, "-m", "accord", "package", "receive", str(sent.path)]
    command += ["--as", "nhse.analyst", "--out", str(exchange.inbox)]
    env = {**os.environ, "ACCORD_HOME": str(home)}
    log = tmp_path / "receiver.log"
    with log.open("wb") as output:
        receiver = subprocess.Popen(command, env=env, stdout=output, stderr=output)
        deadline = time.monotonic() + 120
        caught = False
        while receiver.poll() is None and time.monotonic() < deadline:
            if _loading_file(receiver.pid, exchange.inbox):
                receiver.send_signal(signal.SIGKILL)
                caught = True
                break
            time.sleep(0.001)
        receiver.wait(timeout=30)
    assert caught, f"the receive finished before it could be killed: {log.read_text()}"
    assert receiver.returncode == -signal.SIGKILL
    # Nothing partial: no file under any name, no record, no receipt.
    assert list(exchange.inbox.iterdir()) == []
    after = Accord.open(load_settings({"ACCORD_HOME": str(home)}))
    try:
        assert after.store.get_received_package(sent.manifest.transfer_id) is None
        assert after.store.list_receipts() == []
        assert after.audit.verify().ok
        # And the same package then loads in full.
        done = after.transfer.receive(
            after.acting_as("nhse.analyst", "test"), sent.path, exchange.inbox
        )
        assert pq.read_metadata(done.path).num_rows == ROWS
    finally:
        after.close()
