"""Datasets, their fields and their immutable versions: metadata only, never rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from accord.core.vocabulary import Category, DataType, SemanticType

__all__ = [
    "Dataset",
    "DatasetVersion",
    "FieldSpec",
    "Problem",
    "SourceKind",
    "UpdateFrequency",
]


class SourceKind(StrEnum):
    FILE = "file"
    """A CSV or Parquet file, validated and stored by Accord as an immutable Parquet version."""
    DUCKDB = "duckdb"
    """A table in a DuckDB database file, read in place."""
    POSTGRES = "postgres"
    """A table in a PostgreSQL database, read in place."""


class UpdateFrequency(StrEnum):
    ONE_OFF = "one_off"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUALLY = "annually"
    CONTINUOUS = "continuous"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a dataset's schema.

    ``confirmed`` is False while the category and semantic type are Accord's
    suggestion, and True once the data owner has confirmed or overridden them.
    """

    name: str
    data_type: DataType
    category: Category
    semantic_type: SemanticType
    nullable: bool = True
    confirmed: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class Problem:
    """One defect in input, located as precisely as the input allows.

    ``row`` is the 1-based line of the file (the header is row 1) or, for tables,
    the 1-based row position; ``column`` is the field name.
    """

    code: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def location(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts) if parts else "file"

    def __str__(self) -> str:
        return f"{self.location()}: {self.message}"


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    dataset_id: str
    number: int
    row_count: int
    content_hash: str
    created_at: datetime
    location: str
    """Where the rows are: a Parquet path under ACCORD_HOME, or the in-place table reference."""
    quarantined_rows: int = 0


@dataclass(frozen=True, slots=True)
class Dataset:
    """``id`` is ``<organisation>/<name>``, the name callers use everywhere."""

    id: str
    organisation_id: str
    name: str
    description: str
    fields: tuple[FieldSpec, ...]
    source_kind: SourceKind
    source: str
    tags: tuple[str, ...] = ()
    update_frequency: UpdateFrequency = UpdateFrequency.ONE_OFF
    retention: str = ""
    owner_id: str = ""
    created_at: datetime | None = None
    latest_version: int = 0

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)
