"""Must show: a restored backup fails ``accord audit verify --against`` the newest
published checkpoint. So do a cut tail and rewritten history; an untouched log passes.

Each case runs the real CLI over a real SQLite home; the checkpoints are published by
the appends themselves (``ACCORD_CHECKPOINT_EVERY`` is 5 here)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from accord.api.local_server import running_server
from accord.core.identity import Membership, PrincipalKind, Role
from accord.core.merkle import Frontier
from accord.services.app import Accord
from accord.services.checkpoint_log import read_published

from .conftest import CHECKPOINT_EVERY, run, write_events


def _published(home: Path) -> Path:
    return home / "audit" / "checkpoints.jsonl"


def test_checkpoints_are_published_after_commit_one_json_line_each(home: Path) -> None:
    write_events(3 * CHECKPOINT_EVERY)
    path = _published(home)
    assert path.stat().st_mode & 0o777 == 0o600
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) >= 3
    assert all(line["kind"] == "checkpoint" and line["version"] == 2 for line in lines)
    sizes = [line["tree_size"] for line in lines]
    assert sizes == sorted(set(sizes)), "each checkpoint is published once, in order"
    newest = read_published(path).checkpoint
    engine = create_engine(f"sqlite:///{home / 'accord.sqlite'}")
    with engine.connect() as conn:
        hashes = conn.execute(
            text("SELECT hash FROM audit_events WHERE seq <= :n ORDER BY seq"),
            {"n": newest.tree_size},
        ).scalars()
        root = Frontier().extend(bytes.fromhex(h) for h in hashes).root().hex()
    engine.dispose()
    assert newest.root == root


def test_an_untouched_log_verifies_against_its_newest_checkpoint(home: Path) -> None:
    write_events(2 * CHECKPOINT_EVERY + 2)
    output = run("audit", "verify", "--against", str(_published(home)))
    assert output.startswith("ok")


def test_a_restored_backup_fails_against_the_newest_published_checkpoint(home: Path) -> None:
    write_events(CHECKPOINT_EVERY)
    store = home / "accord.sqlite"
    backup = home.parent / "backup.sqlite"
    shutil.copyfile(store, backup)
    write_events(2 * CHECKPOINT_EVERY)
    newest = read_published(_published(home)).checkpoint
    shutil.copyfile(backup, store)
    # The restored store is internally consistent: the ordinary check cannot tell.
    assert run("audit", "verify").startswith("ok")
    output = run("audit", "verify", "--against", str(_published(home)), code=1)
    assert f"saw {newest.seq:,} events: it has been rolled back or its tail cut" in output
    assert f"checkpoint {newest.signed_at[:16]}Z" in output


def test_a_restored_backup_is_not_published_over(home: Path) -> None:
    write_events(CHECKPOINT_EVERY)
    store = home / "accord.sqlite"
    backup = home.parent / "backup.sqlite"
    shutil.copyfile(store, backup)
    write_events(2 * CHECKPOINT_EVERY)
    before = _published(home).read_text()
    shutil.copyfile(backup, store)
    write_events(3 * CHECKPOINT_EVERY)  # the writes go on; the file is not forked
    assert _published(home).read_text() == before
    output = run("audit", "publish", code=1)
    assert "restored from an older backup or its tail was cut" in output


def test_a_cut_tail_and_its_checkpoints_fail(home: Path) -> None:
    write_events(3 * CHECKPOINT_EVERY)
    path = _published(home)
    newest = read_published(path).checkpoint
    keep = newest.seq - CHECKPOINT_EVERY - 1
    engine = create_engine(f"sqlite:///{home / 'accord.sqlite'}")
    with engine.begin() as conn:
        # What someone with the file would do: lift the guard, cut, mend the head.
        for trigger in conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ).scalars():
            conn.execute(text(f"DROP TRIGGER {trigger}"))
        conn.execute(text("DELETE FROM audit_event_owners WHERE seq > :k"), {"k": keep})
        conn.execute(text("DELETE FROM audit_events WHERE seq > :k"), {"k": keep})
        conn.execute(
            text(
                "DELETE FROM audit_checkpoint_trees WHERE checkpoint_id IN "
                "(SELECT id FROM audit_checkpoints WHERE seq > :k)"
            ),
            {"k": keep},
        )
        conn.execute(text("DELETE FROM audit_checkpoints WHERE seq > :k"), {"k": keep})
        last = conn.execute(
            text("SELECT hash FROM audit_events WHERE seq = :k"), {"k": keep}
        ).scalar_one()
        conn.execute(text("UPDATE audit_head SET seq = :k, hash = :h"), {"k": keep, "h": last})
    engine.dispose()
    assert run("audit", "verify").startswith("ok")
    output = run("audit", "verify", "--against", str(path), code=1)
    assert f"the log ends at event {keep:,} but checkpoint" in output
    assert "rolled back or its tail cut" in output


def test_rewritten_history_fails(home: Path) -> None:
    """A backup restored, then written over with other events past the published size:
    a fork, signed with the platform's own key, so only the published root catches it."""
    write_events(CHECKPOINT_EVERY)
    store = home / "accord.sqlite"
    backup = home.parent / "backup.sqlite"
    shutil.copyfile(store, backup)
    write_events(2 * CHECKPOINT_EVERY)
    path = _published(home)
    published = path.read_bytes()
    newest = read_published(path).checkpoint
    shutil.copyfile(backup, store)
    write_events(3 * CHECKPOINT_EVERY, reason="a different history")
    assert run("audit", "verify").startswith("ok")
    assert path.read_bytes() == published
    output = run("audit", "verify", "--against", str(path), code=1)
    assert f"the first {newest.seq:,} events differ from what checkpoint" in output
    assert "history was rewritten" in output


def test_a_single_checkpoint_file_and_a_forged_one(home: Path) -> None:
    write_events(CHECKPOINT_EVERY)
    line = json.loads(_published(home).read_text().splitlines()[-1])
    one = home.parent / "one.json"
    one.write_text(json.dumps(line, indent=2))
    assert run("audit", "verify", "--against", str(one)).startswith("ok")
    line["tree_size"] = line["seq"] = line["seq"] - 1
    one.write_text(json.dumps(line))
    output = run("audit", "verify", "--against", str(one), code=1)
    assert "is not signed by this platform's audit key" in output


def test_malformed_checkpoint_files_name_the_line_and_field(home: Path) -> None:
    bad = home.parent / "bad.jsonl"
    bad.write_text('\n{"kind": "checkpoint", "seq": 3}\n{"kind": "cosignature"}\n')
    output = run("audit", "verify", "--against", str(bad), code=1)
    assert "line 3: a cosignature needs key_fingerprint and signature" in output
    bad.write_text('{"kind": "checkpoint", "seq": 2}\n{"kind": "checkpoint", "seq": 3}\n')
    output = run("audit", "verify", "--against", str(bad), code=1)
    assert "line 2: field 'head_hash' is missing" in output
    bad.write_text("not json\n")
    assert "line 1 is not JSON" in run("audit", "verify", "--against", str(bad), code=1)
    output = run("audit", "verify", "--against", str(home / "missing.jsonl"), code=1)
    assert "no checkpoint file" in output
    output = run("audit", "verify", "--witness-key", "ab", code=1)
    assert "--witness-key needs --against" in output


def test_the_api_verifies_against_a_published_checkpoint(home: Path) -> None:
    """``POST /audit/verify`` takes a published line as its body: ok on the live store,
    the rollback named on a restored backup; unknown fields are refused."""
    accord = Accord.open()
    try:
        operator = accord.operator()
        accord.identity.create_principal(
            operator,
            "audrey",
            "Audrey",
            PrincipalKind.PERSON,
            (Membership(accord.platform_org, Role.AUDITOR),),
        )
        _, secret = accord.identity.issue_token(operator, "audrey")
    finally:
        accord.close()
    headers = {"Authorization": f"Bearer {secret}"}
    write_events(CHECKPOINT_EVERY)
    backup = home.parent / "backup.sqlite"
    shutil.copyfile(home / "accord.sqlite", backup)
    write_events(2 * CHECKPOINT_EVERY)
    line = json.loads(_published(home).read_text().splitlines()[-1])

    def verify(body: dict[str, object]) -> httpx.Response:
        accord = Accord.open()
        try:
            with running_server(accord) as url:
                return httpx.post(url + "/audit/verify", json=body, headers=headers, timeout=30)
        finally:
            accord.close()

    answer = verify({"checkpoint": line})
    assert answer.status_code == 200, answer.text
    assert answer.json()["ok"] is True
    extra = verify({"checkpoint": {**line, "extra": 1}})
    assert extra.status_code == 422
    assert "extra" in extra.text
    shutil.copyfile(backup, home / "accord.sqlite")
    answer = verify({"checkpoint": line})
    assert answer.status_code == 200, answer.text
    assert answer.json()["ok"] is False
    assert "rolled back or its tail cut" in answer.json()["problem"]


def test_a_failed_publication_loses_no_write_and_is_caught_up(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file cannot be written (its directory is a file): writes still commit, and
    `accord audit publish` later appends every checkpoint the file lacks, once each."""
    blocker = home.parent / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("ACCORD_CHECKPOINT_LOG", str(blocker / "checkpoints.jsonl"))
    write_events(3 * CHECKPOINT_EVERY)
    output = run("audit", "publish", code=1)
    assert f"the checkpoint log {blocker / 'checkpoints.jsonl'} could not be opened" in output
    good = home.parent / "shipped" / "checkpoints.jsonl"
    monkeypatch.setenv("ACCORD_CHECKPOINT_LOG", str(good))
    output = run("audit", "publish")
    assert "Published" in output
    accord = Accord.open()
    try:
        stored = sorted({c.seq for c in accord.store.checkpoints()})
    finally:
        accord.close()
    published = [json.loads(line)["seq"] for line in good.read_text().splitlines()]
    assert published == stored
    assert "Published 0 checkpoint(s)" in run("audit", "publish")
    assert run("audit", "verify", "--against", str(good)).startswith("ok")
