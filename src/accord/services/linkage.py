"""Linkage as a governed channel of the data plane: only the match table leaves.

A recipient links its own records to an agreement's governed view without ever
seeing the view's rows: authorise (:data:`PlaneChannel.LINK`) → build the view
through the agreement's plan (so minimisation, pseudonymisation and the owner's
opt-out register apply exactly as for an extract) → link inside the engine → write
the match table under a temporary name → audit → rename into place. If the audit
write fails, the match table never appears.

The recipient's side is one of:

- :class:`OwnDataset`, a catalogue dataset the recipient organisation owns;
- :class:`SuppliedData`, a CSV or Parquet file or Arrow table it supplies now;
- :class:`GovernedView`, another agreement's governed view the caller also holds
  (two datasets linked inside a trust, each under its own agreement).

The view is compared only on the fields its agreement releases unchanged (``keep``):
a generalised date of birth or postcode district means something else, and a
pseudonym is an identifier only within its linkage domain, so those are left out of
the comparison. The view's id column (by default its NINO or NHS number, usually a
pseudonym) is what the match table refers to.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from accord.core.audit import AuditEvent
from accord.core.catalogue import Dataset, DatasetVersion
from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import TransformKind
from accord.core.permissions import Caller
from accord.core.plan.authorise import PlaneChannel
from accord.core.plan.compiler import Plan
from accord.core.plan.release import GovernedRelease
from accord.core.vocabulary import SemanticType
from accord.engine.executor import EngineError, own_rows
from accord.errors import ValidationError
from accord.fsutil import TEMP_PREFIX, fsync_directory, sha256_file, write_atomic
from accord.linkage import LinkageOptions, LinkageResult, Role, link
from accord.linkage.inputs import LinkSource
from accord.services.guard import refuse
from accord.services.plane import PlaneService
from accord.store import Store

__all__ = [
    "GovernedView",
    "LinkRelease",
    "LinkageService",
    "OwnDataset",
    "RecipientData",
    "SuppliedData",
]

ACTION = "link.run"
RELEASE = "link.release"
_IDENTIFIER_TYPES = (SemanticType.NINO, SemanticType.NHS_NUMBER)


@dataclass(frozen=True, slots=True)
class OwnDataset:
    """A catalogue dataset of the recipient organisation, read whole (it is its own)."""

    dataset_id: str
    id_column: str


@dataclass(frozen=True, slots=True)
class SuppliedData:
    """Records the recipient supplies now: a CSV or Parquet path, or an Arrow table."""

    source: Path | pa.Table
    id_column: str


@dataclass(frozen=True, slots=True)
class GovernedView:
    """Another agreement's governed view, which the caller must also hold for linkage."""

    agreement_id: str
    dataset_id: str
    id_column: str | None = None


RecipientData = OwnDataset | SuppliedData | GovernedView


@dataclass(frozen=True, slots=True)
class LinkRelease:
    """The released match table, its manifest, and what the audit log says of it."""

    path: Path
    manifest_path: Path
    rows: int
    sha256: str
    view_id: str
    result: LinkageResult


@dataclass(frozen=True, slots=True)
class _View:
    agreement: AgreementRecord
    plan: Plan
    dataset: Dataset
    version: DatasetVersion
    path: Path
    id_column: str
    roles: dict[str, Role | None]
    opt_outs: dict[str, Any]
    """What the opt-out filter applied to and removed (``PlaneService.opt_outs_applied``)."""


@dataclass(frozen=True, slots=True)
class _Left:
    source: LinkSource
    id_column: str
    roles: dict[str, Role | None]
    describe: dict[str, Any]
    view: _View | None = None


class LinkageService:
    """Governed linkage over the plane's plans; ``engine`` is the default linkage engine."""

    def __init__(self, store: Store, plane: PlaneService, *, engine: str = "duckdb") -> None:
        self.store = store
        self.plane = plane
        self.engine = engine

    def link(
        self,
        caller: Caller,
        agreement_id: str,
        dataset_id: str,
        recipient: RecipientData,
        out_dir: Path,
        *,
        view_id: str | None = None,
        options: LinkageOptions | None = None,
    ) -> LinkRelease:
        """Link ``recipient``'s records to the agreement's view of ``dataset_id``.

        Writes ``<agreement>-v<n>-<org>-<name>-v<m>.matches.parquet`` (``left_id`` the
        recipient's id, ``right_id`` the view's id) and its manifest into ``out_dir``.
        """
        options = options or LinkageOptions(engine=self.engine)
        options.check()
        release = self.plane.release(
            caller, agreement_id, dataset_id, PlaneChannel.LINK, action=ACTION
        )
        view = self._view(caller, release, view_id, parameter="view_id")
        left = self._left(caller, release.agreement, recipient)
        try:
            result = link(
                left.source,
                view.path,
                left_id=left.id_column,
                right_id=view.id_column,
                options=options,
                left_roles=left.roles,
                right_roles=view.roles,
            )
        except ValidationError as exc:
            message = exc.message.replace("--left-id", "recipient id_column").replace(
                "--right-id", "view_id"
            )
            raise ValidationError(message) from exc
        return self._release(caller, view, left, result, options, out_dir)

    # -- the two sides -------------------------------------------------------------

    def _view(
        self, caller: Caller, release: GovernedRelease, view_id: str | None, *, parameter: str
    ) -> _View:
        """The governed view as Parquet (built by the plan), its id column and roles."""
        agreement, plan, dataset = release.agreement, release.plan, release.dataset
        version, dataset_id = release.version, release.dataset.id
        released = {column.name for column in plan.outputs}
        if view_id is None:
            view_id = next(
                (
                    column.name
                    for column in plan.outputs
                    if dataset.field(column.source).semantic_type in _IDENTIFIER_TYPES
                ),
                None,
            )
            if view_id is None:
                raise ValidationError(
                    f"{parameter}: agreement {agreement.id} releases no NINO or NHS number "
                    f"from {dataset_id}; name the view's unique id column"
                )
        elif view_id not in released:
            raise ValidationError(
                f"{parameter}: {view_id!r} is not a field agreement {agreement.id} releases "
                f"from {dataset_id}; it releases {', '.join(sorted(released))}"
            )
        kept = {
            field.name
            for field in agreement.policy.dataset(dataset_id).fields
            if field.transform.kind is TransformKind.KEEP
        }
        roles: dict[str, Role | None] = {
            name: None for name in released if name not in kept and name != view_id
        }
        try:
            path = self.plane.materialise(release)
            opt_outs = self.plane.opt_outs_applied(release)
        except EngineError as exc:
            raise self.plane.engine_failed(caller, release, ACTION, exc) from exc
        return _View(agreement, plan, dataset, version, path, view_id, roles, opt_outs)

    def _left(self, caller: Caller, agreement: AgreementRecord, recipient: RecipientData) -> _Left:
        if isinstance(recipient, SuppliedData):
            return _Left(
                recipient.source,
                recipient.id_column,
                {},
                {"kind": "supplied", "id_column": recipient.id_column},
            )
        if isinstance(recipient, OwnDataset):
            dataset = self.store.get_dataset(recipient.dataset_id)
            owner = agreement.policy.recipient
            if dataset.organisation_id != owner:
                raise refuse(
                    self.store,
                    caller,
                    ACTION,
                    f"agreement:{agreement.id}:v{agreement.version}",
                    owner,
                    f"{dataset.id} belongs to {dataset.organisation_id}, not to the "
                    f"recipient {owner}: link a dataset of your own or supply a file",
                    recipient_dataset=dataset.id,
                )
            version = self.store.get_version(dataset.id)
            return _Left(
                own_rows(dataset.source_kind, version),
                recipient.id_column,
                {},
                {
                    "kind": "own_dataset",
                    "dataset": dataset.id,
                    "dataset_version": version.number,
                    "id_column": recipient.id_column,
                },
            )
        other = self.plane.release(
            caller, recipient.agreement_id, recipient.dataset_id, PlaneChannel.LINK, action=ACTION
        )
        view = self._view(caller, other, recipient.id_column, parameter="recipient id_column")
        return _Left(
            view.path,
            view.id_column,
            view.roles,
            {
                "kind": "governed_view",
                "agreement": other.agreement.id,
                "agreement_version": other.agreement.version,
                "dataset": view.dataset.id,
                "dataset_version": view.version.number,
                "id_column": view.id_column,
            },
            view,
        )

    # -- release -------------------------------------------------------------------

    def _release(
        self,
        caller: Caller,
        view: _View,
        left: _Left,
        result: LinkageResult,
        options: LinkageOptions,
        out_dir: Path,
    ) -> LinkRelease:
        agreement = view.agreement
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = (
            f"{agreement.id}-v{agreement.version}-{view.dataset.organisation_id}-"
            f"{view.dataset.name}-v{view.version.number}.matches"
        )
        target = out_dir / f"{stem}.parquet"
        fd, temporary_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=out_dir)
        os.close(fd)
        temporary = Path(temporary_name)
        matches = result.matches
        parameters = {
            "threshold": options.threshold,
            "review_threshold": options.review_threshold,
            "one_to_one": options.one_to_one,
            "identifier_passes": options.identifier_passes,
            "match_key_pass": options.match_key_pass,
            "engine": options.engine,
            "view_id": view.id_column,
            "features": list(result.features),
        }
        try:
            digest = _write_parquet(matches, temporary)
            events = [_event(caller, view, left, matches.num_rows, digest, parameters, result)]
            if left.view is not None:
                events.append(
                    _event(caller, left.view, left, matches.num_rows, digest, parameters, result)
                )
            for event in events:
                self.store.record(event)  # fail closed: no event, no release
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        os.replace(temporary, target)
        fsync_directory(out_dir)
        manifest = {
            "file": target.name,
            "rows": matches.num_rows,
            "sha256": digest,
            "columns": matches.column_names,
            "agreement": agreement.id,
            "agreement_version": agreement.version,
            "policy_sha256": agreement.policy.sha256(),
            "dataset": view.dataset.id,
            "dataset_version": view.version.number,
            "opt_outs_applied": view.plan.opt_out,
            "opt_outs": view.opt_outs,
            "recipient": left.describe,
            "parameters": parameters,
            "summary": result.summary.as_dict(),
        }
        manifest_path = out_dir / f"{stem}.manifest.json"
        write_atomic(
            manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
        )
        return LinkRelease(target, manifest_path, matches.num_rows, digest, view.id_column, result)


def _event(
    caller: Caller,
    view: _View,
    left: _Left,
    rows: int,
    digest: str,
    parameters: dict[str, Any],
    result: LinkageResult,
) -> AuditEvent:
    agreement = view.agreement
    return AuditEvent(
        actor=caller.actor,
        action=RELEASE,
        object=f"agreement:{agreement.id}:v{agreement.version}",
        organisation=agreement.policy.recipient,
        reason=f"governed linkage against {view.dataset.id} v{view.version.number}: "
        "the match table only",
        details={
            "agreement": agreement.id,
            "agreement_version": agreement.version,
            "policy_sha256": agreement.policy.sha256(),
            "dataset": view.dataset.id,
            "dataset_version": view.version.number,
            "rows_out": rows,
            "output_sha256": digest,
            "opt_outs_applied": view.plan.opt_out,
            "opt_outs": view.opt_outs,
            "recipient": left.describe,
            "parameters": parameters,
            "summary": result.summary.as_dict(),
            **({"via": caller.via} if caller.via else {}),
        },
    )


def _write_parquet(table: pa.Table, path: Path) -> str:
    """Write ``table`` durably and return the file's SHA-256."""
    with path.open("wb") as handle:
        pq.write_table(table, handle, compression="zstd")
        handle.flush()
        os.fsync(handle.fileno())
    return sha256_file(path)
