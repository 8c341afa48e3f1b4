"""The audit log over HTTP, for auditors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from accord.api.deps import AccordDep, CallerDep
from accord.api.schemas import AuditEventOut, CheckpointOut, VerifyOut
from accord.core.permissions import can_read_audit
from accord.services.guard import authorise
from accord.store import AuditFilter

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/events", response_model=list[AuditEventOut])
def list_events(
    accord: AccordDep,
    caller: CallerDep,
    actor: str | None = None,
    organisation: Annotated[str | None, Query(description="The acting organisation.")] = None,
    about: Annotated[
        str | None,
        Query(
            description="An organisation the events concern: its staff's, and every use "
            "of its datasets, requests and agreements (its auditors and DPOs may ask)."
        ),
    ] = None,
    object: Annotated[str | None, Query(description="e.g. dataset:dwp/carers")] = None,
    action: Annotated[str | None, Query(description="An action or its prefix.")] = None,
    decision: Annotated[str | None, Query(pattern="^(allow|deny)$")] = None,
    since: Annotated[
        str | None, Query(description="ISO time, UTC, e.g. 2026-11-24T09:00:00Z")
    ] = None,
    until: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[AuditEventOut]:
    """Events newest first. Platform auditors see all; an organisation's auditors see its
    staff's events, and its auditors and DPOs every event ``about`` it."""
    where = AuditFilter(
        actor=actor,
        organisation=organisation,
        about=about,
        object=object,
        action=action,
        decision=decision,
        since=since,
        until=until,
        limit=limit,
    )
    return [
        AuditEventOut(
            seq=r.seq,
            ts=r.ts,
            actor=r.actor,
            organisation=r.organisation,
            owners=list(r.owner_ids),
            action=r.action,
            object=r.object,
            decision=r.decision,
            reason=r.reason,
            details=r.details_dict,
            prev_hash=r.prev_hash,
            hash=r.hash,
        )
        for r in accord.audit.show(caller, where)
    ]


@router.get("/verify", response_model=VerifyOut)
def verify(accord: AccordDep, caller: CallerDep) -> VerifyOut:
    """Verify the whole chain and the signed checkpoints (platform auditors)."""
    authorise(
        accord.store, caller, can_read_audit(caller, None), action="audit.verify", obj="audit"
    )
    report = accord.audit.verify()
    return VerifyOut(
        ok=report.ok,
        events=report.events,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        checkpoints=report.checkpoints,
        first_bad_seq=report.first_bad_seq,
        problem=report.problem,
    )


@router.post("/checkpoints", response_model=CheckpointOut, status_code=status.HTTP_201_CREATED)
def checkpoint(accord: AccordDep, caller: CallerDep) -> CheckpointOut:
    """Sign the current head of the log."""
    c = accord.audit.checkpoint(caller)
    return CheckpointOut(
        seq=c.seq,
        head_hash=c.head_hash,
        signed_at=c.signed_at,
        key_fingerprint=c.key_fingerprint,
        signature=c.signature,
    )
