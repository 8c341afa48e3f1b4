"""Use cases of disclosure control: protected tables, batch validation, the airlock.

Each service takes the store, authorises with a verdict from
:mod:`accord.core.disclosure_permissions` (refusals go to the audit log), does the
work with the pure functions of :mod:`accord.disclosure`, and writes the change and
its audit event together. Rows are read where they are (a dataset version's Parquet
file) by DuckDB; nothing here copies them.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import hmac
import io
import logging
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from accord.core.audit import Decision as AuditDecision
from accord.core.catalogue import SourceKind
from accord.core.csv_safety import safe_row
from accord.core.disclosure_permissions import (
    can_define_batch_check,
    can_designate_checker,
    can_download_output,
    can_read_outputs,
    can_review_output,
    can_submit_outputs,
    can_tabulate,
    can_validate_batch,
)
from accord.core.governance.request import Channel
from accord.core.governance.workflow import AgreementState
from accord.core.identifiers import normalise_identifier, normalise_identifier_sql
from accord.core.permissions import Caller
from accord.core.plan.authorise import PlaneChannel
from accord.core.plan.release import GovernedRelease
from accord.core.vocabulary import SemanticType
from accord.disclosure.airlock import (
    Decision,
    FileStatus,
    OutputFile,
    OutputRequest,
    Review,
    check_csv,
    file_status,
    results_json,
    safe_file_name,
)
from accord.disclosure.batch import (
    BatchAnswer,
    BatchCheck,
    BatchOutcome,
    BatchPolicy,
    BatchRecord,
    BudgetState,
    answer_count,
    coerce_criterion,
    discrete_laplace,
    refuse_before_data,
)
from accord.disclosure.cellkey import (
    PTable,
    RecordKeysRef,
    person_record_keys,
    row_record_keys,
)
from accord.disclosure.primary import primary_flags, round_to_base
from accord.disclosure.releases import (
    PUBLIC,
    CellRecord,
    TableRelease,
    cell_label,
    differencing_cells,
    protection_conflict,
)
from accord.disclosure.rules import DisclosureRules, Flag
from accord.disclosure.secondary import secondary_suppress, with_margins
from accord.engine.executor import EngineError
from accord.errors import (
    AccordError,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    ValidationError,
    not_found,
)
from accord.fsutil import write_atomic
from accord.pseudonymise.domain_keys import DomainKey, DomainKeyStore, validate_domain_name
from accord.services.guard import authorise, refuse
from accord.services.plane import PlaneService
from accord.services.ratelimit import RateLimiter
from accord.store import Store

__all__ = [
    "AirlockService",
    "BatchValidationService",
    "ProtectedTable",
    "Protection",
    "PublishedTable",
    "SubmittedOutput",
    "TableService",
]

_log = logging.getLogger(__name__)

MAX_AUDITED_CELLS = 5_000
"""Above this, secondary suppression's LP audit would take minutes: use rounding or cell keys."""


class Protection(StrEnum):
    SUPPRESS = "suppress"
    """Primary and secondary suppression, proved by the interval audit."""
    ROUND = "round"
    """Primary suppression, then every published figure rounded to the base."""
    CELL_KEY = "cell_key"
    """Cell-key perturbation of counts; nothing suppressed."""


@dataclass(frozen=True, slots=True)
class ProtectedTable:
    """A table fit to publish: labels, values (None where suppressed) and margins."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    row_labels: tuple[tuple[Any, ...], ...]
    column_labels: tuple[tuple[Any, ...], ...]
    values: list[list[float | None]]
    """(R + 1) x (C + 1): the last row and column are the totals."""
    flags: list[list[int]]
    protection: Protection
    rules: dict[str, Any] = field(default_factory=dict)
    value: str | None = None
    """The summed field, or None for a table of counts."""

    def to_csv(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        header = [*self.rows, *("/".join(map(str, c)) for c in self.column_labels), "Total"]
        writer.writerow(safe_row(header))
        labels = [*self.row_labels, tuple("Total" for _ in self.rows)]
        for label, row in zip(labels, self.values, strict=True):
            writer.writerow([*safe_row(label), *("c" if v is None else f"{v:g}" for v in row)])
        return out.getvalue().encode("utf-8")

    def to_long_csv(self) -> bytes:
        """One line per cell, the value blank where suppressed; a blank label is a total.

        The shape a catalogue dataset needs: a fixed set of named fields whatever the
        labels, so a published product can be searched, assessed and read like any other.
        Margins leave their labels blank rather than writing ``Total``, which would not
        pass the field's own validation (a postcode column holds postcodes).
        """
        measure = "count" if self.value is None else self.value
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(safe_row([*self.rows, *self.columns, measure]))
        row_labels = [*self.row_labels, tuple("" for _ in self.rows)]
        column_labels = [*self.column_labels, tuple("" for _ in self.columns)]
        for r, row_label in enumerate(row_labels):
            for c, column_label in enumerate(column_labels):
                v = self.values[r][c]
                labels = safe_row([*row_label, *column_label])
                writer.writerow([*labels, "" if v is None else f"{v:g}"])
        return out.getvalue().encode("utf-8")


@dataclass(frozen=True, slots=True)
class PublishedTable:
    """A protected table registered in the catalogue as a tier-1 product."""

    dataset_id: str
    version: int
    source: str
    table: ProtectedTable
    tags: tuple[str, ...]


def _parquet_of(store: Store, dataset_id: str, version: int | None) -> tuple[str, int, int]:
    dataset = store.get_dataset(dataset_id)
    found = store.get_version(dataset_id, version)
    if dataset.source_kind is not SourceKind.FILE:
        raise ValidationError(
            f"dataset {dataset_id!r} is an in-place table; disclosure control reads file "
            "versions for now (ingest a snapshot)"
        )
    return found.location, found.number, found.row_count


class TableService:
    """Protected tables: of an organisation's own datasets (to publish), or of another's
    governed view under an agreement naming the ``aggregate_statistics`` channel."""

    def __init__(
        self,
        store: Store,
        *,
        data_dir: Path,
        plane: PlaneService | None = None,
        domains: DomainKeyStore | None = None,
    ) -> None:
        self.store = store
        self.data_dir = data_dir
        self.plane = plane
        self.domains = domains if domains is not None else (plane.domains if plane else None)

    def tabulate(
        self,
        caller: Caller,
        dataset_id: str,
        rows: Sequence[str],
        columns: Sequence[str],
        value: str | None = None,
        *,
        protection: Protection = Protection.SUPPRESS,
        rules: DisclosureRules | None = None,
        ptable: PTable | None = None,
        version: int | None = None,
    ) -> ProtectedTable:
        """A protected table of the caller's own dataset (to read, not yet to publish)."""
        return self._table(
            caller, dataset_id, rows, columns, value, protection, rules, ptable, version
        ).table

    def _table(
        self,
        caller: Caller,
        dataset_id: str,
        rows: Sequence[str],
        columns: Sequence[str],
        value: str | None,
        protection: Protection,
        rules: DisclosureRules | None,
        ptable: PTable | None,
        version: int | None,
    ) -> _Protected:
        rules = rules or DisclosureRules()
        # Authorised on the owner named in the id before anything is looked up, so that
        # another organisation's dataset answers exactly as a missing one.
        owner = dataset_id.split("/", 1)[0]
        event = authorise(
            self.store,
            caller,
            can_tabulate(caller, owner),
            action="disclosure.tabulate",
            obj=f"dataset:{dataset_id}",
            organisation=owner,
            rows=list(rows),
            columns=list(columns),
            value=value,
            protection=protection.value,
        )
        dataset = self.store.get_dataset(dataset_id)
        for name in (*rows, *columns, *([value] if value else [])):
            try:
                dataset.field(name)
            except KeyError:
                raise NotFoundError(f"dataset {dataset_id!r} has no field {name!r}") from None
        location, number, count = _parquet_of(self.store, dataset_id, version)
        keys = None
        if protection is Protection.CELL_KEY:
            if value is not None:
                raise ValidationError(
                    "cell-key perturbation applies to counts; leave out the value"
                )
            keys = self._record_keys(caller, dataset_id, number, count, location)
        protected = _protect(location, rows, columns, value, protection, rules, ptable, keys)
        self.store.record(event.with_details(version=number, **protected.counts))
        return dataclasses.replace(protected, version=number)

    def aggregate(
        self,
        caller: Caller,
        agreement_id: str,
        dataset_id: str,
        rows: Sequence[str],
        columns: Sequence[str],
        value: str | None = None,
        *,
        protection: Protection = Protection.SUPPRESS,
    ) -> ProtectedTable:
        """A protected table of another organisation's governed view, for its recipient.

        Only under an active agreement naming the ``aggregate_statistics`` channel, over
        the fields the agreement releases, with its ``min_cell_count`` as the threshold
        and its ``rounding_base``; refusals are on the record like every release.
        """
        if self.plane is None:
            raise ConfigurationError("aggregate statistics need the data plane")
        release = self.plane.release(
            caller,
            agreement_id,
            dataset_id,
            PlaneChannel.AGGREGATE,
            action="disclosure.aggregate",
            details={
                "rows": list(rows),
                "columns": list(columns),
                "value": value,
                "protection": protection.value,
            },
        )
        released = {c.name for c in release.plan.outputs}
        for name in (*rows, *columns, *([value] if value else [])):
            if name not in released:
                raise refuse(
                    self.store,
                    caller,
                    "disclosure.aggregate",
                    release.object,
                    release.event.organisation,
                    f"{name!r} is not a field agreement {release.agreement.id} releases from "
                    f"{dataset_id}; it releases {', '.join(sorted(released))}",
                )
        if protection is Protection.CELL_KEY:
            raise ValidationError(
                "protection: cell keys are drawn for a dataset version, not a governed view; "
                "use suppress or round"
            )
        try:
            path = self.plane.materialise(release)
        except EngineError as exc:
            raise self.plane.engine_failed(caller, release, "disclosure.aggregate", exc) from exc
        controls = release.agreement.policy.output_controls
        rules = DisclosureRules(
            threshold=controls.min_cell_count, rounding_base=controls.rounding_base
        )
        protected = _protect(str(path), rows, columns, value, protection, rules, check_margins=True)
        recipient = release.agreement.policy.recipient
        earlier = self.store.list_table_releases(dataset_id)
        record = _release_record(
            protected,
            dataset_id,
            release.version.number,
            recipient,
            f"agreement:{release.agreement.id}",
            self.store.clock(),
        )
        reason = protection_conflict(earlier, protection.value) or _differencing_reason(
            earlier, record, recipient, rules.threshold
        )
        if reason:
            raise refuse(
                self.store,
                caller,
                "disclosure.aggregate",
                release.object,
                release.event.organisation,
                reason,
            )
        self.store.add_table_release(
            record,
            audit=release.event.with_details(
                dataset=dataset_id,
                dataset_version=release.version.number,
                policy_sha256=release.agreement.policy.sha256(),
                table_release=record.id,
                **protected.counts,
            ),
        )
        return protected.table

    def publish(
        self,
        caller: Caller,
        dataset_id: str,
        rows: Sequence[str],
        columns: Sequence[str],
        value: str | None = None,
        *,
        name: str,
        description: str = "",
        tags: Sequence[str] = (),
        protection: Protection = Protection.SUPPRESS,
        rules: DisclosureRules | None = None,
        version: int | None = None,
    ) -> PublishedTable:
        """Protect a table and register it as a published dataset of the owner's organisation.

        Only the protected figures ever reach the catalogue: the table is computed by
        :meth:`tabulate` (so the owner's authority and the disclosure rules both apply),
        then registered through the catalogue like any dataset, tagged ``published``
        and with the source's tags so the assessment can point matching requests at it.
        """
        from accord.core.governance.assessment import PUBLISHED_TAG
        from accord.services.catalogue import CatalogueService

        source = self.store.get_dataset(dataset_id)
        rules = rules or DisclosureRules()
        earlier = self.store.list_table_releases(dataset_id)
        if can_tabulate(caller, source.organisation_id):
            # Only the owner learns how its lineage was published; anyone else is
            # refused by the tabulation below, exactly as before.
            conflict = protection_conflict(earlier, protection.value)
            if conflict:
                raise refuse(
                    self.store,
                    caller,
                    "disclosure.publish",
                    f"dataset:{dataset_id}",
                    source.organisation_id,
                    conflict,
                    protection=protection.value,
                )
        protected = self._table(
            caller, dataset_id, rows, columns, value, protection, rules, None, version
        )
        table = protected.table
        record = _release_record(
            protected,
            dataset_id,
            protected.version,
            PUBLIC,
            f"{source.organisation_id}/{name}",
            self.store.clock(),
        )
        differencing = _differencing_reason(earlier, record, PUBLIC, rules.threshold)
        if differencing:
            raise refuse(
                self.store,
                caller,
                "disclosure.publish",
                f"dataset:{dataset_id}",
                source.organisation_id,
                differencing,
                protection=protection.value,
            )
        all_tags = tuple(dict.fromkeys((PUBLISHED_TAG, *source.tags, *tags)))
        staging = self.data_dir / "publishing"
        staging.mkdir(parents=True, exist_ok=True)
        path = staging / f"{secrets.token_hex(8)}.csv"
        write_atomic(path, table.to_long_csv())
        try:
            report = CatalogueService(self.store, data_dir=self.data_dir).register(
                caller,
                source.organisation_id,
                name,
                str(path),
                description=description
                or f"Published {'/'.join(rows)} by {'/'.join(columns)} from {dataset_id}",
                tags=all_tags,
            )
        finally:
            path.unlink(missing_ok=True)
        self.store.add_table_release(
            dataclasses.replace(record, product=report.dataset.id),
            audit=authorise(
                self.store,
                caller,
                can_tabulate(caller, source.organisation_id),
                action="disclosure.publish",
                obj=f"dataset:{report.dataset.id}",
                organisation=source.organisation_id,
                source=dataset_id,
                source_version=protected.version,
                protection=protection.value,
                version=report.version.number,
                table_release=record.id,
            ),
        )
        return PublishedTable(report.dataset.id, report.version.number, dataset_id, table, all_tags)

    def _record_keys(
        self, caller: Caller, dataset_id: str, version: int, rows: int, location: str
    ) -> Any:
        """The version's record keys: derived once per version, then read from a cache.

        Derived from the person (see :mod:`accord.disclosure.cellkey`), so every version
        gives the same person the same key and republished counts the same noise.
        """
        ref = self.store.get_record_keys(dataset_id, version)
        if ref is None:
            dataset = self.store.get_dataset(dataset_id)
            org = dataset.organisation_id
            # Authorise before any key is unsealed or any row read.
            verdict = can_tabulate(caller, org)
            keys, basis, key = self._derive_keys(dataset, location, rows)
            path = self.data_dir / "record_keys" / dataset_id / f"v{version}.keys"
            data = keys.tobytes()
            write_atomic(path, data, mode=0o600)
            ref = RecordKeysRef(
                dataset_id,
                version,
                rows,
                str(path),
                hashlib.sha256(data).hexdigest(),
                self.store.clock(),
            )
            try:
                self.store.add_record_keys(
                    ref,
                    audit=authorise(
                        self.store,
                        caller,
                        verdict,
                        action="disclosure.record_keys.draw",
                        obj=f"dataset:{dataset_id}",
                        organisation=org,
                        version=version,
                        sha256=ref.sha256,
                        basis=basis,
                        domain=key.domain,
                        domain_version=key.version,
                        fingerprint=key.fingerprint,
                    ),
                )
            except ConflictError:
                path.unlink(missing_ok=True)
                ref = self.store.get_record_keys(dataset_id, version)
                assert ref is not None
        data = Path(ref.path).read_bytes()
        if hashlib.sha256(data).hexdigest() != ref.sha256:
            raise ConflictError(f"the record keys of {dataset_id} v{version} have been altered")
        return np.frombuffer(data, dtype=np.uint8)

    def _derive_keys(self, dataset: Any, location: str, rows: int) -> tuple[Any, str, DomainKey]:
        """Record keys from the first person identifier field, or from each whole row."""
        import pyarrow.parquet as pq

        if self.domains is None:
            raise ConfigurationError(
                "cell-key perturbation needs the key store: build TableService with the "
                "data plane (or domains=DomainKeyStore(keys))"
            )
        name = perturbation_domain(dataset.organisation_id)
        self.domains.ensure(name)
        key = self.domains.key(name)
        people = [
            f.name
            for f in dataset.fields
            if f.semantic_type in (SemanticType.NINO, SemanticType.NHS_NUMBER)
        ]
        if people:
            column = pq.read_table(location, columns=[people[0]]).column(0).to_pylist()
            keys = person_record_keys((None if v is None else str(v) for v in column), key.material)
            basis = f"person:{people[0]}"
        else:
            table = pq.read_table(location)
            keys = row_record_keys(
                zip(*(c.to_pylist() for c in table.columns), strict=True), key.material
            )
            basis = "row"
        if len(keys) != rows:
            raise ConflictError(f"{dataset.id} has {len(keys)} rows where {rows} were recorded")
        return keys, basis, key


def perturbation_domain(organisation_id: str) -> str:
    """The owner's perturbation domain: a key it holds, used for cell keys and nothing else.

    Named ``cellkey-<organisation>``; its key hashes identifiers under a context no
    pseudonym uses, so even a linkage agreement naming it could not recover record keys.
    Rotating it changes every record key, and so every perturbation: do not, unless a
    break with all earlier releases is intended.
    """
    slug = re.sub(r"[^a-z0-9-]+", "-", organisation_id.lower()).strip("-")
    return validate_domain_name(f"cellkey-{slug}"[:63].rstrip("-"))


@dataclass(frozen=True, slots=True)
class _Protected:
    """A protected table with what only the owner sees: true counts and what was exact."""

    table: ProtectedTable
    counts: dict[str, int]
    people: Any
    """(R + 1) x (C + 1) true contributor counts, margins included."""
    exact: Any
    """(R + 1) x (C + 1): True where the published figure is the true one."""
    version: int = 0


def _release_record(
    protected: _Protected,
    source: str,
    version: int,
    recipient: str,
    product: str,
    when: Any,
) -> TableRelease:
    table = protected.table
    row_labels: list[tuple[Any, ...] | None] = [*table.row_labels, None]
    column_labels: list[tuple[Any, ...] | None] = [*table.column_labels, None]
    cells = {
        cell_label(r, c): CellRecord(int(protected.people[i, j]), bool(protected.exact[i, j]))
        for i, r in enumerate(row_labels)
        for j, c in enumerate(column_labels)
    }
    return TableRelease(
        id=f"rel_{secrets.token_hex(8)}",
        source_dataset_id=source,
        source_version=version,
        recipient=recipient,
        product=product,
        protection=table.protection.value,
        rows=table.rows,
        columns=table.columns,
        value=table.value,
        cells=cells,
        created_at=when,
    )


def _differencing_reason(
    earlier: Sequence[TableRelease], record: TableRelease, recipient: str, threshold: int
) -> str | None:
    cells = differencing_cells(earlier, record.shape, recipient, record.cells, threshold)
    if not cells:
        return None
    return (
        f"{len(cells)} exact figure(s) of this table differ from an earlier release by fewer "
        f"than {threshold} people (e.g. {', '.join(cells[:3])}), which would single them "
        "out: publish with protection 'cell_key', or coarser categories"
    )


def _protect(
    location: str,
    rows: Sequence[str],
    columns: Sequence[str],
    value: str | None,
    protection: Protection,
    rules: DisclosureRules,
    ptable: PTable | None = None,
    keys: Any = None,
    *,
    check_margins: bool = False,
) -> _Protected:
    """Tabulate ``location`` and protect it: the table, what was hidden, what is exact."""
    from accord.disclosure.aggregate import tabulate

    table = tabulate(location, rows, columns, value, record_keys=keys)
    flags = primary_flags(table.stats, rules)
    raw = table.values()
    # A NaN among a cell's values makes its total unknown: shown as 0 it would mislead,
    # so the cell, and every margin it feeds, is withheld.
    missing = np.zeros(flags.shape, dtype=bool)
    if value is not None:
        missing = np.isnan(raw) & (table.stats.count > 0)
        flags = flags | np.where(missing, int(Flag.MISSING), 0)
    unknown = with_margins(missing) > 0
    grid = with_margins(raw if value is None else np.nan_to_num(raw))
    hidden = np.zeros(grid.shape, dtype=bool)
    hidden[:-1, :-1] = flags != 0
    hidden |= unknown
    all_flags = np.zeros(grid.shape, dtype=np.int64)
    all_flags[:-1, :-1] = flags
    if protection is Protection.SUPPRESS:
        if table.cells > MAX_AUDITED_CELLS:
            raise ValidationError(
                f"{table.cells} cells is too many to prove secondary suppression "
                f"(at most {MAX_AUDITED_CELLS}); use protection 'round' or 'cell_key', "
                "or a coarser geography"
            )
        final, _ = secondary_suppress(grid, hidden)
        all_flags[final & ~hidden] |= Flag.SECONDARY
        hidden = final
        shown = grid
    elif protection is Protection.ROUND:
        shown = round_to_base(grid, rules.rounding_base).astype(np.float64)
    else:
        assert table.cell_keys is not None
        ptable = ptable or PTable.build()
        cell_keys = np.zeros(grid.shape, dtype=np.int64)
        cell_keys[:-1, :-1] = table.cell_keys
        cell_keys[:-1, -1] = table.cell_keys.sum(axis=1)
        cell_keys[-1, :-1] = table.cell_keys.sum(axis=0)
        cell_keys[-1, -1] = table.cell_keys.sum()
        shown = ptable.apply(grid.astype(np.int64), cell_keys).astype(np.float64)
        hidden = np.zeros(grid.shape, dtype=bool)
    hidden = hidden | unknown
    people = with_margins(table.stats.count.astype(np.float64))
    if check_margins:
        # A margin is a count too: released to another organisation, it meets the
        # threshold like any cell (a published table's margins are the owner's call).
        small = people < rules.threshold
        small[:-1, :-1] = False
        all_flags[small & ~hidden] |= Flag.THRESHOLD
        hidden = hidden | small
    values = [
        [None if h else float(v) for v, h in zip(r, hr, strict=True)]
        for r, hr in zip(shown, hidden, strict=True)
    ]
    counts = {
        "cells": table.cells,
        "suppressed": int(hidden.sum()),
        "primary": int((flags != 0).sum()),
    }
    exact = ~hidden if protection is Protection.SUPPRESS else np.zeros(grid.shape, dtype=bool)
    protected = ProtectedTable(
        rows=tuple(rows),
        columns=tuple(columns),
        row_labels=table.row_labels,
        column_labels=table.column_labels,
        values=values,
        flags=[[int(x) for x in row] for row in all_flags],
        protection=protection,
        rules=rules.as_dict(),
        value=value,
    )
    return _Protected(protected, counts, people.astype(np.int64), exact)


_CAST_FROM_TEXT = frozenset({"DATE", "TIMESTAMP"})
"""Types whose criterion values are kept as ISO text and cast in the query."""


def _field_types(dataset: Any) -> dict[str, str]:
    return {f.name: str(f.data_type.value) for f in dataset.fields}


class BatchValidationService:
    """Batch validation: a proportion per batch, under overlap control and a budget.

    A check is offered by the data owner, but answering it reads the owner's records,
    so every batch is also a release: only under an active agreement whose recipient is
    the requesting organisation and which names the ``batch_validation`` channel for
    the check's dataset.

    An answer must not leak through its timing either. Every check that needs no data
    (authority, agreement, batch size, overlap, budget) runs before the data is read,
    so a refusal reads nothing; and every answer, accepted or refused, is held until
    ``deadline_ms`` after the request arrived, so the time it takes says nothing about
    whether (or how long) the data was read. Refusals cost the caller a token of a
    per-principal :class:`RateLimiter`, so they cannot be had in bulk either.
    """

    def __init__(
        self,
        store: Store,
        plane: PlaneService,
        *,
        overlap_key: bytes,
        deadline_ms: int = 1500,
        max_records: int = 100_000,
        refusals_per_minute: int = 6,
        sleep: Any = time.sleep,
        clock: Any = time.monotonic,
    ) -> None:
        if len(overlap_key) < 32:
            raise ValueError("the overlap key must be at least 32 random bytes")
        if deadline_ms < 0 or max_records < 2 or refusals_per_minute < 1:
            raise ValueError("deadline_ms >= 0, max_records >= 2 and refusals_per_minute >= 1")
        self.store = store
        self.plane = plane
        self._key = overlap_key
        self.deadline = deadline_ms / 1000.0
        self.max_records = max_records
        self.refusals = RateLimiter(
            refusals_per_minute / 60.0, refusals_per_minute, what="refused batches", clock=clock
        )
        self._sleep = sleep
        self._clock = clock

    def define(
        self,
        caller: Caller,
        organisation_id: str,
        name: str,
        dataset_id: str,
        key_field: str,
        criterion: Mapping[str, Sequence[Any]],
        requesters: Sequence[str],
        *,
        policy: BatchPolicy | None = None,
        description: str = "",
        lineage_epsilon: float | None = None,
    ) -> BatchCheck:
        """Offer a check; the first on a dataset declares its lineage's total epsilon.

        ``lineage_epsilon`` is the total every agreement together may ever spend on the
        dataset across its versions (default :data:`DEFAULT_LINEAGE_EPSILON`); it is
        declared once and never renewed. Criterion values are typed by their fields.
        """
        check_id = f"{organisation_id}/{name}"
        if lineage_epsilon is not None and not lineage_epsilon > 0:
            raise ValidationError("lineage_epsilon: the lineage's total must be above 0")
        event = authorise(
            self.store,
            caller,
            can_define_batch_check(caller, organisation_id),
            action="disclosure.batch_check.define",
            obj=f"batch_check:{check_id}",
            organisation=organisation_id,
        )
        dataset = self.store.get_dataset(dataset_id)
        if dataset.organisation_id != organisation_id:
            raise ValidationError(f"dataset {dataset_id!r} is not {organisation_id!r}'s")
        for f in (key_field, *criterion):
            try:
                dataset.field(f)
            except KeyError:
                raise NotFoundError(f"dataset {dataset_id!r} has no field {f!r}") from None
        try:
            typed = coerce_criterion(criterion, _field_types(dataset))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        check = BatchCheck(
            id=check_id,
            organisation_id=organisation_id,
            dataset_id=dataset_id,
            key_field=key_field,
            criterion=typed,
            policy=policy or BatchPolicy(),
            requesters=tuple(requesters),
            created_at=self.store.clock(),
            description=description,
        )
        return self.store.add_batch_check(
            check,
            lineage_epsilon=lineage_epsilon,
            audit=event.with_details(
                policy=check.policy.as_dict(),
                requesters=list(requesters),
                lineage_epsilon=lineage_epsilon,
            ),
        )

    def _member(self, check_id: str, organisation_id: str, identifier: str) -> str:
        message = f"{check_id}\x1f{organisation_id}\x1f{identifier}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def _eligible(self, release: GovernedRelease, check: BatchCheck, identifiers: list[str]) -> int:
        import pyarrow as pa

        from accord.engine.bounds import bounded_duckdb

        location, _, _ = _parquet_of(self.store, check.dataset_id, release.version.number)
        types = _field_types(self.store.get_dataset(check.dataset_id))
        try:
            criterion = coerce_criterion(check.criterion, types)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        with bounded_duckdb(what="batch check") as con:
            con.register("accord_batch", pa.table({"id": identifiers}))
            conditions = []
            params: list[Any] = [location]
            for name, allowed in criterion.items():
                conditions.append(
                    f'"{name}" IN (SELECT CAST(v AS {types[name]}) FROM unnest(?) AS t(v))'
                )
                params.append([str(v) if types[name] in _CAST_FROM_TEXT else v for v in allowed])
            where = " AND ".join(conditions) or "TRUE"
            # The one identifier normalisation, as ingest, opt-outs and pseudonyms use it.
            key = normalise_identifier_sql(f'CAST(d."{check.key_field}" AS VARCHAR)')
            sql = (
                "SELECT count(DISTINCT b.id) FROM read_parquet(?) AS d "
                f"JOIN accord_batch AS b ON {key} = b.id WHERE {where}"
            )
            return int(con.execute(sql, params).fetchone()[0])  # type: ignore[index]

    def requester_organisation(self, caller: Caller, check_id: str) -> str:
        """The organisation a caller submits for: theirs, among those the check is offered to.

        Lets the CLI and API leave it out when it is unambiguous; the verdict in
        :meth:`validate` still decides whether the caller may submit at all.
        """
        from accord.core.identity import Role

        check = self.store.get_batch_check(check_id)
        mine = caller.principal.organisations_with(Role.REQUESTER) if caller.principal else set()
        offered = sorted(set(check.requesters) & mine)
        if len(offered) == 1:
            return offered[0]
        if offered:
            raise ValidationError(
                f"you are a requester of {', '.join(offered)}: say which organisation submits"
            )
        # Nothing matches: name the first organisation offered so the refusal is recorded.
        return (sorted(mine) or list(check.requesters) or [""])[0]

    def _agreement(self, caller: Caller, check: BatchCheck, requester_org: str) -> str:
        """The requester's active agreement naming batch validation of the check's dataset."""
        found = [
            a
            for a in self.store.list_agreements(
                recipient=requester_org, state=AgreementState.ACTIVE
            )
            if Channel.BATCH_VALIDATION in a.policy.channels
            and check.dataset_id in {d.dataset for d in a.policy.datasets}
        ]
        if not found:
            raise refuse(
                self.store,
                caller,
                "disclosure.batch.validate",
                f"batch_check:{check.id}",
                requester_org,
                f"{requester_org!r} has no active agreement naming the batch_validation "
                f"channel for {check.dataset_id}: request one before submitting batches",
            )
        return found[-1].id

    def budget(self, check_id: str, agreement_id: str = "") -> BudgetState:
        """Where the check's lineage budget stands (for one agreement, if named): a read.

        Its ``attacker_accuracy_bound`` is the one to advertise: computed from the
        lineage's total, which is all that every agreement, organisation, principal and
        check on the data can combine, not from one agreement's allocation.
        """
        check = self.store.get_batch_check(check_id)
        return self.store.batch_budget(check.dataset_id, agreement_id)

    def validate(
        self,
        caller: Caller,
        check_id: str,
        requester_org: str,
        identifiers: Sequence[str],
        *,
        agreement_id: str | None = None,
    ) -> BatchAnswer:
        """A proportion for the batch, under ``agreement_id`` (by default the requester's
        one active agreement that names batch validation of the check's dataset).

        Released at the deadline, whatever the outcome; a caller out of refusal tokens
        is answered :class:`~accord.errors.RateLimited` at once, before anything else.
        """
        who = caller.principal.id if caller.principal else caller.actor
        self.refusals.check(who)
        started = self._clock()
        try:
            answer = self._validate(caller, check_id, requester_org, identifiers, agreement_id)
        except AccordError:
            self.refusals.spend(who)
            raise
        finally:
            self._hold_until(started + self.deadline, check_id)
        if answer.outcome is BatchOutcome.REFUSED:
            self.refusals.spend(who)
        return answer

    def _hold_until(self, deadline: float, check_id: str) -> None:
        """Wait for the deadline; past it, answer at once and say so in the log."""
        left = deadline - self._clock()
        if left > 0:
            self._sleep(left)
        elif self.deadline:
            _log.warning(
                "batch validation of %s overran its deadline of %.0f ms by %.0f ms; "
                "raise ACCORD_BATCH_DEADLINE_MS",
                check_id,
                self.deadline * 1000,
                -left * 1000,
            )

    def _validate(
        self,
        caller: Caller,
        check_id: str,
        requester_org: str,
        identifiers: Sequence[str],
        agreement_id: str | None,
    ) -> BatchAnswer:
        check = self.store.get_batch_check(check_id)
        event = authorise(
            self.store,
            caller,
            can_validate_batch(caller, requester_org, check.requesters),
            action="disclosure.batch.validate",
            obj=f"batch_check:{check_id}",
            organisation=requester_org,
        )
        release = self.plane.release(
            caller,
            agreement_id or self._agreement(caller, check, requester_org),
            check.dataset_id,
            PlaneChannel.BATCH_VALIDATION,
            action="disclosure.batch.validate",
            details={"batch_check": check_id},
        )
        event = event.with_details(
            agreement=release.agreement.id,
            agreement_version=release.agreement.version,
            policy_sha256=release.agreement.policy.sha256(),
            release=release.reason,
        )
        if len(identifiers) > self.max_records:
            reason = (
                f"identifiers: a batch may hold at most {self.max_records} identifiers; "
                f"this one has {len(identifiers)} (nothing was read)"
            )
            refuse(
                self.store,
                caller,
                "disclosure.batch.validate",
                f"batch_check:{check_id}",
                requester_org,
                reason,
                agreement=release.agreement.id,
                records=len(identifiers),
            )
            raise ValidationError(reason)
        distinct = sorted({normalise_identifier(i) for i in identifiers if i.strip()})
        members = [self._member(check_id, requester_org, i) for i in distinct]
        # Everything that can refuse without the data is decided before it is read.
        seen = self.store.batch_members_seen(check_id, requester_org, members)
        budget = self.store.batch_budget(check.dataset_id, release.agreement.id)
        policy = check.policy
        refused = refuse_before_data(
            len(distinct),
            seen_before=seen,
            available=budget.available(policy.budget),
            policy=policy,
        )
        answer = refused or answer_count(
            len(distinct),
            self._eligible(release, check, distinct),
            policy=policy,
            noise=discrete_laplace(policy.epsilon_per_batch),
        )
        record = BatchRecord(
            id=f"batch_{secrets.token_hex(8)}",
            check_id=check_id,
            organisation_id=requester_org,
            actor=caller.actor,
            answer=answer,
            created_at=self.store.clock(),
        )
        decision = (
            AuditDecision.ALLOW if answer.outcome is BatchOutcome.ANSWERED else AuditDecision.DENY
        )
        audit = event.with_details(
            batch=record.id,
            records=answer.records,
            outcome=answer.outcome.value,
            epsilon=answer.epsilon,
            read_data=refused is None,
            agreement_budget_spent=round(budget.agreement_spent + answer.epsilon, 6),
            lineage_epsilon=budget.total,
            answer=answer.text(),
        )
        audit = type(audit)(
            actor=audit.actor,
            action=audit.action,
            object=audit.object,
            organisation=audit.organisation,
            decision=decision,
            reason=answer.reason if decision is AuditDecision.DENY else audit.reason,
            details=audit.details,
        )
        self.store.record_batch(
            record,
            members,
            dataset_id=check.dataset_id,
            agreement_id=release.agreement.id,
            allocation=policy.budget,
            audit=audit,
        )
        return answer


@dataclass(frozen=True, slots=True)
class SubmittedOutput:
    name: str
    content: bytes
    query: str
    count_columns: tuple[str, ...] = ()


class AirlockService:
    """Outputs leave an in-place analysis only through two independent checkers."""

    def __init__(self, store: Store, *, data_dir: Path) -> None:
        self.store = store
        self.data_dir = data_dir

    def designate_checker(self, caller: Caller, organisation_id: str, principal_id: str) -> None:
        event = authorise(
            self.store,
            caller,
            can_designate_checker(caller, organisation_id),
            action="airlock.checker.designate",
            obj=f"principal:{principal_id}",
            organisation=organisation_id,
        )
        self.store.get_principal(principal_id)
        if self.store.is_output_checker(principal_id, organisation_id):
            raise ConflictError(
                f"{principal_id!r} is an output checker for {organisation_id!r} already"
            )
        self.store.add_output_checker(principal_id, organisation_id, audit=event)

    def _may_read(self, caller: Caller, organisation_id: str, action: str, obj: str) -> None:
        reader = caller.principal.id if caller.principal else ""
        verdict = can_read_outputs(
            caller,
            organisation_id,
            is_checker=bool(reader) and self.store.is_output_checker(reader, organisation_id),
        )
        if not verdict.allowed:
            raise refuse(self.store, caller, action, obj, organisation_id, verdict.reason)

    def list_requests(self, caller: Caller, organisation_id: str) -> list[OutputRequest]:
        """An organisation's output requests, newest first, for those who check them."""
        self._may_read(caller, organisation_id, "airlock.list", f"organisation:{organisation_id}")
        found = self.store.list_output_requests(organisation_id)
        return sorted(found, key=lambda r: (r.created_at, r.id), reverse=True)

    def show(self, caller: Caller, request_id: str) -> OutputRequest:
        """One output request with its files' checks and reviews; another organisation's
        answers exactly as a missing one."""
        obj = f"airlock:{request_id}"
        if self.store.object_parties(obj) is None:
            raise not_found("output request", request_id)
        request = self.store.get_output_request(request_id)
        self._may_read(caller, request.organisation_id, "airlock.show", obj)
        return request

    def read_file(
        self, caller: Caller, request_id: str, file_name: str, *, max_bytes: int
    ) -> bytes:
        """A submitted file's content for its checkers to see, verified against its checksum.

        Reading is not releasing: nothing leaves the airlock by this (see :meth:`download`).
        A file over ``max_bytes`` is refused before it is read.
        """
        request = self.show(caller, request_id)
        try:
            f = request.file(file_name)
        except KeyError:
            raise not_found("output file", file_name) from None
        size = Path(f.path).stat().st_size
        if size > max_bytes:
            raise ValidationError(
                f"{file_name} is {size:,} bytes, more than the {max_bytes:,} shown on a page"
            )
        content = Path(f.path).read_bytes()
        if hashlib.sha256(content).hexdigest() != f.sha256:
            raise ConflictError(f"{file_name} no longer matches its checksum")
        return content

    def submit(
        self, caller: Caller, organisation_id: str, title: str, outputs: Sequence[SubmittedOutput]
    ) -> OutputRequest:
        event = authorise(
            self.store,
            caller,
            can_submit_outputs(caller, organisation_id),
            action="airlock.submit",
            obj="airlock",
            organisation=organisation_id,
        )
        assert caller.principal is not None  # an analyst is always a principal
        if not outputs:
            raise ValidationError("an output request needs at least one file")
        names = [o.name for o in outputs]
        if len(set(names)) != len(names):
            raise ValidationError("two outputs share a name")
        request_id = f"out_{secrets.token_hex(8)}"
        folder = self.data_dir / "airlock" / request_id
        files = []
        for output in outputs:
            try:
                name = safe_file_name(output.name)
                checks = check_csv(output.content, output.count_columns)
            except ValueError as exc:
                raise ValidationError(f"{output.name}: {exc}") from exc
            if not output.query.strip():
                raise ValidationError(f"{output.name}: give the query that produced it")
            files.append(
                OutputFile(
                    name,
                    hashlib.sha256(output.content).hexdigest(),
                    str(folder / name),
                    output.query,
                    checks,
                )
            )
        written: list[Path] = []
        try:
            for output, f in zip(outputs, files, strict=True):
                write_atomic(Path(f.path), output.content, mode=0o600)
                written.append(Path(f.path))
            request = OutputRequest(
                request_id,
                organisation_id,
                caller.principal.id,
                title,
                self.store.clock(),
                tuple(files),
            )
            return self.store.add_output_request(
                request,
                audit=event.with_details(
                    request=request_id,
                    files={
                        f.name: {"sha256": f.sha256, "status": f.checks["status"]} for f in files
                    },
                ),
            )
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise

    def review(
        self, caller: Caller, request_id: str, file_name: str, decision: Decision, comment: str = ""
    ) -> OutputRequest:
        request = self.store.get_output_request(request_id)
        try:
            current = request.file(file_name)
        except KeyError:
            raise NotFoundError(
                f"output request {request_id!r} has no file {file_name!r}"
            ) from None
        reviewer = caller.principal.id if caller.principal else ""
        event = authorise(
            self.store,
            caller,
            can_review_output(
                caller,
                request.organisation_id,
                request.author,
                is_checker=bool(reviewer)
                and self.store.is_output_checker(reviewer, request.organisation_id),
                reviewed_already=any(r.reviewer == reviewer for r in request.reviews_of(file_name)),
            ),
            action="airlock.review",
            obj=f"airlock:{request_id}/{file_name}",
            organisation=request.organisation_id,
            decision=decision.value,
        )
        if current.status is not FileStatus.PENDING:
            raise ConflictError(f"{file_name} is {current.status.value} already")
        review = Review(file_name, reviewer, decision, comment, self.store.clock())
        status = file_status([*request.reviews_of(file_name), review])
        return self.store.add_output_review(
            request_id,
            review,
            status,
            audit=event.with_details(comment=comment, status=status.value),
        )

    def download(self, caller: Caller, request_id: str, file_name: str) -> bytes:
        request = self.store.get_output_request(request_id)
        try:
            f = request.file(file_name)
        except KeyError:
            raise NotFoundError(
                f"output request {request_id!r} has no file {file_name!r}"
            ) from None
        event = authorise(
            self.store,
            caller,
            can_download_output(
                caller, request.organisation_id, request.author, f.status is FileStatus.APPROVED
            ),
            action="airlock.download",
            obj=f"airlock:{request_id}/{file_name}",
            organisation=request.organisation_id,
        )
        content = Path(f.path).read_bytes()
        if hashlib.sha256(content).hexdigest() != f.sha256:
            raise ConflictError(f"{file_name} no longer matches its checksum; nothing was released")
        self.store.record(event.with_details(sha256=f.sha256))
        return content

    def release(self, caller: Caller, request_id: str, directory: Path) -> dict[str, Any]:
        """Write the approved files, results.json and checksums/ (ACRO's layout)."""
        request = self.store.get_output_request(request_id)
        approved = [f for f in request.files if f.status is FileStatus.APPROVED]
        if not approved:
            # Each file's download authorises and audits; with none there would be no check.
            raise ConflictError(f"output request {request_id!r} has no approved file to release")
        contents = {f.name: self.download(caller, request_id, f.name) for f in approved}
        document, checksums = results_json(request, contents)
        import json

        for name, content in contents.items():
            write_atomic(directory / name, content)
        write_atomic(directory / "results.json", json.dumps(document, indent=4).encode("utf-8"))
        for name, digest in checksums.items():
            write_atomic(directory / "checksums" / f"{name}.txt", digest.encode("ascii"))
        return document
