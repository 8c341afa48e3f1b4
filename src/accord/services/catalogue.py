"""Use cases for the catalogue: register, ingest, describe, list and search datasets.

An ingest is all or nothing. In strict mode (the default) any problem refuses the
whole file and nothing is written; in lenient mode the bad rows go to a quarantine
file and the rest become the new version. The Parquet version is written atomically
before the store commits, and removed again if the commit fails, so a version in the
catalogue always has its rows and rows never exist without their version.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from accord.core.audit import AuditEvent, Decision
from accord.core.catalogue import (
    Dataset,
    DatasetVersion,
    FieldSpec,
    Problem,
    SourceKind,
    UpdateFrequency,
)
from accord.core.csv_safety import safe_row
from accord.core.permissions import Caller, can_publish, can_read_catalogue
from accord.core.vocabulary import Category, SemanticType
from accord.errors import ConflictError, NotFoundError, ValidationError
from accord.fsutil import atomic_path
from accord.services.guard import authorise, refuse
from accord.store import Store

if TYPE_CHECKING:
    from accord.ingest.limits import ReadLimits

__all__ = ["CatalogueService", "IngestReport", "SourceRef", "parse_source"]

_NAME = re.compile(r"[a-z][a-z0-9_]{0,119}")
_SHOWN_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class SourceRef:
    kind: SourceKind
    location: str
    """A file path, a DuckDB database path, or a PostgreSQL URL."""
    table: str = ""

    def display(self) -> str:
        """How the source is recorded: passwords never enter the catalogue."""
        if self.kind is SourceKind.FILE:
            return self.location
        if self.kind is SourceKind.DUCKDB:
            return f"duckdb:{self.location}#{self.table}"
        parts = urlsplit(self.location)
        netloc = parts.netloc.rsplit("@", 1)
        if len(netloc) == 2:
            netloc[0] = netloc[0].split(":", 1)[0]
        clean = urlunsplit(parts._replace(netloc="@".join(netloc)))
        return f"{clean}#{self.table}"


def parse_source(source: str) -> SourceRef:
    """``file.csv``, ``file.parquet``, ``duckdb:path.duckdb#table`` or ``postgresql://…#schema.table``."""
    if source.startswith(("postgresql://", "postgres://")):
        url, _, table = source.partition("#")
        if not table:
            raise ValidationError(
                f"source {source!r} names no table: add #schema.table to the PostgreSQL URL"
            )
        return SourceRef(SourceKind.POSTGRES, url, table)
    if source.startswith("duckdb:"):
        path, _, table = source[len("duckdb:") :].partition("#")
        if not table:
            raise ValidationError(f"source {source!r} names no table: write duckdb:PATH#TABLE")
        if not Path(path).is_file():
            raise ValidationError(f"source {source!r}: no DuckDB database at {path}")
        return SourceRef(SourceKind.DUCKDB, str(Path(path).resolve()), table)
    file = Path(source)
    if file.suffix.lower() not in (".csv", ".parquet"):
        raise ValidationError(
            f"source {source!r} is not a .csv or .parquet file, duckdb:PATH#TABLE "
            "or postgresql://…#schema.table"
        )
    if not file.is_file():
        raise ValidationError(f"source {source!r}: no such file")
    return SourceRef(SourceKind.FILE, str(file.resolve()))


@dataclass(frozen=True, slots=True)
class IngestReport:
    dataset: Dataset
    version: DatasetVersion
    problems: tuple[Problem, ...] = ()
    quarantine: Path | None = None
    unchanged: bool = False


def _summary(problems: tuple[Problem, ...]) -> list[dict[str, Any]]:
    return [
        {"row": p.row, "column": p.column, "code": p.code, "message": p.message}
        for p in problems[:_SHOWN_PROBLEMS]
    ]


def _organisation_of(dataset_id: str) -> str:
    """The owning organisation a dataset id names (``dwp/carers`` -> ``dwp``)."""
    return dataset_id.split("/", 1)[0]


class CatalogueService:
    def __init__(self, store: Store, *, data_dir: Path, limits: ReadLimits | None = None) -> None:
        self.store = store
        self.data_dir = data_dir
        self.limits = limits
        """What one ingested file may hold (None: the readers' defaults)."""

    # -- reading -------------------------------------------------------------------

    def _may_read(self, caller: Caller, action: str, obj: str) -> None:
        verdict = can_read_catalogue(caller)
        if not verdict.allowed:
            raise refuse(self.store, caller, action, obj, "", verdict.reason)

    def list_datasets(self, caller: Caller, organisation_id: str | None = None) -> list[Dataset]:
        self._may_read(caller, "catalogue.list", "catalogue")
        return self.store.list_datasets(organisation_id)

    def show(self, caller: Caller, dataset_id: str) -> tuple[Dataset, list[DatasetVersion]]:
        self._may_read(caller, "catalogue.show", f"dataset:{dataset_id}")
        return self.store.get_dataset(dataset_id), self.store.list_versions(dataset_id)

    def search(self, caller: Caller, text: str) -> list[Dataset]:
        """Metadata across every organisation: names, descriptions, field names and tags."""
        self._may_read(caller, "catalogue.search", "catalogue")
        terms = text.split()
        if not terms:
            raise ValidationError("search needs at least one word")
        return self.store.search_datasets(terms)

    # -- publishing ----------------------------------------------------------------

    def check_publish(self, caller: Caller, dataset_id: str, *, creating: bool) -> None:
        """Refuse, audited, a caller who may not publish ``dataset_id``'s organisation's data.

        The same verdict :meth:`register` (``creating``) and :meth:`ingest` reach first,
        asked before an upload's body is read, so a caller without the role stores
        nothing. An allowed caller is recorded once, by the call that commits.
        """
        organisation = _organisation_of(dataset_id)
        verdict = can_publish(caller, organisation)
        if not verdict.allowed:
            action = "dataset.register" if creating else "dataset.ingest"
            raise refuse(
                self.store, caller, action, f"dataset:{dataset_id}", organisation, verdict.reason
            )

    def refuse_upload(
        self, caller: Caller, dataset_id: str, *, creating: bool, reason: str
    ) -> None:
        """Record the refusal of an allowed caller's upload before it was inspected
        (over the size limit, say): a ``deny`` event, so the attempt is on the record."""
        self.store.record(
            AuditEvent(
                actor=caller.actor,
                action="dataset.register" if creating else "dataset.ingest",
                object=f"dataset:{dataset_id}",
                organisation=_organisation_of(dataset_id),
                decision=Decision.DENY,
                reason=reason,
                details={"via": caller.via} if caller.via else {},
            )
        )

    def register(
        self,
        caller: Caller,
        organisation_id: str,
        name: str,
        source: str,
        *,
        description: str = "",
        tags: tuple[str, ...] = (),
        update_frequency: UpdateFrequency = UpdateFrequency.ONE_OFF,
        retention: str = "",
        owner_id: str = "",
        overrides: dict[str, SemanticType] | None = None,
        lenient: bool = False,
    ) -> IngestReport:
        dataset_id = f"{organisation_id}/{name}"
        event = authorise(
            self.store,
            caller,
            can_publish(caller, organisation_id),
            action="dataset.register",
            obj=f"dataset:{dataset_id}",
            organisation=organisation_id,
        )
        self.store.get_organisation(organisation_id)
        if dataset_id in {d.id for d in self.store.list_datasets(organisation_id)}:
            raise ConflictError(
                f"dataset {dataset_id!r} exists already; use `accord dataset ingest` "
                "to add a version"
            )
        if not _NAME.fullmatch(name):
            raise ValidationError(
                f"dataset name {name!r} must be lower case letters, digits and '_', "
                "starting with a letter"
            )
        if owner_id:
            self.store.get_principal(owner_id)
        ref = parse_source(source)
        outcome = self._inspect(ref, schema=None, overrides=overrides or {})
        self._refuse_if_bad(caller, event, outcome, lenient)
        dataset = Dataset(
            id=dataset_id,
            organisation_id=organisation_id,
            name=name,
            description=description,
            fields=outcome.fields,
            source_kind=ref.kind,
            source=ref.display(),
            tags=tuple(sorted(set(tags))),
            update_frequency=update_frequency,
            retention=retention,
            owner_id=owner_id,
            created_at=self.store.clock(),
        )
        return self._commit(
            event, dataset, ref, outcome, lambda v, e: self.store.add_dataset(dataset, v, audit=e)
        )

    def ingest(
        self, caller: Caller, dataset_id: str, source: str | None = None, *, lenient: bool = False
    ) -> IngestReport:
        """A new version of a registered dataset, checked against its registered schema.

        Who may publish is decided by the organisation in the id, before the dataset is
        looked up: a caller who may not publish there is refused alike whether or not
        the dataset exists.
        """
        organisation = _organisation_of(dataset_id)
        event = authorise(
            self.store,
            caller,
            can_publish(caller, organisation),
            action="dataset.ingest",
            obj=f"dataset:{dataset_id}",
            organisation=organisation,
        )
        dataset = self.store.get_dataset(dataset_id)
        ref = parse_source(source) if source else parse_source(dataset.source)
        if ref.kind is not dataset.source_kind:
            raise ValidationError(
                f"dataset {dataset_id!r} is read from a {dataset.source_kind.value} source, "
                f"not a {ref.kind.value} one"
            )
        outcome = self._inspect(ref, schema=dataset.fields, overrides={})
        self._refuse_if_bad(caller, event, outcome, lenient)
        same = self.store.find_version_by_hash(dataset_id, outcome.content_hash)
        if same is not None:
            self.store.record(
                replace(
                    event,
                    reason=f"{event.reason}; identical to version {same.number}, so no new version",
                ).with_details(unchanged=True, version=same.number)
            )
            return IngestReport(dataset, same, outcome.problems, unchanged=True)
        return self._commit(
            event,
            dataset,
            ref,
            outcome,
            lambda v, e: (self.store.add_version(v, audit=e), self.store.get_dataset(dataset_id))[
                1
            ],
        )

    def classify(
        self,
        caller: Caller,
        dataset_id: str,
        field_name: str,
        *,
        category: Category | None = None,
        semantic_type: SemanticType | None = None,
        description: str | None = None,
        reason: str = "",
    ) -> Dataset:
        """The owner confirms Accord's suggestion for a field, or overrides it.

        As for :meth:`ingest`, who may is decided before the dataset is looked up.
        ``reason``, why an override differs from the suggestion, goes to the audit log.
        """
        organisation = _organisation_of(dataset_id)
        verdict = can_publish(caller, organisation)
        if not verdict.allowed:
            raise refuse(
                self.store,
                caller,
                "dataset.classify",
                f"dataset:{dataset_id}",
                organisation,
                verdict.reason,
                field=field_name,
            )
        dataset = self.store.get_dataset(dataset_id)
        try:
            spec = dataset.field(field_name)
        except KeyError:
            raise NotFoundError(
                f"dataset {dataset_id!r} has no field {field_name!r}; it has "
                + ", ".join(f.name for f in dataset.fields)
            ) from None
        updated = replace(
            spec,
            category=category or spec.category,
            semantic_type=semantic_type or spec.semantic_type,
            description=spec.description if description is None else description,
            confirmed=True,
        )
        event = authorise(
            self.store,
            caller,
            verdict,
            action="dataset.classify",
            obj=f"dataset:{dataset_id}",
            organisation=dataset.organisation_id,
            field=field_name,
            category=updated.category.value,
            semantic_type=updated.semantic_type.value,
            was={"category": spec.category.value, "semantic_type": spec.semantic_type.value},
            **({"because": reason} if reason else {}),
        )
        return self.store.update_field(dataset_id, updated, audit=event)

    # -- internals -----------------------------------------------------------------

    def _inspect(
        self,
        ref: SourceRef,
        *,
        schema: tuple[FieldSpec, ...] | None,
        overrides: dict[str, SemanticType],
    ) -> Any:
        # Imported here: the ingest readers pull in pyarrow and DuckDB, which a caller
        # that only reads the catalogue need not load.
        from accord import ingest

        if ref.kind is SourceKind.FILE:
            return ingest.inspect_file(
                Path(ref.location), schema=schema, overrides=overrides, limits=self.limits
            )
        if ref.kind is SourceKind.DUCKDB:
            return ingest.inspect_duckdb_table(
                Path(ref.location), ref.table, schema=schema, overrides=overrides
            )
        return ingest.inspect_postgres_table(
            ref.location, ref.table, schema=schema, overrides=overrides
        )

    def _refuse_if_bad(
        self, caller: Caller, event: AuditEvent, outcome: Any, lenient: bool
    ) -> None:
        problems: tuple[Problem, ...] = tuple(outcome.problems)
        # An in-place table keeps its bad rows where they are: there is nothing to
        # quarantine them from, so lenient mode cannot apply and strict rules hold.
        in_place = outcome.table is None and not outcome.fatal
        if not problems or (lenient and not outcome.fatal and not in_place):
            return
        if outcome.fatal:
            mode = "the file"
        elif in_place:
            mode = "an in-place table's bad rows cannot be quarantined: fix them at source"
        else:
            mode = "strict mode refuses the whole file"
        reason = f"{len(problems)} problem(s); {mode}; nothing was committed"
        self.store.record(
            replace(event, reason=reason, decision=Decision.DENY).with_details(
                bad_rows=outcome.bad_rows, problems=_summary(problems)
            )
        )
        listed = "\n".join(f"  {p}" for p in problems[:_SHOWN_PROBLEMS])
        more = (
            f"\n  … and {len(problems) - _SHOWN_PROBLEMS} more"
            if len(problems) > _SHOWN_PROBLEMS
            else ""
        )
        hint = ""
        if not (outcome.fatal or in_place):
            hint = "\nUse --lenient to quarantine the bad rows and load the rest."
        raise ValidationError(f"{reason}:\n{listed}{more}{hint}", problems=problems)

    def _commit(
        self, event: AuditEvent, dataset: Dataset, ref: SourceRef, outcome: Any, save: Any
    ) -> IngestReport:
        number = dataset.latest_version + 1
        written: list[Path] = []
        quarantine: Path | None = None
        try:
            if ref.kind is SourceKind.FILE:
                target = (
                    self.data_dir / dataset.organisation_id / dataset.name / f"v{number}.parquet"
                )
                from accord import ingest

                ingest.write_parquet_atomic(outcome.table, target)
                written.append(target)
                location = str(target)
            else:
                location = ref.display()
            if outcome.quarantine is not None and outcome.bad_rows:
                quarantine = self._write_quarantine(dataset, number, outcome.quarantine)
                written.append(quarantine)
            version = DatasetVersion(
                dataset_id=dataset.id,
                number=number,
                row_count=outcome.row_count,
                content_hash=outcome.content_hash,
                created_at=self.store.clock(),
                location=location,
                quarantined_rows=outcome.bad_rows,
            )
            saved = save(
                version,
                event.with_details(
                    version=number,
                    rows=outcome.row_count,
                    quarantined_rows=outcome.bad_rows,
                    content_hash=outcome.content_hash,
                    source=ref.display(),
                ),
            )
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        return IngestReport(saved, version, tuple(outcome.problems), quarantine)

    def _write_quarantine(self, dataset: Dataset, number: int, table: Any) -> Path:
        target = (
            self.data_dir.parent
            / "quarantine"
            / dataset.organisation_id
            / f"{dataset.name}-v{number}.csv"
        )
        columns = list(table.column_names)
        with (
            atomic_path(target, mode=0o600) as tmp,
            tmp.open("w", newline="", encoding="utf-8") as handle,
        ):
            writer = csv.writer(handle)
            writer.writerow(safe_row(columns))
            # The rows' original text: a number that failed its type stays as it came.
            for row in table.to_pylist():
                writer.writerow(safe_row((row[c] for c in columns), keep_numbers=True))
        return target
