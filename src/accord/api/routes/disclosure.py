"""Disclosure control over HTTP: protected tables, published statistics, batch
validation and the airlock. The same services as ``accord stats``, ``accord batch`` and
``accord airlock``; every refusal is a 403 in the one error envelope, and audited."""

from __future__ import annotations

import shutil
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from accord.api.deps import AccordDep, CallerDep
from accord.api.schemas import StrictModel
from accord.disclosure.airlock import Decision, OutputRequest
from accord.disclosure.batch import MAX_BATCH_RECORDS, BatchAnswer, BatchPolicy
from accord.errors import ValidationError
from accord.fsutil import private_tempdir
from accord.services.disclosure import ProtectedTable, Protection, SubmittedOutput

router = APIRouter(tags=["disclosure control"])


class TableIn(StrictModel):
    rows: list[str] = Field(min_length=1)
    columns: list[str] = Field(min_length=1)
    value: str | None = Field(default=None, description="A numeric field to sum; counts if none")
    protection: Protection = Protection.SUPPRESS


class TableOut(BaseModel):
    rows: list[str]
    columns: list[str]
    value: str | None
    protection: Protection
    row_labels: list[list[Any]]
    column_labels: list[list[Any]]
    values: list[list[float | None]] = Field(description="null where suppressed; totals last")
    flags: list[list[int]]
    rules: dict[str, Any]

    @classmethod
    def of(cls, t: ProtectedTable) -> TableOut:
        return cls(
            rows=list(t.rows),
            columns=list(t.columns),
            value=t.value,
            protection=t.protection,
            row_labels=[list(label) for label in t.row_labels],
            column_labels=[list(label) for label in t.column_labels],
            values=t.values,
            flags=t.flags,
            rules=t.rules,
        )


class PublishIn(TableIn):
    name: str = Field(description="The published dataset's name, in the source's organisation")
    description: str = ""
    tags: list[str] = Field(default_factory=list)


class PublishOut(BaseModel):
    dataset: str
    version: int
    source: str
    tags: list[str]
    table: TableOut


class BatchCheckIn(StrictModel):
    name: str
    dataset: str = Field(description="ORG/NAME: the data owner's dataset")
    key_field: str
    criterion: dict[str, list[str | bool | int | float]] = Field(
        min_length=1,
        description="Field to the values that make a record eligible; typed by the field "
        "(true/false for booleans, YYYY-MM-DD for dates, numbers for numbers)",
    )
    requesters: list[str] = Field(min_length=1, description="Organisations offered the check")
    description: str = ""
    lineage_epsilon: float | None = Field(
        default=None,
        gt=0,
        description="The total epsilon every agreement together may spend on the dataset "
        "across its versions; declared with the first check, never renewed",
    )
    min_batch: int = 100
    threshold: int = 10
    epsilon_per_batch: float = 0.1
    budget: float = 0.4
    max_overlap: float = 0.5
    band: float = 0.0


class BatchCheckOut(BaseModel):
    id: str
    dataset: str
    requesters: list[str]
    policy: dict[str, Any]
    lineage_epsilon: float
    attacker_accuracy_bound: float = Field(
        description="From the lineage's total: the most any set of requesters can combine"
    )


class BatchIn(StrictModel):
    identifiers: list[str] = Field(min_length=1, max_length=MAX_BATCH_RECORDS)
    organisation: str | None = Field(
        default=None, description="The submitting organisation, when the caller has several"
    )


class BatchOut(BaseModel):
    outcome: str
    records: int
    proportion: float | None
    band: list[float] | None
    epsilon: float
    reason: str
    answer: str

    @classmethod
    def of(cls, a: BatchAnswer) -> BatchOut:
        return cls(
            outcome=a.outcome.value,
            records=a.records,
            proportion=a.proportion,
            band=list(a.band) if a.band else None,
            epsilon=a.epsilon,
            reason=a.reason,
            answer=a.text(),
        )


class CheckerIn(StrictModel):
    principal: str


class OutputIn(StrictModel):
    name: str
    content: str = Field(description="The CSV file, as text")
    query: str = Field(description="The query that produced it")
    count_columns: list[str] = Field(default_factory=list)


class OutputsIn(StrictModel):
    title: str
    outputs: list[OutputIn] = Field(min_length=1)


class OutputFileOut(BaseModel):
    name: str
    sha256: str
    status: str
    sdc: dict[str, Any]


class OutputRequestOut(BaseModel):
    id: str
    organisation: str
    author: str
    title: str
    files: list[OutputFileOut]

    @classmethod
    def of(cls, r: OutputRequest) -> OutputRequestOut:
        return cls(
            id=r.id,
            organisation=r.organisation_id,
            author=r.author,
            title=r.title,
            files=[
                OutputFileOut(name=f.name, sha256=f.sha256, status=f.status.value, sdc=f.checks)
                for f in r.files
            ],
        )


class ReviewIn(StrictModel):
    decision: Decision
    comment: str = ""


@router.post("/stats/tables/{org_id}/{name}", response_model=TableOut)
def tabulate(
    org_id: str, name: str, body: TableIn, accord: AccordDep, caller: CallerDep
) -> TableOut:
    """A protected table of counts (or sums) from a dataset; suppressed cells are null."""
    result = accord.tables.tabulate(
        caller, f"{org_id}/{name}", body.rows, body.columns, body.value, protection=body.protection
    )
    return TableOut.of(result)


@router.post(
    "/stats/published/{org_id}/{name}",
    response_model=PublishOut,
    status_code=status.HTTP_201_CREATED,
)
def publish(
    org_id: str, name: str, body: PublishIn, accord: AccordDep, caller: CallerDep
) -> PublishOut:
    """Publish a protected table of ORG/NAME to the catalogue as a tier-1 product."""
    published = accord.tables.publish(
        caller,
        f"{org_id}/{name}",
        body.rows,
        body.columns,
        body.value,
        name=body.name,
        description=body.description,
        tags=body.tags,
        protection=body.protection,
    )
    return PublishOut(
        dataset=published.dataset_id,
        version=published.version,
        source=published.source,
        tags=list(published.tags),
        table=TableOut.of(published.table),
    )


@router.post("/batch-checks", response_model=BatchCheckOut, status_code=status.HTTP_201_CREATED)
def define_batch_check(body: BatchCheckIn, accord: AccordDep, caller: CallerDep) -> BatchCheckOut:
    """A data owner offers batch validation on a dataset to named organisations."""
    try:
        policy = BatchPolicy(
            min_batch=body.min_batch,
            threshold=body.threshold,
            epsilon_per_batch=body.epsilon_per_batch,
            budget=body.budget,
            max_overlap=body.max_overlap,
            band=body.band,
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    check = accord.batches.define(
        caller,
        body.dataset.partition("/")[0],
        body.name,
        body.dataset,
        body.key_field,
        body.criterion,
        body.requesters,
        policy=policy,
        description=body.description,
        lineage_epsilon=body.lineage_epsilon,
    )
    lineage = accord.batches.budget(check.id)
    return BatchCheckOut(
        id=check.id,
        dataset=check.dataset_id,
        requesters=list(check.requesters),
        policy=check.policy.as_dict(),
        lineage_epsilon=lineage.total,
        attacker_accuracy_bound=lineage.attacker_accuracy_bound,
    )


@router.post("/batch-checks/{org_id}/{name}/batches", response_model=BatchOut)
def validate_batch(
    org_id: str, name: str, body: BatchIn, accord: AccordDep, caller: CallerDep
) -> BatchOut:
    """Submit a batch: a proportion that met the criteria, or a refusal with its reason.

    Answered at a fixed deadline whatever the outcome; 429 with ``Retry-After`` once the
    caller has had too many refusals.
    """
    check_id = f"{org_id}/{name}"
    organisation = body.organisation or accord.batches.requester_organisation(caller, check_id)
    return BatchOut.of(accord.batches.validate(caller, check_id, organisation, body.identifiers))


@router.post("/airlock/checkers/{org_id}", status_code=status.HTTP_201_CREATED)
def designate_checker(
    org_id: str, body: CheckerIn, accord: AccordDep, caller: CallerDep
) -> dict[str, str]:
    """An organisation's admin designates an output checker."""
    accord.airlock.designate_checker(caller, org_id, body.principal)
    return {"organisation": org_id, "checker": body.principal}


@router.post(
    "/airlock/requests/{org_id}",
    response_model=OutputRequestOut,
    status_code=status.HTTP_201_CREATED,
)
def submit_outputs(
    org_id: str, body: OutputsIn, accord: AccordDep, caller: CallerDep
) -> OutputRequestOut:
    """An analyst submits outputs, each with its query; the rules run on them at once."""
    outputs = [
        SubmittedOutput(o.name, o.content.encode("utf-8"), o.query, tuple(o.count_columns))
        for o in body.outputs
    ]
    return OutputRequestOut.of(accord.airlock.submit(caller, org_id, body.title, outputs))


@router.post(
    "/airlock/requests/{request_id}/files/{file_name}/reviews", response_model=OutputRequestOut
)
def review_output(
    request_id: str, file_name: str, body: ReviewIn, accord: AccordDep, caller: CallerDep
) -> OutputRequestOut:
    """A checker who is not the author approves or rejects one file."""
    request = accord.airlock.review(caller, request_id, file_name, body.decision, body.comment)
    return OutputRequestOut.of(request)


@router.get(
    "/airlock/requests/{request_id}/files/{file_name}",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The approved file"}},
)
def download_output(
    request_id: str, file_name: str, accord: AccordDep, caller: CallerDep
) -> Response:
    """An approved file, its checksum verified first."""
    content = accord.airlock.download(caller, request_id, file_name)
    return Response(
        content,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


@router.post("/airlock/requests/{request_id}/release")
def release_outputs(request_id: str, accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """results.json (ACRO's layout) for the approved files; each file is downloaded on its own."""
    directory = private_tempdir(accord.home, "release")
    try:
        return accord.airlock.release(caller, request_id, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
