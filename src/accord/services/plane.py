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
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlglot import exp

from accord.core.audit import AuditEvent, Decision
from accord.core.catalogue import Dataset, DatasetVersion, SourceKind
from accord.core.expressions import check, parse, to_sqlglot
from accord.core.governance.records import AgreementRecord
from accord.core.identifiers import normalise_nhs_number, normalise_nino
from accord.core.identity import Role
from accord.core.permissions import Caller, Verdict
from accord.core.plan.authorise import PlaneChannel, can_use, hides_agreement
from accord.core.plan.compiler import OptOutFilter, Plan, compile_plan
from accord.core.vocabulary import SemanticType
from accord.engine.duckdb_engine import OPT_OUT_TABLE, DuckDBSource, source_table
from accord.errors import NotFoundError, ValidationError
from accord.fsutil import fsync_directory, write_atomic
from accord.keys import KeyStore
from accord.pseudonymise.domain_keys import DomainKeyStore
from accord.pseudonymise.vectorised import pseudonymise_batches
from accord.services.guard import authorise, refuse
from accord.store import Store

__all__ = ["OPT_OUT_TYPES", "ExtractResult", "PlaneService"]

OPT_OUT_TYPES = {SemanticType.NINO: "nino", SemanticType.NHS_NUMBER: "nhs_number"}
_NORMALISE = {"nino": normalise_nino, "nhs_number": normalise_nhs_number}


@dataclass(frozen=True, slots=True)
class ExtractResult:
    path: Path
    manifest_path: Path
    rows: int
    sha256: str
    plan: Plan


class PlaneService:
    def __init__(self, store: Store, keys: KeyStore) -> None:
        self.store = store
        self.domains = DomainKeyStore(keys)
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
            raise ValidationError("governed extracts from PostgreSQL sources are not available yet")
        source = DuckDBSource(version, dataset.source_kind)
        batches = source.batches(plan.sql("duckdb"), self._opt_outs(dataset))
        keys = {column: self._domain_key(domain) for column, domain in plan.pseudonymised.items()}
        return pseudonymise_batches(batches, keys) if keys else batches

    def _domain_key(self, domain: str) -> bytes:
        if not self.domains.exists(domain):
            self.domains.create(domain)
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
        try:
            rows = _write(self._rows(plan, dataset, version), temporary, fmt)
            digest = _sha256(temporary)
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
        manifest_path = out_dir / f"{stem}.manifest.json"
        write_atomic(
            manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
        )
        return ExtractResult(target, manifest_path, rows, digest, plan)


def _write(batches: Iterator[pa.RecordBatch], path: Path, fmt: str) -> int:
    rows = 0
    writer: Any = None
    try:
        for batch in batches:
            if writer is None:
                writer = (
                    pq.ParquetWriter(path, batch.schema, compression="zstd")
                    if fmt == "parquet"
                    else pacsv.CSVWriter(path, batch.schema)
                )
            writer.write_batch(batch)
            rows += batch.num_rows
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise ValidationError("the plan produced no output batches")
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())
    return rows


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
