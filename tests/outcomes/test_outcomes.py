"""Outcome validation: DWP confirms first pay dates and earnings thresholds to
Northfield, per participant, computed over the governed events (seed 003 paras 15-16)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.core.lifecycle.outcomes import MAX_PARTICIPANTS, NOT_FOUND, Threshold
from accord.demo.provider_world import ProviderWorld, build_provider_world
from accord.errors import PermissionDenied, ValidationError
from accord.services.app import Accord
from accord.services.outcomes import OutcomesService
from accord.store import AuditFilter

THRESHOLDS = {t.value for t in Threshold}


def service(world: ProviderWorld) -> OutcomesService:
    return OutcomesService(world.app.store, world.app.plane)


def raw(world: ProviderWorld, sql: str) -> list[tuple[Any, ...]]:
    events = world.dataset_location("circumstance_events")
    referrals = world.dataset_location("referrals")
    with duckdb.connect() as con:
        con.read_parquet(events).create("events")
        con.read_parquet(referrals).create("referrals")
        return con.sql(sql).fetchall()


def sample(world: ProviderWorld, programme: str, provider: str = "northfield") -> list[str]:
    """Participants of ``programme`` referred to ``provider`` who reached £1,000, and
    some who were never paid."""
    paid = raw(
        world,
        f"""select distinct r.referral_id from referrals r join events e using (referral_id)
        where r.programme = '{programme}' and r.provider = '{provider}'
          and e.event_type = 'earnings_reach_1000' order by 1 limit 4""",
    )
    unpaid = raw(
        world,
        f"""select r.referral_id from referrals r where r.programme = '{programme}'
          and r.provider = '{provider}' and r.referral_id not in
          (select referral_id from events where event_type = 'first_payment')
        order by 1 limit 2""",
    )
    return [r[0] for r in paid + unpaid]


def expected(world: ProviderWorld, referral_id: str) -> dict[str, str]:
    """The earliest date of each outcome event, straight from the raw events."""
    rows = raw(
        world,
        f"""select event_type, min(event_date) from events
        where referral_id = '{referral_id}' and (event_type = 'first_payment'
          or event_type like 'earnings_reach_%') group by 1""",
    )
    return {kind: day.isoformat() for kind, day in rows}


@pytest.mark.parametrize("programme", ["WHP", "WHP-JETS"])
def test_answers_match_duckdb_over_the_raw_events(
    provider_world: ProviderWorld, programme: str
) -> None:
    world = provider_world
    wanted = sample(world, programme)
    assert len(wanted) >= 3
    answers = service(world).check(world.caller("northfield.caseworker"), world.agreement.id,
                                   wanted)  # fmt: skip
    for referral_id, answer in zip(wanted, answers, strict=True):
        truth = expected(world, referral_id)
        got = answer.as_dict()
        assert got["found"]
        assert got["referral_id"] == referral_id
        assert got["programme"] == programme
        assert got["first_pay_date"] == truth.get("first_payment")
        reached = {t["threshold"]: t["reached_on"] for t in got["thresholds"]}
        allowed = {Threshold.GBP_1000.value} if programme == "WHP-JETS" else THRESHOLDS
        assert reached == {k: v for k, v in truth.items() if k in allowed}
        # Never the earnings themselves, nor any field but the answer's own.
        assert "earnings_to_date" not in str(got)
        assert set(got) == {
            "supplied", "found", "referral_id", "programme", "first_pay_date",
            "thresholds", "not_applicable", "message",
        }  # fmt: skip
        if programme == "WHP-JETS":
            assert not {Threshold.GBP_2000.value, Threshold.NATIONAL.value} & set(reached)
            assert len(got["not_applicable"]) == 2
            assert all("not applicable to JETS" in n for n in got["not_applicable"])
        else:
            assert got["not_applicable"] == []


def test_a_nino_in_any_typed_form_finds_the_same_participant(
    provider_world: ProviderWorld,
) -> None:
    world = provider_world
    referral_id = sample(world, "WHP")[0]
    [(nino,)] = raw(world, f"select nino from referrals where referral_id = '{referral_id}'")
    typed = f" {nino[:2].lower()} {nino[2:4]}-{nino[4:6]} {nino[6:8]}\t{nino[8].lower()} "
    by_id, by_nino = service(world).check(
        world.caller("northfield.adviser"), world.agreement.id, [referral_id, typed]
    )
    assert by_nino.found
    assert {**by_nino.as_dict(), "supplied": ""} == {**by_id.as_dict(), "supplied": ""}


def test_another_providers_participant_and_an_unknown_nino_answer_alike(
    provider_world: ProviderWorld,
) -> None:
    world = provider_world
    theirs = sample(world, "WHP", provider="eastgate")[0]
    [(their_nino,)] = raw(world, f"select nino from referrals where referral_id = '{theirs}'")
    known = {n for (n,) in raw(world, "select nino from referrals")}
    unknown = next(n for n in ("AB123456C", "CE654321A", "JK112233D") if n not in known)
    answers = service(world).check(
        world.caller("northfield.caseworker"), world.agreement.id,
        [their_nino, unknown, theirs, "W999999999"],
    )  # fmt: skip
    shapes = [{**a.as_dict(), "supplied": ""} for a in answers]
    assert all(shape == shapes[0] for shape in shapes)
    assert shapes[0]["found"] is False
    assert shapes[0]["message"] == NOT_FOUND


def test_audit_holds_counts_never_a_nino(provider_world: ProviderWorld) -> None:
    world = provider_world
    wanted = sample(world, "WHP")[:2]
    ninos = [n for (n,) in raw(world, "select nino from referrals")]
    answers = service(world).check(world.caller("northfield.caseworker"), world.agreement.id,
                                   [*wanted, ninos[0]])  # fmt: skip
    [event] = world.app.store.audit_events(AuditFilter(action="outcome.release"))
    details = json.loads(event.details)
    assert details["supplied"] == 3
    assert details["found"] == sum(a.found for a in answers)
    text = event.details + event.reason
    assert not any(n in text for n in ninos)


def test_an_agreement_without_the_channel_refuses_and_audits(
    sqlite_accord: Accord, tmp_path: Path
) -> None:
    world = build_provider_world(
        sqlite_accord, tmp_path / "synthetic", exchange=False,
        channels=["delta_sharing", "in_place_query", "bulk_package"],
    )  # fmt: skip
    with pytest.raises(PermissionDenied, match="does not allow the outcome channel"):
        service(world).check(world.caller("northfield.caseworker"), world.agreement.id,
                             ["W000000001"])  # fmt: skip
    denied = world.app.store.audit_events(AuditFilter(action="outcome.check"))
    assert [e.decision for e in denied] == ["deny"]
    assert not world.app.store.audit_events(AuditFilter(action="outcome.release"))


def test_only_the_recipients_staff_may_ask(provider_world: ProviderWorld) -> None:
    world = provider_world
    svc = service(world)
    from accord.errors import NotFoundError

    with pytest.raises(NotFoundError):
        svc.check(world.caller("eastgate.caseworker"), world.agreement.id, ["W000000001"])
    with pytest.raises(PermissionDenied, match="requester or analyst"):
        svc.check(world.caller("northfield.admin"), world.agreement.id, ["W000000001"])


def test_limits_are_checked_before_any_work(provider_world: ProviderWorld) -> None:
    world = provider_world
    svc = service(world)
    caller = world.caller("northfield.caseworker")
    with pytest.raises(ValidationError, match=f"the limit is {MAX_PARTICIPANTS}"):
        svc.check(caller, world.agreement.id, ["W000000001"] * (MAX_PARTICIPANTS + 1))
    # Refused before the agreement was even authorised: no allow event for it.
    assert not [
        e for e in world.app.store.audit_events(AuditFilter(action="outcome.check"))
        if e.decision == "allow"
    ]  # fmt: skip
    with pytest.raises(ValidationError, match="participant 2") as bad:
        svc.check(caller, world.agreement.id, ["W000000001", "not a nino", "x" * 41])
    assert [p["row"] for p in bad.value.problems] == [2, 3]


def test_the_api_answers_per_participant_within_its_limit(
    provider_world: ProviderWorld,
) -> None:
    world = provider_world
    app = world.app
    _, secret = app.identity.issue_token(app.operator("test"), "northfield.caseworker",
                                         ttl_days=1)  # fmt: skip
    wanted = sample(world, "WHP-JETS")[:2]
    with TestClient(create_app(app)) as client:
        headers = {"Authorization": f"Bearer {secret}"}
        path = f"/agreements/{world.agreement.id}/outcomes"
        answer = client.post(path, json={"participants": wanted}, headers=headers)
        assert answer.status_code == 200, answer.text
        assert [a["referral_id"] for a in answer.json()] == wanted
        too_many = client.post(
            path, json={"participants": ["W000000001"] * (MAX_PARTICIPANTS + 1)},
            headers=headers,
        )  # fmt: skip
        assert too_many.status_code == 422
        assert "participants" in too_many.text
        missing = client.post("/agreements/agr-nope/outcomes",
                              json={"participants": wanted}, headers=headers)  # fmt: skip
        assert missing.status_code == 404
