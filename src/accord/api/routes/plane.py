"""The governed data plane over HTTP: extracts, in-place queries, eligibility checks,
and the data owners' opt-out registers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from accord.api.deps import AccordDep, CallerDep
from accord.api.downloads import extract_download
from accord.api.schemas import StrictModel
from accord.core.plan.release import Declared

router = APIRouter(tags=["data plane"])


class QueryIn(StrictModel):
    sql: str = Field(min_length=1, max_length=100_000)
    max_rows: int = Field(default=10_000, ge=1, le=1_000_000)


class QueryOut(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool


class CheckIn(StrictModel):
    dataset: str
    identifiers: list[str] = Field(min_length=1, max_length=100_000)


class OptOutIn(StrictModel):
    identifier_type: str
    identifiers: list[str] = Field(min_length=1)


@router.post("/agreements/{agreement_id}/extracts/{org_id}/{name}")
def extract(
    agreement_id: str,
    org_id: str,
    name: str,
    accord: AccordDep,
    caller: CallerDep,
    format: str = "parquet",
    territory: str | None = None,
    processor: str | None = None,
) -> FileResponse:
    """Run the governed extract and download it; the release is audited first.

    ``territory`` and ``processor`` declare where it goes; the agreement must allow both.
    """
    return extract_download(
        accord,
        caller,
        agreement_id,
        f"{org_id}/{name}",
        format,
        Declared(territory, processor),
    )


@router.post("/agreements/{agreement_id}/query", response_model=QueryOut)
def query(agreement_id: str, body: QueryIn, accord: AccordDep, caller: CallerDep) -> QueryOut:
    """One SELECT over the agreement's views (named ORG_NAME), in place and audited."""
    result = accord.plane.query(caller, agreement_id, body.sql, max_rows=body.max_rows)
    return QueryOut(
        columns=result.table.column_names,
        rows=result.table.to_pylist(),
        truncated=result.truncated,
    )


@router.post("/agreements/{agreement_id}/check")
def check(
    agreement_id: str, body: CheckIn, accord: AccordDep, caller: CallerDep
) -> dict[str, bool]:
    """Per-record yes/no, only where the agreement allows per-record answers."""
    return accord.plane.check(caller, agreement_id, body.dataset, body.identifiers)


@router.post("/organisations/{org_id}/opt-outs", status_code=status.HTTP_201_CREATED)
def add_opt_outs(
    org_id: str, body: OptOutIn, accord: AccordDep, caller: CallerDep
) -> dict[str, int]:
    """Add people to the data owner's opt-out register (its data owners and DPOs only)."""
    added = accord.plane.add_opt_outs(caller, org_id, body.identifier_type, body.identifiers)
    return {"added": added}
