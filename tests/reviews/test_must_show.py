"""Must show: a lapsed access review refuses the provider's next read; recertifying
restores it; a principal removed at the recertification stays refused.

Real parts throughout: the provider world in SQLite and DuckDB, a live Accord server
over HTTP, and the official Delta Sharing client reading Northfield's share.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import delta_sharing
import pytest
from requests.exceptions import HTTPError

from accord.api.local_server import running_server
from accord.core.lifecycle.notices import NoticeKind
from accord.core.plan.release import Declared
from accord.demo.provider_world import ProviderWorld
from accord.errors import PermissionDenied
from accord.services.outbox import Outbox
from accord.services.reviews import ReviewService
from accord.store import AuditFilter

TABLE = "dwp_referrals"


@pytest.fixture
def served(provider_world: ProviderWorld) -> Iterator[tuple[ProviderWorld, str]]:
    with running_server(provider_world.app) as base:
        yield provider_world, f"{base}/delta-sharing"


def profile(world: ProviderWorld, endpoint: str, principal: str, tmp_path: Path) -> str:
    """A Delta Sharing profile for ``principal``, as `accord share profile` writes it."""
    token, document = world.app.sharing.profile(
        world.operator, world.agreement.id, principal, endpoint, ttl_days=365
    )
    path = tmp_path / f"{token.id}.share"
    path.write_text(json.dumps(document))
    return f"{path}#{world.agreement.id}.governed.{TABLE}"


def move_clock(world: ProviderWorld, days: int) -> None:
    now = world.app.store.clock()
    world.app.store.clock = lambda: now + timedelta(days=days)


def denials(world: ProviderWorld, prefix: str) -> list[str]:
    found = world.app.store.audit_events(AuditFilter(decision="deny", limit=5000))
    return [e.reason for e in found if e.action.startswith(prefix)]


def query(world: ProviderWorld, principal: str) -> int:
    result = world.app.plane.query(
        world.caller(principal), world.agreement.id, f"SELECT count(*) AS n FROM {TABLE}"
    )
    return int(result.table.column("n")[0].as_py())


def test_a_lapsed_review_refuses_the_next_read_and_recertifying_restores_it(
    served: tuple[ProviderWorld, str], tmp_path: Path
) -> None:
    world, endpoint = served
    caseworker_url = profile(world, endpoint, "northfield.caseworker", tmp_path)
    adviser_url = profile(world, endpoint, "northfield.adviser", tmp_path)
    before = delta_sharing.load_as_pandas(caseworker_url)
    assert len(before) > 0
    rows = query(world, "northfield.caseworker")
    assert rows == len(before)

    # Thirty-one days on, nobody has recertified: the review lapsed on day 31.
    move_clock(world, 31)
    lapses_on = world.app.store.clock().date()  # activated today, due in 30 days
    with pytest.raises(HTTPError) as refused:
        delta_sharing.load_as_pandas(caseworker_url)
    assert refused.value.response.status_code == 403
    assert "access review of northfield" in refused.value.response.text
    with pytest.raises(PermissionDenied) as denied:
        query(world, "northfield.caseworker")
    reason = denied.value.reason
    assert f"lapsed on {lapses_on.isoformat()}" in reason
    assert "an admin of northfield recertifies" in reason
    assert any("lapsed on" in r for r in denials(world, "query.run"))
    assert any("lapsed on" in r for r in denials(world, "sharing."))

    # Northfield's admin keeps the caseworker and removes the adviser.
    view = ReviewService.of(world.app).recertify(
        world.caller("northfield.admin"),
        world.agreement.id,
        "northfield",
        keep=["northfield.caseworker"],
        remove=["northfield.adviser"],
        note="adviser moved to another contract",
    )
    assert view.status.value == "current"
    after = delta_sharing.load_as_pandas(caseworker_url)
    assert len(after) == len(before)
    assert query(world, "northfield.caseworker") == rows

    # The adviser stays refused: in place by the release path, over Delta Sharing
    # because the credential was revoked with the recertification.
    with pytest.raises(PermissionDenied) as removed:
        query(world, "northfield.adviser")
    assert "northfield.adviser was removed from access" in removed.value.reason
    with pytest.raises(HTTPError) as revoked:
        delta_sharing.load_as_pandas(adviser_url)
    assert revoked.value.response.status_code == 401

    # The lapse and the restoration are on the record, and both parties told.
    restores = world.app.store.audit_events(AuditFilter(action="access_review.restore"))
    assert len(restores) == 1
    lapses = world.app.store.audit_events(AuditFilter(action="access_review.lapse"))
    assert len(lapses) == 1
    outbox = Outbox(world.app.store)
    for org in ("dwp", "northfield"):
        assert len(outbox.notices(organisation=org, kind=NoticeKind.ACCESS_RESTORED)) == 1
        assert len(outbox.notices(organisation=org, kind=NoticeKind.ACCESS_REVIEW_LAPSED)) == 1


def test_a_lapse_suspends_package_sends_to_the_provider(
    provider_world: ProviderWorld, tmp_path: Path
) -> None:
    world = provider_world
    move_clock(world, 40)
    with pytest.raises(PermissionDenied) as refused:
        world.app.transfer.send(
            world.caller("dwp.data"),
            world.agreement.id,
            "northfield",
            tmp_path / "out",
            dataset_id="dwp/referrals",
        )
    assert "access review of northfield" in refused.value.reason


def test_an_extract_declared_for_a_sub_contractor_whose_review_lapsed_is_refused(
    provider_world: ProviderWorld, tmp_path: Path
) -> None:
    world = provider_world
    reviews = ReviewService.of(world.app)
    move_clock(world, 31)
    # Northfield recertifies; Ridgeway, whose caseworker has access, does not.
    reviews.recertify(
        world.caller("northfield.admin"),
        world.agreement.id,
        "northfield",
        keep=["northfield.adviser", "northfield.caseworker"],
    )
    caseworker = world.caller("northfield.caseworker")
    with pytest.raises(PermissionDenied) as refused:
        world.app.plane.extract(
            caseworker,
            world.agreement.id,
            "dwp/referrals",
            tmp_path / "out",
            declared=Declared(processor="ridgeway"),
        )
    assert "the data would go to ridgeway: the access review of ridgeway" in refused.value.reason
    reviews.recertify(
        world.caller("ridgeway.admin"),
        world.agreement.id,
        "ridgeway",
        keep=["ridgeway.caseworker"],
    )
    done = world.app.plane.extract(
        caseworker,
        world.agreement.id,
        "dwp/referrals",
        tmp_path / "out",
        declared=Declared(processor="ridgeway"),
    )
    assert done.rows > 0
