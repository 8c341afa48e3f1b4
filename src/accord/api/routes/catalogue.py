"""The catalogue: search and read metadata; publish datasets by uploading files.

An upload is authorised before a byte of it is read: a caller who may not publish to
the organisation is refused (and audited) with nothing in ``uploads/``. The body is
then streamed to a private temporary file there, within ``ACCORD_MAX_UPLOAD_BYTES``
(:mod:`accord.api.body_limits` counts it), and removed once the ingest has read it,
whatever the outcome.

In-place sources (DuckDB and PostgreSQL tables) are registered from the command line
only: letting an API caller name a path or a database URL on the server would let
it read what the server can.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from starlette.concurrency import run_in_threadpool

from accord.api.deps import AccordDep, CallerDep
from accord.api.schemas import DatasetOut, FieldPatch, IngestOut, ProblemOut, VersionOut
from accord.core.catalogue import UpdateFrequency
from accord.core.permissions import Caller
from accord.errors import TooLarge, ValidationError
from accord.fsutil import fsync_directory
from accord.services.app import Accord
from accord.services.catalogue import IngestReport

router = APIRouter(tags=["catalogue"])

_SUFFIX = {
    "text/csv": ".csv",
    "application/vnd.apache.parquet": ".parquet",
    "application/x-parquet": ".parquet",
}


async def _upload(
    request: Request, accord: Accord, caller: Caller, dataset_id: str, *, creating: bool
) -> Path:
    """The upload in a private temporary file, once the caller may publish there.

    Permission is decided (and a refusal audited) before the body is touched; an
    upload over the size limit is refused, audited, and leaves nothing behind.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    suffix = _SUFFIX.get(content_type)
    await run_in_threadpool(accord.catalogue.check_publish, caller, dataset_id, creating=creating)
    if suffix is None:
        raise ValidationError(
            f"Content-Type {content_type or '(none)'!r} is not an upload Accord takes: "
            "send text/csv or application/vnd.apache.parquet"
        )
    try:
        declared = request.headers.get("content-length", "")
        limit = accord.settings.max_upload_bytes
        if declared.isdigit() and int(declared) > limit:
            # Refused here rather than by the body limit, so the refusal is on the record.
            raise TooLarge(
                f"the upload declares {int(declared):,} bytes, over the limit of {limit:,} "
                "bytes (ACCORD_MAX_UPLOAD_BYTES); nothing was stored",
                limit=limit,
                setting="ACCORD_MAX_UPLOAD_BYTES",
            )
        return await _receive(request, accord.home / "uploads", suffix)
    except TooLarge as exc:
        refuse = accord.catalogue.refuse_upload
        await run_in_threadpool(refuse, caller, dataset_id, creating=creating, reason=exc.message)
        raise


async def _receive(request: Request, directory: Path, suffix: str) -> Path:
    """Stream the request body to a private temporary file of the upload's type."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, kept on success
        dir=directory, suffix=suffix, delete=False
    )
    path = Path(handle.name)
    size = 0
    try:
        with handle:
            async for chunk in request.stream():
                size += len(chunk)
                handle.write(chunk)
        fsync_directory(directory)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise ValidationError("the request body is empty: send the file as the body")
    return path


def _ingest_out(report: IngestReport) -> IngestOut:
    return IngestOut(
        dataset=DatasetOut.of(report.dataset),
        version=VersionOut.of(report.version),
        unchanged=report.unchanged,
        quarantined_rows=report.version.quarantined_rows if not report.unchanged else 0,
        problems=[
            ProblemOut(row=p.row, column=p.column, code=p.code, message=p.message)
            for p in report.problems[:100]
        ],
    )


@router.get("/datasets", response_model=list[DatasetOut])
def list_datasets(
    accord: AccordDep,
    caller: CallerDep,
    organisation: Annotated[str | None, Query(description="Only this organisation's.")] = None,
) -> list[DatasetOut]:
    """The catalogue across organisations: metadata only, never rows."""
    return [DatasetOut.of(d) for d in accord.catalogue.list_datasets(caller, organisation)]


@router.get("/datasets/search", response_model=list[DatasetOut])
def search_datasets(
    accord: AccordDep,
    caller: CallerDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Words to find.")],
) -> list[DatasetOut]:
    """Datasets whose name, description, fields or tags contain every word."""
    return [DatasetOut.of(d) for d in accord.catalogue.search(caller, q)]


@router.get("/datasets/{org_id}/{name}", response_model=DatasetOut)
def get_dataset(org_id: str, name: str, accord: AccordDep, caller: CallerDep) -> DatasetOut:
    dataset, versions = accord.catalogue.show(caller, f"{org_id}/{name}")
    return DatasetOut.of(dataset, versions)


@router.post(
    "/datasets/{org_id}/{name}",
    response_model=IngestOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
                "application/vnd.apache.parquet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    },
)
async def register_dataset(
    org_id: str,
    name: str,
    request: Request,
    accord: AccordDep,
    caller: CallerDep,
    description: str = "",
    tags: Annotated[list[str] | None, Query()] = None,
    update_frequency: UpdateFrequency = UpdateFrequency.ONE_OFF,
    retention: str = "",
    owner: str = "",
    lenient: bool = False,
) -> IngestOut:
    """Register a dataset from the uploaded CSV or Parquet body: version 1."""
    upload = await _upload(request, accord, caller, f"{org_id}/{name}", creating=True)
    try:
        report = await run_in_threadpool(
            accord.catalogue.register,
            caller,
            org_id,
            name,
            str(upload),
            description=description,
            tags=tuple(tags or ()),
            update_frequency=update_frequency,
            retention=retention,
            owner_id=owner,
            lenient=lenient,
        )
    finally:
        upload.unlink(missing_ok=True)
    return _ingest_out(report)


@router.post(
    "/datasets/{org_id}/{name}/versions",
    response_model=IngestOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def ingest_version(
    org_id: str,
    name: str,
    request: Request,
    accord: AccordDep,
    caller: CallerDep,
    lenient: bool = False,
) -> IngestOut:
    """A new version from the uploaded body, checked against the registered schema.

    Authorisation comes before the dataset is looked up (in the service), so a caller
    who may not publish there is refused alike whether the dataset exists or not."""
    upload = await _upload(request, accord, caller, f"{org_id}/{name}", creating=False)
    try:
        report = await run_in_threadpool(
            accord.catalogue.ingest, caller, f"{org_id}/{name}", str(upload), lenient=lenient
        )
    finally:
        upload.unlink(missing_ok=True)
    return _ingest_out(report)


@router.patch("/datasets/{org_id}/{name}/fields/{field}", response_model=DatasetOut)
def classify_field(
    org_id: str, name: str, field: str, body: FieldPatch, accord: AccordDep, caller: CallerDep
) -> DatasetOut:
    """Confirm or override a field's category and semantic type (its data owner only)."""
    dataset = accord.catalogue.classify(
        caller,
        f"{org_id}/{name}",
        field,
        category=body.category,
        semantic_type=body.semantic_type,
        description=body.description,
    )
    return DatasetOut.of(dataset)
