"""Sources disagree with the truth at the configured rates, and the log says exactly where."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from accord.core.identifiers import is_valid_nhs_number, is_valid_nino, is_valid_postcode
from accord.synth import CorruptionRates, generate
from accord.synth.names import name_vocabulary

from .conftest import SCALE, SEED, read

NOISY = ("carers_allowance", "other_caring_benefits", "universal_credit", "patient_register")


@pytest.mark.parametrize("dataset", ["carers_allowance", "universal_credit", "patient_register"])
def test_measured_rates_are_within_ten_percent_of_configured(generated, dataset: str) -> None:
    noisy_dir, noisy = generated("carers")
    clean_dir, _ = generated("carers", clean=True)
    clean = read(clean_dir, noisy, dataset)
    log = read(noisy_dir, noisy, "disagreements").filter(pc.field("dataset") == dataset)
    rates = CorruptionRates()
    n = clean.num_rows
    dob = clean.column("date_of_birth")
    day, month = pc.day(dob).to_numpy(), pc.month(dob).to_numpy()
    vocab = name_vocabulary()
    index = {name: i for i, name in enumerate(vocab.forenames.to_pylist())}
    forename_idx = np.asarray([index[f] for f in clean.column("forename").to_pylist()])
    eligible = {
        "swapped_day_month": int(((day <= 12) & (day != month)).sum()),
        "nickname": int((vocab.variant_count(forename_idx) > 0).sum()),
    }
    for kind in CorruptionRates.kinds():
        rows = pc.unique(log.filter(pc.field("kind") == kind).column("row_number"))
        measured = len(rows) / eligible.get(kind, n)
        configured = getattr(rates, kind)
        assert abs(measured - configured) <= 0.1 * configured, (kind, measured, configured)


@pytest.mark.parametrize("dataset", NOISY)
def test_log_records_every_difference_from_the_clean_source(generated, dataset: str) -> None:
    """Replaying the log over the clean source gives exactly the noisy source."""
    noisy_dir, manifest = generated("carers")
    clean_dir, _ = generated("carers", clean=True)
    clean = read(clean_dir, manifest, dataset)
    noisy = read(noisy_dir, manifest, dataset)
    assert clean.num_rows == noisy.num_rows
    log = read(noisy_dir, manifest, "disagreements").filter(pc.field("dataset") == dataset)
    first: dict[tuple[str, int], str | None] = {}
    last: dict[tuple[str, int], str | None] = {}
    for entry in log.to_pylist():
        key = (entry["field"], entry["row_number"])
        first.setdefault(key, entry["true_value"])
        last[key] = entry["recorded_value"]
    for column in clean.column_names:
        truth = _text(clean.column(column))
        recorded = _text(noisy.column(column))
        for row, (t, r) in enumerate(zip(truth, recorded, strict=True)):
            key = (column, row)
            if key in first:
                assert (first[key], last[key]) == (t, r), key
            else:
                assert t == r, key


def _text(column: pa.ChunkedArray) -> list[str | None]:
    if pa.types.is_date(column.type):
        return [None if v is None else v.isoformat() for v in column.to_pylist()]
    return [None if v is None else str(v) for v in column.to_pylist()]


def test_clean_sources_have_only_valid_identifiers_and_no_gaps(generated) -> None:
    directory, manifest = generated("carers", clean=True)
    assert manifest.file("disagreements").rows == 0
    register = read(directory, manifest, "patient_register")
    assert all(is_valid_nhs_number(v) for v in register.column("nhs_number").to_pylist())
    for name in NOISY:
        table = read(directory, manifest, name)
        postcodes = table.column("postcode").to_pylist()
        assert all(p is not None and is_valid_postcode(p) for p in postcodes), name
        if "nino" in table.column_names:
            ninos = table.column("nino").to_pylist()
            assert all(v is not None and is_valid_nino(v) for v in ninos), name
            assert len(set(ninos)) == len(ninos), name
        assert table.column("date_of_birth").null_count == 0


def test_noisy_sources_keep_every_identifier_they_have_valid(generated) -> None:
    """Disagreements move, reformat or blank identifiers, never make them invalid."""
    directory, manifest = generated("carers")
    for name in NOISY:
        table = read(directory, manifest, name)
        for column, valid in (("postcode", is_valid_postcode), ("nino", is_valid_nino)):
            if column in table.column_names:
                values = [v for v in table.column(column).to_pylist() if v is not None]
                assert all(valid(v) for v in values), (name, column)


def test_rates_can_be_configured(tmp_path) -> None:
    rates = CorruptionRates.none().updated({"typo": 0.2})
    manifest = generate("carers", scale=0.0005, seed=SEED, out=tmp_path / "o", rates=rates)
    log = read(tmp_path / "o", manifest, "disagreements")
    assert set(log.column("kind").to_pylist()) == {"typo"}
    register_rows = pc.unique(
        log.filter(pc.field("dataset") == "patient_register").column("row_number")
    )
    assert abs(len(register_rows) / manifest.file("patient_register").rows - 0.2) < 0.002
    assert manifest.rates["typo"] == 0.2


def test_scale_fixture_is_small() -> None:
    assert SCALE <= 0.005
