"""A plan on PostgreSQL runs within the same time limit, set per session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from accord.core.catalogue import DatasetVersion
from accord.engine import bounds
from accord.engine.postgres_engine import PostgresSource
from accord.errors import LimitExceeded

pytestmark = pytest.mark.postgres


@pytest.fixture
def source(postgres_database: str) -> Iterator[PostgresSource]:
    version = DatasetVersion(
        "dwp/carers_pg", 1, 0, "", datetime.now(UTC), f"{postgres_database}#public.carers"
    )
    yield PostgresSource(version)
    bounds.configure(None)


def test_a_plan_past_its_time_limit_is_cancelled_with_the_same_message(
    source: PostgresSource,
) -> None:
    bounds.configure(bounds.QueryLimits(seconds=1))
    with pytest.raises(LimitExceeded) as raised:
        list(source.batches("SELECT pg_sleep(30) AS slept"))
    assert raised.value.limit == "ACCORD_QUERY_SECONDS"
    assert "ran past its 1 second limit (ACCORD_QUERY_SECONDS)" in raised.value.message


def test_the_session_runs_with_the_limits_set(source: PostgresSource) -> None:
    bounds.configure(bounds.QueryLimits(memory_bytes=64_000_000, seconds=7))
    [batch] = source.batches(
        "SELECT current_setting('statement_timeout') AS timeout, "
        "current_setting('work_mem') AS work_mem"
    )
    row = batch.to_pylist()[0]
    assert row["timeout"] == "7s"
    assert row["work_mem"] == "62500kB"
