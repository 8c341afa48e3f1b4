"""Output controls on in-place queries under agreements whose data leaves only as aggregates.

A real platform (SQLite store, DuckDB) with the claims dataset of :mod:`tests.plane.claims`
(40 Carer's Allowance claims, 2 of them lone parents; 25 PIP; 3 Income Support). The
agreement's form is ``aggregate`` (or ``anonymised``), with the default ``min_cell_count``
of 10 and ``rounding_base`` of 5.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.errors import PermissionDenied
from accord.services.app import Accord
from accord.store import AuditFilter
from tests.plane.claims import (
    VIEW,
    World,
    approve_with_overrides,
    claims_request,
    register_claims,
    write_controls,
)
from tests.plane.conftest import agreement_request

THRESHOLD = 10


@pytest.fixture
def claims_world(plane_world: World, tmp_path: Path) -> Accord:
    return register_claims(plane_world[0], tmp_path)


BASE = 5


@pytest.fixture
def aggregate_world(claims_world: Accord) -> World:
    agreement = approve_with_overrides(claims_world, claims_request("aggregate"))
    assert agreement.policy.output_controls.min_cell_count == THRESHOLD
    return claims_world, agreement


def run(world: World, sql: str) -> list[dict[str, object]]:
    accord, agreement = world
    analyst = accord.acting_as("nhse.analyst", "test")
    return accord.plane.query(analyst, agreement.id, sql).table.to_pylist()


def refused(world: World, sql: str) -> str:
    accord, agreement = world
    analyst = accord.acting_as("nhse.analyst", "test")
    with pytest.raises(PermissionDenied, match="query refused") as refusal:
        accord.plane.query(analyst, agreement.id, sql)
    [event] = accord.store.audit_events(AuditFilter(action="query.run", decision="deny", limit=1))
    assert event.reason == refusal.value.message
    return refusal.value.message


def released_counts(rows: list[dict[str, object]]) -> list[int]:
    return [v for row in rows for v in row.values() if isinstance(v, int)]


def test_the_count_of_two_is_now_suppressed(plane_world: World) -> None:
    """The query that returned a count of 2 (and of 1) before releases nothing now."""
    accord, _ = plane_world
    agreement = approve_with_overrides(
        accord, agreement_request(form="aggregate", channels=["in_place_query"])
    )
    rows = run((accord, agreement), "select count(*) as n from dwp_carers_allowance")
    assert rows == []
    rows = run(
        (accord, agreement), "select postcode, count(*) as n from dwp_carers_allowance group by 1"
    )
    assert rows == []


def test_groups_under_the_threshold_are_suppressed_and_the_rest_rounded(
    aggregate_world: World,
) -> None:
    rows = run(
        aggregate_world,
        f"select benefit, count(*) as n from {VIEW} where age > 0 and benefit <> 'x' "
        "group by benefit order by n desc",
    )
    assert rows == [{"benefit": "CA", "n": 40}, {"benefit": "PIP", "n": 25}]
    accord, _ = aggregate_world
    [event] = accord.store.audit_events(AuditFilter(action="query.release", limit=1))
    controls = event.details_dict["output_controls"]
    assert controls["groups_suppressed"] == 1
    assert controls["threshold"] == THRESHOLD


def test_repeated_identical_queries_give_identical_answers(aggregate_world: World) -> None:
    sql = f"select benefit, count(*), sum(weekly_amount), avg(age) from {VIEW} group by 1"
    first = run(aggregate_world, sql)
    assert [row["benefit"] for row in first] == ["CA", "PIP"]  # in key order
    assert all(run(aggregate_world, sql) == first for _ in range(10))


@pytest.mark.parametrize(
    "sql",
    [
        # COUNT(DISTINCT) of a small set inside a large group
        f"select benefit, count(distinct lone_parent) as kinds from {VIEW} group by 1",
        # a count of a rare attribute, three ways
        f"select count(*) filter (where lone_parent = 1) as lone from {VIEW}",
        f"select count_if(lone_parent = 1) as lone from {VIEW}",
        f"select sum(lone_parent) as lone from {VIEW}",
        f"select sum(case when lone_parent = 1 then 1 else 0 end) as lone from {VIEW}",
        f"select benefit, avg(lone_parent) as share from {VIEW} group by 1",
        # a group per record
        f"select nino, count(*) from {VIEW} group by nino",
        f"select age, benefit, count(*) from {VIEW} group by 1, 2",
        # a filter that isolates the small group
        f"select count(*) from {VIEW} where benefit = 'IS'",
        f"select benefit, count(*) from {VIEW} where lone_parent = 1 group by benefit",
    ],
)
def test_no_query_releases_a_count_under_the_threshold(aggregate_world: World, sql: str) -> None:
    rows = run(aggregate_world, sql)
    for value in released_counts(rows):
        assert value >= THRESHOLD, (sql, rows)
        assert value % BASE == 0, (sql, rows)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        (f"select min(nino) from {VIEW}", "not an aggregate Accord can check"),
        (f"select benefit, max(weekly_amount) from {VIEW} group by 1", "MIN, MAX"),
        (f"select median(age) from {VIEW}", "not an aggregate Accord can check"),
        (
            f"select benefit, count(*) from {VIEW} group by 1 having count(*) < 5",
            "HAVING is not allowed",
        ),
        (
            f"select count(*) from (select * from {VIEW} limit 3) as s",
            "LIMIT is allowed only in the outer query",
        ),
        (
            f"select count(*) from {VIEW} where benefit = 'CA' "
            f"union all select count(*) from {VIEW} where benefit = 'CA' and lone_parent = 0",
            "UNION, EXCEPT and INTERSECT are not allowed",
        ),
        (
            f"select benefit, count(*) over (partition by benefit) from {VIEW}",
            "window functions are not allowed",
        ),
        (f"select a.benefit, count(*) from {VIEW} a join {VIEW} b on true group by 1", "joins"),
        (f"select nino from {VIEW}", "neither in GROUP BY nor an aggregate"),
        (f"select * from {VIEW}", "SELECT * is not allowed"),
        (
            f"select count(*) from {VIEW} where nino in (select nino from {VIEW} limit 1)",
            "subqueries are allowed only in FROM",
        ),
        (f"select count(*) * 2 from {VIEW}", "not an aggregate Accord can check"),
        (f"select avg(lone_parent) * 0 + sum(lone_parent) from {VIEW}", "not an aggregate"),
        (f"select distinct benefit from {VIEW}", "SELECT DISTINCT"),
        (f"select benefit, count(*) from {VIEW} group by rollup (benefit)", "ROLLUP"),
    ],
)
def test_what_cannot_be_controlled_is_refused_with_a_reason(
    aggregate_world: World, sql: str, reason: str
) -> None:
    assert reason in refused(aggregate_world, sql)


def test_differencing_two_queries_never_isolates_one_person(aggregate_world: World) -> None:
    """Two queries whose groups differ by one person give the same answer or differ by the
    rounding base, never by one."""
    everyone = run(aggregate_world, f"select count(*) as n from {VIEW} where benefit = 'CA'")
    minus_one = run(
        aggregate_world,
        f"select count(*) as n from {VIEW} where benefit = 'CA' and not "
        "(lone_parent = 1 and age = 27)",
    )
    assert everyone == [{"n": 40}]
    assert minus_one == [{"n": 40}]  # 39 rounds to 40
    sums = [
        run(aggregate_world, f"select sum(lone_parent) as s from {VIEW} where {where}")
        for where in ("benefit = 'CA'", "benefit = 'CA' and age <> 27")
    ]
    assert sums == [[{"s": None}], [{"s": None}]]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    low=st.integers(0, 80),
    width=st.integers(0, 60),
    benefit=st.sampled_from(["CA", "PIP", "IS"]),
    lone=st.sampled_from(["", " and lone_parent = 1", " and lone_parent = 0"]),
    keys=st.sampled_from(["", "benefit", "age", "postcode", "benefit, postcode"]),
)
def test_generated_filters_never_release_a_small_count(
    aggregate_world: World, low: int, width: int, benefit: str, lone: str, keys: str
) -> None:
    where = f"age between {low} and {low + width} and (benefit = '{benefit}' or age > 60){lone}"
    select = f"{keys}, " if keys else ""
    group = f" group by {keys}" if keys else ""
    rows = run(
        aggregate_world,
        f"select {select}count(*) as n, count(distinct age) as ages, sum(lone_parent) as lone "
        f"from {VIEW} where {where}{group}",
    )
    for row in rows:
        for name in ("n", "ages"):
            value = row[name]
            assert value is None or (value >= THRESHOLD and value % BASE == 0)
        assert row["lone"] is None or row["lone"] >= THRESHOLD


def test_row_cap_is_the_agreements_and_callers_may_only_ask_for_less(
    claims_world: Accord,
) -> None:
    """``max_rows_per_query`` is a hard cap from the agreement, not a caller's option."""
    agreement = approve_with_overrides(claims_world, claims_request("pseudonymised"))
    write_controls(claims_world, agreement, max_rows_per_query=7)
    analyst = claims_world.acting_as("nhse.analyst", "test")
    plane = claims_world.plane
    big = plane.query(analyst, agreement.id, f"select * from {VIEW}", max_rows=1_000)
    small = plane.query(analyst, agreement.id, f"select * from {VIEW}", max_rows=3)
    assert big.table.num_rows == 7
    assert big.truncated
    assert small.table.num_rows == 3
    assert small.truncated


def test_per_record_agreements_still_return_rows(claims_world: Accord) -> None:
    agreement = approve_with_overrides(claims_world, claims_request("pseudonymised"))
    rows = run((claims_world, agreement), f"select benefit, age from {VIEW} where benefit = 'IS'")
    assert len(rows) == 3


def test_anonymised_agreements_release_only_aggregates_too(claims_world: Accord) -> None:
    agreement = approve_with_overrides(claims_world, claims_request("anonymised"))
    world = (claims_world, agreement)
    assert "neither in GROUP BY nor an aggregate" in refused(world, f"select age from {VIEW}")
    assert run(world, f"select count(*) as n from {VIEW} where benefit = 'IS'") == []


def test_counts_can_be_perturbed_by_cell_key_instead_of_rounded(aggregate_world: World) -> None:
    """Where the agreement says so, counts are perturbed (D = 3) rather than rounded; the
    perturbation depends only on who is in the group, so asking again, or asking for the
    same people another way, gives the same answer."""
    accord, agreement = aggregate_world
    write_controls(accord, agreement, cell_key_perturbation=True)
    by_benefit = run(aggregate_world, f"select benefit, count(*) as n from {VIEW} group by 1")
    assert by_benefit == run(
        aggregate_world, f"select benefit, count(*) as n from {VIEW} group by 1"
    )
    shown = {row["benefit"]: row["n"] for row in by_benefit}
    assert set(shown) == {"CA", "PIP"}  # Income Support's 3 claims are withheld
    for benefit, true in (("CA", 40), ("PIP", 25)):
        assert isinstance(shown[benefit], int)
        assert abs(shown[benefit] - true) <= 3
        assert shown[benefit] >= THRESHOLD
        same_people = run(
            aggregate_world,
            f"select count(*) as n from {VIEW} where benefit = '{benefit}' and age >= 0",
        )
        assert same_people == [{"n": shown[benefit]}]
    [event] = accord.store.audit_events(AuditFilter(action="query.release", limit=1))
    assert event.details_dict["output_controls"]["counts"] == "cell-key perturbation"
