"""The holders an accepted erasure reaches, and the rewrite of a file without a person.

An :class:`ErasureHolder` says which organisations hold copies of an agreement's data of
its kind, and erases the person from one organisation's copies, returning what it
removed (counts and places, never the person). The erasure service fans an accepted
request out to every registered holder; other parts of the platform (the change feed's
files, case records) register theirs with ``ErasureService.add_holder``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from accord.core.audit import AuditEvent
from accord.core.governance.records import AgreementRecord
from accord.core.identifiers import normalise_nino
from accord.ingest.atomic import write_parquet_atomic
from accord.store.erasure_store import ErasureStore
from accord.store.lifecycle_store import LifecycleStore

if TYPE_CHECKING:
    from accord.services.records import RecordsService

__all__ = [
    "Erased",
    "ErasureHolder",
    "HeldCopies",
    "HeldRecords",
    "MaterialisedCopies",
    "ReceivedPackages",
    "erase_from_parquet",
]


@dataclass(frozen=True, slots=True)
class Erased:
    """What one holder removed from one copy: never the person, only counts and places."""

    kind: str
    location: str
    rows: int
    cells: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "location": self.location,
            "rows": self.rows,
            "cells": self.cells,
        }


class ErasureHolder(Protocol):
    """A kind of copy an accepted erasure must reach (register one with ``add_holder``)."""

    kind: str

    def organisations(self, agreement: AgreementRecord) -> set[str]:
        """The organisations that hold copies of this kind under the agreement."""
        ...

    def erase(self, organisation: str, agreement: AgreementRecord, nino: str) -> list[Erased]:
        """Remove the person (by normalised NINO) from ``organisation``'s copies."""
        ...


def erase_from_parquet(path: Path, nino: str) -> tuple[int, int]:
    """Rewrite ``path`` without the person: rows whose ``nino`` column is theirs are
    dropped, and any other text cell holding their NINO (a joint claimant's) is blanked.

    Every typed form matches: case and separators are ignored, as the platform's
    normalisation does. The rewrite is atomic (temp file, fsync, rename), so a crash
    leaves the old file or the new one, never half of either. Returns (rows, cells).
    """
    table = pq.read_table(path)
    target = pa.scalar(normalise_nino(nino))
    dropped = 0
    cells = 0
    if "nino" in table.column_names:
        hit = pc.fill_null(pc.equal(_normalised(table["nino"]), target), False)
        dropped = int(pc.sum(hit).as_py() or 0)
        table = table.filter(pc.invert(hit))
    for index, field in enumerate(table.schema):
        if field.name == "nino" or not pa.types.is_string(field.type):
            continue
        hit = pc.fill_null(pc.equal(_normalised(table[field.name]), target), False)
        count = int(pc.sum(hit).as_py() or 0)
        if count:
            cells += count
            blank = pc.if_else(hit, pa.scalar(None, field.type), table[field.name])
            table = table.set_column(index, field, blank)
    if dropped or cells:
        write_parquet_atomic(table, path)
    return dropped, cells


def _normalised(column: pa.ChunkedArray) -> Any:
    return pc.utf8_upper(pc.replace_substring_regex(column, r"[^A-Za-z0-9]", ""))


class ReceivedPackages:
    """The packages of the agreement each recipient loaded, of every version received."""

    kind = "received_package"

    def __init__(self, lifecycle: LifecycleStore) -> None:
        self.lifecycle = lifecycle

    def _copies(self, agreement: AgreementRecord) -> list[Any]:
        return [c for c in self.lifecycle.received_copies() if c.agreement_id == agreement.id]

    def organisations(self, agreement: AgreementRecord) -> set[str]:
        return {c.holder for c in self._copies(agreement)}

    def erase(self, organisation: str, agreement: AgreementRecord, nino: str) -> list[Erased]:
        out = []
        for copy in self._copies(agreement):
            path = Path(copy.location)
            if copy.holder != organisation or not path.is_file():
                continue
            rows, cells = erase_from_parquet(path, nino)
            out.append(Erased(self.kind, f"package {copy.transfer_id}", rows, cells))
        return out


class HeldCopies:
    """Files of the agreement's data registered as held downstream (a sub-contractor's)."""

    kind = "held_copy"

    def __init__(self, store: ErasureStore) -> None:
        self.store = store

    def organisations(self, agreement: AgreementRecord) -> set[str]:
        return {holder for _, holder, _ in self.store.held_copies(agreement.id)}

    def erase(self, organisation: str, agreement: AgreementRecord, nino: str) -> list[Erased]:
        out = []
        for copy_id, holder, location in self.store.held_copies(agreement.id):
            path = Path(location)
            if holder != organisation or not path.is_file():
                continue
            rows, cells = erase_from_parquet(path, nino)
            out.append(Erased(self.kind, f"held copy {copy_id}", rows, cells))
        return out


class MaterialisedCopies:
    """The node's materialised views of the agreement (every version), made for the
    recipient's in-place reads and shares: deleted, to be rebuilt on the next read."""

    kind = "materialised_copy"

    def __init__(self, home: Path) -> None:
        self.root = home / "materialised"

    def _directories(self, agreement: AgreementRecord) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(self.root.glob(f"{agreement.id}-v*"))

    def organisations(self, agreement: AgreementRecord) -> set[str]:
        return {agreement.policy.recipient} if self._directories(agreement) else set()

    def erase(self, organisation: str, agreement: AgreementRecord, nino: str) -> list[Erased]:
        if organisation != agreement.policy.recipient:
            return []
        out = []
        for directory in self._directories(agreement):
            files = [p for p in directory.rglob("*.parquet")]
            rows = 0
            for path in files:
                rows += pq.ParquetFile(path).metadata.num_rows
            shutil.rmtree(directory)
            out.append(Erased(self.kind, f"materialised {directory.name}", rows))
        return out


class HeldRecords:
    """The case records Accord holds for the agreement's recipient and its processors
    (mandation evidence, ESF forms, journey evidence…: see :mod:`accord.services.records`):
    each file of the person's is removed, and its row becomes a tombstone that no longer
    names them. Files go first, so a run that dies half way is finished by the next."""

    kind = "held_record"

    def __init__(self, records: RecordsService) -> None:
        self.records = records

    @staticmethod
    def _parties(agreement: AgreementRecord) -> set[str]:
        return {agreement.policy.recipient, *agreement.policy.processors}

    def organisations(self, agreement: AgreementRecord) -> set[str]:
        return {
            org for org in self._parties(agreement) if self.records.repository.records(holder=org)
        }

    def erase(self, organisation: str, agreement: AgreementRecord, nino: str) -> list[Erased]:
        if organisation not in self._parties(agreement):
            return []
        participant = self.records.participant_ref(organisation, nino)
        theirs = [
            r
            for r in self.records.repository.records(holder=organisation)
            if r.participant == participant
        ]
        if not theirs:
            return []
        for record in theirs:
            self.records.path_of(record).unlink(missing_ok=True)
        audit = AuditEvent(
            actor="service:erasure",
            action="records.erase",
            object=f"organisation:{organisation}",
            organisation=organisation,
            reason="an accepted erasure removed a participant's held records",
            details={"participant": participant, "records": len(theirs)},
        )
        self.records.repository.erase_participant(organisation, participant, audit=audit)
        return [Erased(self.kind, f"{organisation} case records", len(theirs))]
