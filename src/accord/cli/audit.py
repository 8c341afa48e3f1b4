"""``accord audit``: show, verify and checkpoint the tamper-evident log."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import console, err, handles_errors, open_app, print_json, table
from accord.core.audit import format_time
from accord.errors import ValidationError
from accord.services.checkpoint_log import read_published
from accord.store import AuditFilter
from accord.witness.state import parse_public_key

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


def _time(option: str, text: str | None) -> str | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{option} {text!r} is not an ISO date or time, e.g. 2026-11-24T09:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return format_time(moment)


@audit_app.command("show")
@handles_errors
def audit_show(
    actor: Annotated[str | None, typer.Option(help="e.g. principal:alice")] = None,
    org: Annotated[str | None, typer.Option(help="The acting organisation's id.")] = None,
    about: Annotated[
        str | None,
        typer.Option(
            help="An organisation: every event about it, its staff's and any use of its data."
        ),
    ] = None,
    as_: Annotated[
        str | None,
        typer.Option("--as", help="The principal who reads; the local operator when left out."),
    ] = None,
    object_: Annotated[str | None, typer.Option("--object", help="e.g. dataset:dwp/carers")] = None,
    action: Annotated[
        str | None, typer.Option(help="Action or its prefix, e.g. dataset or dataset.ingest.")
    ] = None,
    decision: Annotated[str | None, typer.Option(help="allow or deny.")] = None,
    since: Annotated[
        str | None, typer.Option(help="From this ISO time (local if no zone).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Up to this ISO time.")] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=100_000, help="At most this many, newest first.")
    ] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show audit events, newest first, filtered by actor, organisation, object, action and time."""
    app = open_app()
    where = AuditFilter(
        actor=actor,
        organisation=org,
        about=about,
        object=object_,
        action=action,
        decision=decision,
        since=_time("--since", since),
        until=_time("--until", until),
        limit=limit,
    )
    caller = app.operator() if as_ is None else app.acting_as(as_)
    records = app.audit.show(caller, where)
    if as_json:
        print_json(
            [
                {
                    "seq": r.seq,
                    "ts": r.ts,
                    "actor": r.actor,
                    "organisation": r.organisation,
                    "owners": list(r.owner_ids),
                    "action": r.action,
                    "object": r.object,
                    "decision": r.decision,
                    "reason": r.reason,
                    "details": r.details_dict,
                    "hash": r.hash,
                }
                for r in records
            ]
        )
        return
    table(
        "Audit events",
        ["seq", "time (UTC)", "actor", "org", "owners", "action", "object", "decision", "reason"],
        [
            (
                r.seq,
                r.ts[:19].replace("T", " "),
                r.actor,
                r.organisation,
                ", ".join(r.owner_ids),
                r.action,
                r.object,
                r.decision,
                r.reason,
            )
            for r in records
        ],
    )


audit_app.command("list", help="The same as `accord audit show`.")(audit_show)


@audit_app.command("verify")
@handles_errors
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Processes to verify with (default: cores).")
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(
            help="A published checkpoint: checkpoints.jsonl (its newest) or one checkpoint's "
            "JSON. The log must still hold everything it saw: catches a restored backup."
        ),
    ] = None,
    witness_key: Annotated[
        str | None,
        typer.Option(
            help="With --against: also require a countersignature by this witness key (hex)."
        ),
    ] = None,
) -> None:
    """Check the hash chain and the signed checkpoints. Exits 1 naming the first bad event."""
    if witness_key is not None and against is None:
        raise ValidationError("--witness-key needs --against: the checkpoint to check it on")
    key = parse_public_key(witness_key, "--witness-key") if witness_key is not None else None
    published = read_published(against) if against is not None else None
    app = open_app()
    if published is not None:
        report = app.audit.verify_against(published, witness_key=key, workers=workers)
    else:
        report = app.audit.verify(workers=workers)
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "events": report.events,
                "head_seq": report.head_seq,
                "head_hash": report.head_hash,
                "checkpoints": report.checkpoints,
                "first_bad_seq": report.first_bad_seq,
                "problem": report.problem,
            }
        )
    elif report.ok:
        console.print(
            f"[green]ok[/]: {report.events:,} events chained, head {report.head_seq} "
            f"{report.head_hash[:16]}…, {report.checkpoints} signed checkpoint(s) match"
        )
    else:
        where = f" at event {report.first_bad_seq:,}" if report.first_bad_seq is not None else ""
        err.print(
            f"[bold red]audit log does not verify{where}[/]: {report.problem}",
            highlight=False,
        )
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("checkpoint")
@handles_errors
def audit_checkpoint() -> None:
    """Sign the current head of the log with the platform's audit key."""
    app = open_app()
    checkpoint = app.audit.checkpoint(app.operator())
    console.print(
        f"Signed checkpoint at event {checkpoint.seq}: {checkpoint.head_hash[:16]}… "
        f"key {checkpoint.key_fingerprint}"
    )


@audit_app.command("publish")
@handles_errors
def audit_publish() -> None:
    """Publish every stored checkpoint the checkpoint log lacks; have the newest countersigned."""
    app = open_app()
    report = app.audit.publish(app.operator())
    path = app.settings.checkpoint_log_path
    newest = f"newest at event {report.newest.seq:,}" if report.newest else "no checkpoint yet"
    state = (
        "countersigned by the witness"
        if report.cosigned
        else f"not countersigned: {report.witness_problem}"
        if report.witness_problem
        else "no witness configured"
        if app.settings.witness_url == ""
        else "not countersigned"
    )
    console.print(
        f"Published {report.published} checkpoint(s) to {path}; {newest}, {state}.",
        highlight=False,
    )
