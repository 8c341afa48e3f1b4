"""The deletion job and destruction certificates over HTTP.

An organisation's items and certificates live under its path, so the caller is
authorised for the organisation before anything is looked up; an item or certificate
that is not the organisation's answers exactly as a missing one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import Field

from accord.api.deps import AccordDep, CallerDep
from accord.api.schemas import StrictModel
from accord.core.lifecycle.certificate import DestructionMethod, SignedCertificate
from accord.core.lifecycle.deletion import ItemState, RetentionAction
from accord.core.permissions import can_read_catalogue
from accord.errors import ValidationError
from accord.services.guard import authorise
from accord.services.records import RecordsService
from accord.services.retention import RetentionService, certificate_dict, item_dict

router = APIRouter(tags=["retention"])


class CertifyIn(StrictModel):
    item: str = Field(min_length=1, max_length=40, description="The work item id (ri-…).")
    method: DestructionMethod = DestructionMethod.SECURE_DELETE
    destroyed_at: datetime | None = Field(default=None, description="Default: now.")
    note: str = Field(default="", max_length=2000)


class SignatureIn(StrictModel):
    algorithm: str
    key: str = Field(max_length=64)
    value: str = Field(max_length=256)


class CertificateIn(StrictModel):
    """A certificate in its portable form, as `accord retention certificate show --out` writes."""

    certificate: dict[str, Any]
    signature: SignatureIn


@router.post("/retention/run")
def run_job(accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """Run the deletion job now (platform admins): what it planned, deleted and marked,
    then the held records whose delete date has come (``records``)."""
    report = RetentionService.of(accord).run(caller).as_dict()
    return {**report, "records": RecordsService.of(accord).run(caller).as_dict()}


@router.get("/organisations/{org_id}/retention-items")
def list_items(
    org_id: str, accord: AccordDep, caller: CallerDep, state: ItemState | None = None
) -> list[dict[str, Any]]:
    """Work items the organisation holds, or that concern its data."""
    items = RetentionService.of(accord).items(caller, organisation=org_id, state=state)
    return [item_dict(i) for i in items]


@router.post(
    "/organisations/{org_id}/destruction-certificates", status_code=status.HTTP_201_CREATED
)
def certify(org_id: str, body: CertifyIn, accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """The holder certifies that a copy marked for destruction is destroyed; the
    certificate is signed with the organisation's signing key."""
    signed = RetentionService.of(accord).certify_item(
        caller,
        body.item,
        holder=org_id,
        method=body.method,
        destroyed_at=body.destroyed_at,
        note=body.note,
    )
    return certificate_dict(signed)


@router.get("/organisations/{org_id}/destruction-certificates")
def list_certificates(
    org_id: str, accord: AccordDep, caller: CallerDep, agreement: str | None = None
) -> list[dict[str, Any]]:
    """Certificates the organisation issued, or about its data."""
    found = RetentionService.of(accord).certificates(
        caller, organisation=org_id, agreement_id=agreement
    )
    return [certificate_dict(s) for s in found]


@router.get("/organisations/{org_id}/destruction-certificates/{certificate_id}")
def show_certificate(
    org_id: str, certificate_id: str, accord: AccordDep, caller: CallerDep
) -> dict[str, Any]:
    """One certificate, with whether it verifies against the holder's registered key."""
    service = RetentionService.of(accord)
    signed = service.certificate(caller, certificate_id, organisation=org_id)
    return certificate_dict(signed, service.verify(signed))


@router.post("/destruction-certificates/verify")
def verify_certificate(body: CertificateIn, accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """Verify a certificate document against its holder's key in the catalogue."""
    authorise(
        accord.store,
        caller,
        can_read_catalogue(caller),
        action=RetentionAction.VERIFY.value,
        obj="certificate",
    )
    try:
        signed = SignedCertificate.from_json(body.model_dump_json())
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    verdict = RetentionService.of(accord).verify(signed)
    return {"verified": verdict.allowed, "reason": verdict.reason}
