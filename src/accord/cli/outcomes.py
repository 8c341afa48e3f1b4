"""``accord outcomes`` and ``accord recall``: the department's confirmation of a
participant's first pay date and earnings thresholds, asked by the provider's staff;
and the recall of a package sent to the wrong organisation."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.common import handles_errors, open_app, print_json
from accord.core.lifecycle.certificate import DestructionMethod
from accord.errors import ValidationError
from accord.services.app import Accord
from accord.services.outcomes import OutcomesService
from accord.services.recall import RecallService
from accord.services.retention import RetentionService, certificate_dict

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


recall_app = typer.Typer(
    help="Recall a package sent to the wrong organisation; confirm its deletion.",
    no_args_is_help=True,
)


def _recalls(app: Accord) -> RecallService:
    return RecallService(app.store, RetentionService.of(app))


@recall_app.command("open")
@handles_errors
def recall_open(
    transfer: Annotated[str, typer.Argument(help="The package's transfer id (tr-…).")],
    as_: Annotated[str, typer.Option("--as", help="A data owner, DPO or admin of the sender.")],
    reason: Annotated[str, typer.Option(help="Why it is recalled; name no person.")],
) -> None:
    """Recall a package your organisation sent; its recipient is alerted at once."""
    app = open_app()
    print_json(_recalls(app).open(app.acting_as(as_), transfer, reason).as_dict())


@recall_app.command("confirm")
@handles_errors
def recall_confirm(
    recall: Annotated[str, typer.Argument(help="The recall id (rc-…).")],
    as_: Annotated[str, typer.Option("--as", help="A data owner, DPO or admin of the recipient.")],
    method: Annotated[
        DestructionMethod, typer.Option(help="How every copy was destroyed.")
    ] = DestructionMethod.SECURE_DELETE,
    note: Annotated[str, typer.Option(help="A note for the certificate.")] = "",
) -> None:
    """Delete your copy of a recalled package and sign its destruction certificate."""
    app = open_app()
    done, signed = _recalls(app).confirm(app.acting_as(as_), recall, method=method, note=note)
    print_json({"recall": done.as_dict(), "certificate": certificate_dict(signed)})


@recall_app.command("list")
@handles_errors
def recall_list(
    organisation: Annotated[str, typer.Argument(help="The sender or recipient organisation.")],
    as_: Annotated[str | None, typer.Option("--as", help="A principal of it.")] = None,
) -> None:
    """The recalls an organisation sent or received, kept three months after confirmation."""
    app = open_app()
    caller = app.acting_as(as_) if as_ else app.operator()
    print_json([r.as_dict() for r in _recalls(app).list(caller, organisation)])


@recall_app.command("purge")
@handles_errors
def recall_purge() -> None:
    """Remove recall records kept three months after confirmation (safe to run again)."""
    app = open_app()
    print_json({"purged": _recalls(app).purge(app.operator())})
