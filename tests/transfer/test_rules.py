"""The pure rules: a schema change needs a new test exchange; keys retire after overlap."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from accord.core.transfer.keys import KeyPurpose, KeyState, OrgKey
from accord.core.transfer.rules import test_exchange_done as exchange_done
from accord.core.transfer.schema import schema_sha256
from tests.transfer.conftest import Exchange

OLD = schema_sha256([("nino", "string"), ("date_of_birth", "date32[day]")])
NEW = schema_sha256([("nino", "string"), ("date_of_birth", "int64")])


def test_a_schema_change_needs_a_new_test_exchange(exchange: Exchange) -> None:
    agreement = exchange.agreement
    dataset = "dwp/carers_allowance"
    assert not exchange_done(agreement, dataset, OLD, set())
    assert exchange_done(agreement, dataset, OLD, {OLD})
    changed = exchange_done(agreement, dataset, NEW, {OLD})
    assert not changed
    assert "schema" in changed.reason
    assert exchange_done(agreement, dataset, NEW, {OLD, NEW})
    relaxed = replace(
        agreement, policy=agreement.policy.model_copy(update={"test_exchange_required": False})
    )
    assert exchange_done(relaxed, dataset, NEW, set())


def test_a_replaced_key_is_accepted_until_its_overlap_ends() -> None:
    made = datetime(2026, 1, 1, tzinfo=UTC)
    key = OrgKey("f" * 64, "dwp", KeyPurpose.SIGNING, "ab" * 32, made)
    assert key.state(made) is KeyState.CURRENT
    replaced = replace(key, superseded_at=made, valid_until=made + timedelta(days=30))
    assert replaced.state(made + timedelta(days=29)) is KeyState.OVERLAP
    assert replaced.accepted(made + timedelta(days=29))
    assert replaced.state(made + timedelta(days=30)) is KeyState.RETIRED
    assert not replaced.accepted(made + timedelta(days=31))


def test_the_schema_hash_covers_names_order_and_types() -> None:
    base = [("a", "string"), ("b", "int64")]
    assert schema_sha256(base) == schema_sha256(list(base))
    assert schema_sha256(base) != schema_sha256(base[::-1])
    assert schema_sha256(base) != schema_sha256([("a", "string"), ("b", "int32")])
    assert schema_sha256(base) != schema_sha256([("a", "string"), ("c", "int64")])
