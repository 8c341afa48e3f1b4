"""Requests being written in the web service's question pages, before and between submissions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.models import Base, UTCDateTime


class DraftRow(Base):
    __tablename__ = "web_drafts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    principal_id: Mapped[str] = mapped_column(String(64), index=True)
    """Who is writing it: only they see it."""
    organisation_id: Mapped[str] = mapped_column(String(64), index=True)
    """The requesting organisation it is written for."""
    answers: Mapped[str] = mapped_column(Text)
    """The answers so far, as JSON: whatever has been answered, valid or not yet complete."""
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    """The request it became (or, for changes asked for, the request it revises)."""
    dpia_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    dpia_filename: Mapped[str | None] = mapped_column(String(200), nullable=True)
    dpia_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    """Set when the draft was submitted: it is then the request's, not a draft."""
