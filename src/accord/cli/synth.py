"""``accord synth``: write a scenario's synthetic datasets, ground truth and manifest.

A thin adapter over :func:`accord.synth.generate`: it parses arguments, shows a Rich
progress bar, and turns :class:`accord.errors.AccordError` into a message naming the
parameter at fault and a non-zero exit. Register it with
``app.command("synth")(synth_command)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from accord.cli.common import handles_errors
from accord.errors import AccordError
from accord.synth import SCENARIOS, CorruptionRates, generate
from accord.synth.rates import RATE_HELP

__all__ = ["synth_command"]

_PARAMETER_HINTS = {
    "scenario": "SCENARIO",
    "scale": "--scale",
    "seed": "--seed",
    "out": "--out",
    "format": "--format",
    "rate": "--rate",
    "rates": "--rate",
}


@handles_errors
def synth_command(
    scenario: Annotated[
        str,
        typer.Argument(help=f"Scenario to generate: {', '.join(SCENARIOS)}.", show_default=False),
    ],
    scale: Annotated[
        float,
        typer.Option(
            "--scale",
            help="Size relative to real life: 1 gives the real counts (a 56.5M-person "
            "register); 0.001 gives 56,500 people.",
        ),
    ] = 0.001,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed; the same seed gives byte-identical files.")
    ] = 0,
    out: Annotated[
        Path,
        typer.Option("--out", help="Output directory (must be new or empty unless --overwrite)."),
    ] = Path("synthetic"),
    format: Annotated[
        str, typer.Option("--format", help="File format: parquet or csv.")
    ] = "parquet",
    rate: Annotated[
        list[str] | None,
        typer.Option(
            "--rate",
            help="Override a disagreement rate, KIND=VALUE, repeatable; kinds: "
            + ", ".join(RATE_HELP)
            + ". --rate all=0 gives clean sources.",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing output directory.")
    ] = False,
) -> None:
    """Generate a scenario's synthetic datasets with ground truth and a manifest."""
    console = Console(stderr=True)
    try:
        rates = _rates(rate or [])
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,} people"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task(f"synth {scenario}", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            manifest = generate(
                scenario,
                scale=scale,
                seed=seed,
                out=out,
                fmt=format,
                rates=rates,
                overwrite=overwrite,
                progress=advance,
            )
    except AccordError as exc:
        raise typer.BadParameter(exc.message, param_hint=_hint(exc.message)) from exc

    table = Table(title=f"{manifest.scenario} - {manifest.persons:,} people, seed {seed}")
    table.add_column("file")
    table.add_column("role")
    table.add_column("rows", justify="right")
    for entry in manifest.files:
        table.add_row(entry.path, entry.role, f"{entry.rows:,}")
    Console().print(table)
    Console().print(f"Wrote {out / 'manifest.json'}")


def _rates(items: list[str]) -> CorruptionRates:
    expanded: list[str] = []
    for item in items:
        kind, _, value = item.partition("=")
        if kind.strip() == "all":
            expanded += [f"{k}={value}" for k in CorruptionRates.kinds()]
        else:
            expanded.append(item)
    return CorruptionRates.parse(expanded)


def _hint(message: str) -> str | None:
    """The CLI spelling of the parameter a library error names (``scale: ...`` -> ``--scale``)."""
    name = message.split(":", 1)[0].strip()
    return _PARAMETER_HINTS.get(name)
