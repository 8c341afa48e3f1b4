"""What every scenario shares: dataset specifications, the run context, person columns.

A scenario declares its datasets as :class:`DatasetSpec` (name, holder, fields described
with the catalogue's own vocabulary) and writes them through a :class:`Run`, which owns
the streaming sinks, applies each source's disagreements and keeps the ground truth.
Scenarios only decide *who* appears and *what* each row says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from accord.core.catalogue import FieldSpec
from accord.core.vocabulary import Category, DataType, SemanticType
from accord.fsutil import sha256_file
from accord.synth.corruption import DISAGREEMENT_SCHEMA, Corruptor
from accord.synth.manifest import FileEntry
from accord.synth.population import People, Population
from accord.synth.rates import CorruptionRates
from accord.synth.streams import IntArray
from accord.synth.writer import TableSink

__all__ = [
    "CHUNK_PERSONS",
    "DatasetSpec",
    "Progress",
    "Run",
    "Scenario",
    "field_",
    "person_columns",
    "person_fields",
]

CHUNK_PERSONS = 1 << 20
"""People generated per step: bounds memory (about 1 GB at most) whatever the scale."""

Progress = Callable[[int, int], None]
"""Called with (people done, people in total) as a run proceeds."""

_ARROW_TYPES = {
    DataType.BOOLEAN: pa.bool_(),
    DataType.BIGINT: pa.int64(),
    DataType.DOUBLE: pa.float64(),
    DataType.DATE: pa.date32(),
    DataType.TIMESTAMP: pa.timestamp("us"),
    DataType.VARCHAR: pa.string(),
}


def field_(
    name: str,
    data_type: DataType,
    category: Category,
    semantic: SemanticType,
    description: str,
    *,
    nullable: bool = True,
) -> FieldSpec:
    return FieldSpec(
        name=name,
        data_type=data_type,
        category=category,
        semantic_type=semantic,
        nullable=nullable,
        description=description,
    )


_D, _Q, _P = Category.DIRECT_IDENTIFIER, Category.QUASI_IDENTIFIER, Category.PERSONAL
_V = DataType.VARCHAR
_PERSON_FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        field_("nino", _V, _D, SemanticType.NINO, "National Insurance number"),
        field_("nhs_number", _V, _D, SemanticType.NHS_NUMBER, "NHS number (10 digits)"),
        field_("title", _V, _P, SemanticType.TITLE, "Mr, Mrs, Miss, Ms or Dr"),
        field_("forename", _V, _D, SemanticType.GIVEN_NAME, "First name as recorded"),
        field_("middle_names", _V, _D, SemanticType.GIVEN_NAME, "Middle names, space separated"),
        field_("surname", _V, _D, SemanticType.FAMILY_NAME, "Family name as recorded"),
        field_("date_of_birth", DataType.DATE, _Q, SemanticType.DATE_OF_BIRTH, "Date of birth"),
        field_("sex", _V, _Q, SemanticType.SEX, "F or M"),
        field_("address_line_1", _V, _D, SemanticType.ADDRESS, "Flat, house number and street"),
        field_("address_line_2", _V, _Q, SemanticType.ADDRESS, "Dependent locality, if any"),
        field_("address_line_3", _V, _Q, SemanticType.ADDRESS, "Post town"),
        field_("postcode", _V, _Q, SemanticType.POSTCODE, "Postcode"),
        field_("telephone_number", _V, _D, SemanticType.PHONE, "Household landline"),
        field_("mobile_number", _V, _D, SemanticType.PHONE, "Mobile telephone number"),
        field_("email", _V, _D, SemanticType.EMAIL, "Email address"),
    )
}


def person_fields(*names: str) -> tuple[FieldSpec, ...]:
    return tuple(_PERSON_FIELDS[n] for n in names)


def person_columns(people: People, names: tuple[str, ...]) -> dict[str, pa.Array]:
    """The named person columns as the truth has them (before any source's errors)."""
    out: dict[str, pa.Array] = {}
    for name in names:
        if name.startswith(("address_line", "postcode")):
            out[name] = people.address[name]
        else:
            out[name] = getattr(people, name)
    return out


@dataclass(frozen=True)
class DatasetSpec:
    """One file a scenario writes, described as the catalogue would describe it."""

    name: str
    holder: str
    description: str
    fields: tuple[FieldSpec, ...]
    role: str = "dataset"
    missable: tuple[str, ...] = ()
    """Fields the ``missing`` disagreement may empty; sources with none are never corrupted."""
    corrupt: bool = True

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(f.name, _ARROW_TYPES[f.data_type]) for f in self.fields])

    @property
    def path(self) -> str:
        return self.name if self.role == "dataset" else f"{self.role}/{self.name}"


DISAGREEMENTS = DatasetSpec(
    name="disagreements",
    holder="ground truth",
    description="Every field where a source differs from the truth: dataset, row, person, "
    "kind of disagreement, true and recorded value.",
    fields=tuple(
        field_(
            n,
            DataType.BIGINT if t == pa.int64() else _V,
            Category.NON_PERSONAL,
            SemanticType.OTHER,
            n,
        )
        for n, t in zip(DISAGREEMENT_SCHEMA.names, DISAGREEMENT_SCHEMA.types, strict=True)
    ),
    role="ground_truth",
    corrupt=False,
)


@dataclass
class Run:
    """One generation: population, rates, open sinks, and the truth gathered so far."""

    population: Population
    rates: CorruptionRates
    directory: Path
    fmt: str
    progress: Progress | None = None
    _sinks: dict[str, tuple[DatasetSpec, TableSink]] = field(default_factory=dict)
    _corruptors: dict[str, Corruptor] = field(default_factory=dict)
    _order: list[str] = field(default_factory=list)

    def sink(self, spec: DatasetSpec) -> TableSink:
        if spec.name not in self._sinks:
            path = self.directory / f"{spec.path}.{self.fmt}"
            self._sinks[spec.name] = (spec, TableSink(path, spec.schema, self.fmt))
            self._order.append(spec.name)
        return self._sinks[spec.name][1]

    def open(self, *specs: DatasetSpec) -> None:
        """Create the files up front, so a dataset that gets no rows still exists."""
        for spec in specs:
            self.sink(spec)

    def emit(self, spec: DatasetSpec, columns: dict[str, pa.Array], people: People) -> None:
        """Write rows for ``people`` (one per person, in order), after the source's errors."""
        table = pa.table(columns)
        sink = self.sink(spec)
        if spec.corrupt and len(people):
            corruptor = self._corruptors.setdefault(
                spec.name,
                Corruptor(self.population.streams, spec.name, self.rates, spec.missable),
            )
            table, log = corruptor.apply(table, people, sink.rows)
            self.sink(DISAGREEMENTS).write(log)
        sink.write(table)

    def write(self, spec: DatasetSpec, table: pa.Table) -> None:
        """Write rows that carry no personal details to disagree about."""
        self.sink(spec).write(table)

    def chunks(self, total: int | None = None) -> Iterator[People]:
        """The whole population, ``CHUNK_PERSONS`` at a time, reporting progress."""
        n = self.population.n_persons
        for start in range(0, n, CHUNK_PERSONS):
            stop = min(n, start + CHUNK_PERSONS)
            yield self.population.people(np.arange(start, stop, dtype=np.int64), contiguous=True)
            if self.progress is not None:
                self.progress(stop, total or n)

    def people_in_chunks(self, ids: IntArray) -> Iterator[People]:
        """Given people (sorted ids), ``CHUNK_PERSONS`` at a time."""
        for start in range(0, len(ids), CHUNK_PERSONS):
            yield self.population.people(ids[start : start + CHUNK_PERSONS])

    def close(self) -> list[FileEntry]:
        self.sink(DISAGREEMENTS)
        entries = []
        for name in self._order:
            spec, sink = self._sinks[name]
            sink.close()
            entries.append(
                FileEntry(
                    name=spec.name,
                    path=sink.path.relative_to(self.directory).as_posix(),
                    role=spec.role,
                    holder=spec.holder,
                    description=spec.description,
                    rows=sink.rows,
                    sha256=sha256_file(sink.path),
                    bytes=sink.path.stat().st_size,
                    columns=tuple(spec.schema.names),
                )
            )
        return sorted(entries, key=lambda e: (e.role != "dataset", e.path))


class Scenario(Protocol):
    """A seed's story told in synthetic data."""

    name: str
    title: str

    def datasets(self) -> tuple[DatasetSpec, ...]: ...

    def generate(self, run: Run) -> dict[str, Any]:
        """Write every dataset through ``run``; return the headline truths."""
        ...


def dates(days: IntArray, valid: np.ndarray | None = None) -> pa.Array:
    """Day numbers since 1970 as an Arrow date column; ``valid`` False gives null."""
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    return pa.array(np.asarray(days).astype(np.int32), pa.date32(), mask=mask)
