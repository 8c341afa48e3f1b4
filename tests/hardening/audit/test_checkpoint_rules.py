"""Checkpoints by time as well as by count (the clock injected, no sleeps); version-1
checkpoints already stored keep verifying; the tree stays in step on both stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from accord.core.audit import AuditEvent
from accord.core.checkpoint import sign_checkpoint, verify_checkpoint_signature
from accord.core.merkle import Frontier
from accord.services.app import Accord
from accord.services.checkpoint_log import read_published
from accord.services.publication import tree_root
from accord.settings import load_settings
from accord.store.models import AuditCheckpointRow

EVENT = AuditEvent(actor="principal:auditor", action="audit.show", reason="for the test")


def _open(tmp_path: Path, store_url: str, **env: str) -> Accord:
    settings = load_settings(
        {"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_DATABASE_URL": store_url, **env}
    )
    return Accord.init(settings, operator="test")


def test_a_checkpoint_is_signed_when_a_minute_has_passed_while_events_are_written(
    tmp_path: Path, store_url: str
) -> None:
    accord = _open(tmp_path, store_url, ACCORD_CHECKPOINT_EVERY="0", ACCORD_CHECKPOINT_SECONDS="60")
    try:
        now = datetime.now(UTC) + timedelta(hours=1)  # past the time rule set at init
        accord.store.clock = lambda: now
        accord.store.record(EVENT)
        before = len(accord.store.checkpoints())
        now += timedelta(seconds=59)
        accord.store.record(EVENT)
        assert len(accord.store.checkpoints()) == before, "59 s: not yet"
        now += timedelta(seconds=1)
        record = accord.store.record(EVENT)
        checkpoints = accord.store.checkpoints()
        assert len(checkpoints) == before + 1, "60 s since the last: the append signs one"
        newest = checkpoints[-1]
        assert (newest.seq, newest.head_hash, newest.version) == (record.seq, record.hash, 2)
        assert newest.root == tree_root(accord.store, 0, record.seq).hex()
        assert verify_checkpoint_signature(accord.audit.public_key, newest)
        # ... and it was published after the commit
        published = read_published(accord.settings.checkpoint_log_path).checkpoint
        assert published == newest
        # No events, no checkpoints: the clock restarts at the checkpoint just signed.
        now += timedelta(seconds=30)
        accord.store.record(EVENT)
        assert len(accord.store.checkpoints()) == before + 1
        assert accord.audit.verify().ok
    finally:
        accord.close()


def test_a_checkpoint_is_signed_by_count(tmp_path: Path, store_url: str) -> None:
    accord = _open(tmp_path, store_url, ACCORD_CHECKPOINT_EVERY="4", ACCORD_CHECKPOINT_SECONDS="0")
    try:
        start = len(accord.store.checkpoints())
        accord.store.record_many([EVENT] * 9)
        accord.store.record_many([EVENT] * 4)
        assert len(accord.store.checkpoints()) == start + 2
        lines = accord.settings.checkpoint_log_path.read_text().splitlines()
        assert [json.loads(x)["seq"] for x in lines][-2:] == [
            c.seq for c in accord.store.checkpoints()[-2:]
        ]
    finally:
        accord.close()


def test_the_stored_frontier_is_the_tree_of_every_event(tmp_path: Path, store_url: str) -> None:
    accord = _open(tmp_path, store_url)
    try:
        accord.store.record_many([EVENT] * 37)
        head_seq, _ = accord.store.audit_head()
        leaves = [leaf for batch in accord.store.audit_leaves(1, head_seq) for leaf in batch]
        assert len(leaves) == head_seq
        checkpoint = accord.audit.checkpoint(accord.operator())
        # the checkpoint's own event is the tree's last leaf
        last = accord.store.audit_hashes_at([checkpoint.seq])[checkpoint.seq]
        expected = Frontier().extend([*leaves, bytes.fromhex(last)]).root().hex()
        assert checkpoint.seq == head_seq + 1
        assert checkpoint.root == expected == tree_root(accord.store, 0, checkpoint.seq).hex()
    finally:
        accord.close()


def test_version_one_checkpoints_still_verify(tmp_path: Path, store_url: str) -> None:
    accord = _open(tmp_path, store_url)
    try:
        record = accord.store.record(EVENT)
        key = accord.keys.signing_key("audit-checkpoint")
        old = sign_checkpoint(key, record.seq, record.hash, "2026-01-01T00:00:00.000000Z")
        assert old.version == 1
        assert old.tree_size is None
        assert verify_checkpoint_signature(key.public_key(), old)
        with accord.store.engine.begin() as conn:
            conn.execute(
                insert(AuditCheckpointRow).values(
                    seq=old.seq,
                    head_hash=old.head_hash,
                    signed_at=old.signed_at,
                    key_fingerprint=old.key_fingerprint,
                    signature=old.signature,
                )
            )
        assert old in accord.store.checkpoints()
        new = accord.audit.checkpoint(accord.operator())
        assert new.version == 2
        report = accord.audit.verify()
        assert report.ok, report.problem
        # A v1 signature does not pass for a v2 message over the same head, nor back.
        forged = type(new)(
            new.seq, new.head_hash, new.signed_at, new.key_fingerprint, old.signature, None, None
        )
        assert not verify_checkpoint_signature(key.public_key(), forged)
    finally:
        accord.close()
