"""``accord extract``, ``accord query``, ``accord check`` and ``accord optout``: the
governed data plane on the command line, acting for a named principal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import console, handles_errors, open_app, print_json, table
from accord.core.plan.release import Declared
from accord.errors import ValidationError

AsOption = Annotated[str, typer.Option("--as", help="The principal who acts.")]

optout_app = typer.Typer(help="Opt-out registers of the data owners.", no_args_is_help=True)


def _identifiers(values: list[str] | None, file: Path | None) -> list[str]:
    found = list(values or [])
    if file is not None:
        try:
            found += [line.strip() for line in file.read_text(encoding="utf-8").splitlines()]
        except OSError as exc:
            raise ValidationError(f"cannot read {file}: {exc.strerror}") from exc
    found = [v for v in found if v]
    if not found:
        raise ValidationError("give identifiers as arguments or with --file (one per line)")
    return found


@handles_errors
def extract_command(
    agreement: Annotated[str, typer.Argument(help="The agreement id.")],
    dataset: Annotated[str, typer.Argument(help="ORG/NAME, one of the agreement's datasets.")],
    as_: AsOption,
    out: Annotated[Path, typer.Option(help="Directory for the extract and its manifest.")] = Path(
        "."
    ),
    format_: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    territory: Annotated[
        str | None,
        typer.Option(help="Where the extract will be processed: uk, eea, adequate or other."),
    ] = None,
    processor: Annotated[
        str | None, typer.Option(help="The organisation that will process it, if not yours.")
    ] = None,
) -> None:
    """A governed extract: exactly what the agreement allows, audited before release."""
    app = open_app()
    result = app.plane.extract(
        app.acting_as(as_),
        agreement,
        dataset,
        out,
        fmt=format_,
        declared=Declared(territory, processor),
    )
    console.print(
        f"Wrote {result.path} ({result.rows:,} rows, sha256 {result.sha256[:16]}…) and "
        f"{result.manifest_path.name}"
    )


@handles_errors
def query_command(
    agreement: Annotated[str, typer.Argument(help="The agreement id.")],
    sql: Annotated[str, typer.Argument(help="One SELECT over the agreement's views.")],
    as_: AsOption,
    max_rows: Annotated[int, typer.Option(min=1, max=1_000_000)] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows.")] = False,
) -> None:
    """Query the agreement's views in place (views are named ORG_NAME, e.g. dwp_carers)."""
    app = open_app()
    result = app.plane.query(app.acting_as(as_), agreement, sql, max_rows=max_rows)
    rows = result.table.to_pylist()
    if as_json:
        print_json({"rows": rows, "truncated": result.truncated})
        return
    table("Result", result.table.column_names, [list(r.values()) for r in rows])
    if result.truncated:
        console.print(f"[yellow]truncated at {max_rows} rows[/]")


@handles_errors
def check_command(
    agreement: Annotated[str, typer.Argument(help="The agreement id.")],
    dataset: Annotated[str, typer.Argument(help="ORG/NAME")],
    as_: AsOption,
    identifier: Annotated[list[str] | None, typer.Argument(help="NINOs or NHS numbers.")] = None,
    file: Annotated[Path | None, typer.Option(help="A file of identifiers, one per line.")] = None,
) -> None:
    """Per-record eligibility: yes or no for each identifier (where the agreement allows)."""
    app = open_app()
    answers = app.plane.check(
        app.acting_as(as_), agreement, dataset, _identifiers(identifier, file)
    )
    print_json(answers)


@optout_app.command("add")
@handles_errors
def optout_add(
    organisation: Annotated[str, typer.Argument(help="The data owner.")],
    identifier_type: Annotated[str, typer.Argument(help="nino or nhs_number")],
    identifier: Annotated[list[str] | None, typer.Argument()] = None,
    file: Annotated[Path | None, typer.Option(help="One identifier per line.")] = None,
) -> None:
    """Register people who opted out: no non-statistical share will include them."""
    app = open_app()
    added = app.plane.add_opt_outs(
        app.operator(), organisation, identifier_type, _identifiers(identifier, file)
    )
    console.print(f"{added} identifier(s) added to {organisation}'s {identifier_type} opt-outs")


@optout_app.command("count")
@handles_errors
def optout_count(
    organisation: Annotated[str, typer.Argument()],
    identifier_type: Annotated[str, typer.Argument(help="nino or nhs_number")],
) -> None:
    """How many identifiers the register holds (never which)."""
    app = open_app()
    print_json({"count": len(app.store.list_opt_outs(organisation, identifier_type))})
