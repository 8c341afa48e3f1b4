"""Tables of disclosure control: record keys, batch validation, the output airlock.

Built by migration ``0002_disclosure``. Batch members are stored only as keyed
hashes (HMAC-SHA256, truncated to 128 bits) so overlap control never keeps the
identifiers a requester submitted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.models import Base, UTCDateTime


class RecordKeysRow(Base):
    __tablename__ = "disclosure_record_keys"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(BigInteger)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TableReleaseRow(Base):
    """One table as one recipient received it: true counts per cell, for differencing."""

    __tablename__ = "disclosure_table_releases"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source_dataset_id: Mapped[str] = mapped_column(String(200), index=True)
    source_version: Mapped[int] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(String(120), index=True)
    product: Mapped[str] = mapped_column(String(200))
    protection: Mapped[str] = mapped_column(String(20))
    shape: Mapped[str] = mapped_column(Text)
    cells: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BatchCheckRow(Base):
    __tablename__ = "disclosure_batch_checks"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(64), index=True)
    dataset_id: Mapped[str] = mapped_column(String(200))
    key_field: Mapped[str] = mapped_column(String(200))
    criterion: Mapped[dict[str, Any]] = mapped_column(JSON)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    requesters: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BatchRow(Base):
    __tablename__ = "disclosure_batches"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    check_id: Mapped[str] = mapped_column(String(120), index=True)
    organisation_id: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    records: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    proportion: Mapped[float | None] = mapped_column(Float, nullable=True)
    band_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    band_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    epsilon: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BatchMemberRow(Base):
    __tablename__ = "disclosure_batch_members"
    __table_args__ = (
        Index("ix_disclosure_batch_members_lookup", "check_id", "organisation_id", "member"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(String(40), index=True)
    check_id: Mapped[str] = mapped_column(String(120))
    organisation_id: Mapped[str] = mapped_column(String(64))
    member: Mapped[str] = mapped_column(String(32))


class BatchBudgetRow(Base):
    __tablename__ = "disclosure_batch_budgets"

    check_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    spent: Mapped[float] = mapped_column(Float)


class LineageBudgetRow(Base):
    """The total epsilon its owner declared for a dataset across its versions (0004_batch).

    ``allocated`` is how much of it agreements hold; it only grows, and is never renewed.
    """

    __tablename__ = "disclosure_lineage_budgets"

    dataset_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    total: Mapped[float] = mapped_column(Float)
    allocated: Mapped[float] = mapped_column(Float)
    declared_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgreementBudgetRow(Base):
    """One agreement's allocation of a lineage's epsilon, and what was spent under it."""

    __tablename__ = "disclosure_agreement_budgets"

    dataset_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    allocated: Mapped[float] = mapped_column(Float)
    spent: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutputCheckerRow(Base):
    __tablename__ = "airlock_checkers"

    principal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutputRequestRow(Base):
    __tablename__ = "airlock_requests"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(64), index=True)
    author: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutputFileRow(Base):
    __tablename__ = "airlock_files"
    __table_args__ = (UniqueConstraint("request_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text)
    checks: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))


class OutputReviewRow(Base):
    __tablename__ = "airlock_reviews"
    __table_args__ = (UniqueConstraint("request_id", "file_name", "reviewer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(40), index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    reviewer: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
