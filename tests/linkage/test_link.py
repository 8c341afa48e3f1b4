"""Plain linkage against known truth: deterministic and probabilistic passes, one-to-one,
the review band, and input checks."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute
import pyarrow.parquet as pq
import pytest

from accord.errors import ValidationError
from accord.linkage import LinkageOptions, Role, link
from tests.linkage.conftest import Carers, pairs, precision_recall


@pytest.fixture(scope="module")
def plain(carers: Carers):
    return link(carers.carers, carers.register, left_id="nino", right_id="nhs_number")


def test_probabilistic_linkage_finds_the_carers_on_the_register(plain, carers: Carers) -> None:
    precision, recall = precision_recall(pairs(plain.matches), carers.truth)
    assert precision >= 0.995
    assert recall >= 0.97
    assert plain.summary.matched_by_pass["probabilistic"] > 0
    assert set(plain.matches.column_names) == {
        "left_id",
        "right_id",
        "match_probability",
        "match_pass",
    }


def test_columns_and_features_are_recognised_without_configuration(plain) -> None:
    assert plain.left_roles.columns(Role.GIVEN_NAME) == ("forename",)
    assert plain.right_roles.columns(Role.MIDDLE_NAMES) == ("middle_names",)
    assert plain.right_roles.columns(Role.ADDRESS) == (
        "address_line_1",
        "address_line_2",
        "address_line_3",
    )
    assert {"given_name", "family_name", "dob", "postcode", "address"} <= set(plain.features)
    assert plain.blocking


def test_match_key_pass_is_exact_and_certain(plain, carers: Carers) -> None:
    key = plain.matches.filter(pa.compute.equal(plain.matches.column("match_pass"), "match_key"))
    assert key.num_rows > 0
    assert pairs(key) <= carers.truth
    assert set(key.column("match_probability").to_pylist()) == {1.0}


def test_summary_counts_add_up_and_estimates_are_close(plain, carers: Carers) -> None:
    summary = plain.summary
    assert summary.matched == plain.matches.num_rows == sum(summary.matched_by_pass.values())
    assert summary.unmatched_left == summary.left_records - summary.matched
    assert summary.to_review == plain.review.num_rows
    precision, recall = precision_recall(pairs(plain.matches), carers.truth)
    assert abs(summary.estimated_precision - precision) < 0.02
    assert abs(summary.estimated_recall - recall) < 0.05


def test_deterministic_pass_on_a_shared_identifier(carers: Carers, tmp_path: Path) -> None:
    # The health body's register, here carrying each patient's NINO too.
    identity = carers.directory / "ground_truth" / "identity.parquet"
    with_nino = tmp_path / "register.parquet"
    carers_ids = tmp_path / "carers.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            f"COPY (SELECT r.*, i.nino FROM '{carers.register}' r LEFT JOIN '{identity}' i "
            f"USING (nhs_number)) TO '{with_nino}'"
        )
        connection.execute(
            f"COPY (SELECT nino AS claim_nino, * FROM '{carers.carers}') TO '{carers_ids}'"
        )
    result = link(carers_ids, with_nino, left_id="claim_nino", right_id="nhs_number")
    by_nino = result.matches.filter(pa.compute.equal(result.matches.column("match_pass"), "nino"))
    assert pairs(by_nino) == set(carers.truth)
    # Carers who are not on the register stay unmatched, but for the odd namesake.
    assert result.summary.matched_by_pass["probabilistic"] <= 0.01 * result.summary.left_records


def test_one_to_one_constraint(carers: Carers, tmp_path: Path) -> None:
    # Every register record twice, under a second id: without the constraint, carers
    # link to both copies; with it, to one.
    doubled = tmp_path / "doubled.parquet"
    wanted = ", ".join(f"'{nhs}'" for _, nhs in carers.truth)
    register = (
        f"(SELECT * FROM '{carers.register}' WHERE nhs_number IN ({wanted}) "
        "OR hash(nhs_number) % 8 = 0)"
    )
    with duckdb.connect() as connection:
        connection.execute(
            f"COPY (SELECT * FROM {register} UNION ALL SELECT * REPLACE "
            f"('X' || nhs_number AS nhs_number) FROM {register}) TO '{doubled}'"
        )
    options = LinkageOptions(match_key_pass=False)
    one = link(carers.carers, doubled, left_id="nino", right_id="nhs_number", options=options)
    left_ids = one.matches.column("left_id").to_pylist()
    right_ids = one.matches.column("right_id").to_pylist()
    assert len(left_ids) == len(set(left_ids))
    assert len(right_ids) == len(set(right_ids))
    many = link(
        carers.carers,
        doubled,
        left_id="nino",
        right_id="nhs_number",
        options=LinkageOptions(match_key_pass=False, one_to_one=False),
    )
    many_left = many.matches.column("left_id").to_pylist()
    assert len(many_left) > 1.5 * len(set(many_left))


def test_review_band_holds_pairs_between_the_thresholds(carers: Carers) -> None:
    options = LinkageOptions(threshold=0.999, review_threshold=0.2)
    result = link(
        carers.carers, carers.register, left_id="nino", right_id="nhs_number", options=options
    )
    probabilities = result.review.column("match_probability").to_pylist()
    assert probabilities
    assert all(0.2 <= p < 0.999 for p in probabilities)
    assert set(result.review.column("match_pass").to_pylist()) == {"review"}
    assert not pairs(result.review) & pairs(result.matches)


def test_accepts_relations_and_arrow_tables(carers: Carers) -> None:
    connection = duckdb.connect()
    relation = connection.sql(f"SELECT * FROM '{carers.carers}'")
    register = pq.read_table(carers.register)
    result = link(relation, register, left_id="nino", right_id="nhs_number")
    precision, recall = precision_recall(pairs(result.matches), carers.truth)
    assert precision >= 0.995
    assert recall >= 0.97


def test_overrides_leave_columns_out(carers: Carers) -> None:
    result = link(
        carers.carers,
        carers.register,
        left_id="nino",
        right_id="nhs_number",
        left_roles={
            "postcode": None,
            "address_line_1": None,
            "address_line_2": None,
            "address_line_3": None,
        },
    )
    assert "postcode" not in result.features
    assert "address" not in result.features


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"left_id": "missing", "right_id": "nhs_number"}, "--left-id"),
        ({"left_id": "sex", "right_id": "nhs_number"}, "not unique"),
        ({"left_id": "nino", "right_id": "nope"}, "--right-id"),
    ],
)
def test_bad_ids_are_refused_naming_the_parameter(
    carers: Carers, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        link(carers.carers, carers.register, **kwargs)


def test_missing_file_and_bad_options_are_refused(carers: Carers, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        link(tmp_path / "nope.parquet", carers.register, left_id="nino", right_id="nhs_number")
    with pytest.raises(ValidationError, match="review_threshold"):
        link(
            carers.carers,
            carers.register,
            left_id="nino",
            right_id="nhs_number",
            options=LinkageOptions(threshold=0.5, review_threshold=0.9),
        )
    with pytest.raises(ValidationError, match="not in the left input"):
        link(
            carers.carers,
            carers.register,
            left_id="nino",
            right_id="nhs_number",
            left_roles={"no_such_column": Role.GIVEN_NAME},
        )
