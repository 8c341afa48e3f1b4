"""``accord link`` on files: the match table it writes and the errors it gives."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import typer
from typer.testing import CliRunner

from accord.cli.link import link_command
from tests.linkage.conftest import Carers

app = typer.Typer()
app.command("link")(link_command)


@app.callback()
def _root() -> None:
    """Makes ``link`` a subcommand, as in the real CLI."""


runner = CliRunner()


def _csv(carers: Carers, tmp_path: Path) -> tuple[Path, Path]:
    left, right = tmp_path / "carers.csv", tmp_path / "register.csv"
    with duckdb.connect() as connection:
        connection.execute(f"COPY (SELECT * FROM '{carers.carers}') TO '{left}' (HEADER)")
        connection.execute(f"COPY (SELECT * FROM '{carers.register}') TO '{right}' (HEADER)")
    return left, right


def test_link_writes_the_match_table(carers: Carers, tmp_path: Path) -> None:
    left, right = _csv(carers, tmp_path)
    out = tmp_path / "matches.csv"
    result = runner.invoke(
        app,
        [
            "link",
            str(left),
            str(right),
            "--left-id",
            "nino",
            "--right-id",
            "nhs_number",
            "--out",
            str(out),
            "--field",
            "title=ignore",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["left_id", "right_id", "match_probability", "match_pass"]
    found = {(row["left_id"], row["right_id"]) for row in rows}
    assert len(found & carers.truth) >= 0.97 * len(carers.truth)
    assert '"matched"' in result.output


def test_bad_id_column_names_the_parameter(carers: Carers, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "link",
            str(carers.carers),
            str(carers.register),
            "--left-id",
            "nope",
            "--right-id",
            "nhs_number",
            "--out",
            str(tmp_path / "m.parquet"),
        ],
    )
    assert result.exit_code != 0
    assert "--left-id" in result.output
    assert not (tmp_path / "m.parquet").exists()


def test_bad_role_and_bad_output_are_refused(carers: Carers, tmp_path: Path) -> None:
    base = ["link", str(carers.carers), str(carers.register), "--left-id", "nino"]
    base += ["--right-id", "nhs_number"]
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "m.csv"), "--field", "x=wizard"])
    assert result.exit_code != 0
    assert "--field" in result.output
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "m.json")])
    assert result.exit_code != 0
    assert "--out" in result.output
