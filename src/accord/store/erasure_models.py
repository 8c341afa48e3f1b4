"""Erasure requests, the holders each accepted one reaches, and copies held downstream."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.models import Base, UTCDateTime


class ErasureRequestRow(Base):
    """One participant's request. ``nino`` and ``addressee`` are the only direct
    identifiers; both are blanked when the request closes or is withdrawn."""

    __tablename__ = "erasure_requests"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    provider: Mapped[str] = mapped_column(String(64), index=True)
    department: Mapped[str] = mapped_column(String(64), index=True)
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    person_ref: Mapped[str] = mapped_column(String(64), index=True)
    nino: Mapped[str] = mapped_column(String(16))
    addressee: Mapped[str] = mapped_column(Text())
    state: Mapped[str] = mapped_column(String(20), index=True)
    received_on: Mapped[date] = mapped_column(Date())
    due_on: Mapped[date] = mapped_column(Date(), index=True)
    reference: Mapped[str] = mapped_column(String(64))
    facts: Mapped[str] = mapped_column(Text())
    decision: Mapped[str] = mapped_column(Text())
    letters: Mapped[str] = mapped_column(Text())
    reminded_on: Mapped[date | None] = mapped_column(Date(), nullable=True)
    version: Mapped[int] = mapped_column(Integer())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ErasureHolderRow(Base):
    """An organisation an accepted erasure reaches, and its certificate once in."""

    __tablename__ = "erasure_holders"

    request_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    erased: Mapped[str] = mapped_column(Text())
    certificate_id: Mapped[str] = mapped_column(String(40))
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class HeldCopyRow(Base):
    """A file of an agreement's data held by an organisation Accord did not send it to
    (a provider's forward to its sub-contractor), registered so erasure reaches it."""

    __tablename__ = "erasure_held_copies"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), index=True)
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    location: Mapped[str] = mapped_column(Text())
    registered_by: Mapped[str] = mapped_column(String(200))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
