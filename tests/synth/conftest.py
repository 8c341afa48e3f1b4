"""Each scenario is generated once per session, small, with and without disagreements."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.synth import CorruptionRates, Manifest, generate

SCALE = 0.002
"""113,000 people: big enough for rates to be measured to well within 10%."""
SEED = 20210217


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory):
    """``generated(scenario, clean=False)`` -> (directory, manifest), cached per session."""
    cache: dict[tuple[str, bool], tuple[Path, Manifest]] = {}

    def get(scenario: str, *, clean: bool = False) -> tuple[Path, Manifest]:
        key = (scenario, clean)
        if key not in cache:
            out = tmp_path_factory.mktemp(f"{scenario}-{'clean' if clean else 'noisy'}") / "out"
            rates = CorruptionRates.none() if clean else None
            manifest = generate(scenario, scale=SCALE, seed=SEED, out=out, rates=rates)
            cache[key] = (out, manifest)
        return cache[key]

    return get


def read(directory: Path, manifest: Manifest, name: str) -> pa.Table:
    return pq.read_table(directory / manifest.file(name).path)
