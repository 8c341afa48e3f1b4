"""Batch validation resists differencing: attacker accuracy at most 0.60 (chance 0.50)."""

from __future__ import annotations

import random

import pytest

from accord.disclosure.batch import (
    BatchOutcome,
    BatchPolicy,
    accuracy_bound,
    discrete_laplace,
    validate_batch,
)

BASE = 500


def attack(policy: BatchPolicy, trials: int, rounds: int, seed: int) -> float:
    """The differencing attack: submit A + {target} and A, over and over, then guess.

    Each trial is a fresh requester and a fresh target whose eligibility is a coin
    flip. The attacker compares the mean answer with the target against without it
    (scaled back to counts) and guesses "eligible" when the difference exceeds half a
    person; with no usable pair it guesses by a coin flip, as it must.
    """
    rng = random.Random(seed)
    noise = discrete_laplace(policy.epsilon_per_batch)
    correct = 0
    for _ in range(trials):
        target = rng.random() < 0.5
        base_eligible = rng.randint(300, 450)
        seen: set[int] = set()
        spent = 0.0
        with_t: list[float] = []
        without: list[float] = []
        for r in range(rounds):
            include = r % 2 == 0
            members = set(range(BASE)) | ({BASE} if include else set())
            answer = validate_batch(
                len(members),
                base_eligible + int(include and target),
                seen_before=len(members & seen),
                spent=spent,
                policy=policy,
                noise=noise,
            )
            spent += answer.epsilon
            seen |= members
            if answer.outcome is BatchOutcome.ANSWERED and answer.proportion is not None:
                (with_t if include else without).append(answer.proportion * len(members))
            elif "budget" in answer.reason:
                break
        if with_t and without:
            guess = sum(with_t) / len(with_t) - sum(without) / len(without) > 0.5
        else:
            guess = rng.random() < 0.5
        correct += guess == target
    return correct / trials


def test_the_default_budget_bounds_any_attacker_below_0_60() -> None:
    policy = BatchPolicy()
    assert policy.attacker_accuracy_bound < 0.60
    assert accuracy_bound(0.0) == 0.5


def test_differencing_with_every_defence_stays_at_chance() -> None:
    accuracy = attack(BatchPolicy(), trials=2_000, rounds=10, seed=1)
    assert accuracy <= 0.60


def test_differencing_without_overlap_control_is_held_by_the_budget() -> None:
    accuracy = attack(BatchPolicy(max_overlap=1.0), trials=2_000, rounds=10, seed=2)
    assert accuracy <= 0.60


def test_without_a_budget_the_same_attack_succeeds() -> None:
    """The simulation has teeth: remove the budget and overlap control and it wins."""
    unbounded = BatchPolicy(max_overlap=1.0, budget=1e9)
    accuracy = attack(unbounded, trials=150, rounds=1_000, seed=3)
    # Expected about 0.72; the noise is OpenDP's CSPRNG, so the margin covers chance.
    assert accuracy > 0.60


def test_refusals_come_with_reasons_and_cost_budget_only_when_data_was_used() -> None:
    policy = BatchPolicy()
    noise = discrete_laplace(policy.epsilon_per_batch)
    small = validate_batch(50, 40, seen_before=0, spent=0.0, policy=policy, noise=noise)
    assert small.outcome is BatchOutcome.REFUSED
    assert small.epsilon == 0
    assert "at least 100" in small.reason
    overlap = validate_batch(200, 100, seen_before=150, spent=0.0, policy=policy, noise=noise)
    assert overlap.epsilon == 0
    assert "overlap" in overlap.reason
    spent = validate_batch(200, 100, seen_before=0, spent=0.4, policy=policy, noise=noise)
    assert "budget" in spent.reason
    nearly_all = validate_batch(
        200, 195, seen_before=0, spent=0.0, policy=policy, noise=lambda count: count
    )
    assert nearly_all.outcome is BatchOutcome.REFUSED
    assert nearly_all.epsilon == pytest.approx(0.1)


def test_answers_are_rounded_or_banded() -> None:
    exact = lambda count: count  # noqa: E731 - the identity, to see the rounding alone
    rounded = validate_batch(500, 466, seen_before=0, spent=0.0, policy=BatchPolicy(), noise=exact)
    assert rounded.proportion == pytest.approx(0.93)
    assert rounded.text() == "93% of your batch met the criteria"
    banded = validate_batch(
        500, 466, seen_before=0, spent=0.0, policy=BatchPolicy(band=0.05), noise=exact
    )
    assert banded.band == (0.9, 0.95)
