"""Batch validation against requesters who combine: colluding organisations, and
differencing with fresh pads.

How many answers the adversary gets is decided by Accord's real accounting: each
colluder's batches go through :func:`refuse_before_data` against the real store's
:class:`BudgetState` and are charged by ``record_batch`` (a real SQLite store with
its audit chain), exactly as the service does. What each answer says is the real
mechanism: OpenDP's discrete Laplace and :func:`answer_count`'s threshold and
rounding. The attacker knows the eligibility of every pad (its own clients), so each
answer is a noisy reading of the target alone; it pools every reading it has.
"""

from __future__ import annotations

import random
import secrets
from typing import Any

import numpy as np

from accord.core.audit import AuditEvent, Decision
from accord.disclosure.batch import (
    BatchOutcome,
    BatchPolicy,
    BatchRecord,
    answer_count,
    discrete_laplace,
    refuse_before_data,
)
from accord.services.app import Accord
from accord.settings import load_settings
from attacks import Context, register

POLICY = BatchPolicy(min_batch=100, threshold=10, epsilon_per_batch=0.1, budget=0.2)
LINEAGE = 0.4
RECORDS = 100
TARGET = 0.60


def _granted(app: Accord, dataset: str, agreements: list[str], tries: int) -> int:
    """Answers Accord grants when every agreement submits ``tries`` batches in turn."""
    store = app.store
    granted = 0
    for _ in range(tries):
        for agreement in agreements:
            state = store.batch_budget(dataset, agreement)  # type: ignore[attr-defined]
            if refuse_before_data(
                RECORDS, seen_before=0, available=state.available(POLICY.budget), policy=POLICY
            ):
                continue
            answer = answer_count(RECORDS, 50, policy=POLICY, noise=lambda c: c)
            record = BatchRecord(
                f"batch_{secrets.token_hex(8)}", "owner/check", agreement, "attacker", answer,
                store.clock(),
            )  # fmt: skip
            event = AuditEvent(
                actor="attacker",
                action="disclosure.batch.validate",
                object="batch_check:owner/check",
                organisation=agreement,
                decision=Decision.ALLOW,
                reason="answered",
            )
            store.record_batch(  # type: ignore[attr-defined]
                record,
                [],
                dataset_id=dataset,
                agreement_id=agreement,
                allocation=POLICY.budget,
                audit=event,
            )
            granted += 1
    return granted


def _accuracy(answers: int, trials: int, seed: int) -> float:
    """The pooled-readings attacker's accuracy with ``answers`` answered batches."""
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    noise = discrete_laplace(POLICY.epsilon_per_batch)
    correct = 0
    for _ in range(trials):
        target = rng.random() < 0.5
        readings = []
        for _ in range(answers):
            pads = int(np_rng.binomial(RECORDS - 1, 0.5))
            answer = answer_count(RECORDS, pads + int(target), policy=POLICY, noise=noise)
            if answer.outcome is BatchOutcome.ANSWERED and answer.proportion is not None:
                readings.append(answer.proportion * RECORDS - pads)
        # With no reading the attacker can only toss a coin.
        guess = sum(readings) / len(readings) > 0.5 if readings else rng.random() < 0.5
        correct += guess == target
    return correct / trials


def _app(ctx: Context, name: str) -> Accord:
    home = ctx.workdir / name
    return Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="attack")


def _declare(app: Accord, dataset: str) -> None:
    from sqlalchemy import insert

    from accord.store.disclosure_models import LineageBudgetRow

    with app.store.engine.begin() as conn:
        conn.execute(
            insert(LineageBudgetRow).values(
                dataset_id=dataset,
                total=LINEAGE,
                allocated=0.0,
                declared_by="owner",
                created_at=app.store.clock(),
            )
        )


@register("colluding_organisations")
def colluding_organisations(ctx: Context) -> dict[str, Any]:
    """k organisations, each under its own agreement, pool everything they are told."""
    app = _app(ctx, "home")
    trials = 1000 if ctx.quick else 4000
    by_colluders: dict[str, dict[str, float]] = {}
    try:
        for k in (1, 5, 25, 45):
            dataset = f"owner/claimants_{k}"
            _declare(app, dataset)
            answers = _granted(app, dataset, [f"agr_{k}_{i}" for i in range(k)], tries=3)
            by_colluders[str(k)] = {
                "answers": answers,
                "epsilon_combined": round(answers * POLICY.epsilon_per_batch, 6),
                "accuracy": round(_accuracy(answers, trials, ctx.seed + k), 4),
            }
    finally:
        app.close()
    worst = max(v["accuracy"] for v in by_colluders.values())
    return {
        "metric": "attacker accuracy at one person's eligibility (chance 0.50)",
        "value": worst,
        "target": f"<= {TARGET}",
        "held": worst <= TARGET,
        "lineage_epsilon": LINEAGE,
        "trials_per_point": trials,
        "by_colluders": by_colluders,
    }


@register("differencing_fresh_pads")
def differencing_fresh_pads(ctx: Context) -> dict[str, Any]:
    """One requester differencing A + {target} against fresh pads, until refused.

    The classic pair (the same batch less the target) is refused by overlap control;
    fresh pads pass it, so only the lineage budget stands between the attacker and
    as many readings as it likes.
    """
    app = _app(ctx, "home")
    trials = 1000 if ctx.quick else 4000
    try:
        classic = refuse_before_data(
            RECORDS - 1, seen_before=RECORDS - 1, available=LINEAGE, policy=POLICY
        )
        _declare(app, "owner/claimants")
        answers = _granted(app, "owner/claimants", ["agr_1"], tries=100)
    finally:
        app.close()
    accuracy = _accuracy(answers, trials, ctx.seed)
    return {
        "metric": "attacker accuracy at one person's eligibility (chance 0.50)",
        "value": round(accuracy, 4),
        "target": f"<= {TARGET}",
        "held": accuracy <= TARGET,
        "answers_granted": answers,
        "batches_tried": 100,
        "classic_pair_refused": classic is not None,
        "trials": trials,
    }
