"""The ground truth is complete: every NINO maps to its NHS number, every answer is checkable."""

from __future__ import annotations

import duckdb
import pyarrow.compute as pc

from accord.synth.circumstances import CARERS_NOT_OFFERED

from .conftest import SCALE, read


def test_every_nino_in_the_benefits_data_maps_to_one_nhs_number(generated) -> None:
    directory, manifest = generated("carers")
    identity = read(directory, manifest, "identity")
    nino_to_nhs = dict(
        zip(
            identity.column("nino").to_pylist(),
            identity.column("nhs_number").to_pylist(),
            strict=True,
        )
    )
    assert len(nino_to_nhs) == identity.num_rows
    assert len(set(nino_to_nhs.values())) == identity.num_rows
    for name in ("carers_allowance", "other_caring_benefits", "universal_credit"):
        ninos = read(directory, manifest, name).column("nino").to_pylist()
        assert all(n in nino_to_nhs for n in ninos), name
        flags = identity.filter(pc.field(name)).column("nino").to_pylist()
        assert sorted(flags) == sorted(ninos), name


def test_true_matches_are_in_the_register_exactly_when_the_truth_says(generated) -> None:
    directory, manifest = generated("carers")
    identity = read(directory, manifest, "identity")
    register = set(read(directory, manifest, "patient_register").column("nhs_number").to_pylist())
    for nhs, present in zip(
        identity.column("nhs_number").to_pylist(),
        identity.column("in_patient_register").to_pylist(),
        strict=True,
    ):
        assert (nhs in register) == present


def test_carers_not_offered_answer_is_reproducible_from_the_data(generated) -> None:
    directory, manifest = generated("carers")
    files = {f.name: (directory / f.path).as_posix() for f in manifest.files}
    not_offered = duckdb.sql(
        f"""
        select count(*) from read_parquet('{files["identity"]}') i
        join read_parquet('{files["patient_register"]}') r using (nhs_number)
        where (i.carers_allowance or i.other_caring_benefits)
          and r.vaccination_offered_date is null
        """
    ).fetchall()[0][0]
    assert not_offered == manifest.truth["carers_not_offered"]
    expected = CARERS_NOT_OFFERED * SCALE
    assert abs(not_offered - expected) < 0.1 * expected
    carers = manifest.row_counts["carers_allowance"] + manifest.row_counts["other_caring_benefits"]
    assert carers == manifest.truth["carers"]
    assert abs(carers - 916_000 * SCALE) < 0.1 * 916_000 * SCALE


def test_register_covers_the_scaled_population(generated) -> None:
    _, manifest = generated("carers")
    assert manifest.persons == round(56_500_000 * SCALE)
    assert 0.98 * manifest.persons < manifest.row_counts["patient_register"] <= manifest.persons
