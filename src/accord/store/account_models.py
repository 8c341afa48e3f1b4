"""Local accounts of the web service, and OpenID Connect sign-ins under way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.models import Base, UTCDateTime


class AccountRow(Base):
    __tablename__ = "accounts"

    principal_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("principals.id"), primary_key=True
    )
    """The username is the principal's id: one account per principal."""
    password_hash: Mapped[str] = mapped_column(String(200))
    """An argon2id hash in its PHC string form (parameters and salt included)."""
    totp_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    """The TOTP secret, sealed under the home's master key and bound to the principal."""
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    """The last 30-second step whose code was accepted: a code is never accepted twice."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OidcFlowRow(Base):
    __tablename__ = "oidc_flows"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the ``state`` sent to the provider: the browser carries only ``state``."""
    provider: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(String(2000))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
