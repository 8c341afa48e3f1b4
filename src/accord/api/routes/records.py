"""Held records and their retention over HTTP: thin adapters over
:class:`accord.services.records.RecordsService`.

A record's file is the raw request body (its size checked against the limit before it
is read, and again while it is read); the participant's NINO travels in the
``Accord-Participant-Nino`` header, never in the URL, and is kept only as the holder's
pseudonymous reference. Another organisation's records answer as missing ones.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from accord.api.deps import AccordDep, CallerDep
from accord.api.schemas import StrictModel
from accord.core.lifecycle.record_retention import RecordKind, RecordState
from accord.errors import ValidationError
from accord.services.records import MAX_RECORD_BYTES, RecordsService, ScheduledRecord, record_dict

router = APIRouter(tags=["records"])


class EventIn(StrictModel):
    event: str = Field(max_length=40, description="decision_notified, programme_ended, …")
    on: date = Field(description="The day it happened.")
    nino: str = Field(default="", max_length=20, description="For decision_notified.")
    programme: str = Field(default="", max_length=20, description="WHP or WHP-JETS.")


class DeleteDateIn(StrictModel):
    offset: str = Field(default="P0D", max_length=20, description="After keep-until.")
    on: date | None = Field(default=None, description="Or this date (not before keep-until).")


def _too_large(size: int) -> ValidationError:
    return ValidationError(
        f"file: {size} bytes or more is over the limit of {MAX_RECORD_BYTES}",
        problems=[{"field": "file", "error": "too large"}],
    )


@router.post("/organisations/{org_id}/held-records", status_code=status.HTTP_201_CREATED)
async def add_record(
    org_id: str,
    request: Request,
    accord: AccordDep,
    caller: CallerDep,
    kind: Annotated[str, Query(max_length=40)],
    referral: Annotated[str, Query(max_length=20)],
    nino: Annotated[str, Header(alias="Accord-Participant-Nino", max_length=20)],
    suffix: Annotated[str, Query(max_length=9)] = ".bin",
) -> dict[str, Any]:
    """Hold one record for the organisation; the body is the file."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_RECORD_BYTES:
        raise _too_large(int(length))
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_RECORD_BYTES:
            raise _too_large(len(data))
    service = RecordsService.of(accord)
    record = await run_in_threadpool(
        lambda: service.add(
            caller,
            org_id,
            kind=kind,
            referral_id=referral,
            nino=nino,
            data=bytes(data),
            suffix=suffix,
        )
    )
    return record_dict(ScheduledRecord(record, None, None))


@router.get("/organisations/{org_id}/held-records")
def list_records(
    org_id: str,
    accord: AccordDep,
    caller: CallerDep,
    state: RecordState | None = None,
    kind: RecordKind | None = None,
) -> list[dict[str, Any]]:
    """The organisation's records with their keep-until and delete dates."""
    found = RecordsService.of(accord).schedule(caller, org_id, state=state, kind=kind)
    return [record_dict(s) for s in found]


@router.post("/organisations/{org_id}/retention-events")
def record_event(
    org_id: str, body: EventIn, accord: AccordDep, caller: CallerDep
) -> dict[str, Any]:
    """Record a retention event when it happens (the holder's DPO or admin)."""
    added = RecordsService.of(accord).record_event(
        caller, org_id, body.event, body.on, nino=body.nino, programme=body.programme
    )
    return {"recorded": added}


@router.put("/organisations/{org_id}/record-delete-dates/{kind}")
def set_delete_date(
    org_id: str, kind: str, body: DeleteDateIn, accord: AccordDep, caller: CallerDep
) -> dict[str, Any]:
    """When the organisation deletes a kind of record: never before keep-until."""
    config = RecordsService.of(accord).configure(
        caller, org_id, kind, offset=body.offset, on=body.on
    )
    return {"kind": config.kind.value, "delete": config.describe()}


@router.post("/organisations/{org_id}/held-records/run")
def run_for_holder(org_id: str, accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """Run the record retention job over the organisation's records (its DPO or admin,
    who signs the destruction certificate)."""
    return RecordsService.of(accord).run(caller, holder=org_id).as_dict()
