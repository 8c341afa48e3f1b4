"""Every query runs within its memory and time limits, and says which one stopped it."""

from __future__ import annotations

import resource
import threading

import duckdb
import pytest

from accord.core.governance.records import AgreementRecord
from accord.engine import bounds
from accord.errors import LimitExceeded, RateLimited
from accord.services.app import Accord
from accord.store import AuditFilter
from tests.hardening.limits.conftest import CROSS_JOIN, VIEW

World = tuple[Accord, AgreementRecord]
SMALL = bounds.QueryLimits(memory_bytes=64_000_000, threads=1, seconds=60, wait_seconds=0)
SLOW = f"select count(*) as n from {VIEW} a, {VIEW} b, {VIEW} c where a.nino < b.nino"


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 1e6


def test_a_self_cross_join_stops_at_its_memory_limit_with_a_clear_message(
    big_query_world: World, limits: None
) -> None:
    world, agreement = big_query_world
    bounds.configure(SMALL)
    analyst = world.acting_as("nhse.analyst", "test")
    before = _rss_mb()
    with pytest.raises(LimitExceeded) as raised:
        world.plane.query(analyst, agreement.id, CROSS_JOIN)
    # 3,000 x 3,000 pairs of 128 characters would need more than a gigabyte.
    assert raised.value.limit == "ACCORD_QUERY_MEMORY"
    assert raised.value.status_code == 422
    assert "needed more than 64 MB of memory (ACCORD_QUERY_MEMORY)" in raised.value.message
    assert _rss_mb() - before < 200
    [event] = world.store.audit_events(AuditFilter(action="query.run", decision="deny", limit=1))
    assert "ACCORD_QUERY_MEMORY" in event.reason
    assert event.details_dict["limit"] == "ACCORD_QUERY_MEMORY"


def test_a_query_past_its_time_limit_is_interrupted_with_a_clear_message(
    big_query_world: World, limits: None
) -> None:
    world, agreement = big_query_world
    bounds.configure(bounds.QueryLimits(memory_bytes=500_000_000, threads=1, seconds=1))
    analyst = world.acting_as("nhse.analyst", "test")
    with pytest.raises(LimitExceeded) as raised:
        world.plane.query(analyst, agreement.id, SLOW)
    assert raised.value.limit == "ACCORD_QUERY_SECONDS"
    assert "ran past its 1 second limit (ACCORD_QUERY_SECONDS)" in raised.value.message
    [event] = world.store.audit_events(AuditFilter(action="query.run", decision="deny", limit=1))
    assert "ACCORD_QUERY_SECONDS" in event.reason


def test_a_caller_may_shorten_the_time_limit_but_never_lengthen_it(limits: None) -> None:
    bounds.configure(bounds.QueryLimits(seconds=1))
    with (
        pytest.raises(LimitExceeded, match="1 second limit"),
        bounds.bounded_duckdb(seconds=3600) as con,
    ):
        con.sql("select count(*) from range(100000000000)").fetchall()


def test_the_connection_is_opened_within_every_limit(limits: None) -> None:
    bounds.configure(bounds.QueryLimits(memory_bytes=100_000_000, threads=1))
    with bounds.bounded_duckdb() as con:
        settings = dict(
            con.sql(
                "select name, value from duckdb_settings() where name in ('memory_limit', "
                "'threads', 'temp_directory', 'max_temp_directory_size', "
                "'preserve_insertion_order')"
            ).fetchall()
        )
    assert settings["threads"] == "1"
    assert settings["memory_limit"].startswith("95.3 MiB")
    assert settings["temp_directory"] == ""  # nothing personal spilled to disk
    assert settings["preserve_insertion_order"] == "false"


def test_spilling_when_allowed_goes_inside_the_home_and_is_removed(
    tmp_path: object, limits: None
) -> None:
    from pathlib import Path

    home = Path(str(tmp_path))
    bounds.configure(bounds.QueryLimits(temp_bytes=50_000_000, home=home))
    with bounds.bounded_duckdb() as con:
        [(directory,)] = con.sql("select current_setting('temp_directory')").fetchall()
        assert Path(directory).parent == home / "tmp" / "spill"
        assert Path(directory).is_dir()
    assert not Path(directory).exists()


def test_every_slot_busy_answers_rate_limited_with_a_retry_after(
    big_query_world: World, limits: None
) -> None:
    world, agreement = big_query_world
    bounds.configure(bounds.QueryLimits(max_concurrent=1, wait_seconds=0))
    holding, done = threading.Event(), threading.Event()

    def busy() -> None:
        with bounds.query_slot():
            holding.set()
            done.wait(30)

    other = threading.Thread(target=busy)
    other.start()
    try:
        assert holding.wait(30)
        with pytest.raises(RateLimited) as raised:
            world.plane.query(
                world.acting_as("nhse.analyst", "test"), agreement.id, f"select 1 from {VIEW}"
            )
        assert raised.value.status_code == 429
        assert raised.value.retry_after >= 1
        assert "ACCORD_MAX_CONCURRENT_QUERIES" in raised.value.message
    finally:
        done.set()
        other.join()
    # The slot is free again: the same query now runs.
    result = world.plane.query(
        world.acting_as("nhse.analyst", "test"), agreement.id, f"select count(*) as n from {VIEW}"
    )
    assert result.table.num_rows == 1


def test_a_thread_holding_a_slot_is_not_made_to_wait_for_a_second(limits: None) -> None:
    bounds.configure(bounds.QueryLimits(max_concurrent=1, wait_seconds=0))
    with bounds.bounded_duckdb() as outer, bounds.bounded_duckdb() as inner:
        assert outer.sql("select 1").fetchall() == inner.sql("select 1").fetchall()


def test_other_engine_errors_pass_through_untranslated() -> None:
    assert bounds.translate(duckdb.CatalogException("no table x"), bounds.QueryLimits()) is None


def test_a_streamed_extract_stops_at_its_limits_too(big_query_world: World, limits: None) -> None:
    """The executor streams Arrow batches; DuckDB's errors then arrive as Arrow's."""
    from accord.core.catalogue import SourceKind
    from accord.engine.duckdb_engine import DuckDBSource

    world, _ = big_query_world
    source = DuckDBSource(world.store.get_version("dwp/carers_allowance"), SourceKind.FILE)
    pairs = "select a.nino || b.nino as p from accord_source a, accord_source b"
    bounds.configure(bounds.QueryLimits(memory_bytes=32_000_000, threads=1, seconds=1))
    with pytest.raises(LimitExceeded, match="ACCORD_QUERY_MEMORY"):
        list(source.batches(f"{pairs} group by 1 order by 1"))
    with pytest.raises(LimitExceeded, match="ACCORD_QUERY_SECONDS"):
        for _ in source.batches(f"{pairs}, accord_source c"):
            pass
