"""Governed linkage over HTTP: link a dataset of the caller's own organisation to an
agreement's governed view and download the match table (audited before release)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import Field
from starlette.background import BackgroundTask

from accord.api.deps import AccordDep, CallerDep
from accord.api.schemas import StrictModel
from accord.fsutil import private_tempdir
from accord.linkage import LinkageOptions
from accord.services.linkage import OwnDataset

router = APIRouter(tags=["data plane"])


class LinkIn(StrictModel):
    recipient_dataset: str = Field(
        min_length=3, description="ORG/NAME of a catalogue dataset the recipient owns."
    )
    recipient_id: str = Field(min_length=1, description="Its unique record id column.")
    view_id: str | None = Field(
        default=None, description="The view's id column; by default its NINO or NHS number."
    )
    threshold: float = Field(default=0.9, gt=0, le=1)
    review_threshold: float = Field(default=0.5, gt=0, le=1)
    one_to_one: bool = True


def _cleanup(directory: Path) -> None:
    for child in directory.iterdir():
        child.unlink(missing_ok=True)
    directory.rmdir()


@router.post("/agreements/{agreement_id}/links/{org_id}/{name}")
def link(
    agreement_id: str, org_id: str, name: str, body: LinkIn, accord: AccordDep, caller: CallerDep
) -> FileResponse:
    """Link the recipient's dataset to the agreement's view of ORG/NAME; only the match
    table (Parquet: left_id, right_id, match_probability, match_pass) is returned."""
    directory = private_tempdir(accord.home, "link")
    options = LinkageOptions(
        threshold=body.threshold,
        review_threshold=body.review_threshold,
        one_to_one=body.one_to_one,
        engine=accord.linkage.engine,
    )
    try:
        release = accord.linkage.link(
            caller,
            agreement_id,
            f"{org_id}/{name}",
            OwnDataset(body.recipient_dataset, body.recipient_id),
            directory,
            view_id=body.view_id,
            options=options,
        )
    except BaseException:
        _cleanup(directory)
        raise
    return FileResponse(
        release.path,
        media_type="application/vnd.apache.parquet",
        filename=release.path.name,
        headers={"X-Accord-Sha256": release.sha256, "X-Accord-Rows": str(release.rows)},
        background=BackgroundTask(_cleanup, directory),
    )
