"""The demo world a newcomer clicks through: who is in it and what is published.
``accord demo carers --serve`` itself is tested in ``tests/demo/test_serve_demo.py``."""

from __future__ import annotations

import pytest

from accord.core.governance.workflow import RequestState
from accord.demo.web_world import DEMO_PEOPLE
from accord.services.app import Accord

pytestmark = pytest.mark.integration


def test_the_world_holds_seed_000s_people_data_and_a_decided_example(demo_world: Accord) -> None:
    people = {p.id: p for p in demo_world.store.list_principals()}
    for person in DEMO_PEOPLE:
        assert people[person.id].name == person.name
    roles = {(p.organisation, p.role.value) for p in DEMO_PEOPLE}
    assert {("dwp", "data_owner"), ("dwp", "dpo"), ("dwp", "legal")} <= roles
    assert {("nhse", "requester"), ("leeds", "requester")} <= roles
    datasets = {d.id for d in demo_world.store.list_datasets()}
    assert {"dwp/carers_allowance", "dwp/other_caring_benefits"} <= datasets
    # The examples, in the order they were made (the journey test may add more later).
    states = [r.state for r in demo_world.store.list_requests()][:2]
    assert states == [RequestState.APPROVED, RequestState.SUBMITTED]
