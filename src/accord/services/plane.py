"""The governed data plane: no row leaves except through here.

authorise (agreement active and in date, caller entitled, channel allowed, assurance
valid) → compile the agreement to a plan (cached by agreement and dataset version) →
run it where the data lives → audit → release. The audit event is committed before
the output is released: an extract is written under a temporary name and renamed into
place only after its event is in the log, so if the audit write fails nothing leaves.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import tempfile
import threading
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlglot import exp

from accord.core.audit import AuditEvent, Decision
from accord.core.catalogue import Dataset, DatasetVersion, SourceKind
from accord.core.expressions import check, parse, to_sqlglot
from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import RequestedForm
from accord.core.identifiers import normalise_nhs_number, normalise_nino
from accord.core.identity import Role
from accord.core.permissions import Caller, Verdict
from accord.core.plan.aggregate_query import release_form
from accord.core.plan.authorise import PlaneChannel, can_use, hides_agreement
from accord.core.plan.compiler import OptOutFilter, Plan, compile_plan, quoted
from accord.core.plan.query import check_query
from accord.core.plan.transforms import normalise_identifier
from accord.core.vocabulary import SemanticType
from accord.disclosure.anonymity import anonymise_release
from accord.disclosure.query_controls import control_query
from accord.engine.duckdb_engine import OPT_OUT_TABLE, DuckDBSource, source_table
from accord.engine.postgres_engine import PostgresSource
from accord.errors import NotFoundError, ValidationError
from accord.fsutil import atomic_path, fsync_directory, write_atomic
from accord.keys import KeyStore
from accord.pseudonymise.domain_keys import DomainKeyStore
from accord.pseudonymise.vectorised import pseudonymise_batches
from accord.services.guard import authorise, refuse
from accord.store import Store

__all__ = ["OPT_OUT_TYPES", "ExtractResult", "PlaneService", "QueryResult", "view_name"]

MAX_QUERY_ROWS = 100_000
QUERY_SECONDS = 60.0


def view_name(dataset: Dataset) -> str:
    """What a recipient calls a dataset in SQL: ``dwp_carers_allowance``."""
    return f"{dataset.organisation_id}_{dataset.name}".replace("-", "_").replace(".", "_")


OPT_OUT_TYPES = {SemanticType.NINO: "nino", SemanticType.NHS_NUMBER: "nhs_number"}
_NORMALISE = {"nino": normalise_nino, "nhs_number": normalise_nhs_number}
SUPPLIED_TABLE = "accord_supplied"


@dataclass(frozen=True, slots=True)
class QueryResult:
    table: pa.Table
    truncated: bool
    views: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExtractResult:
    path: Path
    manifest_path: Path
    rows: int
    sha256: str
    plan: Plan


class PlaneService:
    def __init__(self, store: Store, keys: KeyStore, *, home: Path) -> None:
        self.store = store
        self.domains = DomainKeyStore(keys)
        self.materialised = home / "materialised"
        self._plans: dict[tuple[str, int, str, int], Plan] = {}

    # -- opt-outs ----------------------------------------------------------------------

    def add_opt_outs(
        self, caller: Caller, organisation: str, identifier_type: str, identifiers: Sequence[str]
    ) -> int:
        """Register identifiers that no non-statistical share of ``organisation`` includes."""
        normalise = _NORMALISE.get(identifier_type)
        if normalise is None:
            raise ValidationError(
                f"identifier type {identifier_type!r} is not one of {', '.join(_NORMALISE)}"
            )
        verdict = (
            Verdict(True, "local operator")
            if caller.operator
            else Verdict(
                caller.has_role(organisation, Role.DATA_OWNER, Role.DPO),
                f"a data owner or DPO of {organisation!r} keeps its opt-out register",
            )
        )
        event = authorise(
            self.store,
            caller,
            verdict,
            action="optout.add",
            obj=f"optouts:{organisation}:{identifier_type}",
            organisation=organisation,
            count=len(identifiers),
        )
        values = sorted({normalise(v) for v in identifiers if v.strip()})
        return self.store.add_opt_outs(
            organisation, identifier_type, values, self.store.clock(), audit=event
        )

    # -- authorisation and plans -------------------------------------------------------

    def _agreement_for(
        self, caller: Caller, agreement_id: str, channel: PlaneChannel, action: str
    ) -> AgreementRecord:
        try:
            agreement = self.store.get_agreement(agreement_id)
        except NotFoundError:
            raise refuse(
                self.store, caller, action, f"agreement:{agreement_id}", "", "no such agreement"
            ) from None
        if hides_agreement(caller, agreement):
            self.store.record(
                AuditEvent(
                    actor=caller.actor,
                    action=action,
                    object=f"agreement:{agreement_id}",
                    organisation=agreement.policy.recipient,
                    decision=Decision.DENY,
                    reason="the caller's organisation is not the recipient; answered as not found",
                )
            )
            raise NotFoundError(f"no agreement {agreement_id!r}")
        recipient = self.store.get_organisation(agreement.policy.recipient)
        authorise(
            self.store,
            caller,
            can_use(caller, agreement, channel, recipient, self._today()),
            action=action,
            obj=f"agreement:{agreement.id}:v{agreement.version}",
            organisation=agreement.policy.recipient,
        )
        return agreement

    def authorised_agreement(
        self, caller: Caller, agreement_id: str, channel: PlaneChannel, action: str
    ) -> AgreementRecord:
        """The agreement, once ``caller`` may use it through ``channel`` (refusals audited)."""
        return self._agreement_for(caller, agreement_id, channel, action)

    def _today(self) -> date:
        return self.store.clock().date()

    def plan(
        self, agreement: AgreementRecord, dataset_id: str
    ) -> tuple[Plan, Dataset, DatasetVersion]:
        """The compiled plan for the dataset's latest version, from the cache when it is there."""
        dataset = self.store.get_dataset(dataset_id)
        if dataset_id not in [d.dataset for d in agreement.policy.datasets]:
            raise ValidationError(
                f"agreement {agreement.id} does not cover {dataset_id}; it covers "
                + ", ".join(d.dataset for d in agreement.policy.datasets)
            )
        version = self.store.get_version(dataset_id)
        key = (agreement.id, agreement.version, dataset_id, version.number)
        cached = self._plans.get(key)
        if cached is not None:
            return cached, dataset, version
        schema = {f.name: f.data_type for f in dataset.fields}
        agreed = agreement.policy.dataset(dataset_id)
        cohort = None
        if agreed.cohort.strip():
            typed = check(parse(agreed.cohort), schema, source=agreed.cohort)
            cohort = to_sqlglot(typed, agreement.policy.valid_from)
        flags = {}
        for field in agreed.fields:
            if field.transform.kind.value == "flag":
                typed = check(
                    parse(field.transform.argument), schema, source=field.transform.argument
                )
                flags[field.name] = to_sqlglot(typed, agreement.policy.valid_from)
        opt_out = self._opt_out_filter(dataset)
        plan = compile_plan(
            agreement.policy,
            dataset,
            version.number,
            source=source_table(dataset.source_kind, version.location),
            reference_date=agreement.policy.valid_from,
            cohort=cohort,
            flags=flags,
            opt_out=opt_out,
        )
        self._plans[key] = plan
        return plan, dataset, version

    @staticmethod
    def _opt_out_filter(dataset: Dataset) -> OptOutFilter | None:
        for spec in dataset.fields:
            if spec.semantic_type in OPT_OUT_TYPES:
                return OptOutFilter(
                    spec.name, spec.semantic_type, exp.table_(OPT_OUT_TABLE, quoted=True)
                )
        return None

    def _opt_outs(self, dataset: Dataset) -> list[str]:
        filter_ = self._opt_out_filter(dataset)
        if filter_ is None:
            return []
        return self.store.list_opt_outs(
            dataset.organisation_id, OPT_OUT_TYPES[filter_.semantic_type]
        )

    def _rows(
        self, plan: Plan, dataset: Dataset, version: DatasetVersion
    ) -> Iterator[pa.RecordBatch]:
        if dataset.source_kind is SourceKind.POSTGRES:
            batches = PostgresSource(version).batches(plan.sql("postgres"), self._opt_outs(dataset))
        else:
            source = DuckDBSource(version, dataset.source_kind)
            batches = source.batches(plan.sql("duckdb"), self._opt_outs(dataset))
        keys = {column: self._domain_key(domain) for column, domain in plan.pseudonymised.items()}
        return pseudonymise_batches(batches, keys) if keys else batches

    def _domain_key(self, domain: str) -> bytes:
        self.domains.ensure(domain)
        return self.domains.key(domain).material

    # -- channels ------------------------------------------------------------------

    def extract(
        self,
        caller: Caller,
        agreement_id: str,
        dataset_id: str,
        out_dir: Path,
        *,
        fmt: str = "parquet",
    ) -> ExtractResult:
        """The governed extract: Parquet or CSV, written atomically, with a manifest."""
        if fmt not in ("parquet", "csv"):
            raise ValidationError(f"--format {fmt!r} must be parquet or csv")
        agreement = self._agreement_for(caller, agreement_id, PlaneChannel.EXTRACT, "extract.run")
        plan, dataset, version = self.plan(agreement, dataset_id)
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = (
            f"{agreement.id}-v{agreement.version}-"
            f"{dataset.organisation_id}-{dataset.name}-v{version.number}"
        )
        target = out_dir / f"{stem}.{fmt}"
        fd, temporary_name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".tmp", dir=out_dir)
        os.close(fd)
        temporary = Path(temporary_name)
        anonymity: dict[str, Any] = {}
        try:
            batches = self._rows(plan, dataset, version)
            if release_form(agreement.policy) is RequestedForm.ANONYMISED:
                batches, anonymity = anonymise_release(
                    batches, plan, dataset, agreement.policy.output_controls
                )
            rows, digest = _write(batches, temporary, fmt, plan.pseudonymised)
            event = AuditEvent(
                actor=caller.actor,
                action="extract.release",
                object=f"agreement:{agreement.id}:v{agreement.version}",
                organisation=agreement.policy.recipient,
                reason=f"governed extract of {dataset.id} v{version.number}",
                details={
                    "agreement": agreement.id,
                    "agreement_version": agreement.version,
                    "policy_sha256": agreement.policy.sha256(),
                    "dataset": dataset.id,
                    "dataset_version": version.number,
                    "rows_out": rows,
                    "output_sha256": digest,
                    "format": fmt,
                    "opt_outs_applied": plan.opt_out,
                    **({"anonymity": anonymity} if anonymity else {}),
                    **({"via": caller.via} if caller.via else {}),
                },
            )
            self.store.record(event)  # fail closed: no event, no release
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        os.replace(temporary, target)
        fsync_directory(out_dir)
        manifest = _manifest(plan, agreement, target, rows, digest)
        if anonymity:
            manifest["anonymity"] = anonymity
        manifest_path = out_dir / f"{stem}.manifest.json"
        write_atomic(
            manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
        )
        return ExtractResult(target, manifest_path, rows, digest, plan)

    def materialise(self, agreement: AgreementRecord, dataset_id: str) -> Path:
        """The governed view as Parquet, for this agreement version, dataset version and
        opt-out register; made once, then reused (in-place queries, open-protocol shares)."""
        plan, dataset, version = self.plan(agreement, dataset_id)
        opted = hashlib.sha256("\n".join(self._opt_outs(dataset)).encode()).hexdigest()[:12]
        target = (
            self.materialised
            / f"{agreement.id}-v{agreement.version}"
            / f"{view_name(dataset)}-v{version.number}-{opted}.parquet"
        )
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(target, mode=0o600) as temporary:
                # Written once and read many times (shares, in-place queries): every
                # column compressed, pseudonyms too, since each read moves the bytes.
                _write(self._rows(plan, dataset, version), temporary, "parquet")
        return target

    def governed_schema(self, agreement: AgreementRecord, dataset_id: str) -> pa.Schema:
        """The Arrow schema of the governed view, from the same pipeline with no rows.

        Test packages are made in exactly this schema without reading a single row.
        """
        plan, dataset, version = self.plan(agreement, dataset_id)
        empty = replace(plan, query=plan.query.limit(0))
        schema: pa.Schema | None = None
        for batch in self._rows(empty, dataset, version):
            schema = batch.schema
        if schema is None:
            raise ValidationError(f"the plan for {dataset_id} produced no schema")
        return schema

    def write_governed(
        self, agreement: AgreementRecord, dataset_id: str, path: Path
    ) -> tuple[Plan, DatasetVersion, int, str]:
        """The governed view as Parquet at ``path``: plan, dataset version, rows, SHA-256.

        For a caller that has authorised and will audit the release itself (a package
        is sent by the data owner, not pulled by the recipient as an extract is).
        """
        plan, dataset, version = self.plan(agreement, dataset_id)
        rows, digest = _write(
            self._rows(plan, dataset, version), path, "parquet", plan.pseudonymised
        )
        return plan, version, rows, digest

    def query(
        self,
        caller: Caller,
        agreement_id: str,
        sql: str,
        *,
        max_rows: int = MAX_QUERY_ROWS,
        seconds: float = QUERY_SECONDS,
    ) -> QueryResult:
        """The recipient's SELECT over the agreement's views, in place, within limits."""
        agreement = self._agreement_for(caller, agreement_id, PlaneChannel.QUERY, "query.run")
        datasets = {
            view_name(self.store.get_dataset(d.dataset)): d.dataset
            for d in agreement.policy.datasets
        }
        fields = {}
        for name, dataset_id in datasets.items():
            plan, _, _ = self.plan(agreement, dataset_id)
            fields[name] = frozenset(c.name for c in plan.outputs)
        obj = f"agreement:{agreement.id}:v{agreement.version}"
        query_hash = hashlib.sha256(sql.encode()).hexdigest()
        try:
            checked = check_query(sql, fields)
            control = control_query(checked, agreement.policy)
        except ValidationError as exc:
            raise refuse(
                self.store,
                caller,
                "query.run",
                obj,
                agreement.policy.recipient,
                exc.message,
                sql_sha256=query_hash,
            ) from exc
        # The agreement's cap is a hard limit; a caller may only ask for less.
        max_rows = min(max_rows, agreement.policy.output_controls.max_rows_per_query)
        limited = exp.select("*").from_(control.tree.subquery("accord_query")).limit(max_rows + 1)
        con = duckdb.connect()
        try:
            for name in sorted(checked.views):
                path = self.materialise(agreement, datasets[name])
                con.read_parquet(str(path)).create(name)
            # Nothing the query does may reach a file or the network.
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
            timer = threading.Timer(seconds, con.interrupt)
            timer.start()
            try:
                table = con.sql(limited.sql(dialect="duckdb")).to_arrow_table()
            except duckdb.InterruptException as exc:
                raise refuse(
                    self.store,
                    caller,
                    "query.run",
                    obj,
                    agreement.policy.recipient,
                    f"the query ran past its {seconds:g} second limit",
                    sql_sha256=query_hash,
                ) from exc
            except duckdb.Error as exc:
                raise ValidationError(f"query failed: {exc}") from exc
            finally:
                timer.cancel()
        finally:
            con.close()
        truncated = table.num_rows > max_rows
        table, controls = control.release(table.slice(0, max_rows))
        self.store.record(
            AuditEvent(
                actor=caller.actor,
                action="query.release",
                object=obj,
                organisation=agreement.policy.recipient,
                reason=f"in-place query over {', '.join(sorted(checked.views))}",
                details={
                    "sql_sha256": query_hash,
                    "views": sorted(checked.views),
                    "rows_out": table.num_rows,
                    "truncated": truncated,
                    **({"output_controls": controls} if controls else {}),
                    "policy_sha256": agreement.policy.sha256(),
                    **({"via": caller.via} if caller.via else {}),
                },
            )
        )
        return QueryResult(table, truncated, tuple(sorted(checked.views)))

    def check(
        self, caller: Caller, agreement_id: str, dataset_id: str, identifiers: Sequence[str]
    ) -> dict[str, bool]:
        """Per-record yes/no: is each supplied person in the agreement's cohort?

        Only where the agreement allows per-record answers; otherwise batch validation
        (a proportion, never which records) is the channel.
        """
        agreement = self._agreement_for(caller, agreement_id, PlaneChannel.CHECK, "check.run")
        plan, dataset, version = self.plan(agreement, dataset_id)
        opt = self._opt_out_filter(dataset)
        if opt is None:
            raise ValidationError(f"{dataset_id} has no NINO or NHS number to check against")
        normalise = _NORMALISE[OPT_OUT_TYPES[opt.semantic_type]]
        supplied = {value: normalise(value) for value in identifiers}
        identifier = normalise_identifier(quoted(opt.column), opt.semantic_type)
        supplied_table = exp.table_(SUPPLIED_TABLE, quoted=True)
        condition: exp.Expr = exp.In(
            this=identifier.copy(),
            query=exp.select(exp.column("identifier", quoted=True))
            .from_(supplied_table)
            .subquery(),
        )
        where = plan.query.args.get("where")
        if where is not None:
            condition = exp.and_(where.this.copy(), condition)
        matched = (
            exp.select(exp.alias_(identifier, "identifier", quoted=True))
            .distinct()
            .from_(plan.rows())
            .where(condition)
        )
        wanted = sorted(set(supplied.values()))
        if dataset.source_kind is SourceKind.POSTGRES:
            batches = PostgresSource(version).batches(
                matched.sql(dialect="postgres"), self._opt_outs(dataset), {SUPPLIED_TABLE: wanted}
            )
            found = {v for batch in batches for v in batch.column(0).to_pylist()}
        else:
            source = DuckDBSource(version, dataset.source_kind)
            with source.connect(self._opt_outs(dataset)) as con:
                con.register(
                    SUPPLIED_TABLE, pa.table({"identifier": pa.array(wanted, pa.string())})
                )
                found = {row[0] for row in con.sql(matched.sql(dialect="duckdb")).fetchall()}
        answers = {value: norm in found for value, norm in supplied.items()}
        self.store.record(
            AuditEvent(
                actor=caller.actor,
                action="check.release",
                object=f"agreement:{agreement.id}:v{agreement.version}",
                organisation=agreement.policy.recipient,
                reason=f"per-record eligibility check against {dataset_id} v{version.number}",
                details={
                    "supplied": len(answers),
                    "answered_yes": sum(answers.values()),
                    "policy_sha256": agreement.policy.sha256(),
                    **({"via": caller.via} if caller.via else {}),
                },
            )
        )
        return answers


class _HashingFile:
    """A write-only file that hashes what passes through it, so the output's SHA-256 is
    known when the last byte is written, without reading the file back."""

    def __init__(self, path: Path) -> None:
        self._handle = path.open("wb")
        self.digest = hashlib.sha256()
        self.closed = False

    def write(self, data: bytes | memoryview) -> int:
        self.digest.update(data)
        return self._handle.write(data)

    def flush(self) -> None:
        self._handle.flush()

    def tell(self) -> int:
        return self._handle.tell()

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self.closed = True


_DONE = object()


def _write(
    batches: Iterator[pa.RecordBatch],
    path: Path,
    fmt: str,
    pseudonyms: Collection[str] = (),
) -> tuple[int, str]:
    """Write the batches; return the row count and the file's SHA-256.

    Writing runs in its own thread (Arrow's writers release the GIL), so encoding and
    compressing one batch overlaps producing and pseudonymising the next. In Parquet,
    the ``pseudonyms`` columns are stored plain: a dictionary never pays for values
    that are unique per person, and zstd only halves hex digests at about the CPU cost
    of computing them. Every other column is dictionary-encoded and zstd-compressed.
    """
    sink = _HashingFile(path)
    chunks: queue.Queue[Any] = queue.Queue(maxsize=4)
    failure: list[BaseException] = []
    rows = 0

    def consume() -> None:
        writer: Any = None
        try:
            while (batch := chunks.get()) is not _DONE:
                if writer is None:
                    stream = pa.PythonFile(sink, mode="w")
                    writer = (
                        _parquet_writer(stream, batch.schema, pseudonyms)
                        if fmt == "parquet"
                        else pacsv.CSVWriter(stream, batch.schema)
                    )
                writer.write_batch(batch)
            if writer is not None:
                writer.close()
        except BaseException as exc:  # reported to the producer below
            failure.append(exc)
            # Drain what is queued so the producer never blocks on a full queue.
            while chunks.get() is not _DONE:
                continue

    thread = threading.Thread(target=consume, name="extract-writer", daemon=True)
    thread.start()
    produced = False
    try:
        for batch in batches:
            produced = True
            rows += batch.num_rows
            chunks.put(batch)
            if failure:
                break
    finally:
        chunks.put(_DONE)
        thread.join()
        sink.close()
    if failure:
        raise failure[0]
    if not produced:
        raise ValidationError("the plan produced no output batches")
    return rows, sink.digest.hexdigest()


def _parquet_writer(
    stream: pa.NativeFile, schema: pa.Schema, pseudonyms: Collection[str]
) -> pq.ParquetWriter:
    plain = set(pseudonyms)
    return pq.ParquetWriter(
        stream,
        schema,
        compression={name: "none" if name in plain else "zstd" for name in schema.names},
        use_dictionary=[name for name in schema.names if name not in plain],
        # The minimum and maximum of a page of digests say nothing worth their cost.
        write_statistics=[name for name in schema.names if name not in plain],
    )


def _manifest(
    plan: Plan, agreement: AgreementRecord, path: Path, rows: int, digest: str
) -> dict[str, Any]:
    return {
        "file": path.name,
        "rows": rows,
        "sha256": digest,
        "agreement": agreement.id,
        "agreement_version": agreement.version,
        "policy_sha256": agreement.policy.sha256(),
        "dataset": plan.dataset_id,
        "dataset_version": plan.dataset_version,
        "columns": [{"name": c.name, "transform": c.transform} for c in plan.outputs],
        "cohort": plan.cohort,
        "opt_outs_applied": plan.opt_out,
    }
