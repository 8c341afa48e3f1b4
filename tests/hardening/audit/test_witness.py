"""The witness over real HTTP (uvicorn on loopback): it countersigns a consistent
sequence of checkpoints, refuses a rolled-back and a forked one, and keeps its head
across a restart; the deployment publishes its countersignatures, and carries on
when the witness is down."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from accord.core.checkpoint import (
    Cosignature,
    checkpoint_to_json,
    sign_checkpoint,
    verify_cosignature,
)
from accord.core.merkle import consistency_proof
from accord.services.app import Accord
from accord.services.checkpoint_log import read_published
from accord.witness.server import MAX_BODY, create_witness_app
from accord.witness.state import WitnessState, parse_public_key

from .conftest import CHECKPOINT_EVERY, run, serving, write_events


def _audit_key(home: Path) -> str:
    return (home / "keys" / "audit-checkpoint.ed25519.pub").read_text().strip()


@pytest.fixture
def witness_home(home: Path, tmp_path: Path) -> Path:
    witness = tmp_path / "witness"
    output = run("witness", "init", "--home", str(witness), "--audit-public-key", _audit_key(home))
    assert WitnessState.open(witness).public_key_hex() in output
    assert witness.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in witness.iterdir())
    return witness


def _leaves(accord: Accord, size: int) -> list[bytes]:
    return [leaf for batch in accord.store.audit_leaves(1, size) for leaf in batch]


def _submit(
    url: str, checkpoint_line: dict[str, object], old: int, proof: list[bytes]
) -> httpx.Response:
    body = {"checkpoint": checkpoint_line, "old_size": old, "proof": [p.hex() for p in proof]}
    return httpx.post(url + "/checkpoint", json=body, timeout=10)


def test_the_witness_signs_a_consistent_sequence_and_refuses_rollback_and_fork(
    home: Path, witness_home: Path
) -> None:
    write_events(CHECKPOINT_EVERY)
    accord = Accord.open()
    try:
        first = accord.audit.checkpoint(accord.operator())
        with serving(create_witness_app(witness_home)) as url:
            assert httpx.get(url + "/head").json()["tree_size"] == 0
            answer = _submit(url, checkpoint_to_json(first), 0, [])
            assert answer.status_code == 200, answer.text
            key = parse_public_key(WitnessState.open(witness_home).public_key_hex(), "key")
            cos = Cosignature(answer.json()["key_fingerprint"], answer.json()["signature"])
            assert verify_cosignature(key, first, cos)
            # the same head again: signed again
            assert _submit(url, checkpoint_to_json(first), first.seq, []).status_code == 200

            write_events(7)
            second = accord.audit.checkpoint(accord.operator())
            leaves = _leaves(accord, second.seq)
            proof = consistency_proof(leaves, first.seq)
            # a wrong proof is refused, the right one accepted
            bad = _submit(url, checkpoint_to_json(second), first.seq, proof[:-1])
            assert bad.status_code == 409
            assert "does not verify" in bad.json()["error"]["message"]
            assert _submit(url, checkpoint_to_json(second), first.seq, proof).status_code == 200

            # rolled back: the first checkpoint again, after the second was signed
            rolled = _submit(url, checkpoint_to_json(first), second.seq, [])
            assert rolled.status_code == 409
            assert "rolled back" in rolled.json()["error"]["message"]

            # unknown fields are refused, naming them
            extra = _submit(url, {**checkpoint_to_json(second), "evil": 1}, second.seq, [])
            assert extra.status_code == 422
            assert "evil" in extra.json()["error"]["message"]
        head = WitnessState.open(witness_home).head()
        assert head is not None
        assert (head.tree_size, head.root) == (second.tree_size, second.root)

        # a fork: the same size, another history, signed with the platform's own key
        audit_key = accord.keys.signing_key("audit-checkpoint")
        forked = sign_checkpoint(audit_key, second.seq, "ab" * 32, second.signed_at, "cd" * 32)
        # restarted: the witness remembers the head it signed
        with serving(create_witness_app(witness_home)) as url:
            assert httpx.get(url + "/head").json()["tree_size"] == second.seq
            answer = _submit(url, checkpoint_to_json(forked), second.seq, [])
            assert answer.status_code == 409
            assert "forked" in answer.json()["error"]["message"]
            # a checkpoint not signed by the audit key the witness trusts
            other = sign_checkpoint(
                WitnessState.open(witness_home).key(), second.seq + 5, "ab" * 32, "t", "cd" * 32
            )
            answer = _submit(url, checkpoint_to_json(other), second.seq, [])
            assert answer.status_code == 409
            assert "not signed by the audit key" in answer.json()["error"]["message"]
    finally:
        accord.close()


def test_the_deployment_publishes_countersignatures_and_verify_requires_them(
    home: Path, witness_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    witness_key = WitnessState.open(witness_home).public_key_hex()
    with serving(create_witness_app(witness_home)) as url:
        monkeypatch.setenv("ACCORD_WITNESS_URL", url)
        monkeypatch.setenv("ACCORD_WITNESS_PUBLIC_KEY", witness_key)
        write_events(2 * CHECKPOINT_EVERY)
        write_events(CHECKPOINT_EVERY + 1)
    path = home / "audit" / "checkpoints.jsonl"
    kinds = [json.loads(line)["kind"] for line in path.read_text().splitlines()]
    assert kinds.count("cosignature") >= 2
    published = read_published(path)
    assert published.cosignatures, "the newest checkpoint is countersigned"
    assert run("audit", "verify", "--against", str(path), "--witness-key", witness_key).startswith(
        "ok"
    )
    # ... and a checkpoint the witness never saw does not pass with --witness-key
    lines = path.read_text().splitlines()
    last_checkpoint = next(x for x in reversed(lines) if '"kind":"checkpoint"' in x)
    alone = path.parent / "alone.json"
    alone.write_text(last_checkpoint)
    output = run("audit", "verify", "--against", str(alone), "--witness-key", witness_key, code=1)
    assert "no countersignature that verifies with the witness key" in output


def test_a_witness_that_is_down_does_not_stop_the_platform(
    home: Path, witness_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    witness_key = WitnessState.open(witness_home).public_key_hex()
    monkeypatch.setenv("ACCORD_WITNESS_URL", "http://127.0.0.1:9")  # discard: nobody answers
    monkeypatch.setenv("ACCORD_WITNESS_PUBLIC_KEY", witness_key)
    write_events(2 * CHECKPOINT_EVERY)
    path = home / "audit" / "checkpoints.jsonl"
    published = read_published(path)
    assert not published.cosignatures, "published, uncosigned"
    output = run("audit", "publish")
    assert "not countersigned" in output
    assert "did not answer" in output
    # The witness comes up: the next publish sends the newest checkpoint again.
    with serving(create_witness_app(witness_home)) as url:
        monkeypatch.setenv("ACCORD_WITNESS_URL", url)
        output = run("audit", "publish")
        assert "countersigned by the witness" in output
    assert read_published(path).cosignatures


def test_a_restored_backup_is_refused_by_the_witness(
    home: Path, witness_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    witness_key = WitnessState.open(witness_home).public_key_hex()
    store = home / "accord.sqlite"
    backup = home.parent / "backup.sqlite"
    with serving(create_witness_app(witness_home)) as url:
        monkeypatch.setenv("ACCORD_WITNESS_URL", url)
        monkeypatch.setenv("ACCORD_WITNESS_PUBLIC_KEY", witness_key)
        write_events(CHECKPOINT_EVERY)
        shutil.copyfile(store, backup)
        write_events(2 * CHECKPOINT_EVERY)
        signed = httpx.get(url + "/head").json()["tree_size"]
        # Restored, and the published file moved away too: only the witness remembers.
        shutil.copyfile(backup, store)
        (home / "audit" / "checkpoints.jsonl").rename(home / "audit" / "old.jsonl")
        write_events(1)
        output = run("audit", "publish", code=5)
        assert "refused the checkpoint" in output
        assert httpx.get(url + "/head").json()["tree_size"] == signed


def test_the_witness_refuses_an_oversized_body_before_reading_it(witness_home: Path) -> None:
    with serving(create_witness_app(witness_home)) as url:
        answer = httpx.post(
            url + "/checkpoint", content=b"{" + b" " * (MAX_BODY + 1) + b"}", timeout=10
        )
        assert answer.status_code == 413
        assert f"{MAX_BODY:,} bytes" in answer.json()["error"]["message"]
