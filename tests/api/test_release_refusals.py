"""Over HTTP, another organisation's agreement and a missing one are indistinguishable on
every release channel: the same status and the same body, byte for byte."""

from __future__ import annotations

import pytest

from accord.store import AuditFilter
from tests.api.conftest import World

MISSING = "agr-00000000"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/agreements/{id}/extracts/dwp/carers", None),
        ("post", "/agreements/{id}/query", {"sql": "SELECT 1 AS x"}),
        ("post", "/agreements/{id}/check", {"dataset": "dwp/carers", "identifiers": ["x"]}),
    ],
)
def test_another_organisations_agreement_answers_exactly_as_a_missing_one(
    world: World, method: str, path: str, body: dict[str, object] | None
) -> None:
    # The platform admin is no party to nhse's agreement with dwp.
    answers = []
    for agreement_id in (world.agreement, MISSING):
        response = getattr(world.client, method)(
            path.format(id=agreement_id), headers=world.headers("admin"), json=body
        )
        answers.append(
            (response.status_code, response.content.replace(agreement_id.encode(), b"ID"))
        )
    assert answers[0] == answers[1]
    assert answers[0][0] == 404
    denied = world.accord.store.audit_events(AuditFilter(decision="deny", limit=100))
    assert {e.object for e in denied} >= {f"agreement:{world.agreement}", f"agreement:{MISSING}"}
