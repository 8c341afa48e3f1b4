"""Owners in the hash chain and in the store, on both backends.

The owners an event concerns are hashed with it, resolved in the writing transaction
from its object, indexed so that "events about my data" is a lookup; and a log
written before owners existed still verifies after the upgrade.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from accord.core.audit import (
    GENESIS_HASH,
    AuditEvent,
    canonical_details,
    chain_payload,
    event_hash,
    format_time,
)
from accord.services import audit as audit_service
from accord.services.app import Accord
from accord.services.audit import AuditService
from accord.store import AuditFilter, Store, connect_engine
from accord.store.migrate import migrate

BEFORE_OWNERS = ("0002_governance", "0002_sharing", "0002_transfer", "0002_disclosure")


def _legacy_log(store_url: str, count: int) -> None:
    """A store at the schema before owners, holding ``count`` events hashed as they were."""
    engine = connect_engine(store_url)
    try:
        for revision in BEFORE_OWNERS:
            migrate(engine, revision)
        ts = format_time(datetime.now(UTC))
        prev = GENESIS_HASH
        with engine.begin() as conn:
            for seq in range(1, count + 1):
                fields = (
                    seq,
                    ts,
                    f"principal:p{seq}",
                    "dwp",
                    "dataset.ingest",
                    f"dataset:dwp/d{seq}",
                    "allow",
                    "data_owner of 'dwp'",
                    canonical_details({"rows": seq}),
                )
                digest = event_hash(*fields, None, prev)
                assert chain_payload(*fields, None, prev).count("\x1f") == 9
                conn.execute(
                    text(
                        "INSERT INTO audit_events (seq, ts, actor, organisation, action, object, "
                        "decision, reason, details, prev_hash, hash) VALUES "
                        "(:s, :ts, :a, :o, :ac, :ob, :d, :r, :de, :p, :h)"
                    ),
                    dict(
                        zip(
                            ("s", "ts", "a", "o", "ac", "ob", "d", "r", "de"),
                            fields,
                            strict=True,
                        ),
                        p=prev,
                        h=digest,
                    ),
                )
                prev = digest
            conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": count, "h": prev})
        migrate(engine)
    finally:
        engine.dispose()


def _service(store: Store) -> AuditService:
    return AuditService(store, Ed25519PrivateKey.generate().public_key())


def test_a_log_from_before_owners_still_verifies_and_grows(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _legacy_log(store_url, 6)
    engine = connect_engine(store_url)
    try:
        store = Store(engine)
        assert store.audit_owners_from() == 7
        store.record_many(
            [AuditEvent(actor="principal:x", action="dataset.ingest", object="dataset:hmrc/b")] * 3
        )
        report = _service(store).verify()
        assert report.ok, report.problem
        assert report.events == 9
        # In parallel too, with a run that straddles the change of form.
        monkeypatch.setattr(audit_service, "PARALLEL_FROM", 1)
        parallel = _service(store).verify(workers=2)
        assert parallel.ok, parallel.problem
        assert parallel.head_hash == report.head_hash
        old, new = (
            store.audit_events(AuditFilter(limit=100, newest_first=False))[i] for i in (0, 8)
        )
        assert old.owners is None
        assert old.owner_ids == ()
        assert new.owners == "hmrc"
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.execute(text("DROP TRIGGER audit_events_no_update"))
            else:
                conn.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
            # Giving a legacy event owners changes the text it hashes to: caught.
            conn.execute(text("UPDATE audit_events SET owners = '' WHERE seq = 4"))
        report = _service(store).verify()
        assert not report.ok
        assert report.first_bad_seq == 4
    finally:
        engine.dispose()


def test_editing_a_new_events_owners_is_caught(accord: Accord) -> None:
    accord.store.record_many(
        [
            AuditEvent(actor="principal:x", action="dataset.ingest", object=f"dataset:dwp/d{i}")
            for i in range(5)
        ]
    )
    with accord.store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
        conn.execute(text("UPDATE audit_events SET owners = 'hmrc' WHERE seq = 3"))
    report = accord.audit.verify()
    assert not report.ok
    assert report.first_bad_seq == 3


def test_owners_resolve_from_the_object_and_are_indexed(accord: Accord) -> None:
    store = accord.store
    store.record_many(
        [
            AuditEvent(actor="principal:a", action="dataset.ingest", object="dataset:dwp/carers"),
            AuditEvent(actor="principal:b", action="optout.add", object="optouts:hmrc:nino"),
            AuditEvent(actor="principal:c", action="api.access", object="GET /datasets/dwp/x"),
            AuditEvent(actor="principal:d", action="token.issue", object="token:tok_1"),
            AuditEvent(
                actor="principal:e",
                action="extract.release",
                object="agreement:nowhere",
                owners=("nhse", "dwp"),
            ),
            AuditEvent(
                actor="principal:f",
                action="org.show",
                object="org:dwp",
                organisation="dwp",
            ),
        ]
    )
    by_actor = {r.actor: r.owner_ids for r in store.audit_events(AuditFilter(limit=100))}
    assert by_actor["principal:a"] == ("dwp",)
    assert by_actor["principal:b"] == ("hmrc",)
    assert by_actor["principal:c"] == ("dwp",)
    assert by_actor["principal:d"] == ()
    assert by_actor["principal:e"] == ("dwp", "nhse"), "owners a caller names are kept"
    about = {r.actor for r in store.audit_events(AuditFilter(about="dwp", limit=100))}
    assert about == {"principal:a", "principal:c", "principal:e", "principal:f"}
    with store.engine.connect() as conn:
        indexed = conn.execute(
            text("SELECT organisation, count(*) FROM audit_event_owners GROUP BY organisation")
        ).all()
    assert dict(indexed) == {"dwp": 3, "hmrc": 1, "nhse": 1}
    with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event_owners"))
