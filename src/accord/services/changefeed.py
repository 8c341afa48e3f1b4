"""The change data feed of a governed table, and the notices that it has changed.

A department publishes a dataset again as new records arrive (seed 003's changes of
circumstances: a death, a move abroad, a first payment). A provider under an agreement
reads *what changed* between two versions rather than the whole table again. The
changes are computed between the governed views of consecutive versions, never the
raw files: each version is materialised through the one release path under today's
agreement (agreed fields, cohort, transforms, opt-outs; see
:meth:`~accord.services.plane.PlaneService.at_version`), and DuckDB takes the
difference (``EXCEPT ALL`` both ways). So a change another provider's participant
causes, or a change to a field the agreement does not share, never appears at all.

Each change file is made once per (agreement version, dataset version, opt-out
register) and served by signed URL as the snapshots are
(:mod:`accord.services.sharing`). Rows are not keyed: a changed row reads as a
``delete`` of the old row and an ``insert`` of the new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from accord.core.audit import AuditEvent
from accord.core.catalogue import Dataset
from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import Channel
from accord.core.governance.workflow import AgreementState
from accord.core.lifecycle.notices import Notice, NoticeKind
from accord.core.permissions import Caller
from accord.core.plan.release import GovernedRelease
from accord.core.sharing.changes import Commit, history
from accord.core.sharing.protocol import SCHEMA, table_version
from accord.engine.bounds import bounded_duckdb
from accord.fsutil import atomic_path
from accord.services.catalogue import CatalogueService, IngestReport
from accord.services.outbox import Outbox, new_notice
from accord.services.plane import PlaneService, view_name
from accord.store import Store

__all__ = ["CHANGE_TYPE", "ChangeFeed", "ChangeFile", "ChangePublisher", "Published"]

CHANGE_TYPE = "_change_type"


@dataclass(frozen=True, slots=True)
class ChangeFile:
    """What one version changed in a governed view, as a Parquet file."""

    path: Path
    rows: int
    inserts: int
    deletes: int


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class ChangeFeed:
    """Versions and changes of governed views, for a release already authorised."""

    def __init__(self, store: Store, plane: PlaneService) -> None:
        self.store = store
        self.plane = plane

    def commits(self, agreement: AgreementRecord, dataset: Dataset) -> tuple[Commit, ...]:
        return history(agreement.version, self.store.list_versions(dataset.id))

    def snapshot(self, release: GovernedRelease, dataset_version: int) -> Path:
        """The governed view of ``dataset_version`` (time travel), through the release."""
        return self.plane.materialise(self.plane.at_version(release, dataset_version))

    def change_path(self, release: GovernedRelease, dataset_version: int) -> Path:
        """What ``dataset_version`` added to and removed from the governed view of the
        version before it, as Parquet; made once and kept beside the materialised views
        (so a file fetched by ranges is not recomputed for each range)."""
        if dataset_version < 2:
            raise ValueError("the first version has no earlier one to differ from")
        new = self.snapshot(release, dataset_version)
        old = self.snapshot(release, dataset_version - 1)
        stem = new.stem.replace(f"-v{dataset_version}-", f"-changes-v{dataset_version}-", 1)
        target = new.with_name(f"{stem}.parquet")
        if not target.exists():
            with atomic_path(target, mode=0o600) as temporary:
                sql = (
                    f"COPY (SELECT *, 'insert' AS {CHANGE_TYPE} FROM ("
                    f"SELECT * FROM read_parquet({_literal(new)}) EXCEPT ALL "
                    f"SELECT * FROM read_parquet({_literal(old)})) "
                    f"UNION ALL SELECT *, 'delete' AS {CHANGE_TYPE} FROM ("
                    f"SELECT * FROM read_parquet({_literal(old)}) EXCEPT ALL "
                    f"SELECT * FROM read_parquet({_literal(new)}))) "
                    f"TO {_literal(temporary)} (FORMAT parquet, COMPRESSION zstd)"
                )
                with bounded_duckdb(what="change file") as con:
                    con.execute(sql)
        return target

    def change_file(self, release: GovernedRelease, dataset_version: int) -> ChangeFile:
        """The change file of ``dataset_version`` with its rows counted by change type."""
        target = self.change_path(release, dataset_version)
        with bounded_duckdb(what="change file") as con:
            counted = dict(
                con.execute(
                    f"SELECT {CHANGE_TYPE}, count(*) FROM read_parquet({_literal(target)}) "
                    "GROUP BY 1"
                ).fetchall()
            )
        inserts, deletes = int(counted.get("insert", 0)), int(counted.get("delete", 0))
        return ChangeFile(target, inserts + deletes, inserts, deletes)


@dataclass(frozen=True, slots=True)
class Published:
    report: IngestReport
    notices: tuple[Notice, ...]


class ChangePublisher:
    """A data owner's new version of a dataset, and a notice to each recipient reading
    it over Delta Sharing that its table has changed."""

    def __init__(self, store: Store, catalogue: CatalogueService) -> None:
        self.store = store
        self.catalogue = catalogue
        self.outbox = Outbox(store)

    def publish(
        self, caller: Caller, dataset_id: str, source: str | None = None, *, lenient: bool = False
    ) -> Published:
        """Ingest ``source`` as the next version of ``dataset_id`` (checked against its
        schema, refused as any ingest is); if it is new, queue the change notices."""
        report = self.catalogue.ingest(caller, dataset_id, source, lenient=lenient)
        if report.unchanged:
            return Published(report, ())
        return Published(report, self.announce(caller, dataset_id, report.version.number))

    def announce(self, caller: Caller, dataset_id: str, dataset_version: int) -> tuple[Notice, ...]:
        """A CHANGE_EVENTS notice to the recipient of every active agreement that shares
        ``dataset_id`` over Delta Sharing, with its own audit event.

        The notice names the table and its new version only: no count of rows, because
        how many of the new records fall in a recipient's cohort is only known through a
        release authorised for that recipient, and a raw count would tell one provider
        about another's participants.
        """
        dataset = self.store.get_dataset(dataset_id)
        notices: list[Notice] = []
        for agreement in self.store.list_agreements(state=AgreementState.ACTIVE):
            policy = agreement.policy
            if Channel.DELTA_SHARING not in policy.channels or dataset_id not in {
                d.dataset for d in policy.datasets
            }:
                continue
            version = table_version(agreement.version, dataset_version)
            table = f"{agreement.id}.{SCHEMA}.{view_name(dataset)}"
            notices.append(
                new_notice(
                    policy.recipient,
                    NoticeKind.CHANGE_EVENTS,
                    f"New changes in {view_name(dataset)} under agreement {agreement.id}",
                    f"{dataset.organisation_id} published version {dataset_version} of "
                    f"{dataset_id}. The shared table {table} is now at version {version}: "
                    f"read its changes from version {version} with your Delta Sharing "
                    "client (load_table_changes_as_pandas).",
                    f"agreement:{agreement.id}",
                )
            )
        if notices:
            self.outbox.queue(
                notices,
                audit=AuditEvent(
                    actor=caller.actor,
                    action="changefeed.notify",
                    object=f"dataset:{dataset_id}",
                    organisation=dataset.organisation_id,
                    reason=f"version {dataset_version} published: its recipients told",
                    details={
                        "dataset_version": dataset_version,
                        "recipients": sorted({n.organisation for n in notices}),
                        "notices": [n.id for n in notices],
                    },
                ),
            )
        return tuple(notices)
