"""k-anonymity and l-diversity for research extracts, reached by local suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.disclosure.anonymity import anonymise, measure

QI = ["age_band", "sex", "lsoa"]


def extract(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age_band": rng.choice(["16-24", "25-34", "35-49", "50-64", "65+"], n),
            "sex": rng.choice(["F", "M"], n),
            "lsoa": rng.choice([f"E015{i:05d}" for i in range(60)], n),
            "benefit": rng.choice(["UC", "ESA", "JSA", "IS"], n, p=[0.7, 0.2, 0.05, 0.05]),
        }
    )


def test_local_suppression_reaches_k_and_l_blanking_values_not_rows() -> None:
    frame = extract(3_000, 1)
    assert measure(frame, QI).k < 5
    out, report = anonymise(frame, QI, 5, sensitive="benefit", l=2)
    assert report.k >= 5
    assert report.l >= 2
    assert measure(out, QI, "benefit") == type(report)(report.k, report.l, {})
    assert report.removed_records < 0.01 * len(frame)
    assert sum(report.suppressed.values()) > 0
    # only quasi-identifiers were touched, and only by blanking
    kept = frame.loc[out.index]
    assert (out["benefit"] == kept["benefit"]).all()
    for q in QI:
        changed = out[q].ne(kept[q]) & out[q].notna()
        assert not changed.any()


@settings(max_examples=25, deadline=None)
@given(st.integers(20, 400), st.integers(2, 8), st.integers(0, 10_000))
def test_any_extract_comes_out_k_anonymous(n: int, k: int, seed: int) -> None:
    out, report = anonymise(extract(n, seed), QI, k)
    assert len(out) == 0 or measure(out, QI).k >= k
    assert report.removed_records + len(out) == n
