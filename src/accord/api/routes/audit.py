"""The audit log over HTTP, for auditors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from accord.api.deps import AccordDep, CallerDep
from accord.api.schemas import AuditEventOut, CheckpointOut, VerifyOut
from accord.core.checkpoint import Cosignature, checkpoint_from_json
from accord.core.permissions import can_read_audit
from accord.services.checkpoint_log import PublishedCheckpoint
from accord.services.guard import authorise
from accord.store import AuditFilter
from accord.witness.state import parse_public_key

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
    return VerifyOut.of(report)


Hex64 = Annotated[str, Field(pattern="^[0-9a-f]{64}$")]


class CosignatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key_fingerprint: str = Field(max_length=64)
    signature: str = Field(max_length=200)


class PublishedCheckpointIn(BaseModel):
    """A checkpoint as ``accord audit publish`` writes it (one line of checkpoints.jsonl)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field("checkpoint", pattern="^checkpoint$")
    version: int = Field(2, ge=1, le=2)
    seq: int = Field(ge=1)
    head_hash: Hex64
    signed_at: str = Field(max_length=40)
    key_fingerprint: str = Field(max_length=64)
    signature: str = Field(max_length=200)
    tree_size: int | None = Field(None, ge=1)
    root: Hex64 | None = None


class VerifyAgainstIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkpoint: PublishedCheckpointIn
    cosignatures: list[CosignatureIn] = Field(default_factory=list, max_length=16)
    witness_key: Hex64 | None = Field(
        None, description="Also require a countersignature by this witness key (hex)."
    )


@router.post("/verify", response_model=VerifyOut)
def verify_against(accord: AccordDep, caller: CallerDep, body: VerifyAgainstIn) -> VerifyOut:
    """Verify the log against a checkpoint published outside the store: a restored
    backup, a cut tail or rewritten history fails, named (platform auditors)."""
    allowed = authorise(
        accord.store,
        caller,
        can_read_audit(caller, None),
        action="audit.verify_against",
        obj="audit",
    )
    data = body.checkpoint.model_dump(exclude_none=True)
    published = PublishedCheckpoint(
        checkpoint_from_json(data, "the checkpoint"),
        tuple(Cosignature(c.key_fingerprint, c.signature) for c in body.cosignatures),
    )
    key = parse_public_key(body.witness_key, "witness_key") if body.witness_key else None
    report = accord.audit.verify_against(published, witness_key=key)
    accord.audit.record(
        allowed.with_details(
            ok=report.ok, seq=published.checkpoint.seq, root=published.checkpoint.root
        )
    )
    return VerifyOut.of(report)


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
