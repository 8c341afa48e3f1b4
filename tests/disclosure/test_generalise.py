"""Generalisation before local suppression: coarsen whole columns first, blank the rest."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core.vocabulary import SemanticType
from accord.disclosure.anonymity import Ladder, generalise_and_suppress, ladder_for, measure


def people(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = date(1950, 1, 1)
    return pd.DataFrame(
        {
            "date_of_birth": [start + timedelta(days=int(d)) for d in rng.integers(0, 4_000, n)],
            "age": rng.integers(16, 90, n),
            "sex": rng.choice(["F", "M"], n),
            "postcode": rng.choice(["M1 1AE", "M1 2BB", "M2 3CC", "SW1A 1AA", "SW2 4DD"], n),
            "benefit": rng.choice(["UC", "ESA", "JSA", "PIP"], n),
        }
    )


def ladders(frame: pd.DataFrame) -> dict[str, Ladder]:
    return {
        "date_of_birth": ladder_for(frame["date_of_birth"]),
        "sex": ladder_for(frame["sex"]),
        "postcode": ladder_for(frame["postcode"], SemanticType.POSTCODE),
    }


def test_ladders_follow_the_column() -> None:
    frame = people(5, 0)
    found = {name: [step for step, _ in ladder] for name, ladder in ladders(frame).items()}
    assert found == {
        "date_of_birth": ["month", "year", "decade"],
        "sex": [],
        "postcode": ["postcode district", "postcode area"],
    }
    assert [step for step, _ in ladder_for(frame["age"])] == [
        "bands of 5",
        "bands of 10",
        "bands of 20",
    ]
    _, bands = ladder_for(frame["age"])[1]
    assert bands(pd.Series([16, 29, 30])).tolist() == ["10-19", "20-29", "30-39"]
    _, district = ladder_for(frame["postcode"], SemanticType.POSTCODE)[0]
    assert set(district(frame["postcode"])) <= {"M1", "M2", "SW1A", "SW2"}
    assert ladder_for(pd.Series(["a", "b"])) == ()


def test_generalising_first_suppresses_far_less_than_suppression_alone() -> None:
    frame = people(2_000, 3)
    quasi = list(ladders(frame))
    assert measure(frame, quasi).k == 1
    out, report = generalise_and_suppress(frame, ladders(frame), 10)
    assert report.k >= 10
    assert measure(out, quasi).k >= 10
    assert report.generalised  # whole columns were coarsened
    assert sum(report.suppressed.values()) + report.removed_records < 0.1 * len(frame)
    no_ladders = {q: () for q in quasi}
    _, suppressed_only = generalise_and_suppress(frame, no_ladders, 10)
    blanked = sum(suppressed_only.suppressed.values()) + suppressed_only.removed_records
    assert blanked > 5 * (sum(report.suppressed.values()) + report.removed_records)


def test_l_diversity_is_reached_over_the_sensitive_attribute() -> None:
    frame = people(1_500, 5)
    out, report = generalise_and_suppress(frame, ladders(frame), 5, sensitive="benefit", l=3)
    assert report.k >= 5
    assert report.l >= 3
    assert measure(out, list(ladders(frame)), "benefit").l >= 3


@settings(max_examples=20, deadline=None)
@given(st.integers(30, 600), st.integers(2, 12), st.integers(0, 10_000))
def test_any_extract_comes_out_k_anonymous(n: int, k: int, seed: int) -> None:
    frame = people(n, seed)
    out, report = generalise_and_suppress(frame, ladders(frame), k)
    assert len(out) == 0 or measure(out, list(ladders(frame))).k >= k
    assert report.removed_records + len(out) == n
