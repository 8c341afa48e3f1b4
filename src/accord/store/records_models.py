"""Records a holder keeps per participant, the retention events, and its delete dates."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.models import Base, UTCDateTime


class HeldRecordRow(Base):
    __tablename__ = "held_records"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    participant: Mapped[str] = mapped_column(String(64), index=True)
    """HMAC of the normalised NINO under the holder's key: never the NINO."""
    referral_id: Mapped[str] = mapped_column(String(40), index=True)
    programme: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger())
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), index=True)
    due_on: Mapped[date | None] = mapped_column(Date(), nullable=True)
    run_id: Mapped[str] = mapped_column(String(40), default="", index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RetentionFactRow(Base):
    __tablename__ = "retention_facts"
    __table_args__ = (UniqueConstraint("holder", "kind", "subject", "happened_on"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(64))
    happened_on: Mapped[date] = mapped_column(Date())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeleteConfigRow(Base):
    __tablename__ = "record_delete_configs"

    holder: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    delete_offset: Mapped[str] = mapped_column(String(20))
    delete_date: Mapped[date | None] = mapped_column(Date(), nullable=True)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())
