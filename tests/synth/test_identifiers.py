from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core.identifiers import is_valid_nhs_number, is_valid_nino, is_valid_postcode
from accord.synth.geography import build_geography
from accord.synth.identifiers import NINO_PREFIXES, nhs_numbers, ninos
from accord.synth.streams import Streams, feistel_permute


@settings(max_examples=30, deadline=None)
@given(domain=st.integers(min_value=1, max_value=5000), key=st.integers(0, 2**32))
def test_feistel_is_a_bijection_of_the_domain(domain: int, key: int) -> None:
    out = feistel_permute(np.arange(domain, dtype=np.int64), domain, key)
    assert sorted(out.tolist()) == list(range(domain))


def test_nhs_numbers_are_valid_unique_and_never_real_ranges() -> None:
    ids = np.arange(300_000, dtype=np.int64)
    numbers = nhs_numbers(Streams(5), ids).to_pylist()
    assert len(set(numbers)) == len(numbers)
    assert all(is_valid_nhs_number(n) for n in numbers)
    assert all(n.startswith("9") and len(n) == 10 for n in numbers)


def test_nhs_numbers_at_the_top_of_the_population_are_valid() -> None:
    ids = np.arange(56_400_000, 56_500_000, dtype=np.int64)
    numbers = nhs_numbers(Streams(5), ids).to_pylist()
    assert len(set(numbers)) == len(numbers)
    assert all(is_valid_nhs_number(n) for n in numbers)


def test_ninos_are_valid_and_unique_on_prefix_and_digits() -> None:
    ids = np.arange(300_000, dtype=np.int64)
    values = ninos(Streams(5), ids).to_pylist()
    assert len({v[:8] for v in values}) == len(values)
    assert all(is_valid_nino(v) for v in values)
    assert len(NINO_PREFIXES) == 373


def test_identifiers_depend_on_seed_and_person_only() -> None:
    ids = np.arange(0, 1_000_000, 997, dtype=np.int64)
    whole = ninos(Streams(9), ids).to_pylist()
    one_by_one = [ninos(Streams(9), ids[i : i + 1]).to_pylist()[0] for i in range(0, len(ids), 50)]
    assert one_by_one == whole[::50]
    assert ninos(Streams(10), ids).to_pylist() != whole


def test_postcodes_are_valid_and_unique() -> None:
    geo = build_geography(Streams(3), 2_000_000)
    postcodes = geo.postcodes.to_pylist()
    assert len(set(postcodes)) == len(postcodes)
    assert all(is_valid_postcode(p) for p in postcodes)


def test_geography_of_a_small_scale_is_a_prefix_of_a_large_one() -> None:
    small = build_geography(Streams(3), 100_000)
    large = build_geography(Streams(3), 1_000_000)
    n = small.n_oa - 1  # the last area of the small map may be cut short
    assert small.postcodes.to_pylist()[: n * 8] == large.postcodes.to_pylist()[: n * 8]
    assert (small.oa_lsoa[:n] == large.oa_lsoa[:n]).all()
