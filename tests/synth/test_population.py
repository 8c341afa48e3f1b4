from __future__ import annotations

import numpy as np
import pyarrow as pa

from accord.synth.circumstances import P_CA, Circumstances, expected_holders
from accord.synth.population import FULL_POPULATION, HOUSEHOLD_BLOCK, Population


def test_attributes_do_not_depend_on_how_people_are_chunked() -> None:
    pop = Population(11, 200_000)
    chunk = pop.people(np.arange(0, 200_000, dtype=np.int64), contiguous=True)
    picked = np.arange(3, 200_000, 1013, dtype=np.int64)
    alone = pop.people(picked)
    take = pa.array(picked)
    assert (alone.head == chunk.head[picked]).all()
    for name in ("forename", "surname", "date_of_birth", "nino", "nhs_number", "email"):
        assert getattr(alone, name).equals(getattr(chunk, name).take(take)), name
    assert alone.address["postcode"].equals(chunk.address["postcode"].take(take))
    sliced = chunk.subset(picked)
    assert sliced.forename.equals(alone.forename)


def test_households_share_an_address_and_have_an_adult_head() -> None:
    pop = Population(11, 100_000)
    people = pop.people(np.arange(100_000, dtype=np.int64), contiguous=True)
    head = people.head
    assert (head <= people.ids).all()
    assert (people.ids - head < HOUSEHOLD_BLOCK).all()
    assert (people.age[people.is_head] >= 18).all()
    postcode = np.asarray(people.address["postcode"].to_pylist())
    assert (postcode == postcode[head]).all()
    sizes = np.bincount(head)[np.unique(head)]
    assert 2.2 < sizes.mean() < 2.5


def test_previous_address_is_a_different_household() -> None:
    pop = Population(11, 100_000)
    people = pop.people(np.arange(0, 100_000, 7, dtype=np.int64))
    assert (pop.previous_head(people.head) != people.head).all()


def test_carer_counts_match_the_scaled_real_figure() -> None:
    n = 2_000_000
    pop = Population(4, n)
    carers = 0
    for start in range(0, n, 1 << 20):
        people = pop.people(
            np.arange(start, min(n, start + (1 << 20)), dtype=np.int64), contiguous=True
        )
        carers += int((Circumstances(people).carer == 1).sum())
    expected = expected_holders(P_CA).sum() * n / FULL_POPULATION
    assert abs(carers - expected) < 5 * np.sqrt(expected)
    assert abs(expected * FULL_POPULATION / n - 789_000) < 1
