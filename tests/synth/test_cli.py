from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from accord.cli.synth import synth_command
from accord.synth import Manifest

app = typer.Typer()
app.command("synth")(synth_command)


@app.callback()
def _root() -> None:
    """Makes ``synth`` a subcommand, as in the real CLI."""


runner = CliRunner()


def test_writes_a_scenario_and_its_manifest(tmp_path: Path) -> None:
    out = tmp_path / "carers"
    result = runner.invoke(
        app,
        [
            "synth",
            "carers",
            "--scale",
            "0.0005",
            "--seed",
            "3",
            "--out",
            str(out),
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = Manifest.read(out)
    assert manifest.format == "csv"
    assert manifest.seed == 3
    assert (out / "patient_register.csv").exists()
    assert "patient_register" in result.output


def test_rates_option_sets_rates(tmp_path: Path) -> None:
    out = tmp_path / "o"
    result = runner.invoke(
        app,
        [
            "synth",
            "carers",
            "--scale",
            "0.0005",
            "--out",
            str(out),
            "--rate",
            "all=0",
            "--rate",
            "typo=0.5",
        ],
    )
    assert result.exit_code == 0, result.output
    rates = Manifest.read(out).rates
    assert rates["typo"] == 0.5
    assert rates["moved_house"] == 0.0


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["nope"], "SCENARIO"),
        (["carers", "--scale", "0"], "--scale"),
        (["carers", "--scale", "-2"], "--scale"),
        (["carers", "--format", "xlsx"], "--format"),
        (["carers", "--rate", "typo=2"], "--rate"),
        (["carers", "--rate", "sneeze=0.1"], "--rate"),
    ],
)
def test_bad_arguments_exit_non_zero_naming_the_parameter(
    tmp_path: Path, args: list[str], hint: str
) -> None:
    result = runner.invoke(app, ["synth", *args, "--out", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert hint in result.output
    assert not (tmp_path / "o").exists()


def test_unwritable_out_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(
        app, ["synth", "carers", "--scale", "0.0005", "--out", str(blocker / "o")]
    )
    assert result.exit_code != 0
    assert "--out" in result.output


def test_every_option_has_help() -> None:
    result = runner.invoke(app, ["synth", "--help"])
    assert result.exit_code == 0
    for option in ("--scale", "--seed", "--out", "--format", "--rate", "--overwrite"):
        assert option in result.output
