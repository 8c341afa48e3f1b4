"""The data owners' opt-out registers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.models import Base, UTCDateTime


class OptOutRow(Base):
    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("organisation_id", "identifier_type", "identifier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    identifier_type: Mapped[str] = mapped_column(String(20))
    identifier: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LiveDeliveryRow(Base):
    """An extract released under an agreement version: what one-off and recurring count."""

    __tablename__ = "live_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    agreement_version: Mapped[int] = mapped_column(Integer)
    dataset_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(200))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime())
