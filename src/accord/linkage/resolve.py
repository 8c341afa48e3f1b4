"""From scored pairs to decisions: the prior, the one-to-one constraint, the review band.

**The prior.** A pair's match probability is its Bayes factor weighed against the
prior share of pairs that match. That share is not known in advance (it depends on
how much the two datasets overlap), so it is estimated by expectation maximisation
on the scored pairs themselves: the prior is repeatedly set to the expected share of
matching pairs given the current prior, until it stops moving.

**One-to-one.** A person appears once in each dataset, so a record should be linked
to at most one record on the other side. Pairs are taken best first: a pair is kept
when it is the best remaining candidate of both its records, and rounds repeat on
the records still free. This is greedy assignment done in set-based SQL.

**Thresholds.** Kept pairs at or above ``threshold`` are matches; those between
``review_threshold`` and ``threshold`` go to clerical review, and are not matches
until a person says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accord.linkage.deterministic import MATCHES_TABLE
from accord.linkage.engine import Engine
from accord.linkage.model import SCORED_TABLE

__all__ = ["REVIEW_TABLE", "Resolution", "estimate_prior", "resolve"]

REVIEW_TABLE = "linkage_review"
_CHOSEN = "linkage_chosen"
_MAX_ROUNDS = 8


@dataclass(frozen=True, slots=True)
class Resolution:
    """What resolving the scored pairs gave: counts and the model's own estimates."""

    prior: float
    matched: int
    to_review: int
    expected_precision: float
    """Mean match probability of the accepted probabilistic matches."""
    accepted_probability: float
    """Sum of the accepted pairs' probabilities: the expected true matches among them."""
    candidate_probability: float
    """Sum over left records of their best candidate's probability: expected matches."""


def estimate_prior(log2_bayes_factors: np.ndarray, total_pairs: int, start: float) -> float:
    """The share of all pairs that match, by EM on the prior with the Bayes factors fixed.

    Unscored pairs (outside blocking, or with evidence against) count as non-matches,
    which is what they almost surely are.
    """
    if total_pairs <= 0 or log2_bayes_factors.size == 0:
        return start
    bayes = np.exp2(np.clip(log2_bayes_factors, -200.0, 200.0))
    prior = min(max(start, 1e-12), 0.5)
    for _ in range(200):
        odds = prior / (1.0 - prior)
        posterior = odds * bayes / (1.0 + odds * bayes)
        updated = min(max(float(posterior.sum()) / total_pairs, 1e-12), 0.5)
        if math.isclose(updated, prior, rel_tol=1e-6):
            return updated
        prior = updated
    return prior


def resolve(
    engine: Engine,
    *,
    left_rows: int,
    right_rows: int,
    start_prior: float,
    threshold: float,
    review_threshold: float,
    one_to_one: bool,
) -> Resolution:
    """Estimate the prior, apply one-to-one and the thresholds; append matches.

    Matches go into the match table with pass ``probabilistic``; pairs in the review
    band go to :data:`REVIEW_TABLE`.
    """
    weights = engine.arrow(f"SELECT log2_bayes_factor FROM {SCORED_TABLE}", step="read weights")
    array = weights.column(0).to_numpy(zero_copy_only=False).astype(np.float64)
    prior = estimate_prior(array, left_rows * right_rows, start_prior)
    log2_odds = math.log2(prior / (1.0 - prior))
    probability = f"1.0 / (1.0 + pow(2.0, -(log2_bayes_factor + ({log2_odds!r}))))"
    engine.execute(
        f"CREATE OR REPLACE TABLE {_CHOSEN} AS SELECT left_id, right_id, {probability} AS p "
        f"FROM {SCORED_TABLE} WHERE {probability} >= {review_threshold!r}",
        step="apply prior",
    )
    if one_to_one:
        _one_to_one(engine)
    engine.execute(
        f"INSERT INTO {MATCHES_TABLE} SELECT left_id, right_id, p, 'probabilistic' "
        f"FROM {_CHOSEN} WHERE p >= {threshold!r}",
        step="accept matches",
    )
    engine.execute(
        f"CREATE OR REPLACE TABLE {REVIEW_TABLE} AS SELECT left_id, right_id, "
        f"p AS match_probability, 'review' AS match_pass FROM {_CHOSEN} WHERE p < {threshold!r}",
        step="review band",
    )
    matched, accepted_sum, mean_p = engine.fetch(
        f"SELECT count(*), coalesce(sum(p), 0), coalesce(avg(p), 1) FROM {_CHOSEN} "
        f"WHERE p >= {threshold!r}",
        step="summarise matches",
    )[0]
    to_review = engine.fetch(f"SELECT count(*) FROM {REVIEW_TABLE}", step="count review")[0][0]
    best = engine.fetch(
        f"SELECT coalesce(sum(best), 0) FROM (SELECT max({probability}) AS best "
        f"FROM {SCORED_TABLE} GROUP BY left_id) AS best_each",
        step="expected matches",
    )[0][0]
    return Resolution(
        prior=prior,
        matched=int(matched),
        to_review=int(to_review),
        expected_precision=float(mean_p),
        accepted_probability=float(accepted_sum),
        candidate_probability=float(best),
    )


def _one_to_one(engine: Engine) -> None:
    """Keep, round by round, pairs that are both records' best remaining candidate."""
    engine.execute(
        f"CREATE OR REPLACE TABLE {_CHOSEN}_kept (left_id {_type(engine)}, right_id "
        f"{_type(engine, 'right_id')}, p DOUBLE)",
        step="one-to-one",
    )
    for _ in range(_MAX_ROUNDS):
        engine.execute(
            f"CREATE OR REPLACE TEMP TABLE {_CHOSEN}_round AS SELECT left_id, right_id, p FROM ("
            f"SELECT *, row_number() OVER (PARTITION BY left_id ORDER BY p DESC, right_id) AS bl, "
            f"row_number() OVER (PARTITION BY right_id ORDER BY p DESC, left_id) AS br "
            f"FROM {_CHOSEN}) AS ranked WHERE bl = 1 AND br = 1",
            step="one-to-one round",
        )
        added = engine.fetch(f"SELECT count(*) FROM {_CHOSEN}_round", step="one-to-one")[0][0]
        if added == 0:
            break
        engine.execute(
            f"INSERT INTO {_CHOSEN}_kept SELECT * FROM {_CHOSEN}_round", step="one-to-one"
        )
        engine.execute(
            f"DELETE FROM {_CHOSEN} WHERE left_id IN (SELECT left_id FROM {_CHOSEN}_round) "
            f"OR right_id IN (SELECT right_id FROM {_CHOSEN}_round)",
            step="one-to-one",
        )
    engine.execute(
        f"CREATE OR REPLACE TABLE {_CHOSEN} AS SELECT * FROM {_CHOSEN}_kept", step="one-to-one"
    )


def _type(engine: Engine, column: str = "left_id") -> str:
    return dict(engine.columns(_CHOSEN))[column]
