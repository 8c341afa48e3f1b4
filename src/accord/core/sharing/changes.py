"""A governed table's history and its change data feed, as pure functions.

A shared table's versions are its dataset's catalogue versions under today's agreement
version (:func:`~accord.core.sharing.protocol.table_version`): table version
``a * 1_000_000 + n`` is dataset version ``n`` seen through agreement version ``a``.
Only today's agreement version has a history to travel in, because a past version is
always served through today's agreement (its fields, its cohort): a recipient never
gets back a field an amendment took away by asking for an older version.

The change data feed lists, per commit version in the range asked for, the rows that
version added to and removed from the governed view. Which versions a request names,
by version numbers or timestamps, and whether the request is within bounds, is decided
here; computing the rows is the service's (:mod:`accord.services.changefeed`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accord.core.catalogue import DatasetVersion
from accord.core.sharing.protocol import table_version
from accord.errors import ValidationError

__all__ = [
    "MAX_CHANGE_VERSIONS",
    "ChangeRange",
    "Commit",
    "change_line",
    "commits_in",
    "history",
    "parse_timestamp",
    "version_at",
    "version_from",
    "version_until",
]

MAX_CHANGE_VERSIONS = 100
"""Most commit versions one changes request may span: each is a file to compute and
sign, so a recipient reads a long history in several calls, not one unbounded one."""


@dataclass(frozen=True, slots=True)
class Commit:
    """One version of a governed table: its table version, the dataset version it shows
    and when that version was published."""

    version: int
    dataset_version: int
    timestamp: datetime

    @property
    def timestamp_ms(self) -> int:
        return int(self.timestamp.timestamp() * 1000)


def history(agreement_version: int, versions: Sequence[DatasetVersion]) -> tuple[Commit, ...]:
    """The table's commits under ``agreement_version``, oldest first."""
    ordered = sorted(versions, key=lambda v: v.number)
    return tuple(
        Commit(table_version(agreement_version, v.number), v.number, _utc(v.created_at))
        for v in ordered
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_timestamp(name: str, text: str) -> datetime:
    """An ISO 8601 timestamp as the protocol sends it (``2026-12-07T10:00:00Z``)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{name} {text!r} is not an ISO 8601 timestamp such as 2026-12-07T10:00:00Z"
        ) from None
    return _utc(moment)


def _require(commits: Sequence[Commit]) -> None:
    if not commits:
        raise ValidationError("the table has no versions yet")


def _bounds(commits: Sequence[Commit]) -> str:
    return f"this table's versions run from {commits[0].version} to {commits[-1].version}"


def version_at(commits: Sequence[Commit], name: str, version: int) -> Commit:
    """The commit at ``version``, or a refusal naming the versions there are."""
    _require(commits)
    for commit in commits:
        if commit.version == version:
            return commit
    raise ValidationError(f"{name} {version} is not a version of this table: {_bounds(commits)}")


def version_from(commits: Sequence[Commit], name: str, moment: datetime) -> Commit:
    """The first commit at or after ``moment`` (a starting timestamp)."""
    _require(commits)
    for commit in commits:
        if commit.timestamp >= moment:
            return commit
    raise ValidationError(
        f"{name} {moment.isoformat()} is after the latest version of this table, "
        f"{commits[-1].version}, published at {commits[-1].timestamp.isoformat()}"
    )


def version_until(commits: Sequence[Commit], name: str, moment: datetime) -> Commit:
    """The last commit at or before ``moment`` (an ending timestamp, or time travel)."""
    _require(commits)
    found = [c for c in commits if c.timestamp <= moment]
    if not found:
        raise ValidationError(
            f"{name} {moment.isoformat()} is before the first version of this table, "
            f"{commits[0].version}, published at {commits[0].timestamp.isoformat()}"
        )
    return found[-1]


@dataclass(frozen=True, slots=True)
class ChangeRange:
    """A changes request's parameters, each checked for its form."""

    starting_version: int | None = None
    ending_version: int | None = None
    starting_timestamp: datetime | None = None
    ending_timestamp: datetime | None = None

    @classmethod
    def parse(cls, params: Mapping[str, str | None]) -> ChangeRange:
        def version(name: str) -> int | None:
            text = params.get(name)
            if text is None:
                return None
            if not text.strip().isdigit() or len(text.strip()) > 18:
                raise ValidationError(f"{name} {text!r} must be a non-negative whole number")
            return int(text)

        def moment(name: str) -> datetime | None:
            text = params.get(name)
            return None if text is None else parse_timestamp(name, text)

        found = cls(
            version("startingVersion"),
            version("endingVersion"),
            moment("startingTimestamp"),
            moment("endingTimestamp"),
        )
        if found.starting_version is None and found.starting_timestamp is None:
            raise ValidationError("give startingVersion or startingTimestamp")
        if found.starting_version is not None and found.starting_timestamp is not None:
            raise ValidationError("give startingVersion or startingTimestamp, not both")
        if found.ending_version is not None and found.ending_timestamp is not None:
            raise ValidationError("give endingVersion or endingTimestamp, not both")
        return found


def commits_in(
    commits: Sequence[Commit], wanted: ChangeRange, *, limit: int = MAX_CHANGE_VERSIONS
) -> tuple[Commit, ...]:
    """The commits a changes request spans, oldest first, within ``limit`` versions.

    As the protocol answers: a starting version after the latest is refused, an ending
    version after the latest is read as the latest, and a start after the end is refused.
    """
    _require(commits)
    latest = commits[-1]
    if wanted.starting_version is not None:
        if wanted.starting_version > latest.version:
            raise ValidationError(
                f"startingVersion {wanted.starting_version} is after the latest version "
                f"of this table, {latest.version}"
            )
        if wanted.starting_version < commits[0].version:
            raise ValidationError(
                f"startingVersion {wanted.starting_version} is before this table's history "
                f"under the agreement in force: {_bounds(commits)}"
            )
        start = wanted.starting_version
    else:
        assert wanted.starting_timestamp is not None
        start = version_from(commits, "startingTimestamp", wanted.starting_timestamp).version
    if wanted.ending_version is not None:
        end = min(wanted.ending_version, latest.version)
        label = f"endingVersion {wanted.ending_version}"
    elif wanted.ending_timestamp is not None:
        end = version_until(commits, "endingTimestamp", wanted.ending_timestamp).version
        label = f"endingTimestamp {wanted.ending_timestamp.isoformat()} (version {end})"
    else:
        end, label = latest.version, f"the latest version {latest.version}"
    if end < start:
        raise ValidationError(f"the starting version {start} is after {label}")
    spanned = tuple(c for c in commits if start <= c.version <= end)
    if len(spanned) > limit:
        raise ValidationError(
            f"the range {start} to {end} spans {len(spanned)} versions; at most {limit} "
            "may be read in one call: read it in parts"
        )
    return spanned


def change_line(
    kind: str,
    url: str,
    file_id: str,
    size: int,
    *,
    commit: Commit,
    rows: int,
    expires_ms: int,
) -> dict[str, Any]:
    """One file action of a changes answer: ``add`` (a version's whole snapshot, at the
    start of the history) or ``cdf`` (a change file with ``_change_type``)."""
    action: dict[str, Any] = {
        "url": url,
        "id": file_id,
        "partitionValues": {},
        "size": size,
        "timestamp": commit.timestamp_ms,
        "version": commit.version,
        "expirationTimestamp": expires_ms,
    }
    if kind == "add":
        action["stats"] = f'{{"numRecords":{rows}}}'
    return {kind: action}
