"""Machine clients' signing keys: register, list, revoke (docs/tls.md#signed-requests)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from accord.api.deps import AccordDep, CallerDep
from accord.core.httpsig import ClientKey
from accord.services.client_keys import ClientKeyService

__all__ = ["router"]

router = APIRouter(tags=["identity"])


class ClientKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public_key: str = Field(
        max_length=4096,
        description="An Ed25519 public key: PEM (-----BEGIN PUBLIC KEY-----) or an OpenSSH "
        "ssh-ed25519 line.",
    )
    description: str = Field(default="", max_length=200)


class ClientKeyOut(BaseModel):
    id: str = Field(description="The keyid to sign requests with.")
    principal: str
    fingerprint: str = Field(description="The first 32 hex digits of SHA-256(raw key).")
    created_at: datetime
    revoked_at: datetime | None
    description: str

    @classmethod
    def of(cls, key: ClientKey) -> ClientKeyOut:
        return cls(
            id=key.id,
            principal=key.principal_id,
            fingerprint=key.fingerprint,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            description=key.description,
        )


def _service(accord: AccordDep) -> ClientKeyService:
    return ClientKeyService(accord.store)


@router.post(
    "/principals/{principal_id}/client-keys",
    response_model=ClientKeyOut,
    status_code=status.HTTP_201_CREATED,
)
def register_client_key(
    principal_id: str, body: ClientKeyIn, accord: AccordDep, caller: CallerDep
) -> ClientKeyOut:
    """Register a public key the principal's requests may be signed with (RFC 9421)."""
    key = _service(accord).register(
        caller, principal_id, body.public_key.encode(), description=body.description
    )
    return ClientKeyOut.of(key)


@router.get("/principals/{principal_id}/client-keys", response_model=list[ClientKeyOut])
def list_client_keys(principal_id: str, accord: AccordDep, caller: CallerDep) -> list[ClientKeyOut]:
    return [ClientKeyOut.of(k) for k in _service(accord).list_keys(caller, principal_id)]


@router.delete("/client-keys/{key_id}", response_model=ClientKeyOut)
def revoke_client_key(key_id: str, accord: AccordDep, caller: CallerDep) -> ClientKeyOut:
    """Revoke a client key: requests it signs are refused from now on."""
    return ClientKeyOut.of(_service(accord).revoke(caller, key_id))
