"""``accord link``: link two CSV or Parquet files and write the match table.

A thin adapter over :func:`accord.linkage.link`: it parses arguments, runs the
linkage, writes ``left_id, right_id, match_probability, match_pass`` atomically (CSV
or Parquet by the ``--out`` suffix) and prints the summary. Bad input becomes a
message naming the parameter at fault and a non-zero exit. Register it with
``app.command("link")(link_command)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import typer
from rich.console import Console
from rich.table import Table

from accord.cli.common import handles_errors
from accord.engine.csv_safety import safe_table
from accord.errors import AccordError, ValidationError
from accord.fsutil import atomic_path
from accord.linkage import LinkageOptions, Role, link, parse_role
from accord.linkage.service import DEFAULT_REVIEW_THRESHOLD, DEFAULT_THRESHOLD

__all__ = ["link_command", "parse_field_overrides"]


def parse_field_overrides(
    items: list[str], *, parameter: str, columns: set[str] | None = None
) -> dict[str, Role | None]:
    """``COL=ROLE`` items (``ROLE`` may be ``ignore``) as a column-to-role mapping."""
    overrides: dict[str, Role | None] = {}
    for item in items:
        column, sep, role = item.partition("=")
        if not sep or not column.strip():
            raise ValidationError(f"{parameter}: expected COLUMN=ROLE, got {item!r}")
        overrides[column.strip()] = parse_role(role, parameter=parameter)
    return overrides


def _check_output(out: Path, parameter: str) -> None:
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ValidationError(f"{parameter}: {str(out)!r} must end in .csv or .parquet")
    if not out.parent.exists():
        raise ValidationError(f"{parameter}: directory {str(out.parent)!r} does not exist")


def _write(table: pa.Table, out: Path) -> None:
    suffix = out.suffix.lower()
    with atomic_path(out) as temporary:
        if suffix == ".csv":
            pacsv.write_csv(safe_table(table), temporary)
        else:
            pq.write_table(table, temporary)


@handles_errors
def link_command(
    left: Annotated[
        Path, typer.Argument(help="Left dataset (CSV or Parquet).", show_default=False)
    ],
    right: Annotated[
        Path, typer.Argument(help="Right dataset (CSV or Parquet).", show_default=False)
    ],
    left_id: Annotated[
        str, typer.Option("--left-id", help="Unique record id column of LEFT.", show_default=False)
    ],
    right_id: Annotated[
        str,
        typer.Option("--right-id", help="Unique record id column of RIGHT.", show_default=False),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="Match table to write (.csv or .parquet).", show_default=False),
    ],
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            help="Override recognition on both sides: COLUMN=ROLE (roles: "
            + ", ".join(r.value for r in Role)
            + ", or ignore). Repeatable.",
        ),
    ] = None,
    left_field: Annotated[
        list[str] | None,
        typer.Option("--left-field", help="Override recognition on LEFT only: COLUMN=ROLE."),
    ] = None,
    right_field: Annotated[
        list[str] | None,
        typer.Option("--right-field", help="Override recognition on RIGHT only: COLUMN=ROLE."),
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", help="Match probability at or above which pairs match.")
    ] = DEFAULT_THRESHOLD,
    review_threshold: Annotated[
        float,
        typer.Option("--review-threshold", help="Lower edge of the clerical-review band."),
    ] = DEFAULT_REVIEW_THRESHOLD,
    review_out: Annotated[
        Path | None,
        typer.Option("--review-out", help="Also write the clerical-review pairs here."),
    ] = None,
    many_to_many: Annotated[
        bool,
        typer.Option(
            "--many-to-many", help="Allow a record to match several (no one-to-one constraint)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Link two datasets without a shared identifier and write the match table."""
    try:
        _check_output(out, "--out")
        if review_out is not None:
            _check_output(review_out, "--review-out")
        shared = parse_field_overrides(field or [], parameter="--field")
        left_overrides = {
            **_present(shared, left),
            **parse_field_overrides(left_field or [], parameter="--left-field"),
        }
        right_overrides = {
            **_present(shared, right),
            **parse_field_overrides(right_field or [], parameter="--right-field"),
        }
        stray = sorted(set(shared) - set(left_overrides) - set(right_overrides))
        if stray:
            raise ValidationError(f"--field: {', '.join(stray)} is a column of neither input")
        options = LinkageOptions(
            threshold=threshold, review_threshold=review_threshold, one_to_one=not many_to_many
        )
        result = link(
            left,
            right,
            left_id=left_id,
            right_id=right_id,
            options=options,
            left_roles=left_overrides,
            right_roles=right_overrides,
        )
        _write(result.matches, out)
        if review_out is not None:
            _write(result.review, review_out)
    except AccordError as exc:
        raise typer.BadParameter(exc.message, param_hint=_hint(exc.message)) from exc
    summary = result.summary.as_dict()
    if as_json:
        typer.echo(json.dumps({**summary, "features": list(result.features)}, indent=2))
        return
    table = Table(title=f"{left.name} x {right.name}", title_justify="left")
    table.add_column("")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        table.add_row(key.replace("_", " "), str(value))
    console = Console()
    console.print(table)
    console.print(f"features: {', '.join(result.features)}", highlight=False)
    console.print(f"Wrote {result.summary.matched:,} matches to {out}", highlight=False)


def _present(overrides: dict[str, Role | None], path: Path) -> dict[str, Role | None]:
    """The shared overrides naming columns of this file (others belong to the other side)."""
    import duckdb

    literal = "'" + str(path).replace("'", "''") + "'"
    reader = "read_parquet" if path.suffix.lower() == ".parquet" else "read_csv"
    try:
        with duckdb.connect() as connection:
            described = connection.execute(f"DESCRIBE SELECT * FROM {reader}({literal})")
            names = {row[0] for row in described.fetchall()}
    except duckdb.Error:
        return overrides
    return {column: role for column, role in overrides.items() if column in names}


def _hint(message: str) -> str | None:
    head = message.split(":", 1)[0]
    return head if head.startswith("--") or head in ("LEFT", "RIGHT") else None
