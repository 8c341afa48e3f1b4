"""Each data owner's approved sub-contractors (seed 003, paragraphs 45 and 52)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.models import Base, UTCDateTime


class SubcontractorApprovalRow(Base):
    __tablename__ = "subcontractor_approvals"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    subcontractor: Mapped[str] = mapped_column(String(64), index=True)
    prime: Mapped[str] = mapped_column(String(64))
    approved_from: Mapped[date] = mapped_column(Date)
    approved_to: Mapped[date] = mapped_column(Date)
    due_diligence: Mapped[str] = mapped_column(Text())
    no_offshore: Mapped[bool] = mapped_column(Boolean())
    approved_by: Mapped[str] = mapped_column(String(128))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_by: Mapped[str] = mapped_column(String(128), default="")
    withdrawal_reason: Mapped[str] = mapped_column(Text(), default="")
