"""Organisations' public keys over HTTP: what a sender encrypts to and a recipient
verifies against. Packages themselves move as files (``accord package``)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from accord.api.deps import AccordDep, CallerDep

router = APIRouter(tags=["transfer"])


class OrgKeyOut(BaseModel):
    fingerprint: str
    purpose: str
    state: str
    public_key: str
    created_at: datetime
    valid_until: datetime | None


@router.get("/organisations/{org_id}/keys", response_model=list[OrgKeyOut])
def list_keys(org_id: str, accord: AccordDep, caller: CallerDep) -> list[OrgKeyOut]:
    """The organisation's signing and encryption keys, current, in overlap and retired."""
    now = accord.store.clock()
    return [
        OrgKeyOut(
            fingerprint=k.fingerprint,
            purpose=k.purpose.value,
            state=k.state(now).value,
            public_key=k.public_key,
            created_at=k.created_at,
            valid_until=k.valid_until,
        )
        for k in accord.org_keys.list(caller, org_id)
    ]
