"""Rate limits and the query slots as the API answers them: 429 with Retry-After, and
refusals nobody is named for counted per interval rather than logged one by one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.api.rate_limits import RateLimitMiddleware, caller_key, cost_of
from accord.core.audit import AuditEvent
from accord.core.governance.records import AgreementRecord
from accord.engine import bounds
from accord.services.app import Accord
from accord.store import AuditFilter
from tests.hardening.limits.conftest import CROSS_JOIN, VIEW

World = tuple[Accord, AgreementRecord]


def _client(accord: Accord, **settings: Any) -> TestClient:
    accord.settings = replace(accord.settings, **settings)
    return TestClient(create_app(accord))


def _token(accord: Accord, principal: str) -> dict[str, str]:
    secret = accord.identity.issue_token(accord.operator("test"), principal, ttl_days=1)[1]
    return {"Authorization": f"Bearer {secret}"}


def _counted(accord: Accord, kind: str) -> list[AuditEvent]:
    events = accord.store.audit_events(AuditFilter(action="api.refusals.counted", limit=1000))
    return [e for e in events if e.details_dict["kind"] == kind]  # type: ignore[misc]


@pytest.fixture
def accord(sqlite_accord: Accord) -> Iterator[Accord]:
    from accord.core.identity import Membership, PrincipalKind, Role

    admin = (Membership(sqlite_accord.platform_org, Role.ADMIN),)
    op = sqlite_accord.operator("test")
    sqlite_accord.identity.create_principal(op, "ada", "Ada", PrincipalKind.PERSON, admin)
    yield sqlite_accord
    bounds.configure(None)


def test_the_request_past_the_burst_answers_429_with_retry_after(accord: Accord) -> None:
    headers = _token(accord, "ada")
    with _client(accord, rate_per_minute=6, rate_burst=5) as client:
        for _ in range(5):
            assert client.get("/datasets", headers=headers).status_code == 200
        refused = client.get("/datasets", headers=headers)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        error = refused.json()["error"]
        assert error["code"] == "rate_limited"
        assert "ACCORD_RATE_PER_MINUTE" in error["message"]
        # Another caller has an allowance of their own; /health costs nothing.
        assert client.get("/datasets", headers=_token(accord, "ada")).status_code == 200
        assert client.get("/health").status_code == 200
    # The refusal is counted, not logged: one event for the interval, flushed at shutdown.
    [event] = _counted(accord, "rate_limited")
    assert event.details_dict["count"] == 1  # type: ignore[index]
    token = headers["Authorization"].removeprefix("Bearer ")
    assert token not in event.details  # only hashes of whom


def test_delta_sharing_is_answered_in_the_protocol_shape(accord: Accord) -> None:
    with _client(accord, rate_per_minute=1, rate_burst=1) as client:
        client.get("/delta-sharing/shares")
        refused = client.get("/delta-sharing/shares")
    assert refused.status_code == 429
    assert refused.json()["errorCode"] == "RESOURCE_EXHAUSTED"
    assert "Retry-After" in refused.headers


def test_a_bucket_refills_with_its_clock(accord: Accord) -> None:
    now = [1000.0]
    settings = replace(accord.settings, rate_per_minute=60, rate_burst=2)
    middleware = RateLimitMiddleware(
        create_app(accord), record=accord.record, settings=settings, clock=lambda: now[0]
    )
    assert middleware.charge("token:x", 1) == (True, 0.0)
    assert middleware.charge("token:x", 1)[0]
    allowed, wait = middleware.charge("token:x", 1)
    assert not allowed
    assert wait == pytest.approx(1.0)
    now[0] += 1.0
    assert middleware.charge("token:x", 1)[0]


def test_engine_requests_cost_more_than_metadata_reads() -> None:
    assert cost_of("GET", "/datasets", 10) == 1
    assert cost_of("POST", "/agreements/agr-1/query", 10) == 10
    assert cost_of("POST", "/agreements/agr-1/extracts/dwp/carers", 10) == 10
    assert cost_of("POST", "/delta-sharing/shares/s/schemas/x/tables/t/query", 10) == 10
    assert cost_of("GET", "/delta-sharing/shares/s/schemas/x/tables/t/changes", 10) == 10
    assert cost_of("GET", "/health", 10) == 0
    assert cost_of("GET", "/static/app.css", 10) == 0


def test_callers_are_keyed_by_hashes_never_by_their_secret() -> None:
    scope = {"headers": [(b"authorization", b"Bearer accord_secret")], "client": ("10.0.0.1", 1)}
    key = caller_key(scope, b"k" * 32)
    assert key.startswith("token:")
    assert "accord_secret" not in key
    anonymous = caller_key({"headers": [], "client": ("10.0.0.1", 1)}, b"k" * 32)
    assert anonymous.startswith("address:")
    assert "10.0.0.1" not in anonymous


def test_500_unauthenticated_requests_make_at_most_two_audit_events(accord: Accord) -> None:
    before = len(accord.store.audit_events(AuditFilter(limit=100_000)))
    with _client(accord, rate_per_minute=100_000, rate_burst=1000) as client:
        for i in range(500):
            answer = client.get("/datasets", headers={"Authorization": f"Bearer x{i}"})
            assert answer.status_code == 401
    events = accord.store.audit_events(AuditFilter(limit=100_000))
    new = events[: len(events) - before]
    assert 1 <= len(new) <= 2  # two only if the run crossed an interval boundary
    assert {e.action for e in new} == {"api.refusals.counted"}
    assert sum(e.details_dict["count"] for e in new) == 500  # type: ignore[misc]
    assert not accord.store.audit_events(AuditFilter(action="api.authenticate", limit=1))
    top = new[0].details_dict["top"]  # type: ignore[index]
    assert all(entry["key"].startswith("token:") for entry in top)


def test_a_cross_join_through_the_api_answers_422_naming_the_limit(
    big_query_world: World,
) -> None:
    world, agreement = big_query_world
    headers = _token(world, "nhse.analyst")
    with _client(world, query_memory_bytes=64_000_000, query_threads=1) as client:
        answer = client.post(
            f"/agreements/{agreement.id}/query",
            headers=headers,
            json={"sql": CROSS_JOIN},
        )
    bounds.configure(None)
    assert answer.status_code == 422, answer.text[:500]
    error = answer.json()["error"]
    assert error["code"] == "limit_exceeded"
    assert error["details"]["limit"] == "ACCORD_QUERY_MEMORY"
    assert "64 MB" in error["message"]


def test_every_query_slot_busy_answers_429_with_retry_after(big_query_world: World) -> None:
    import threading

    world, agreement = big_query_world
    headers = _token(world, "nhse.analyst")
    holding, done = threading.Event(), threading.Event()
    with _client(world, max_concurrent_queries=1, query_wait_seconds=0) as client:

        def busy() -> None:
            with bounds.query_slot():
                holding.set()
                done.wait(30)

        other = threading.Thread(target=busy)
        other.start()
        try:
            assert holding.wait(30)
            answer = client.post(
                f"/agreements/{agreement.id}/query",
                headers=headers,
                json={"sql": f"select count(*) as n from {VIEW}"},
            )
        finally:
            done.set()
            other.join()
    bounds.configure(None)
    assert answer.status_code == 429, answer.text[:500]
    assert int(answer.headers["Retry-After"]) >= 1
    assert "ACCORD_MAX_CONCURRENT_QUERIES" in answer.json()["error"]["message"]
