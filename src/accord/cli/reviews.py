"""``accord reviews``: access reviews of who has access under an agreement.

``check`` is the operator's (run it daily from cron or a systemd timer, like
``accord retention run``): it records each lapsed review once and queues reminders.
Recertifying speaks for the organisation under review, so it needs ``--as`` one of
its admins.
"""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.common import console, handles_errors, open_app, print_json, table
from accord.services.reviews import ReviewService, ReviewView

__all__ = ["reviews_app"]

reviews_app = typer.Typer(
    help="Access reviews: recertify who has access every N days, or access is suspended.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _names(value: str) -> list[str]:
    return [n.strip() for n in value.split(",") if n.strip()]


def _show(view: ReviewView) -> None:
    console.print(
        f"{view.agreement_id} / {view.organisation}: {view.status.value}; due on "
        f"{view.due_on} (every {view.every_days} days); with access: "
        + (", ".join(view.with_access) or "none")
        + (f"; removed: {', '.join(view.removed)}" if view.removed else ""),
        highlight=False,
    )


@reviews_app.command("list")
@handles_errors
def reviews_list(
    as_: Annotated[
        str | None, typer.Option("--as", help="Act for this principal; default the operator.")
    ] = None,
    org: Annotated[
        str | None, typer.Option("--org", help="Only this organisation's reviews.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The access reviews you may see, with their status and due dates."""
    app = open_app()
    caller = app.acting_as(as_) if as_ else app.operator()
    views = ReviewService.of(app).reviews(caller, org)
    if as_json:
        print_json([v.as_dict() for v in views])
        return
    table(
        "Access reviews",
        ["agreement", "organisation", "status", "due on", "with access"],
        [
            (
                v.agreement_id,
                v.organisation,
                v.status.value,
                str(v.due_on),
                ", ".join(v.with_access),
            )
            for v in views
        ],
    )


@reviews_app.command("recertify")
@handles_errors
def reviews_recertify(
    agreement: Annotated[str, typer.Argument(help="The agreement id.")],
    org: Annotated[str, typer.Option("--org", help="The organisation under review.")],
    as_: Annotated[str, typer.Option("--as", help="An admin of that organisation.")],
    keep: Annotated[
        str, typer.Option("--keep", help="Principals who keep access, comma-separated.")
    ] = "",
    remove: Annotated[
        str, typer.Option("--remove", help="Principals who lose access, comma-separated.")
    ] = "",
    note: Annotated[str, typer.Option(help="Why, for the record.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Confirm each principal with access, kept or removed; restores suspended access."""
    app = open_app()
    view = ReviewService.of(app).recertify(
        app.acting_as(as_), agreement, org, keep=_names(keep), remove=_names(remove), note=note
    )
    if as_json:
        print_json(view.as_dict())
    else:
        _show(view)


@reviews_app.command("check")
@handles_errors
def reviews_check(as_json: JsonOption = False) -> None:
    """Record each lapsed review once (telling the data owners) and queue reminders."""
    app = open_app()
    report = ReviewService.of(app).check(app.operator())
    if as_json:
        print_json(report.as_dict())
        return
    console.print(
        f"reviewed {report.reviewed}; lapsed now {len(report.lapsed)}; still lapsed "
        f"{report.still_lapsed}; reminded {len(report.reminded)}",
        highlight=False,
    )
    for name in report.lapsed:
        console.print(f"  lapsed: {name}", highlight=False)
