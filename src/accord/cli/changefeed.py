"""``accord changes``: a data owner publishes a new version and its recipients are told."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.common import console, handles_errors, open_app, print_json

changes_app = typer.Typer(
    help="Change feeds: new versions of shared datasets, announced to their recipients.",
    no_args_is_help=True,
)


@changes_app.command("publish")
@handles_errors
def publish(
    dataset_id: Annotated[str, typer.Argument(help="ORG/NAME")],
    source: Annotated[
        str | None, typer.Argument(help="New file; default: the registered source.")
    ] = None,
    lenient: Annotated[bool, typer.Option(help="Quarantine bad rows and load the rest.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Ingest a new version, as `accord dataset ingest` does, and queue a change notice
    to every recipient reading the dataset over Delta Sharing under an active agreement."""
    from accord.services.changefeed import ChangePublisher

    app = open_app()
    published = ChangePublisher(app.store, app.catalogue).publish(
        app.operator(), dataset_id, source, lenient=lenient
    )
    version = published.report.version
    if as_json:
        print_json(
            {
                "dataset": dataset_id,
                "version": version.number,
                "rows": version.row_count,
                "unchanged": published.report.unchanged,
                "notices": [
                    {"id": n.id, "organisation": n.organisation, "reference": n.reference}
                    for n in published.notices
                ],
            }
        )
        return
    if published.report.unchanged:
        console.print(f"{dataset_id}: identical to version {version.number}; nobody told.")
        return
    told = ", ".join(sorted({n.organisation for n in published.notices})) or "no recipient"
    console.print(
        f"Published {dataset_id} version {version.number} ({version.row_count} rows); "
        f"change notices queued for {told}."
    )
