"""The in-place query channel and the per-record eligibility check."""

from __future__ import annotations

import hmac

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.governance.records import AgreementRecord
from accord.errors import NotFoundError, PermissionDenied, ValidationError
from accord.services.app import Accord
from accord.store import AuditFilter
from tests.plane.conftest import agreement_request, approve

World = tuple[Accord, AgreementRecord]
VIEW = "dwp_carers_allowance"


@pytest.fixture
def query_world(plane_world: World) -> World:
    world, _ = plane_world
    return world, approve(world, agreement_request(channels=["in_place_query"], title="In place"))


def analyst(world: Accord):  # type: ignore[no-untyped-def]
    return world.acting_as("nhse.analyst", "test")


def test_a_query_runs_over_the_governed_view(query_world: World) -> None:
    world, agreement = query_world
    result = world.plane.query(
        analyst(world),
        agreement.id,
        f"select postcode, count(*) as n from {VIEW} group by 1 order by 1",
    )
    assert result.table.to_pylist() == [{"postcode": "M1", "n": 1}, {"postcode": "SW1A", "n": 1}]
    ninos = world.plane.query(analyst(world), agreement.id, f"select nino from {VIEW}").table
    key = world.plane.domains.key("carers-2021").material
    assert hmac.new(key, b"AB123456C", "sha256").hexdigest() in ninos.column("nino").to_pylist()
    [event] = world.store.audit_events(AuditFilter(action="query.release", limit=1))
    assert event.details_dict["rows_out"] == 2


@pytest.mark.parametrize(
    "sql",
    [
        f"select surname from {VIEW}",  # select
        f"select postcode from {VIEW} where telephone_number is not null",  # filter
        f"select a.postcode from {VIEW} a join {VIEW} b on a.address_line_1 = b.postcode",  # join
        f"select postcode from {VIEW} order by surname",  # order
        f"select postcode from {VIEW} where nino in (select forename from {VIEW})",  # subquery
    ],
)
def test_fields_outside_the_agreement_refuse_the_whole_query(query_world: World, sql: str) -> None:
    world, agreement = query_world
    with pytest.raises(PermissionDenied, match="not a field this agreement releases"):
        world.plane.query(analyst(world), agreement.id, sql)
    [event] = world.store.audit_events(AuditFilter(action="query.run", decision="deny", limit=1))
    assert "not a field" in event.reason


INJECTIONS = st.sampled_from(
    [
        f"select * from {VIEW}; drop table {VIEW}",
        "select * from read_csv('/etc/passwd')",
        "select * from read_parquet('/tmp/x.parquet')",
        f"copy {VIEW} to '/tmp/out.csv'",
        "attach '/tmp/other.duckdb' as o",
        "pragma database_list",
        f"select getenv('HOME') from {VIEW}",
        f"select * from {VIEW} union select * from accord_opt_outs",
        f"select * from main.{VIEW}",
        "install httpfs",
        f"select load_extension('x') from {VIEW}",
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    attack=INJECTIONS,
    prefix=st.sampled_from(["", " ", "\n", "/* c */ "]),
    suffix=st.sampled_from(["", " --", ";"]),
)
def test_injection_attempts_are_refused(
    query_world: World, attack: str, prefix: str, suffix: str
) -> None:
    world, agreement = query_world
    with pytest.raises(PermissionDenied, match="query refused"):
        world.plane.query(analyst(world), agreement.id, prefix + attack + suffix)


def test_the_query_channel_needs_an_agreement_that_allows_it(plane_world: World) -> None:
    world, bulk_only = plane_world
    with pytest.raises(PermissionDenied, match="does not allow the query channel"):
        world.plane.query(analyst(world), bulk_only.id, f"select count(*) from {VIEW}")


def test_rows_are_limited(query_world: World) -> None:
    world, agreement = query_world
    result = world.plane.query(analyst(world), agreement.id, f"select * from {VIEW}", max_rows=1)
    assert result.table.num_rows == 1
    assert result.truncated


def eligibility_request():  # type: ignore[no-untyped-def]
    return agreement_request(
        title="Housing benefit eligibility",
        requesting_organisation="northshire",
        requester="northshire.officer",
        purpose_category="eligibility_checking",
        channels=["eligibility_check"],
        gateway="ssaa-1992",
        datasets=[
            {
                "dataset": "dwp/benefit_claimants",
                "cohort": "benefit = 'IS'",
                "fields": [{"name": "nino", "justification": "to check"}],
            }
        ],
    )


def test_per_record_checks_answer_yes_or_no(plane_world: World) -> None:
    world, _ = plane_world
    officer = world.acting_as("northshire.officer", "test")
    analyst_ = world.acting_as("nhse.analyst", "test")
    created = world.requests.create(officer, eligibility_request())
    world.requests.submit(officer, created.id)
    world.requests.start_review(world.acting_as("dwp.data", "test"), created.id)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = world.requests.approve(world.acting_as(who, "test"), created.id)
    agreement = outcome.agreement
    assert agreement is not None
    assert agreement.policy.output_controls.per_record_answers
    answers = world.plane.check(
        officer, agreement.id, "dwp/benefit_claimants", ["ab123456c", "CE 65 43 21 A", "JG103759A"]
    )
    assert answers == {"ab123456c": True, "CE 65 43 21 A": True, "JG103759A": False}
    world.plane.add_opt_outs(world.operator("test"), "dwp", "nino", ["CE654321A"])
    world.plane._plans.clear()
    assert world.plane.check(officer, agreement.id, "dwp/benefit_claimants", ["CE654321A"]) == {
        "CE654321A": False
    }
    with pytest.raises(NotFoundError, match="no agreement"):
        world.plane.check(analyst_, agreement.id, "dwp/benefit_claimants", ["AB123456C"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tail=st.text(min_size=1, max_size=40))
def test_arbitrary_text_after_a_query_is_refused_or_harmless(query_world: World, tail: str) -> None:
    """Whatever follows, the query either is refused or stays a SELECT over the views."""
    world, agreement = query_world
    try:
        result = world.plane.query(
            analyst(world), agreement.id, f"select postcode from {VIEW} {tail}"
        )
    except (PermissionDenied, ValidationError):
        return
    assert result.views == (VIEW,)
    assert result.table.num_rows <= 2
