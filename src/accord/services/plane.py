"""The governed data plane: no row leaves except through here.

:meth:`PlaneService.release` is the one release path. It authorises a caller for an
agreement, a dataset and a channel against every term of the agreement
(:func:`accord.core.plan.release.can_release`: caller entitled, agreement active and
in date, channel named, the assurance it requires, territory and processor declared,
frequency, test exchange), compiles the agreement to a plan (cached by agreement and
dataset version) and returns a :class:`GovernedRelease`, the only thing an executor
(:mod:`accord.engine.executor`) runs. Every channel goes through it: extracts, queries,
per-record checks, Delta Sharing, packages, governed linkage, aggregates and batch
validation. Every refusal is written to the audit log as a ``deny`` event with its
reason, and so is a failure inside the engine (its message scrubbed of data values).

The audit event is committed before the output is released: an extract is written
under a temporary name and renamed into place only after its event is in the log, so
if the audit write fails nothing leaves.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from accord.core import identifiers as ids
from accord.core.audit import AuditEvent
from accord.core.catalogue import Dataset, DatasetVersion
from accord.core.expressions import check, parse, to_sqlglot
from accord.core.expressions.areas import AreaLookup, mentions_in_area
from accord.core.expressions.nodes import Expr
from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import RequestedForm
from accord.core.identity import Role
from accord.core.permissions import Caller, Verdict
from accord.core.plan.aggregate_query import release_form
from accord.core.plan.authorise import LIVE_DELIVERY, PlaneChannel, can_use, hides_agreement
from accord.core.plan.compiler import ErasureFilter, OptOutFilter, Plan, compile_plan, quoted
from accord.core.plan.query import check_query
from accord.core.plan.release import (
    Declared,
    Delivery,
    GovernedRelease,
    ReleaseFacts,
    can_release,
    needs_test_exchange,
)
from accord.core.plan.transforms import normalise_identifier
from accord.core.transfer.manifest import PackageManifest
from accord.core.transfer.schema import schema_sha256
from accord.core.vocabulary import SemanticType
from accord.disclosure.anonymity import anonymise_release
from accord.disclosure.query_controls import control_query
from accord.engine.bounds import bounded_duckdb
from accord.engine.duckdb_engine import OPT_OUT_TABLE, source_table
from accord.engine.executor import EngineError, executor_for, scrub
from accord.engine.writer import write_batches as _write
from accord.errors import LimitExceeded, NotFoundError, ValidationError
from accord.fsutil import TEMP_PREFIX, atomic_path, fsync_directory, write_atomic
from accord.keys import KeyStore
from accord.pseudonymise._kernel import pads
from accord.pseudonymise.domain_keys import DomainKeyStore
from accord.pseudonymise.vectorised import pseudonymise_batches
from accord.services.geography import area_lookup
from accord.services.guard import authorise, refuse
from accord.services.reviews import processor_standing, standing_of
from accord.store import Store
from accord.store.erasure_store import ErasureStore
from accord.store.referrals_store import ReferralsStore
from accord.transfer.package import arrow_columns

__all__ = [
    "OPT_OUT_TYPES",
    "Declared",
    "ExtractResult",
    "GovernedRelease",
    "OptOutCount",
    "PlaneService",
    "QueryResult",
    "view_name",
]

MAX_QUERY_ROWS = 100_000
QUERY_SECONDS = 60.0


def view_name(dataset: Dataset) -> str:
    """What a recipient calls a dataset in SQL: ``dwp_carers_allowance``."""
    return f"{dataset.organisation_id}_{dataset.name}".replace("-", "_").replace(".", "_")


OPT_OUT_TYPES = {SemanticType.NINO: "nino", SemanticType.NHS_NUMBER: "nhs_number"}
_VALID = {
    "nino": (ids.is_valid_nino, "not a valid NINO (two letters, six digits, A-D)"),
    "nhs_number": (
        ids.is_valid_nhs_number,
        "not a valid NHS number (ten digits, the last a modulus 11 check digit)",
    ),
}
SUPPLIED_TABLE = "accord_supplied"
ERASED_PREFIX = "nino-hmac:"
"""How an erased person's keyed reference is stored (``person_reference``)."""


@dataclass(frozen=True, slots=True)
class OptOutCount:
    """One identifier type of an opt-out register: how many entries, and the latest."""

    identifier_type: str
    count: int
    last_added: datetime


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
        self.keys = keys
        self.erasures = ErasureStore(store)
        self.domains = DomainKeyStore(keys)
        self.materialised = home / "materialised"
        self._plans: dict[tuple[tuple[str, int, str, int], bool], Plan] = {}
        self._schemas: dict[tuple[str, int, str, int], pa.Schema] = {}
        self._removed: dict[tuple[tuple[str, int, str, int], str], int] = {}
        self._pads: tuple[str, str] | None = None

    # -- opt-outs ----------------------------------------------------------------------

    def add_opt_outs(
        self, caller: Caller, organisation: str, identifier_type: str, identifiers: Sequence[str]
    ) -> int:
        """Register identifiers that no non-statistical share of ``organisation`` includes.

        Each entry is stored in the one canonical form (``normalise_identifier``) that
        the filter compares against, and must be a valid identifier of its type once
        normalised: an entry that could never match anyone would leave its person in
        every release while the register seemed to hold them. One invalid entry refuses
        the whole batch, naming its position and value, and nothing is written. Blank
        lines (a file's trailing newline) are skipped.
        """
        valid = _VALID.get(identifier_type)
        if valid is None:
            raise ValidationError(
                f"identifier_type {identifier_type!r} is not one of {', '.join(_VALID)}"
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
        # Validated after the verdict: an unauthorised caller learns nothing of the entries.
        is_valid, expected = valid
        values: set[str] = set()
        for position, value in enumerate(identifiers, start=1):
            normal = ids.normalise_identifier(value)
            if not normal:
                continue
            if not is_valid(normal):
                raise ValidationError(
                    f"identifiers[{position}] {value!r} is {expected}; "
                    "nothing of this batch was registered"
                )
            values.add(normal)
        return self.store.add_opt_outs(
            organisation, identifier_type, sorted(values), self.store.clock(), audit=event
        )

    def opt_out_counts(self, caller: Caller, organisation: str) -> list[OptOutCount]:
        """How many people are on ``organisation``'s register, by identifier type, and
        when it last grew: for the data owners and DPOs who keep it, never the entries."""
        verdict = (
            Verdict(True, "local operator")
            if caller.operator
            else Verdict(
                caller.has_role(organisation, Role.DATA_OWNER, Role.DPO),
                f"a data owner or DPO of {organisation!r} keeps its opt-out register",
            )
        )
        if not verdict.allowed:
            raise refuse(
                self.store,
                caller,
                "optout.count",
                f"optouts:{organisation}:",
                organisation,
                verdict.reason,
            )
        return [
            OptOutCount(kind, count, last)
            for kind, count, last in self.store.opt_out_summary(organisation)
        ]

    # -- the release path ----------------------------------------------------------

    def _visible(
        self, caller: Caller, agreement_id: str, channel: PlaneChannel, action: str
    ) -> AgreementRecord:
        """The agreement, if the caller's organisation may know it exists.

        A missing agreement and another organisation's answer exactly alike: the same
        exception and message, and a ``deny`` event either way (whose reason says which,
        for the auditor only).
        """
        message = f"no agreement {agreement_id!r}"
        try:
            agreement = self.store.get_agreement(agreement_id)
        except NotFoundError:
            agreement = None
        if agreement is None or hides_agreement(caller, agreement, channel):
            party = "a party to it" if channel is PlaneChannel.PACKAGE else "its recipient"
            reason = (
                "no such agreement"
                if agreement is None
                else f"the caller's organisation is not {party}; answered as not found"
            )
            refuse(self.store, caller, action, f"agreement:{agreement_id}", "", reason)
            raise NotFoundError(message)
        return agreement

    def release(
        self,
        caller: Caller,
        agreement_id: str,
        dataset_id: str | None,
        channel: PlaneChannel,
        *,
        action: str,
        declared: Declared | None = None,
        test: bool = False,
        details: Mapping[str, Any] | None = None,
    ) -> GovernedRelease:
        """Authorise ``caller`` for one dataset of an agreement through ``channel``.

        ``dataset_id`` may be None when the agreement covers one dataset. The result is
        the only thing an executor runs; its ``event`` is the allow event, which the
        channel writes with what it released. A refusal is recorded and raised.
        """
        releases = self._authorise(
            caller,
            agreement_id,
            None if dataset_id is None else (dataset_id,),
            channel,
            action=action,
            declared=declared or Declared(),
            test=test,
            details=details or {},
            single=True,
        )
        return releases[0]

    def releases(
        self, caller: Caller, agreement_id: str, channel: PlaneChannel, *, action: str
    ) -> tuple[GovernedRelease, ...]:
        """One release per dataset the agreement covers, authorised together (queries)."""
        return self._authorise(
            caller,
            agreement_id,
            None,
            channel,
            action=action,
            declared=Declared(),
            test=False,
            details={},
            single=False,
        )

    def _authorise(
        self,
        caller: Caller,
        agreement_id: str,
        dataset_ids: tuple[str, ...] | None,
        channel: PlaneChannel,
        *,
        action: str,
        declared: Declared,
        test: bool,
        details: Mapping[str, Any],
        single: bool,
    ) -> tuple[GovernedRelease, ...]:
        agreement = self._visible(caller, agreement_id, channel, action)
        policy = agreement.policy
        obj = f"agreement:{agreement.id}:v{agreement.version}"
        covered = [d.dataset for d in policy.datasets]
        if dataset_ids is None:
            if single and len(covered) != 1:
                raise refuse(
                    self.store,
                    caller,
                    action,
                    obj,
                    policy.recipient,
                    f"name the dataset: agreement {agreement.id} covers " + ", ".join(covered),
                )
            dataset_ids = tuple(covered)
        for dataset_id in dataset_ids:
            if dataset_id not in covered:
                raise refuse(
                    self.store,
                    caller,
                    action,
                    obj,
                    policy.recipient,
                    f"agreement {agreement.id} does not cover {dataset_id}; it covers "
                    + ", ".join(covered),
                    dataset=dataset_id,
                )
        datasets = {d: self.store.get_dataset(d) for d in dataset_ids}
        owner = datasets[dataset_ids[0]].organisation_id
        organisation = owner if channel is PlaneChannel.PACKAGE else policy.recipient
        recipient = self.store.get_organisation(policy.recipient)
        now = self.store.clock()
        review = standing_of(self.store, agreement)
        context = {
            "channel": channel.value,
            "datasets": list(dataset_ids),
            **declared.details(),
            **details,
        }
        # Who may, and what the agreement allows, first: nothing is read for a caller
        # who may not use the agreement at all.
        authorise(
            self.store,
            caller,
            can_use(
                caller,
                agreement,
                channel,
                recipient,
                now.date(),
                review=review,
                owner=owner,
                test=test,
            ),
            action=action,
            obj=obj,
            organisation=organisation,
            **context,
        )
        erased = self._erased(agreement)
        plans = {d: self._plan(agreement, d, erasing=bool(erased)) for d in dataset_ids}
        schemas: dict[str, str] = {}
        receipted: dict[str, frozenset[str]] = {}
        if needs_test_exchange(agreement, channel, test):
            for dataset_id, (plan, dataset, version) in plans.items():
                schemas[dataset_id] = schema_sha256(
                    arrow_columns(self._schema(agreement, plan, dataset, version))
                )
                receipted[dataset_id] = frozenset(
                    self.store.receipted_test_schemas(agreement.id, dataset_id)
                )
        facts = ReleaseFacts(
            recipient=recipient,
            now=now,
            dataset_ids=dataset_ids,
            review=review,
            processor_review=processor_standing(self.store, agreement, declared.processor),
            owner=owner,
            test=test,
            declared=declared,
            deliveries=(
                self._deliveries(agreement) if channel in LIVE_DELIVERY and not test else ()
            ),
            schemas=schemas,
            receipted_tests=receipted,
            subcontractors=(
                tuple(ReferralsStore(self.store).approvals(owners=policy.data_owners))
                if policy.processors
                else ()
            ),
        )
        event = authorise(
            self.store,
            caller,
            can_release(caller, agreement, channel, facts),
            action=action,
            obj=obj,
            organisation=organisation,
            **context,
            **({"schema_sha256": schemas} if schemas else {}),
        )
        return tuple(
            GovernedRelease(
                agreement=agreement,
                dataset=dataset,
                version=version,
                plan=plan,
                channel=channel,
                reason=event.reason,
                event=event,
                opt_outs=tuple(self._opt_outs(dataset)),
                erased=erased if plan.erasure_fields else (),
                erasure_pads=self._erasure_pads() if plan.erasure_fields else (),
            )
            for plan, dataset, version in plans.values()
        )

    def _erased(self, agreement: AgreementRecord) -> tuple[str, ...]:
        """The keyed references (hex) of everyone erased under the agreement, whatever
        its version: an accepted erasure outlives the version it was made under."""
        return tuple(
            sorted(
                ref.removeprefix(ERASED_PREFIX)
                for ref in self.erasures.erased_people(agreement.id)
                if ref.startswith(ERASED_PREFIX)
            )
        )

    def _erasure_pads(self) -> tuple[str, str]:
        """The hex HMAC pads of the erasure key, which the plan reads as data."""
        if self._pads is None:
            from accord.services.erasure import ERASURE_KEY

            ipad, opad = pads(self.keys.secret(ERASURE_KEY, create=True))
            self._pads = (ipad.hex(), opad.hex())
        return self._pads

    def _deliveries(self, agreement: AgreementRecord) -> tuple[Delivery, ...]:
        """Live deliveries under this agreement version: extracts, and live packages that
        were receipted or may still be received (an expired, unreceived one never arrived)."""
        found = list(self.store.list_deliveries(agreement.id, agreement.version))
        receipted = {
            r.receipt.transfer_id for r in self.store.list_receipts(agreement_id=agreement.id)
        }
        now = self.store.clock()
        for sent in self.store.list_sent_packages():
            manifest: PackageManifest = PackageManifest.parse(sent.manifest, "manifest")
            if (
                manifest.agreement_id != agreement.id
                or manifest.agreement_version != agreement.version
                or manifest.test
            ):
                continue
            if manifest.transfer_id in receipted or now < manifest.expires_at:
                found.append(
                    Delivery(manifest.dataset_id, manifest.created_at, "package", sent.transfer_id)
                )
        return tuple(found)

    def engine_failed(
        self, caller: Caller, release: GovernedRelease, action: str, exc: EngineError
    ) -> EngineError:
        """Record a release that failed inside the engine (the message is scrubbed)."""
        refuse(
            self.store,
            caller,
            action,
            release.object,
            release.event.organisation,
            f"the engine failed: {exc.message}",
            dataset=release.dataset.id,
        )
        return exc

    def _plan(
        self,
        agreement: AgreementRecord,
        dataset_id: str,
        number: int | None = None,
        *,
        erasing: bool = False,
    ) -> tuple[Plan, Dataset, DatasetVersion]:
        """The compiled plan for the dataset's latest version (or version ``number``), from
        the cache when it is there.

        ``erasing``: someone was erased under the agreement, so the plan carries the
        erasure filter (without erasures it is left out, sparing a keyed hash per row).
        Private: a plan runs only inside a :class:`GovernedRelease`.
        """
        dataset = self.store.get_dataset(dataset_id)
        version = self.store.get_version(dataset_id, number)
        key = ((agreement.id, agreement.version, dataset_id, version.number), erasing)
        cached = self._plans.get(key)
        if cached is not None:
            return cached, dataset, version
        schema = {f.name: f.data_type for f in dataset.fields}
        agreed = agreement.policy.dataset(dataset_id)
        cohort = None
        if agreed.cohort.strip():
            typed = check(parse(agreed.cohort), schema, source=agreed.cohort)
            cohort = to_sqlglot(
                typed, agreement.policy.valid_from, areas=self._areas(agreement, typed.expression)
            )
        flags = {}
        for field in agreed.fields:
            if field.transform.kind.value == "flag":
                typed = check(
                    parse(field.transform.argument), schema, source=field.transform.argument
                )
                flags[field.name] = to_sqlglot(
                    typed,
                    agreement.policy.valid_from,
                    areas=self._areas(agreement, typed.expression),
                )
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
            erasure=self._erasure_filter(dataset) if erasing else None,
        )
        self._plans[key] = plan
        return plan, dataset, version

    def _areas(self, agreement: AgreementRecord, expression: Expr) -> AreaLookup | None:
        """The geography ``in_area`` resolves with, and the recipient's declared districts;
        none when the filter does not use it (no catalogue read for the common case)."""
        if not mentions_in_area(expression):
            return None
        recipient = self.store.get_organisation(agreement.policy.recipient)
        return area_lookup(self.store, recipient.areas)

    @staticmethod
    def _opt_out_filter(dataset: Dataset) -> OptOutFilter | None:
        """The filter over every NINO and NHS-number field of ``dataset``, or None."""
        fields = tuple(
            (spec.name, spec.semantic_type)
            for spec in dataset.fields
            if spec.semantic_type in OPT_OUT_TYPES
        )
        if not fields:
            return None
        return OptOutFilter(fields, exp.table_(OPT_OUT_TABLE, quoted=True))

    @staticmethod
    def _erasure_filter(dataset: Dataset) -> ErasureFilter | None:
        """The filter over the dataset's NINO fields, the first naming the row's person;
        None for a dataset without a NINO (nothing in it is keyed to the person)."""
        fields = tuple(
            spec.name for spec in dataset.fields if spec.semantic_type is SemanticType.NINO
        )
        if not fields:
            return None
        return ErasureFilter(fields[0], fields[1:])

    def _opt_outs(self, dataset: Dataset) -> list[str]:
        """The owner's register for every identifier type the dataset holds, as one list."""
        types = {
            OPT_OUT_TYPES[spec.semantic_type]
            for spec in dataset.fields
            if spec.semantic_type in OPT_OUT_TYPES
        }
        return sorted(
            {v for t in types for v in self.store.list_opt_outs(dataset.organisation_id, t)}
        )

    def opt_outs_applied(self, release: GovernedRelease) -> dict[str, Any]:
        """What the opt-out filter of a release applied to and how many rows it removed,
        for the manifest and the audit event.

        The count is a second ``count(*)`` over the rows the cohort selects that the
        filter excludes, kept per plan and register; with an empty register nothing can
        be removed and no query runs.
        """
        plan = release.plan
        if not plan.opt_out_fields or plan.opted_out_query is None:
            return {"applied": False, "fields": [], "identifier_types": [], "rows_removed": 0}
        key = (plan.key, _register_digest(release.opt_outs))
        removed = self._removed.get(key, 0)
        if release.opt_outs and key not in self._removed:
            counted = release.narrowed(plan.opted_out_query)
            for batch in executor_for(counted).execute(counted):
                removed += sum(v or 0 for v in batch.column(0).to_pylist())
            self._removed[key] = removed
        return {
            "applied": True,
            "fields": [name for name, _ in plan.opt_out_fields],
            "identifier_types": sorted({OPT_OUT_TYPES[t] for _, t in plan.opt_out_fields}),
            "register_entries": len(release.opt_outs),
            "rows_removed": removed,
        }

    def erasures_applied(self, release: GovernedRelease) -> dict[str, Any]:
        """How many people erased under the agreement the release left out, and how many
        rows that removed: counts for the audit event and the manifest, never who.

        The row count is a ``count(*)`` of the rows the cohort selects whose person is
        erased, kept per plan and set of erased people.
        """
        plan = release.plan
        if not plan.erasure_fields or plan.erased_query is None:
            return {"applied": False, "people": 0, "rows_removed": 0}
        key = (plan.key, "erased:" + _register_digest(release.erased))
        removed = self._removed.get(key)
        if removed is None:
            counted = release.narrowed(plan.erased_query)
            removed = 0
            for batch in executor_for(counted).execute(counted):
                removed += sum(v or 0 for v in batch.column(0).to_pylist())
            self._removed[key] = removed
        return {
            "applied": True,
            "fields": list(plan.erasure_fields),
            "people": len(release.erased),
            "rows_removed": removed,
        }

    def _rows(
        self, release: GovernedRelease, tables: Mapping[str, Sequence[str]] | None = None
    ) -> Iterator[pa.RecordBatch]:
        batches = executor_for(release).execute(release, tables=tables)
        keys = {
            column: self._domain_key(domain)
            for column, domain in release.plan.pseudonymised.items()
        }
        return pseudonymise_batches(batches, keys) if keys else batches

    def _released(
        self, release: GovernedRelease
    ) -> tuple[Iterator[pa.RecordBatch], dict[str, Any]]:
        """The rows a per-record channel releases, with what anonymisation did to them.

        Under an ``anonymised`` agreement every per-record channel (extract, package,
        Delta Sharing, the views in-place queries read) leaves only k-anonymous rows,
        so the check runs here, once, rather than in each channel.
        """
        batches = self._rows(release)
        if release_form(release.agreement.policy) is not RequestedForm.ANONYMISED:
            return batches, {}
        return anonymise_release(
            batches, release.plan, release.dataset, release.agreement.policy.output_controls
        )

    def _domain_key(self, domain: str) -> bytes:
        self.domains.ensure(domain)
        return self.domains.key(domain).material

    def _schema(
        self, agreement: AgreementRecord, plan: Plan, dataset: Dataset, version: DatasetVersion
    ) -> pa.Schema:
        """The Arrow schema of the governed view, from the same pipeline with no rows.

        Cached with the plan: what a test exchange is compared against before any live
        per-record release, and what a test package is made in.
        """
        key = plan.key
        cached = self._schemas.get(key)
        if cached is not None:
            return cached
        probe = GovernedRelease(
            agreement=agreement,
            dataset=dataset,
            version=version,
            plan=plan,
            channel=PlaneChannel.PACKAGE,
            reason="the governed schema, no rows",
            event=AuditEvent(actor="accord", action="plan.schema", object=plan.dataset_id),
            query=plan.query.limit(0),
            erasure_pads=self._erasure_pads() if plan.erasure_fields else (),
        )
        schema: pa.Schema | None = None
        for batch in self._rows(probe):
            schema = batch.schema
        if schema is None:
            raise ValidationError(f"the plan for {dataset.id} produced no schema")
        self._schemas[key] = schema
        return schema

    # -- channels ------------------------------------------------------------------

    def extract(
        self,
        caller: Caller,
        agreement_id: str,
        dataset_id: str,
        out_dir: Path,
        *,
        fmt: str = "parquet",
        declared: Declared | None = None,
    ) -> ExtractResult:
        """The governed extract: Parquet or CSV, written atomically, with a manifest.

        A live delivery: counted against the agreement's frequency and refused before a
        receipted test exchange where the agreement requires one. ``declared`` is where
        the extract goes (territory, processor), checked against the agreement.
        """
        if fmt not in ("parquet", "csv"):
            raise ValidationError(f"--format {fmt!r} must be parquet or csv")
        release = self.release(
            caller,
            agreement_id,
            dataset_id,
            PlaneChannel.EXTRACT,
            action="extract.run",
            declared=declared,
        )
        agreement, plan, dataset, version = (
            release.agreement,
            release.plan,
            release.dataset,
            release.version,
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = (
            f"{agreement.id}-v{agreement.version}-"
            f"{dataset.organisation_id}-{dataset.name}-v{version.number}"
        )
        target = out_dir / f"{stem}.{fmt}"
        fd, temporary_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=out_dir)
        os.close(fd)
        temporary = Path(temporary_name)
        anonymity: dict[str, Any] = {}
        try:
            try:
                batches, anonymity = self._released(release)
                rows, digest = _write(batches, temporary, fmt, plan.pseudonymised)
                opt_outs = self.opt_outs_applied(release)
                erasures = self.erasures_applied(release)
            except EngineError as exc:
                raise self.engine_failed(caller, release, "extract.run", exc) from exc
            event = AuditEvent(
                actor=caller.actor,
                action="extract.release",
                object=release.object,
                organisation=agreement.policy.recipient,
                reason=f"governed extract of {dataset.id} v{version.number}: {release.reason}",
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
                    "opt_outs": opt_outs,
                    "erasures": erasures,
                    **(declared.details() if declared else {}),
                    **({"anonymity": anonymity} if anonymity else {}),
                    **({"via": caller.via} if caller.via else {}),
                },
            )
            # Fail closed: no event (and no count against the frequency), no release.
            self.store.record_delivery(
                agreement.id,
                agreement.version,
                Delivery(dataset.id, self.store.clock(), "extract", digest[:16]),
                audit=event,
            )
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        os.replace(temporary, target)
        fsync_directory(out_dir)
        manifest = _manifest(plan, agreement, target, rows, digest)
        manifest["opt_outs"] = opt_outs
        manifest["erasures"] = erasures
        if anonymity:
            manifest["anonymity"] = anonymity
        manifest_path = out_dir / f"{stem}.manifest.json"
        write_atomic(
            manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
        )
        return ExtractResult(target, manifest_path, rows, digest, plan)

    def materialise(self, release: GovernedRelease) -> Path:
        """The release's governed view as Parquet, for this agreement version, dataset
        version, opt-out register and set of erased people; made once, then reused
        (in-place queries, open-protocol shares, linkage). Only a release authorised for
        the caller opens it."""
        agreement, dataset, version = release.agreement, release.dataset, release.version
        opted = _register_digest(release.opt_outs, release.erased)
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
                _write(self._released(release)[0], temporary, "parquet")
        return target

    def at_version(self, release: GovernedRelease, number: int) -> GovernedRelease:
        """The same authorised release over an earlier version of its dataset: today's
        agreement (its fields, cohort, transforms) and today's opt-out register applied
        to the rows as they were, for time travel and change feeds. Only an authorised
        release narrows to a past version; nothing else is re-decided, since the verdict
        was about the caller and the agreement, which are the same."""
        if number == release.version.number:
            return release
        plan, _, version = self._plan(
            release.agreement, release.dataset.id, number, erasing=bool(release.erased)
        )
        return replace(release, version=version, plan=plan)

    def governed_schema(self, release: GovernedRelease) -> pa.Schema:
        """The Arrow schema of the release's governed view, without reading a row.

        Test packages are made in exactly this schema.
        """
        return self._schema(release.agreement, release.plan, release.dataset, release.version)

    def write_governed(self, release: GovernedRelease, path: Path) -> tuple[int, str]:
        """The release's governed view as Parquet at ``path``: rows and SHA-256.

        For a channel that audits the release itself (a package is sent by the data
        owner, not pulled by the recipient as an extract is).
        """
        return _write(self._released(release)[0], path, "parquet", release.plan.pseudonymised)

    def query(
        self,
        caller: Caller,
        agreement_id: str,
        sql: str,
        *,
        max_rows: int = MAX_QUERY_ROWS,
        seconds: float | None = None,
    ) -> QueryResult:
        """The recipient's SELECT over the agreement's views, in place, within limits:
        the agreement's row cap, and the query limits of :mod:`accord.engine.bounds`
        (``seconds`` may only shorten ACCORD_QUERY_SECONDS)."""
        releases = {
            view_name(r.dataset): r
            for r in self.releases(caller, agreement_id, PlaneChannel.QUERY, action="query.run")
        }
        agreement = next(iter(releases.values())).agreement
        fields = {name: frozenset(c.name for c in r.plan.outputs) for name, r in releases.items()}
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
        # Views first, each through its own bounded executor run, then the query in a
        # bounded connection of its own: one query slot held at a time.
        paths = {}
        for name in sorted(checked.views):
            try:
                paths[name] = self.materialise(releases[name])
            except EngineError as exc:
                raise self.engine_failed(caller, releases[name], "query.run", exc) from exc
        try:
            with bounded_duckdb(seconds=seconds) as con:
                for name, path in paths.items():
                    con.read_parquet(str(path)).create(name)
                # Nothing the query does may reach a file or the network.
                con.execute("SET enable_external_access = false")
                con.execute("SET lock_configuration = true")
                try:
                    table = con.sql(limited.sql(dialect="duckdb")).to_arrow_table()
                except duckdb.Error as exc:
                    if isinstance(exc, duckdb.OutOfMemoryException | duckdb.InterruptException):
                        raise  # the bounded connection names the limit that stopped it
                    known = set(checked.views) | {f for names in fields.values() for f in names}
                    message = f"query failed: {scrub(str(exc), known)}"
                    refuse(
                        self.store,
                        caller,
                        "query.run",
                        obj,
                        agreement.policy.recipient,
                        message,
                        sql_sha256=query_hash,
                    )
                    raise ValidationError(message) from exc
        except LimitExceeded as exc:
            refuse(
                self.store,
                caller,
                "query.run",
                obj,
                agreement.policy.recipient,
                exc.message,
                sql_sha256=query_hash,
                limit=exc.limit,
            )
            raise
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
                    "opt_outs": {
                        name: self.opt_outs_applied(releases[name])
                        for name in sorted(checked.views)
                    },
                    "erasures": {
                        name: self.erasures_applied(releases[name])
                        for name in sorted(checked.views)
                    },
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
        release = self.release(
            caller, agreement_id, dataset_id, PlaneChannel.CHECK, action="check.run"
        )
        agreement, plan, dataset, version = (
            release.agreement,
            release.plan,
            release.dataset,
            release.version,
        )
        opt = self._opt_out_filter(dataset)
        if opt is None:
            message = f"{dataset_id} has no NINO or NHS number to check against"
            refuse(
                self.store, caller, "check.run", release.object, agreement.policy.recipient, message
            )
            raise ValidationError(message)
        # Answered on the dataset's first identifier field; the plan's WHERE (reused
        # below) already drops a person opted out under any of its identifier fields.
        column, semantic = opt.fields[0]
        supplied = {value: ids.normalise_identifier(value) for value in identifiers}
        identifier = normalise_identifier(quoted(column), semantic)
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
        narrowed = release.narrowed(matched)
        try:
            found = {
                v
                for batch in executor_for(narrowed).execute(
                    narrowed, tables={SUPPLIED_TABLE: wanted}
                )
                for v in batch.column(0).to_pylist()
            }
        except EngineError as exc:
            raise self.engine_failed(caller, release, "check.run", exc) from exc
        answers = {value: norm in found for value, norm in supplied.items()}
        try:
            erasures = self.erasures_applied(release)
        except EngineError as exc:
            raise self.engine_failed(caller, release, "check.run", exc) from exc
        self.store.record(
            AuditEvent(
                actor=caller.actor,
                action="check.release",
                object=release.object,
                organisation=agreement.policy.recipient,
                reason=f"per-record eligibility check against {dataset_id} v{version.number}: "
                + release.reason,
                details={
                    "supplied": len(answers),
                    "answered_yes": sum(answers.values()),
                    "erasures": erasures,
                    "policy_sha256": agreement.policy.sha256(),
                    **({"via": caller.via} if caller.via else {}),
                },
            )
        )
        return answers


def _register_digest(opt_outs: Sequence[str], erased: Sequence[str] = ()) -> str:
    """Names one state of the opt-out register and of the agreement's erased people:
    materialised views are made per state, so a new erasure rebuilds the view."""
    text = "\n".join(opt_outs)
    if erased:
        text += "\n\0erased\n" + "\n".join(erased)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


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
