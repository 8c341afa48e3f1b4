"""Determinism, manifests, atomic output and argument checking of ``generate``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from accord.errors import ValidationError
from accord.synth import SCENARIOS, Manifest, generate
from accord.synth.scenarios.carers import CarersScenario


def _hashes(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_same_seed_gives_byte_identical_files(tmp_path: Path, scenario: str, fmt: str) -> None:
    generate(scenario, scale=0.0005, seed=42, out=tmp_path / "a", fmt=fmt)
    generate(scenario, scale=0.0005, seed=42, out=tmp_path / "b", fmt=fmt)
    a, b = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    assert a == b
    assert "manifest.json" in a
    generate(scenario, scale=0.0005, seed=43, out=tmp_path / "c", fmt=fmt)
    assert _hashes(tmp_path / "c") != a


def test_manifest_describes_the_files(tmp_path: Path) -> None:
    manifest = generate("carers", scale=0.0005, seed=1, out=tmp_path / "o")
    assert Manifest.read(tmp_path / "o") == manifest
    on_disk = _hashes(tmp_path / "o")
    assert set(on_disk) == {f.path for f in manifest.files} | {"manifest.json"}
    for entry in manifest.files:
        assert on_disk[entry.path] == entry.sha256
    assert manifest.scenario == "carers"
    assert manifest.seed == 1
    assert manifest.format == "parquet"
    assert manifest.generator_version
    assert manifest.rates["typo"] > 0
    assert manifest.row_counts["patient_register"] > 0.98 * manifest.persons


def test_failed_run_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self, run):
        run.open(*self.datasets())
        next(iter(run.chunks()))
        raise RuntimeError("disk full")

    monkeypatch.setattr(CarersScenario, "generate", explode)
    with pytest.raises(RuntimeError):
        generate("carers", scale=0.0005, seed=1, out=tmp_path / "o")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_kept_unless_overwrite(tmp_path: Path) -> None:
    first = generate("carers", scale=0.0005, seed=1, out=tmp_path / "o")
    with pytest.raises(ValidationError, match=r"^out: .* not empty"):
        generate("carers", scale=0.0005, seed=2, out=tmp_path / "o")
    assert Manifest.read(tmp_path / "o") == first
    second = generate("carers", scale=0.0005, seed=2, out=tmp_path / "o", overwrite=True)
    assert Manifest.read(tmp_path / "o") == second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"scenario": "nope"}, "scenario"),
        ({"scale": 0}, "scale"),
        ({"scale": -1.0}, "scale"),
        ({"scale": float("nan")}, "scale"),
        ({"scale": 2.0}, "scale"),
        ({"seed": -1}, "seed"),
        ({"fmt": "xlsx"}, "format"),
    ],
)
def test_bad_arguments_name_the_parameter(tmp_path: Path, kwargs: dict, parameter: str) -> None:
    args = {"scenario": "carers", "scale": 0.0005, "seed": 1, "fmt": "parquet"} | kwargs
    scenario = args.pop("scenario")
    with pytest.raises(ValidationError, match=rf"^{parameter}: "):
        generate(scenario, out=tmp_path / "o", **args)
    assert not (tmp_path / "o").exists()


def test_unwritable_output_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValidationError, match=r"^out: "):
        generate("carers", scale=0.0005, seed=1, out=blocker / "o")
    with pytest.raises(ValidationError, match=r"^out: "):
        generate("carers", scale=0.0005, seed=1, out=blocker)
