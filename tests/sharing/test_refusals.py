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


def test_no_row_is_served_before_the_test_exchange(sqlite_accord: Accord, tmp_path: Path) -> None:
    """Delta Sharing is a live per-record release: an agreement that requires a test
    exchange serves nothing until a test package of the table's schema is receipted."""
    import json

    import delta_sharing
    from requests.exceptions import HTTPError

    from accord.api.local_server import running_server
    from tests.transfer.conftest import issue_keys

    world = build_world(sqlite_accord, tmp_path)
    agreement = approve(world, agreement_request(channels=["delta_sharing"], test_exchange=True))
    issue_keys(world)
    with running_server(world) as base:
        _, profile = world.sharing.profile(
            world.operator("test"), agreement.id, "nhse.analyst", f"{base}/delta-sharing"
        )
        path = tmp_path / "nhse.share"
        path.write_text(json.dumps(profile))
        url = f"{path}#{agreement.id}.governed.dwp_carers_allowance"
        with pytest.raises(HTTPError, match="403"):
            delta_sharing.load_as_pandas(url)
        denied = world.store.audit_events(AuditFilter(action="sharing", decision="deny"))
        assert any("requires a test exchange" in e.reason for e in denied)
        # The owner's test package (allowed though bulk packages are not the channel),
        # receipted by the recipient: now the share serves the governed view.
        sent = world.transfer.send(
            world.acting_as("dwp.data", "test"), agreement.id, "nhse", tmp_path / "out", test=True
        )
        world.transfer.receive(world.acting_as("nhse.analyst", "test"), sent.path, tmp_path / "in")
        frame = delta_sharing.load_as_pandas(url)
    assert len(frame) == 2
