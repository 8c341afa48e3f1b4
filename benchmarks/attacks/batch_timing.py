"""The post-budget timing attack on batch validation, over HTTP.

A real Accord behind a real uvicorn on 127.0.0.1. The attacker spends its budget,
then keeps submitting batches of one target and fresh pads: each is refused, and
the attacker times the refusal, guessing the target's eligibility from the latency
(before issue 13 a refused batch still ran ``count(DISTINCT ...)``, ~2 ms slower
when the target was eligible, which read eligibility with 0.93 accuracy in 30
queries). It calibrates a threshold on batches whose targets it knows, then guesses
on at least 400 others. The refusal rate limit is set high here
(``ACCORD_BATCH_REFUSALS_PER_MINUTE``), so that what is measured is the deadline and
charge-first order, not the limiter (which would otherwise stop the attack at 6 a
minute).
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from accord.api.local_server import running_server
from accord.core.governance.request import SharingRequest
from accord.core.identity import (
    Assurance,
    AssuranceScheme,
    Membership,
    OrgKind,
    PrincipalKind,
    Role,
)
from accord.disclosure.batch import BatchPolicy
from accord.services.app import Accord
from accord.settings import load_settings
from attacks import Context, register

TARGET = 0.55
DEADLINE_MS = 200
ROWS = 200_000
PADS = 149


def _agreement(app: Accord, requester: Any, owner: Any) -> str:
    today = date.today()
    app.identity.add_assurance(
        app.operator("attack"),
        "la",
        Assurance(AssuranceScheme.ISO_27001, "la-27001", today + timedelta(days=365)),
    )
    request = SharingRequest.parse(
        {
            "title": "Eligibility by batch validation",
            "requesting_organisation": "la",
            "requester": "req",
            "purpose_category": "eligibility_checking",
            "purpose": "What share of a batch of residents is out of work",
            "datasets": [
                {
                    "dataset": "dwp/claimants",
                    "fields": [
                        {"name": f, "justification": "the check"} for f in ("nino", "in_work")
                    ],
                }
            ],
            "form": "aggregate",
            "channels": ["batch_validation"],
            "frequency": "continuous",
            "lawful_basis": "6(1)(e)",
            "start_date": str(today - timedelta(days=1)),
            "end_date": str(today + timedelta(days=90)),
            "test_exchange": False,
        }
    )
    created = app.requests.create(requester, request)
    app.requests.submit(requester, created.id)
    app.requests.start_review(owner, created.id)
    outcome = app.requests.approve(owner, created.id)
    assert outcome.agreement is not None
    return outcome.agreement.id


def _world(ctx: Context) -> tuple[Accord, str, list[str], np.ndarray]:
    settings = load_settings(
        {
            "ACCORD_HOME": str(ctx.workdir / "home"),
            "ACCORD_BATCH_DEADLINE_MS": str(DEADLINE_MS),
            "ACCORD_BATCH_REFUSALS_PER_MINUTE": "1000000",
        }
    )
    app = Accord.init(settings, operator="attack")
    op = app.operator("attack")
    app.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    app.identity.create_organisation(op, "la", "A council", OrgKind.LOCAL_AUTHORITY)
    app.identity.create_principal(
        op, "owner", "owner", PrincipalKind.PERSON, (Membership("dwp", Role.DATA_OWNER),)
    )
    app.identity.create_principal(
        op, "req", "req", PrincipalKind.PERSON, (Membership("la", Role.REQUESTER),)
    )
    rng = np.random.default_rng(ctx.seed)
    ninos = [f"AB{n:06d}{'ABCD'[n % 4]}" for n in rng.permutation(999_999)[:ROWS]]
    in_work = rng.random(ROWS) < 0.5
    source = ctx.workdir / "claimants.parquet"
    pq.write_table(pa.table({"nino": ninos, "in_work": in_work}), source)
    app.catalogue.register(op, "dwp", "claimants", str(source))
    owner = app.acting_as("owner", "attack")
    requester = app.acting_as("req", "attack")
    app.batches.define(
        owner, "dwp", "out_of_work", "dwp/claimants", "nino", {"in_work": ["false"]}, ["la"],
        policy=BatchPolicy(epsilon_per_batch=0.2, budget=0.4),
    )  # fmt: skip
    _agreement(app, requester, owner)
    token = app.identity.issue_token(op, "req", ttl_days=1)[1]
    return app, token, ninos, in_work


@register("post_budget_timing")
def post_budget_timing(ctx: Context) -> dict[str, Any]:
    app, token, ninos, in_work = _world(ctx)
    rng = random.Random(ctx.seed)
    calibrate, trials = (60, 100) if ctx.quick else (100, 400)
    order = list(range(len(ninos)))
    rng.shuffle(order)
    cursor = 0

    def batch(target: int) -> list[str]:
        nonlocal cursor
        pads = order[cursor : cursor + PADS]
        cursor += PADS
        return [ninos[target], *(ninos[i] for i in pads)]

    latencies: dict[bool, list[float]] = {True: [], False: []}
    guesses: list[tuple[bool, float]] = []
    outcomes: dict[str, int] = {}
    try:
        with running_server(app) as url, httpx.Client(base_url=url, timeout=30) as client:
            headers = {"Authorization": f"Bearer {token}"}
            path = "/batch-checks/dwp/out_of_work/batches"
            for _ in range(2):  # spend the whole budget
                client.post(path, json={"identifiers": batch(order.pop())}, headers=headers)
            for n in range(calibrate + trials):
                target = order.pop()
                eligible = not bool(in_work[target])
                began = time.perf_counter()
                reply = client.post(path, json={"identifiers": batch(target)}, headers=headers)
                elapsed = time.perf_counter() - began
                outcome = str(reply.json().get("outcome", reply.status_code))
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                if n < calibrate:
                    latencies[eligible].append(elapsed)
                else:
                    guesses.append((eligible, elapsed))
    finally:
        app.close()
    mean_yes, mean_no = statistics.fmean(latencies[True]), statistics.fmean(latencies[False])
    cut = (mean_yes + mean_no) / 2
    slower_if_eligible = mean_yes > mean_no
    correct = sum(
        ((elapsed > cut) if slower_if_eligible else (elapsed <= cut)) == truth
        for truth, elapsed in guesses
    )
    accuracy = correct / len(guesses)
    every = [e for _, e in guesses]
    return {
        "metric": "attacker accuracy at eligibility from refusal latency (chance 0.50)",
        "value": round(accuracy, 4),
        "target": f"<= {TARGET}",
        "held": accuracy <= TARGET,
        "trials": len(guesses),
        "calibration_trials": calibrate,
        "deadline_ms": DEADLINE_MS,
        "outcomes": outcomes,
        "latency_ms": {
            "median": round(statistics.median(every) * 1000, 2),
            "eligible_mean_calibration": round(mean_yes * 1000, 3),
            "not_eligible_mean_calibration": round(mean_no * 1000, 3),
        },
        "dataset_rows": ROWS,
    }
