"""Which versions a changes request names, decided without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.core.catalogue import DatasetVersion
from accord.core.sharing.changes import (
    ChangeRange,
    change_line,
    commits_in,
    history,
    parse_timestamp,
    version_from,
    version_until,
)
from accord.core.sharing.signing import FileClaim
from accord.errors import ValidationError

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _versions(count: int) -> list[DatasetVersion]:
    return [
        DatasetVersion(
            dataset_id="dwp/circumstance_events",
            number=n,
            row_count=10 * n,
            content_hash=f"h{n}",
            created_at=(T0 + timedelta(hours=n)).replace(tzinfo=None),
            location=f"v{n}.parquet",
        )
        for n in range(count, 0, -1)
    ]


COMMITS = history(2, _versions(4))


def test_history_is_ordered_and_numbered_under_the_agreement_version() -> None:
    assert [c.version for c in COMMITS] == [2_000_001, 2_000_002, 2_000_003, 2_000_004]
    assert [c.dataset_version for c in COMMITS] == [1, 2, 3, 4]
    assert COMMITS[0].timestamp == T0 + timedelta(hours=1)
    assert COMMITS[0].timestamp_ms == int((T0 + timedelta(hours=1)).timestamp() * 1000)


def _range(**params: str) -> ChangeRange:
    return ChangeRange.parse(params)


def test_a_range_by_version_and_by_timestamp() -> None:
    spanned = commits_in(COMMITS, _range(startingVersion="2000002", endingVersion="2000003"))
    assert [c.dataset_version for c in spanned] == [2, 3]
    # An ending version after the latest reads as the latest, as the protocol has it.
    assert (
        commits_in(COMMITS, _range(startingVersion="2000003", endingVersion="9000000"))[
            -1
        ].dataset_version
        == 4
    )
    by_time = commits_in(
        COMMITS,
        _range(startingTimestamp="2026-12-07T10:30:00Z", endingTimestamp="2026-12-07T12:00:00Z"),
    )
    assert [c.dataset_version for c in by_time] == [2, 3]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "give startingVersion or startingTimestamp"),
        ({"startingVersion": "1e3"}, "startingVersion '1e3' must be a non-negative whole number"),
        ({"startingVersion": "2000009"}, "after the latest version of this table, 2000004"),
        ({"startingVersion": "1000001"}, "before this table's history"),
        ({"startingVersion": "2000003", "endingVersion": "2000002"}, "is after endingVersion"),
        ({"startingTimestamp": "2027-01-01T00:00:00Z"}, "after the latest version"),
        (
            {"startingVersion": "2000001", "endingTimestamp": "2026-12-07T09:30:00Z"},
            "before the first version",
        ),
        ({"endingVersion": "2000001", "startingVersion": "x"}, "startingVersion 'x'"),
        (
            {"startingTimestamp": "2026-12-07T09:30:00Z", "startingVersion": "2000001"},
            "not both",
        ),
    ],
)
def test_bad_ranges_name_the_parameter(params: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        commits_in(COMMITS, ChangeRange.parse(params))


def test_a_range_over_the_limit_is_refused() -> None:
    with pytest.raises(ValidationError, match="spans 4 versions; at most 3"):
        commits_in(COMMITS, _range(startingVersion="2000001"), limit=3)
    assert len(commits_in(COMMITS, _range(startingVersion="2000002"), limit=3)) == 3


def test_timestamps_pick_the_versions_around_them() -> None:
    moment = parse_timestamp("t", "2026-12-07T11:00:00Z")
    assert version_from(COMMITS, "t", moment).dataset_version == 2
    assert version_until(COMMITS, "t", moment).dataset_version == 2
    between = parse_timestamp("t", "2026-12-07T11:30:00+00:00")
    assert version_from(COMMITS, "t", between).dataset_version == 3
    assert version_until(COMMITS, "t", between).dataset_version == 2
    with pytest.raises(ValidationError, match="'noon' is not an ISO 8601 timestamp"):
        parse_timestamp("timestamp", "noon")


def test_file_actions_carry_their_commit() -> None:
    commit = COMMITS[1]
    line = change_line("cdf", "https://x/f", "id", 10, commit=commit, rows=3, expires_ms=5)
    assert line == {
        "cdf": {
            "url": "https://x/f",
            "id": "id",
            "partitionValues": {},
            "size": 10,
            "timestamp": commit.timestamp_ms,
            "version": commit.version,
            "expirationTimestamp": 5,
        }
    }
    assert "stats" in change_line("add", "u", "i", 1, commit=commit, rows=3, expires_ms=5)["add"]


def test_a_change_file_claim_is_its_own_file() -> None:
    snapshot = FileClaim("dst_1", "agr-1", 1, "dwp/e", 3, "abc")
    changes = FileClaim("dst_1", "agr-1", 1, "dwp/e", 3, "abc", changes_from=2)
    assert FileClaim.decode(snapshot.encode()) == snapshot
    assert FileClaim.decode(changes.encode()) == changes
    assert snapshot.file_id != changes.file_id
