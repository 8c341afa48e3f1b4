"""Recalls of packages sent to the wrong organisation (seed 003, paragraph 55)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.models import Base, UTCDateTime


class RecallRow(Base):
    __tablename__ = "recalls"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    transfer_id: Mapped[str] = mapped_column(String(80), index=True)
    agreement_id: Mapped[str] = mapped_column(String(64))
    agreement_version: Mapped[int] = mapped_column(Integer())
    dataset_id: Mapped[str] = mapped_column(String(200))
    sender: Mapped[str] = mapped_column(String(64), index=True)
    recipient: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text())
    state: Mapped[str] = mapped_column(String(16), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[str] = mapped_column(String(200))
    notice_id: Mapped[str] = mapped_column(String(40))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    confirmed_by: Mapped[str] = mapped_column(String(200), default="")
    certificate_id: Mapped[str] = mapped_column(String(40), default="")
    copy_deleted: Mapped[bool] = mapped_column(Boolean(), default=False)
    keep_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
