"""Datasets, their fields and versions. Metadata only: rows never enter this store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, String, and_, cast, func, insert, or_, select, update

from accord.core.audit import AuditEvent
from accord.core.catalogue import (
    Dataset,
    DatasetVersion,
    FieldSpec,
    SourceKind,
    UpdateFrequency,
)
from accord.core.vocabulary import Category, DataType, SemanticType
from accord.errors import ConflictError, NotFoundError, not_found
from accord.store.base import StoreBase
from accord.store.models import DatasetRow, DatasetVersionRow, FieldRow

__all__ = ["CatalogueStore"]


def _version(row: Row[Any]) -> DatasetVersion:
    return DatasetVersion(
        dataset_id=row.dataset_id,
        number=row.number,
        row_count=row.row_count,
        content_hash=row.content_hash,
        created_at=row.created_at,
        location=row.location,
        quarantined_rows=row.quarantined_rows,
    )


def _like(term: str) -> str:
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class CatalogueStore(StoreBase):
    def _load_dataset(self, conn: Connection, dataset_id: str) -> Dataset:
        row = conn.execute(select(DatasetRow).where(DatasetRow.id == dataset_id)).first()
        if row is None:
            raise not_found("dataset", dataset_id)
        fields = conn.execute(
            select(FieldRow).where(FieldRow.dataset_id == dataset_id).order_by(FieldRow.position)
        )
        return Dataset(
            id=row.id,
            organisation_id=row.organisation_id,
            name=row.name,
            description=row.description,
            fields=tuple(
                FieldSpec(
                    name=f.name,
                    data_type=DataType(f.data_type),
                    category=Category(f.category),
                    semantic_type=SemanticType(f.semantic_type),
                    nullable=f.nullable,
                    confirmed=f.confirmed,
                    description=f.description,
                )
                for f in fields
            ),
            source_kind=SourceKind(row.source_kind),
            source=row.source,
            tags=tuple(row.tags or ()),
            update_frequency=UpdateFrequency(row.update_frequency),
            retention=row.retention,
            owner_id=row.owner_id,
            created_at=row.created_at,
            latest_version=row.latest_version,
        )

    def get_dataset(self, dataset_id: str) -> Dataset:
        with self._read() as conn:
            return self._load_dataset(conn, dataset_id)

    def list_datasets(self, organisation_id: str | None = None) -> list[Dataset]:
        query = select(DatasetRow.id).order_by(DatasetRow.id)
        if organisation_id is not None:
            query = query.where(DatasetRow.organisation_id == organisation_id)
        with self._read() as conn:
            return [self._load_dataset(conn, i) for i in list(conn.execute(query).scalars())]

    def search_datasets(self, terms: list[str]) -> list[Dataset]:
        """Datasets where every term appears in the name, description, a tag or a field name."""
        field_names = select(FieldRow.dataset_id)
        conditions = []
        for term in terms:
            pattern = _like(term)
            conditions.append(
                or_(
                    func.lower(DatasetRow.id).like(pattern, escape="\\"),
                    func.lower(DatasetRow.description).like(pattern, escape="\\"),
                    func.lower(cast(DatasetRow.tags, String)).like(pattern, escape="\\"),
                    DatasetRow.id.in_(
                        field_names.where(func.lower(FieldRow.name).like(pattern, escape="\\"))
                    ),
                )
            )
        query = select(DatasetRow.id).where(and_(*conditions)).order_by(DatasetRow.id)
        with self._read() as conn:
            return [self._load_dataset(conn, i) for i in list(conn.execute(query).scalars())]

    def add_dataset(
        self, dataset: Dataset, version: DatasetVersion, *, audit: AuditEvent
    ) -> Dataset:
        def change(conn: Connection) -> None:
            if conn.execute(select(DatasetRow.id).where(DatasetRow.id == dataset.id)).first():
                raise ConflictError(
                    f"dataset {dataset.id!r} exists already; use `accord dataset ingest` "
                    "to add a version"
                )
            conn.execute(
                insert(DatasetRow).values(
                    id=dataset.id,
                    organisation_id=dataset.organisation_id,
                    name=dataset.name,
                    description=dataset.description,
                    tags=list(dataset.tags),
                    update_frequency=dataset.update_frequency.value,
                    retention=dataset.retention,
                    owner_id=dataset.owner_id,
                    source_kind=dataset.source_kind.value,
                    source=dataset.source,
                    created_at=dataset.created_at,
                    latest_version=0,
                )
            )
            conn.execute(
                insert(FieldRow),
                [
                    {
                        "dataset_id": dataset.id,
                        "position": i,
                        "name": f.name,
                        "data_type": f.data_type.value,
                        "category": f.category.value,
                        "semantic_type": f.semantic_type.value,
                        "nullable": f.nullable,
                        "confirmed": f.confirmed,
                        "description": f.description,
                    }
                    for i, f in enumerate(dataset.fields)
                ],
            )
            self._insert_version(conn, version)

        self._write(audit, change)
        return self.get_dataset(dataset.id)

    @staticmethod
    def _insert_version(conn: Connection, version: DatasetVersion) -> None:
        latest = conn.execute(
            select(DatasetRow.latest_version).where(DatasetRow.id == version.dataset_id)
        ).scalar_one()
        if version.number != latest + 1:
            raise ConflictError(
                f"dataset {version.dataset_id!r} is at version {latest}; "
                f"version {version.number} was built against an older one, ingest again"
            )
        conn.execute(
            insert(DatasetVersionRow).values(
                dataset_id=version.dataset_id,
                number=version.number,
                row_count=version.row_count,
                quarantined_rows=version.quarantined_rows,
                content_hash=version.content_hash,
                location=version.location,
                created_at=version.created_at,
            )
        )
        conn.execute(
            update(DatasetRow)
            .where(DatasetRow.id == version.dataset_id)
            .values(latest_version=version.number)
        )

    def add_version(self, version: DatasetVersion, *, audit: AuditEvent) -> DatasetVersion:
        self._write(audit, lambda conn: self._insert_version(conn, version))
        return version

    def update_field(self, dataset_id: str, spec: FieldSpec, *, audit: AuditEvent) -> Dataset:
        """The owner's confirmation or override of a field's category and semantic type."""

        def change(conn: Connection) -> None:
            done = conn.execute(
                update(FieldRow)
                .where(FieldRow.dataset_id == dataset_id, FieldRow.name == spec.name)
                .values(
                    category=spec.category.value,
                    semantic_type=spec.semantic_type.value,
                    confirmed=spec.confirmed,
                    description=spec.description,
                )
            )
            if done.rowcount == 0:
                raise NotFoundError(f"dataset {dataset_id!r} has no field {spec.name!r}")

        self._write(audit, change)
        return self.get_dataset(dataset_id)

    def list_versions(self, dataset_id: str) -> list[DatasetVersion]:
        query = (
            select(DatasetVersionRow)
            .where(DatasetVersionRow.dataset_id == dataset_id)
            .order_by(DatasetVersionRow.number)
        )
        with self._read() as conn:
            return [_version(row) for row in conn.execute(query)]

    def get_version(self, dataset_id: str, number: int | None = None) -> DatasetVersion:
        versions = self.list_versions(dataset_id)
        for version in reversed(versions):
            if number is None or version.number == number:
                return version
        raise NotFoundError(f"dataset {dataset_id!r} has no version {number}")

    def find_version_by_hash(self, dataset_id: str, content_hash: str) -> DatasetVersion | None:
        query = select(DatasetVersionRow).where(
            DatasetVersionRow.dataset_id == dataset_id,
            DatasetVersionRow.content_hash == content_hash,
        )
        with self._read() as conn:
            row = conn.execute(query).first()
            return None if row is None else _version(row)
