"""Messages a recipient sent back to the data owners, one record each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.models import Base, UTCDateTime


class InboundMessageRow(Base):
    __tablename__ = "inbound_messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    organisation: Mapped[str] = mapped_column(String(64), index=True)
    """The data owner whose inbox holds it."""
    sender_organisation: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(200))
    form: Mapped[str] = mapped_column(String(32), index=True)
    template: Mapped[str] = mapped_column(String(64))
    referral_id: Mapped[str] = mapped_column(String(32), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    payload: Mapped[str] = mapped_column(Text())
    """The validated record as canonical JSON."""
    sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)
    actioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    actioned_by: Mapped[str] = mapped_column(String(200), default="")
