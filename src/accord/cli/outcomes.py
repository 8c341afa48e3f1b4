"""``accord outcomes``: the department's confirmation of a participant's first pay date
and earnings thresholds, asked by the provider's staff on the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.common import handles_errors, open_app, print_json
from accord.errors import ValidationError
from accord.services.outcomes import OutcomesService

outcomes_app = typer.Typer(
    help="Outcome validation: first pay date and earnings thresholds, per participant.",
    no_args_is_help=True,
)


@outcomes_app.command("check")
@handles_errors
def outcomes_check(
    agreement: Annotated[str, typer.Argument(help="The agreement id.")],
    as_: Annotated[str, typer.Option("--as", help="The principal who asks.")],
    referral: Annotated[
        list[str] | None, typer.Option(help="A referral id (W000000123); repeat for more.")
    ] = None,
    nino: Annotated[
        list[str] | None, typer.Option(help="A National Insurance number; repeat for more.")
    ] = None,
) -> None:
    """First pay date and thresholds reached for each participant named, as JSON."""
    participants = [*(referral or []), *(nino or [])]
    if not participants:
        raise ValidationError("name a participant with --referral or --nino")
    app = open_app()
    answers = OutcomesService(app.store, app.plane).check(
        app.acting_as(as_), agreement, participants
    )
    print_json([a.as_dict() for a in answers])
