"""``accord records``: the case records a holder keeps per participant, and their retention.

Staff of the holder add and list records; its DPO or admin records the events the
retention rules count from and sets when it deletes each kind; ``run`` is the job
(``accord retention run`` runs it too, after the copies).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import console, fail, handles_errors, open_app, print_json, table
from accord.core.lifecycle.record_retention import RecordKind, RecordState
from accord.core.permissions import Caller
from accord.errors import ValidationError
from accord.services.app import Accord
from accord.services.records import MAX_RECORD_BYTES, RecordsService, record_dict

__all__ = ["records_app"]

records_app = typer.Typer(
    help="Records a holder keeps per participant, and their record-level retention.",
    no_args_is_help=True,
)

AsOption = Annotated[
    str | None,
    typer.Option("--as", help="Act for this principal; default the local operator."),
]
OrgOption = Annotated[str, typer.Option("--org", help="The holder organisation.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _caller(app: Accord, as_: str | None) -> Caller:
    return app.acting_as(as_) if as_ else app.operator()


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{name}: {text!r} is not a date (YYYY-MM-DD)",
            problems=[{"field": name, "error": "not a date"}],
        ) from None


@records_app.command("add")
@handles_errors
def records_add(
    org: OrgOption,
    kind: Annotated[RecordKind, typer.Option(help="What the record is.")],
    referral: Annotated[str, typer.Option(help="The PRaP referral id, e.g. W000000123.")],
    nino: Annotated[
        str,
        typer.Option(
            help="The participant's NINO: only its pseudonymous reference is stored.",
            envvar="ACCORD_RECORD_NINO",
        ),
    ],
    file: Annotated[Path, typer.Option(help="The record's file.", exists=True, dir_okay=False)],
    as_: AsOption = None,
) -> None:
    """Hold one record for the organisation: the file is stored under the home, its
    SHA-256 and kind in the index, the participant by pseudonymous reference only."""
    size = file.stat().st_size
    if size > MAX_RECORD_BYTES:
        fail(f"file: {size} bytes is over the limit of {MAX_RECORD_BYTES}")
    app = open_app()
    record = RecordsService.of(app).add(
        _caller(app, as_),
        org,
        kind=kind.value,
        referral_id=referral,
        nino=nino,
        data=file.read_bytes(),
        suffix=file.suffix or ".bin",
    )
    console.print(
        f"held {record.id} ({record.kind.value}, referral {record.referral_id}, "
        f"sha256 {record.sha256[:16]}…)",
        highlight=False,
    )


@records_app.command("list")
@handles_errors
def records_list(
    org: OrgOption,
    state: Annotated[RecordState | None, typer.Option(help="Only records in this state.")] = None,
    kind: Annotated[RecordKind | None, typer.Option(help="Only records of this kind.")] = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The holder's records with their keep-until and delete dates."""
    app = open_app()
    found = RecordsService.of(app).schedule(_caller(app, as_), org, state=state, kind=kind)
    if as_json:
        print_json([record_dict(i) for i in found])
        return
    table(
        f"Records held by {org}",
        ["id", "kind", "referral", "state", "keep until", "delete on"],
        [
            (
                i.record.id,
                i.record.kind.value,
                i.record.referral_id,
                i.record.state.value,
                i.keep_until or "event not yet recorded",
                i.delete_on or "",
            )
            for i in found
        ],
    )


@records_app.command("event")
@handles_errors
def records_event(
    org: OrgOption,
    event: Annotated[
        str,
        typer.Option(help="decision_notified, programme_ended or final_esf_claim_paid."),
    ],
    on: Annotated[str, typer.Option("--date", help="The day it happened, YYYY-MM-DD.")],
    nino: Annotated[str, typer.Option(help="For decision_notified: the participant's NINO.")] = "",
    programme: Annotated[str, typer.Option(help="For the programme events: WHP or WHP-JETS.")] = "",
    as_: AsOption = None,
) -> None:
    """Record a retention event when it happens: the clocks of the rules start from it."""
    app = open_app()
    added = RecordsService.of(app).record_event(
        _caller(app, as_), org, event, _day(on, "date"), nino=nino, programme=programme
    )
    console.print(
        f"recorded {event} on {on}" if added else f"{event} on {on} was already recorded",
        highlight=False,
    )


@records_app.command("configure")
@handles_errors
def records_configure(
    org: OrgOption,
    kind: Annotated[RecordKind, typer.Option(help="The kind of record.")],
    offset: Annotated[
        str, typer.Option(help="Delete this long after keep-until (ISO 8601, e.g. P1M).")
    ] = "P0D",
    on: Annotated[
        str | None, typer.Option("--on", help="Or delete on this date, YYYY-MM-DD.")
    ] = None,
    as_: AsOption = None,
) -> None:
    """Set when the holder deletes a kind of record: never before its keep-until."""
    app = open_app()
    config = RecordsService.of(app).configure(
        _caller(app, as_),
        org,
        kind.value,
        offset=offset,
        on=_day(on, "on") if on else None,
    )
    console.print(f"{org} deletes {kind.value} {config.describe()}", highlight=False)


@records_app.command("run")
@handles_errors
def records_run(
    org: Annotated[str | None, typer.Option("--org", help="Only this holder's records.")] = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete the held records whose delete date has come; resumes an interrupted run."""
    app = open_app()
    report = RecordsService.of(app).run(_caller(app, as_), holder=org)
    if as_json:
        print_json(report.as_dict())
    else:
        console.print(
            f"planned {report.planned} record(s); resumed {report.resumed}; deleted "
            f"{len(report.deleted)}" + "".join(f"; {k} {n}" for k, n in report.by_kind().items()),
            highlight=False,
        )
    if report.failed:
        fail("; ".join(f"{i}: {r}" for i, r in report.failed) + " — left planned")


@records_app.command("certify")
@handles_errors
def records_certify(
    org: OrgOption,
    as_: Annotated[str, typer.Option("--as", help="A DPO, data owner or admin of the holder.")],
) -> None:
    """Sign a destruction certificate for each finished run of the holder's deletions."""
    app = open_app()
    issued = RecordsService.of(app).certify(app.acting_as(as_), org)
    for signed in issued:
        c = signed.certificate
        console.print(f"{c.id}: {c.description}", highlight=False)
    if not issued:
        console.print("nothing to certify", highlight=False)
