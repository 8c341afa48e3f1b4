"""The deletion job's plan of work, and destruction certificates."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.models import Base, UTCDateTime


class RetentionItemRow(Base):
    __tablename__ = "retention_items"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200), unique=True)
    """Unique for ever: what keeps a copy from being planned, and so deleted, twice."""
    agreement_id: Mapped[str] = mapped_column(String(40), index=True)
    agreement_version: Mapped[int] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(String(64), index=True)
    location: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(30), index=True)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    confirm_by: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    certificate_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class DestructionCertificateRow(Base):
    __tablename__ = "destruction_certificates"
    __table_args__ = (UniqueConstraint("subject_kind", "subject_id", "holder"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(200))
    holder: Mapped[str] = mapped_column(String(64), index=True)
    agreement_id: Mapped[str] = mapped_column(String(40), index=True)
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    document: Mapped[bytes] = mapped_column(LargeBinary)
    """The portable signed certificate's exact bytes, so it verifies again as issued."""
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
