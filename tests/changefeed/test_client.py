"""The official Delta Sharing client reads the change feed of a governed table.

Must show: between two versions, exactly the agreed fields of exactly the participants
referred to Northfield. The expected rows are computed with DuckDB straight from the
raw files DWP published, with the agreement's cohort and fields applied by hand.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import delta_sharing
import duckdb
import pandas as pd
import pytest
from requests.exceptions import HTTPError

from accord.core.lifecycle.notices import NoticeKind
from accord.services.changefeed import ChangePublisher
from accord.services.outbox import Outbox
from accord.store import AuditFilter
from tests.changefeed.conftest import EVENTS, Feed

AGREED = ["event_id", "event_date", "notified_date", "referral_id", "nino", "event_type"]
CDF = ["_change_type", "_commit_version", "_commit_timestamp"]


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    return sorted(tuple(_plain(v) for v in row) for row in frame[columns].itertuples(index=False))


def _plain(value: Any) -> Any:
    """Dates as ISO text: the client gives ``date`` objects, DuckDB's frames timestamps."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, date) else value


def expected(new: Path, old: Path | None) -> list[tuple[Any, ...]]:
    """Northfield's events in ``new`` and not in ``old``, the agreed fields only."""
    columns = ", ".join(AGREED)
    sql = f"SELECT {columns} FROM read_parquet('{new}') WHERE provider = 'northfield'"
    if old is not None:
        sql += (
            f" EXCEPT ALL SELECT {columns} FROM read_parquet('{old}') WHERE provider = 'northfield'"
        )
    frame = duckdb.sql(sql).df()
    return _rows(frame, AGREED)


def test_the_client_reads_the_changes_between_two_versions(feed: Feed) -> None:
    feed.publish(2)
    feed.publish(3)
    url = feed.url(feed.profile())
    v2, v3 = feed.table_version(2), feed.table_version(3)
    changes = delta_sharing.load_table_changes_as_pandas(
        url, starting_version=v2, ending_version=v3
    )
    # Exactly the agreed fields, and the columns the protocol adds: never earnings_to_date,
    # never the provider column the cohort is drawn by.
    assert list(changes.columns) == [*AGREED, *CDF]
    assert set(changes["_change_type"]) == {"insert"}
    first, second, third = feed.slices
    for version, new, old in ((v2, second, first), (v3, third, second)):
        got = changes[changes["_commit_version"] == version]
        assert _rows(got, AGREED) == expected(new, old)
        assert len(got) > 0
    # Nobody referred to Eastgate appears, though Eastgate's events are in every version.
    eastgate = duckdb.sql(
        f"SELECT DISTINCT nino FROM read_parquet('{third}') WHERE provider = 'eastgate'"
    ).df()["nino"]
    assert len(eastgate) > 0
    assert not set(changes["nino"]) & set(eastgate)
    # Each commit carries the time its version was published.
    published = {
        feed.table_version(v.number): int(v.created_at.timestamp() * 1000)
        for v in feed.app.store.list_versions(EVENTS)
    }
    for version, stamp in changes.groupby("_commit_version")["_commit_timestamp"].first().items():
        assert abs(stamp - published[int(version)]) <= 1


def test_the_client_reads_the_same_changes_by_timestamp(feed: Feed) -> None:
    feed.publish(2)
    feed.publish(3)
    url = feed.url(feed.profile())
    versions = feed.app.store.list_versions(EVENTS)
    start, end = versions[1].created_at, versions[2].created_at
    by_time = delta_sharing.load_table_changes_as_pandas(
        url, starting_timestamp=_iso(start), ending_timestamp=_iso(end)
    )
    by_version = delta_sharing.load_table_changes_as_pandas(
        url, starting_version=feed.table_version(2), ending_version=feed.table_version(3)
    )
    assert _rows(by_time, [*AGREED, "_commit_version"]) == _rows(
        by_version, [*AGREED, "_commit_version"]
    )
    # Only the second version when the window ends before the third.
    only_second = delta_sharing.load_table_changes_as_pandas(
        url, starting_timestamp=_iso(start), ending_timestamp=_iso(start)
    )
    assert set(only_second["_commit_version"]) == {feed.table_version(2)}


def _iso(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def test_the_first_version_is_its_whole_governed_snapshot(feed: Feed) -> None:
    url = feed.url(feed.profile())
    v1 = feed.table_version(1)
    changes = delta_sharing.load_table_changes_as_pandas(url, starting_version=v1)
    assert set(changes["_change_type"]) == {"insert"}
    assert _rows(changes, AGREED) == expected(feed.slices[0], None)


def test_rows_taken_out_of_a_version_read_as_deletes(feed: Feed) -> None:
    feed.publish(2)
    # DWP withdraws five events, Northfield's and Eastgate's, from its next version.
    withdrawn = feed.tmp_path / "withdrawn.parquet"
    second = feed.slices[1]
    duckdb.sql(
        f"COPY (SELECT * FROM read_parquet('{second}') WHERE event_id NOT IN ("
        f"SELECT event_id FROM read_parquet('{second}') ORDER BY event_id LIMIT 5)) "
        f"TO '{withdrawn}' (FORMAT parquet)"
    )
    publisher = ChangePublisher(feed.app.store, feed.app.catalogue)
    publisher.publish(feed.world.caller("dwp.data"), EVENTS, str(withdrawn))
    url = feed.url(feed.profile())
    changes = delta_sharing.load_table_changes_as_pandas(
        url, starting_version=feed.table_version(3)
    )
    assert set(changes["_change_type"]) == {"delete"}
    assert _rows(changes, AGREED) == expected(second, withdrawn)
    assert 0 < len(changes) <= 5


def test_time_travel_reads_a_past_version_through_todays_agreement(feed: Feed) -> None:
    feed.publish(2)
    url = feed.url(feed.profile())
    past = delta_sharing.load_as_pandas(url, version=feed.table_version(1))
    assert list(past.columns) == AGREED
    assert _rows(past, AGREED) == expected(feed.slices[0], None)
    now = delta_sharing.load_as_pandas(url)
    assert _rows(now, AGREED) == expected(feed.slices[1], None)
    client = delta_sharing.SharingClient(url.split("#")[0])
    [table] = [t for t in client.list_all_tables() if t.name == "dwp_circumstance_events"]
    assert table.share == feed.world.agreement.id


def test_a_new_version_queues_a_change_notice_without_personal_data(feed: Feed) -> None:
    published = feed.publish(2)
    [notice] = published.notices
    assert notice.organisation == "northfield"
    assert notice.kind is NoticeKind.CHANGE_EVENTS
    assert str(feed.table_version(2)) in notice.body
    ninos = duckdb.sql(f"SELECT nino FROM read_parquet('{feed.slices[1]}')").df()["nino"]
    assert not any(n in notice.body or n in notice.subject for n in ninos)
    queued = Outbox(feed.app.store).notices(organisation="northfield")
    assert notice.id in {n.id for n in queued}
    [event] = feed.app.store.audit_events(AuditFilter(action="changefeed.notify", limit=1))
    assert event.details_dict["recipients"] == ["northfield"]
    # Publishing the same file again is no new version, and tells nobody.
    assert feed.publish(2).notices == ()


@pytest.mark.parametrize("action", ["suspend", "revoke"])
def test_a_suspended_or_revoked_agreement_refuses_the_changes_read(feed: Feed, action: str) -> None:
    feed.publish(2)
    url = feed.url(feed.profile())
    v2 = feed.table_version(2)
    assert len(delta_sharing.load_table_changes_as_pandas(url, starting_version=v2)) > 0
    steward = feed.world.caller("dwp.dpo")
    getattr(feed.app.agreements, action)(steward, feed.world.agreement.id, "test")
    with pytest.raises(HTTPError) as raised:
        delta_sharing.load_table_changes_as_pandas(url, starting_version=v2)
    response = raised.value.response
    assert response.status_code == 403
    assert response.json()["errorCode"] == "PERMISSION_DENIED"
    [denied] = feed.app.store.audit_events(
        AuditFilter(action="sharing.changes", decision="deny", limit=1)
    )
    assert ("revoked" if action == "revoke" else "suspended") in denied.reason
    assert feed.app.audit.verify().ok


def test_an_opted_out_participant_leaves_the_feed_and_its_history(feed: Feed) -> None:
    feed.publish(2)
    url = feed.url(feed.profile())
    v1, v2 = feed.table_version(1), feed.table_version(2)
    before = delta_sharing.load_table_changes_as_pandas(url, starting_version=v1)
    nino = str(before[before["_commit_version"] == v2]["nino"].iloc[0])
    feed.app.plane.add_opt_outs(feed.world.caller("dwp.dpo"), "dwp", "nino", [nino])
    after = delta_sharing.load_table_changes_as_pandas(url, starting_version=v1)
    past = delta_sharing.load_as_pandas(url, version=v1)
    assert nino not in set(after["nino"]) | set(past["nino"])
    assert len(after) == len(before) - int((before["nino"] == nino).sum())
