"""The Fellegi-Sunter model, trained and applied with Splink, with bounded memory.

Training has three parts, all bounded:

- *u* (how often a non-matching pair agrees by chance) from a random sample of at
  most ``u_max_pairs`` pairs;
- *m* (how often a matching pair agrees) by expectation maximisation on the pairs of
  two blocking rules, one blocking on date of birth and one not, so that every
  comparison is trained by at least one. Each session is capped at ``em_max_pairs``
  pairs (Splink samples records by hash on each side), which is what keeps memory
  flat however large the inputs;
- the prior (the share of pairs that match) is re-estimated after prediction by
  :mod:`accord.linkage.resolve`, from the scored pairs themselves.

Prediction scores every pair the blocking rules propose and keeps those whose
evidence favours a match at all (Bayes factor above one); the rest cannot pass any
threshold and are not worth writing down.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from accord.linkage.engine import Engine
from accord.linkage.plan import BlockingRule

__all__ = ["SCORED_TABLE", "FittedModel", "fit_and_score"]

SCORED_TABLE = "linkage_scored"
EM_ITERATIONS = 10
"""EM iterations per session: m converges in a few; more only drives unseen levels to 0."""
U_PAIRS_PER_RECORD = 20
"""Random pairs per record for u: plenty for rare levels, without a fixed cost for small inputs."""

logging.getLogger("splink").setLevel(logging.ERROR)


@dataclass(frozen=True, slots=True)
class FittedModel:
    """What training produced: Splink's model JSON and the prior it started from."""

    settings: dict[str, Any]
    prior: float
    scored_pairs: int


def _training_rules(blocking: tuple[BlockingRule, ...]) -> list[BlockingRule]:
    """The first rule and the first later one sharing no column with it.

    A session cannot train the comparisons on its own blocking columns; two sessions
    on disjoint columns leave no comparison untrained.
    """
    first = blocking[0]
    second = next((r for r in blocking[1:] if not set(r.columns) & set(first.columns)), None)
    return [first] if second is None else [first, second]


def fit_and_score(
    engine: Engine,
    left: str,
    right: str,
    *,
    comparisons: tuple[Any, ...],
    blocking: tuple[BlockingRule, ...],
    pair_counts: dict[str, int],
    left_rows: int,
    right_rows: int,
    u_max_pairs: int,
    em_max_pairs: int,
    seed: int,
    train: bool = True,
) -> FittedModel:
    """Train on ``left`` x ``right`` and write the scored pairs to :data:`SCORED_TABLE`.

    ``SCORED_TABLE`` has ``left_id``, ``right_id`` and ``log2_bayes_factor`` (the
    evidence for a match, before any prior). With ``train=False`` the comparisons'
    own m and u probabilities are used as they are (the caller measured them).
    """
    from splink import Linker, SettingsCreator, block_on

    prior = min(0.5, 0.5 / max(left_rows, right_rows, 1))
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=list(comparisons),
        blocking_rules_to_generate_predictions=[block_on(*r.columns) for r in blocking],
        probability_two_random_records_match=prior,
        max_iterations=EM_ITERATIONS,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    api = engine.splink_api()
    linker = Linker(
        [api.register(left), api.register(right)],
        settings,
        log_level=logging.ERROR,
    )
    u_pairs = min(u_max_pairs, U_PAIRS_PER_RECORD * max(left_rows, right_rows))
    if train:
        linker.training.estimate_u_using_random_sampling(
            max_pairs=float(u_pairs), seed=seed, num_chunks=1
        )
    for rule in _training_rules(blocking) if train else []:
        pairs = pair_counts.get("+".join(rule.columns), 0)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*rule.columns),
            estimate_without_term_frequencies=True,
            max_pairs=float(em_max_pairs) if pairs > em_max_pairs else None,
        )
    log2_prior_odds = math.log2(prior / (1 - prior))
    predictions = linker.inference.predict(
        threshold_match_weight=log2_prior_odds, warning_mode="never"
    )
    engine.execute(
        f"CREATE OR REPLACE TABLE {SCORED_TABLE} AS SELECT unique_id_l AS left_id, "
        f"unique_id_r AS right_id, match_weight - ({log2_prior_odds!r}) AS log2_bayes_factor "
        f"FROM {predictions.physical_name}",
        step="collect scored pairs",
    )
    predictions.drop_table_from_database_and_remove_from_cache()
    scored = int(engine.fetch(f"SELECT count(*) FROM {SCORED_TABLE}", step="count scored")[0][0])
    model = linker.misc.save_model_to_json()
    return FittedModel(settings=model, prior=prior, scored_pairs=scored)
