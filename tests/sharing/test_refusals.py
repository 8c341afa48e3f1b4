"""Share tokens for another organisation's agreement answer exactly as for a missing one."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.errors import NotFoundError
from accord.services.app import Accord
from accord.store import AuditFilter
from tests.governance.conftest import build_world
from tests.plane.conftest import agreement_request, approve


def test_another_organisations_share_answers_as_a_missing_one(
    sqlite_accord: Accord, tmp_path: Path
) -> None:
    world = build_world(sqlite_accord, tmp_path)
    agreement = approve(world, agreement_request(channels=["delta_sharing"]))
    outsider = world.acting_as("northshire.officer", "test")
    answers = []
    for agreement_id in (agreement.id, "agr-00000000"):
        for call in (
            lambda i: world.sharing.issue_token(outsider, i, "northshire.officer"),
            lambda i: world.sharing.list_tokens(outsider, i),
        ):
            with pytest.raises(NotFoundError) as caught:
                call(agreement_id)
            answers.append(caught.value.message.replace(agreement_id, "ID"))
    assert answers[:2] == answers[2:]
    denied = world.store.audit_events(AuditFilter(action="share.token", decision="deny"))
    assert len(denied) == 4
    # The recipient's own staff still get their token.
    token, _ = world.sharing.issue_token(
        world.acting_as("nhse.analyst", "test"), agreement.id, "nhse.analyst"
    )
    assert token.agreement_id == agreement.id
