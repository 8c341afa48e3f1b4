"""Access reviews: recertifications, and the lapses, restorations and reminders of each
review period (each recorded once: the period's due date is part of its key)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.models import Base, UTCDateTime


class RecertificationRow(Base):
    __tablename__ = "access_recertifications"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(40), index=True)
    organisation: Mapped[str] = mapped_column(String(64), index=True)
    by_principal: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    on: Mapped[date] = mapped_column(Date)
    kept: Mapped[list[str]] = mapped_column(JSON, default=list)
    removed: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")


class ReviewEventRow(Base):
    __tablename__ = "access_review_events"
    __table_args__ = (UniqueConstraint("agreement_id", "organisation", "kind", "due_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agreement_id: Mapped[str] = mapped_column(String(40), index=True)
    organisation: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    """``lapsed``, ``restored`` or ``reminded``."""
    due_on: Mapped[date] = mapped_column(Date)
    """The due date of the review period the event concerns: one of each kind per period."""
    at: Mapped[datetime] = mapped_column(UTCDateTime())
