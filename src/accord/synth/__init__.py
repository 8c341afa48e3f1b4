"""Synthetic populations for Accord's scenarios, with ground truth.

One consistent synthetic population of England (56.5 million people at scale 1) sits
behind every scenario; each scenario writes the datasets its seed describes, as each
holder would have them, with realistic disagreements between sources at configurable
rates, plus the ground truth that says who is who.

    >>> from accord.synth import generate
    >>> manifest = generate("carers", scale=0.001, seed=7, out=Path("out/carers"))  # doctest: +SKIP

See ``docs/synthetic-data.md`` for every dataset, field and rate.
"""

from __future__ import annotations

from accord.synth.generate import MAX_SCALE, generate, persons_for_scale
from accord.synth.manifest import GENERATOR_VERSION, FileEntry, Manifest
from accord.synth.rates import CorruptionRates
from accord.synth.scenarios import SCENARIOS

__all__ = [
    "GENERATOR_VERSION",
    "MAX_SCALE",
    "SCENARIOS",
    "CorruptionRates",
    "FileEntry",
    "Manifest",
    "generate",
    "persons_for_scale",
]
