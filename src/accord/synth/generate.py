"""The library entry point: ``generate(scenario, scale=..., seed=..., out=...)``.

It validates the request (every error names the parameter at fault), builds the
population for the scale, lets the scenario write its datasets into a hidden working
directory, writes ``manifest.json`` last, and only then renames the directory into
place: a run either produces a complete, hashed dataset or nothing.
"""

from __future__ import annotations

import math
from pathlib import Path

from accord.errors import ValidationError
from accord.synth.identifiers import NHS_CAPACITY
from accord.synth.manifest import GENERATOR_VERSION, Manifest
from accord.synth.population import FULL_POPULATION, REFERENCE_DATE, Population
from accord.synth.rates import CorruptionRates
from accord.synth.scenarios import SCENARIOS
from accord.synth.scenarios.base import Progress, Run
from accord.synth.writer import FORMATS, OutputDirectory

__all__ = ["MAX_SCALE", "generate", "persons_for_scale"]

MAX_SCALE = NHS_CAPACITY / FULL_POPULATION
"""Above this there are not enough synthetic NHS numbers for everyone (about 1.59)."""


def persons_for_scale(scale: float) -> int:
    """People in the population at ``scale`` (56.5 million at 1; at least 1,000)."""
    return max(1_000, round(FULL_POPULATION * scale))


def _check(scenario: str, scale: float, seed: int, fmt: str) -> None:
    if scenario not in SCENARIOS:
        raise ValidationError(
            f"scenario: unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}"
        )
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not math.isfinite(scale):
        raise ValidationError(f"scale: must be a finite number, not {scale!r}")
    if scale <= 0:
        raise ValidationError(f"scale: must be greater than 0, not {scale}")
    if scale > MAX_SCALE:
        raise ValidationError(f"scale: at most {MAX_SCALE:.2f} (the synthetic NHS number space)")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValidationError(f"seed: must be a non-negative integer, not {seed!r}")
    if fmt not in FORMATS:
        raise ValidationError(f"format: must be one of {', '.join(FORMATS)}, not {fmt!r}")


def generate(
    scenario: str,
    *,
    scale: float,
    seed: int,
    out: Path,
    fmt: str = "parquet",
    rates: CorruptionRates | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> Manifest:
    """Write ``scenario``'s datasets, ground truth and manifest to ``out``; return the manifest.

    The same arguments give byte-identical files. ``rates`` sets how often sources
    disagree with the truth (defaults: :class:`CorruptionRates`; ``CorruptionRates.none()``
    for clean sources). ``out`` must be new or empty unless ``overwrite`` is set.
    """
    _check(scenario, scale, seed, fmt)
    rates = rates if rates is not None else CorruptionRates()
    population = Population(seed, persons_for_scale(scale))
    chosen = SCENARIOS[scenario]
    with OutputDirectory(Path(out), overwrite=overwrite) as output:
        run = Run(population, rates, output.work, fmt, progress)
        truth = chosen.generate(run)
        files = run.close()
        manifest = Manifest(
            scenario=scenario,
            scale=float(scale),
            seed=seed,
            format=fmt,
            generator="accord.synth",
            generator_version=GENERATOR_VERSION,
            reference_date=REFERENCE_DATE.isoformat(),
            persons=population.n_persons,
            rates=rates.as_dict(),
            files=tuple(files),
            truth=truth,
        )
        (output.work / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        output.commit()
    return manifest
