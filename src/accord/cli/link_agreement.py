"""``accord link-agreement``: link the recipient's records to an agreement's governed
view, acting for a named principal; only the audited match table is written."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import console, handles_errors, open_app, print_json
from accord.errors import ValidationError
from accord.linkage import LinkageOptions
from accord.linkage.service import DEFAULT_REVIEW_THRESHOLD, DEFAULT_THRESHOLD
from accord.services.linkage import OwnDataset, RecipientData, SuppliedData

__all__ = ["link_agreement_command"]


@handles_errors
def link_agreement_command(
    agreement: Annotated[str, typer.Argument(help="The agreement id.")],
    dataset: Annotated[str, typer.Argument(help="ORG/NAME, one of the agreement's datasets.")],
    as_: Annotated[str, typer.Option("--as", help="The principal who acts.")],
    id_column: Annotated[
        str, typer.Option("--id", help="Unique record id column of your records.")
    ],
    own: Annotated[
        str | None,
        typer.Option("--own", help="ORG/NAME of a catalogue dataset your organisation owns."),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Your records as a CSV or Parquet file.")
    ] = None,
    view_id: Annotated[
        str | None,
        typer.Option("--view-id", help="The view's id column (default: its NINO or NHS number)."),
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", help="Match probability at or above which pairs match.")
    ] = DEFAULT_THRESHOLD,
    review_threshold: Annotated[
        float, typer.Option("--review-threshold", help="Lower edge of the review band.")
    ] = DEFAULT_REVIEW_THRESHOLD,
    out: Annotated[Path, typer.Option(help="Directory for the match table and manifest.")] = Path(
        "."
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Link your records to an agreement's governed view; only the match table leaves."""
    if (own is None) == (file is None):
        raise ValidationError("give exactly one of --own ORG/NAME or --file PATH")
    recipient: RecipientData = (
        OwnDataset(own, id_column) if own is not None else SuppliedData(Path(str(file)), id_column)
    )
    app = open_app()
    options = LinkageOptions(
        threshold=threshold, review_threshold=review_threshold, engine=app.linkage.engine
    )
    release = app.linkage.link(
        app.acting_as(as_), agreement, dataset, recipient, out, view_id=view_id, options=options
    )
    if as_json:
        print_json(
            {
                "path": str(release.path),
                "rows": release.rows,
                "sha256": release.sha256,
                **release.result.summary.as_dict(),
            }
        )
        return
    console.print(
        f"Wrote {release.path} ({release.rows:,} matches, sha256 {release.sha256[:16]}…) and "
        f"{release.manifest_path.name}",
        highlight=False,
    )
