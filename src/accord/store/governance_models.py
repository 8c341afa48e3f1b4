"""Tables for requests, their submitted revisions, reviews and overrides, decision
records with their signatures, and agreement versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.models import Base, UTCDateTime


class RequestRow(Base):
    __tablename__ = "requests"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(30), index=True)
    title: Mapped[str] = mapped_column(String(300))
    requesting_organisation: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    requester: Mapped[str] = mapped_column(ForeignKey("principals.id"))
    document: Mapped[str] = mapped_column(Text)
    tier: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReviewRow(Base):
    __tablename__ = "request_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    principal_id: Mapped[str] = mapped_column(ForeignKey("principals.id"))
    organisation_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    assessment_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    conditions: Mapped[str | None] = mapped_column(Text, nullable=True)
    """JSON list of the conditions an approver attached."""
    charge_pence: Mapped[int | None] = mapped_column(Integer, nullable=True)
    charge_basis: Mapped[str | None] = mapped_column(Text, nullable=True)


class RevisionRow(Base):
    __tablename__ = "request_revisions"

    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    assessment: Mapped[str] = mapped_column(Text)
    assessment_sha256: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OverrideRow(Base):
    __tablename__ = "request_overrides"
    __table_args__ = (
        UniqueConstraint("request_id", "revision", "finding", "organisation_id", "role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    finding: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    principal_id: Mapped[str] = mapped_column(ForeignKey("principals.id"))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgreementRow(Base):
    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"))
    recipient: Mapped[str] = mapped_column(String(64), index=True)
    policy: Mapped[str] = mapped_column(Text)
    policy_sha256: Mapped[str] = mapped_column(String(64))
    decision_record: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(200))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    signed_by: Mapped[str] = mapped_column(String(64))
    """``signature``, ``key_fingerprint`` and ``signed_by`` hold the first data owner's
    signature, as before multi-owner signing; the whole set is under ``decision_id``."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decision_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class DecisionRow(Base):
    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(30))
    record: Mapped[str] = mapped_column(Text)
    agreement_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    agreement_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DecisionSignatureRow(Base):
    __tablename__ = "decision_signatures"
    __table_args__ = (UniqueConstraint("decision_id", "organisation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(64))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))


class LinkageDomainRow(Base):
    """A linkage domain's owner: the first agreement activated into it. The primary key
    makes two agreements racing to create the same domain conflict, not both own it."""

    __tablename__ = "linkage_domains"

    domain: Mapped[str] = mapped_column(String(63), primary_key=True)
    owner_agreement: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LinkageDomainMemberRow(Base):
    """Each agreement that pseudonymises into a domain, the owner included, with its
    recipient and data owners as they were when it activated."""

    __tablename__ = "linkage_domain_members"

    domain: Mapped[str] = mapped_column(ForeignKey("linkage_domains.domain"), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(64))
    data_owners: Mapped[str] = mapped_column(Text)
    """JSON list of organisation ids."""
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
