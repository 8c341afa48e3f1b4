"""``accord retention``: the deletion job, and destruction certificates.

``run`` is the local operator's (or a scheduler's: run it daily from cron or a systemd
timer; it is safe to run again at any time and finishes what an interrupted run left).
Certifying speaks for the holder organisation, so ``certify`` needs ``--as`` a data
owner, DPO or admin of the holder.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import console, fail, handles_errors, open_app, print_json, table
from accord.core.lifecycle.certificate import DestructionMethod, SignedCertificate
from accord.core.lifecycle.deletion import ItemState
from accord.core.permissions import Caller
from accord.errors import ValidationError
from accord.fsutil import write_atomic
from accord.services.app import Accord
from accord.services.records import RecordsService
from accord.services.retention import RetentionService, certificate_dict, item_dict

__all__ = ["retention_app"]

retention_app = typer.Typer(
    help="Retention: the resumable deletion job, and signed destruction certificates.",
    no_args_is_help=True,
)
certificate_app = typer.Typer(
    help="Destruction certificates: list, show, verify.", no_args_is_help=True
)
retention_app.add_typer(certificate_app, name="certificate")

AsOption = Annotated[
    str | None,
    typer.Option("--as", help="Act for this principal; default the local operator."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
OrgOption = Annotated[
    str | None,
    typer.Option(
        "--org",
        help="Those this organisation holds or whose data it owns; without it, every one "
        "(platform auditors and the local operator).",
    ),
]


def _caller(app: Accord, as_: str | None) -> Caller:
    return app.acting_as(as_) if as_ else app.operator()


@retention_app.command("run")
@handles_errors
def retention_run(as_json: JsonOption = False) -> None:
    """Delete the materialised copies that are due and mark received packages for
    destruction by their holders, then delete the held records whose delete date has
    come; resumes whatever an interrupted run left planned."""
    app = open_app()
    report = RetentionService.of(app).run(app.operator())
    records = RecordsService.of(app).run(app.operator())
    if as_json:
        print_json({**report.as_dict(), "records": records.as_dict()})
    else:
        console.print(
            f"planned {report.planned} new item(s); resumed {report.resumed}; "
            f"deleted {len(report.deleted)} materialised copies; marked "
            f"{len(report.marked)} received package(s) for destruction",
            highlight=False,
        )
        for item in report.deleted:
            console.print(f"  deleted {item.location}: {item.reason}", highlight=False)
        for item in report.marked:
            until = item.confirm_by.date().isoformat() if item.confirm_by else "?"
            console.print(
                f"  marked {item.subject} held by {item.holder} (certify by {until}): "
                f"{item.reason}",
                highlight=False,
            )
        console.print(
            f"held records: planned {records.planned}; resumed {records.resumed}; deleted "
            f"{len(records.deleted)}" + "".join(f"; {k} {n}" for k, n in records.by_kind().items()),
            highlight=False,
        )
    failed = [*report.failed, *records.failed]
    if failed:
        fail(
            "; ".join(f"{i}: {r}" for i, r in failed)
            + " — left planned: run `accord retention run` again once fixed"
        )


@retention_app.command("items")
@handles_errors
def retention_items(
    state: Annotated[ItemState | None, typer.Option(help="Only items in this state.")] = None,
    org: OrgOption = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The deletion job's work items: what was deleted, what awaits a certificate."""
    app = open_app()
    items = RetentionService.of(app).items(_caller(app, as_), organisation=org, state=state)
    if as_json:
        print_json([item_dict(i) for i in items])
        return
    table(
        "Retention items",
        ["id", "state", "subject", "holder", "due", "certify by", "reason"],
        [
            (
                i.id,
                i.state.value,
                i.subject,
                i.holder,
                i.due_on.isoformat(),
                i.confirm_by.date().isoformat() if i.confirm_by else "",
                i.reason,
            )
            for i in items
        ],
    )


@retention_app.command("certify")
@handles_errors
def retention_certify(
    item: Annotated[str, typer.Argument(help="The work item id (ri-…), from `retention items`.")],
    as_: Annotated[str, typer.Option("--as", help="A data owner, DPO or admin of the holder.")],
    method: Annotated[
        DestructionMethod, typer.Option(help="How the copy was destroyed.")
    ] = DestructionMethod.SECURE_DELETE,
    destroyed_at: Annotated[
        str | None,
        typer.Option(help="When, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+00:00; default now."),
    ] = None,
    note: Annotated[str, typer.Option(help="Anything the certificate should add.")] = "",
    out: Annotated[
        Path | None, typer.Option(help="Also write the signed certificate to this file.")
    ] = None,
) -> None:
    """Confirm, for the holder, that a copy marked for destruction is destroyed: a
    certificate signed with the holder organisation's signing key."""
    app = open_app()
    when = _time(destroyed_at) if destroyed_at else None
    signed = RetentionService.of(app).certify_item(
        app.acting_as(as_), item, method=method, destroyed_at=when, note=note
    )
    if out is not None:
        write_atomic(out, signed.to_json().encode() + b"\n")
    c = signed.certificate
    console.print(
        f"Certificate {c.id}: {c.holder} destroyed {c.subject_kind} {c.subject_id} "
        f"({c.method}, {c.destroyed_at}); signed with key {signed.key_fingerprint[:16]}…"
        + (f"; written to {out}" if out else ""),
        highlight=False,
    )


@certificate_app.command("list")
@handles_errors
def certificate_list(
    org: OrgOption = None,
    agreement: Annotated[str | None, typer.Option(help="Only under this agreement.")] = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Destruction certificates an organisation holds or that concern its data."""
    app = open_app()
    found = RetentionService.of(app).certificates(
        _caller(app, as_), organisation=org, agreement_id=agreement
    )
    if as_json:
        print_json([certificate_dict(s) for s in found])
        return
    table(
        "Destruction certificates",
        ["id", "holder", "subject", "agreement", "method", "destroyed at", "by"],
        [
            (
                s.certificate.id,
                s.certificate.holder,
                f"{s.certificate.subject_kind}:{s.certificate.subject_id}",
                f"{s.certificate.agreement_id}:v{s.certificate.agreement_version}",
                s.certificate.method,
                s.certificate.destroyed_at,
                s.certificate.certified_by,
            )
            for s in found
        ],
    )


@certificate_app.command("show")
@handles_errors
def certificate_show(
    certificate: Annotated[str, typer.Argument(help="The certificate id (dc-…).")],
    as_: AsOption = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the signed certificate to this file.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """One certificate, with whether its signature verifies."""
    app = open_app()
    service = RetentionService.of(app)
    signed = service.certificate(_caller(app, as_), certificate)
    verdict = service.verify(signed)
    if out is not None:
        write_atomic(out, signed.to_json().encode() + b"\n")
    if as_json:
        print_json(certificate_dict(signed, verdict))
        return
    for name, value in signed.certificate.as_dict().items():
        console.print(f"{name:18} {value}", highlight=False)
    status = "[green]valid[/]" if verdict else "[red]INVALID[/]"
    console.print(f"{'signature':18} {status}: {verdict.reason}")


@certificate_app.command("verify")
@handles_errors
def certificate_verify(
    file: Annotated[Path, typer.Argument(help="A certificate file, from --out.")],
) -> None:
    """Verify a certificate file against its holder's key in the catalogue.

    Exits 0 when it verifies and 2 when it does not."""
    app = open_app()
    try:
        signed = SignedCertificate.from_json(file.read_bytes())
    except (OSError, ValueError) as exc:
        raise ValidationError(f"{file}: {exc}") from exc
    verdict = RetentionService.of(app).verify(signed)
    if not verdict:
        console.print(f"[red]INVALID[/]: {verdict.reason}")
        raise typer.Exit(2)
    console.print(f"[green]valid[/]: {verdict.reason}")


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"--destroyed-at {text!r} is not a time: write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+00:00"
        ) from None
