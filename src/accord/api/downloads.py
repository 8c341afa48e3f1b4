"""A governed extract as an HTTP download, for the API and the web service alike.

The extract is written into a temporary directory of the home and sent from there; the
directory goes once the response is sent, or at once if the release is refused, so a
refusal leaves nothing behind and a download leaves no copy.
"""

from __future__ import annotations

import shutil

from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from accord.core.permissions import Caller
from accord.core.plan.release import Declared
from accord.fsutil import private_tempdir
from accord.services.app import Accord

__all__ = ["extract_download"]


def extract_download(
    accord: Accord,
    caller: Caller,
    agreement_id: str,
    dataset_id: str,
    fmt: str,
    declared: Declared | None = None,
) -> FileResponse:
    """Run the governed extract (audited before release) and answer it as a file."""
    directory = private_tempdir(accord.home, "extract")
    try:
        result = accord.plane.extract(
            caller, agreement_id, dataset_id, directory, fmt=fmt, declared=declared
        )
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    media = "application/vnd.apache.parquet" if fmt == "parquet" else "text/csv"
    return FileResponse(
        result.path,
        media_type=media,
        filename=result.path.name,
        headers={"X-Accord-Sha256": result.sha256, "X-Accord-Rows": str(result.rows)},
        background=BackgroundTask(shutil.rmtree, directory, ignore_errors=True),
    )
