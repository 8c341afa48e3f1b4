"""The provider demo's erasure step: three participants ask Northfield to erase their
information, one for each of seed 003's rules.

Northfield holds the person in three places first: a live package of its referrals, the
node's materialised view its in-place queries read, and a forward to its sub-contractor
Ridgeway registered as held. Then the three requests run as the real actors would:
Northfield's DPO receives (the holding response) and refers; DWP's DPO assigns the
reference; Northfield decides by the rules and issues the letters; for the accepted one,
Northfield and Ridgeway each erase their copies and certify it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import duckdb
import pyarrow.parquet as pq

from accord.core.lifecycle.erasure import ParticipationFacts, Programme, ReferralKind
from accord.demo.provider_world import PROVIDER, SUBCONTRACTOR, ProviderWorld
from accord.demo.steps import Step, timed
from accord.services.erasure import ErasureService

__all__ = ["Participant", "hold_copies", "participants", "run"]

Participant = dict[str, Any]


def participants(world: ProviderWorld) -> list[Participant]:
    """Three of Northfield's participants: one voluntary, two mandated (WHP Core)."""
    with duckdb.connect() as con:
        rows = con.execute(
            "select nino, forename, surname, address_line_1, postcode, programme, "
            "voluntary_or_mandatory from read_parquet(?) where provider = ? and nino is not "
            "null order by referral_id",
            [world.dataset_location("referrals"), PROVIDER],
        ).fetchall()
    keys = ("nino", "forename", "surname", "address_line_1", "postcode", "programme", "kind")
    people = [dict(zip(keys, r, strict=True)) for r in rows]
    voluntary = next(p for p in people if p["kind"] == "Voluntary")
    mandated = [p for p in people if p["kind"] == "Mandatory" and p["programme"] == "WHP"][:2]
    return [voluntary, *mandated]


def hold_copies(world: ProviderWorld, chosen: list[Participant]) -> dict[str, Any]:
    """Put the participants where Northfield and Ridgeway hold data: a live package
    received, the materialised view behind an in-place query, and a registered forward."""
    app = world.app
    operator = app.operator("demo")
    app.org_keys.rotate(operator, SUBCONTRACTOR)
    work = world.synthetic.parent
    sent = app.transfer.send(
        world.caller("dwp.data"),
        world.agreement.id,
        PROVIDER,
        work / "outbox",
        dataset_id="dwp/referrals",
    )
    received = app.transfer.receive(
        world.caller("northfield.caseworker"), sent.path, work / "inbox"
    )
    app.plane.query(
        world.caller("northfield.caseworker"),
        world.agreement.id,
        "select count(*) as n from dwp_referrals",
    )
    forward = work / SUBCONTRACTOR / "caseload.parquet"
    forward.parent.mkdir(parents=True, exist_ok=True)
    table = pq.read_table(received.path)
    ninos = [p["nino"] for p in chosen]
    mask = [n in ninos for n in table.column("nino").to_pylist()]
    pq.write_table(table.filter(mask), forward)
    ErasureService.of(app).register_copy(
        world.caller("ridgeway.admin"), world.agreement.id, SUBCONTRACTOR, forward
    )
    return {"package": received.path, "forward": forward, "rows": table.num_rows}


def run(world: ProviderWorld, steps: list[Step]) -> dict[str, Any]:
    app = world.app
    service = ErasureService.of(app)
    provider_dpo, dwp_dpo = world.caller("northfield.dpo"), world.caller("dwp.dpo")
    today = app.store.clock().date()
    with timed(steps, "erasure: copies held by the provider and its sub-contractor") as counts:
        chosen = participants(world)
        held = hold_copies(world, chosen)
        counts["package_rows"] = held["rows"]
        counts["forwarded_rows"] = len(chosen)
    facts = [
        ParticipationFacts(
            Programme(chosen[0]["programme"].replace("WHP-", "")),
            ReferralKind.VOLUNTARY,
            started=False,
        ),
        ParticipationFacts(
            Programme.WHP,
            ReferralKind.MANDATED,
            started=False,
            mandated_to_interview=True,
            did_not_attend=True,
            decision_notified_on=today - timedelta(days=10),
        ),
        ParticipationFacts(Programme.WHP, ReferralKind.MANDATED, started=True),
    ]
    requests = []
    with timed(steps, "erasure: three requests received, referred and referenced") as counts:
        for number, person in enumerate(chosen, start=1):
            request, _ = service.receive(
                provider_dpo,
                world.agreement.id,
                nino=person["nino"],
                name=f"{person['forename']} {person['surname']}",
                address=(person["address_line_1"] or "", person["postcode"] or ""),
            )
            service.refer(provider_dpo, request.id)
            reference = f"DPO-{today.year}-{number:04d}"
            requests.append(service.assign_reference(dwp_dpo, request.id, reference))
        counts["requests"] = len(requests)
    letters = {}
    with timed(steps, "erasure: decided by the seed's rules, letters issued") as counts:
        for request, fact in zip(requests, facts, strict=True):
            service.decide(provider_dpo, request.id, fact)
            _, letter = service.issue_letter(provider_dpo, request.id)
            letters[request.id] = letter
        counts["letters"] = len(letters)
    with timed(steps, "erasure: accepted erasure made by every holder, certified") as counts:
        erasing = [service.repository.get(r.id) for r in requests]
        certificates = 0
        for request in erasing:
            for holder in request.holders:
                who = "northfield.dpo" if holder.holder == PROVIDER else f"{holder.holder}.admin"
                service.erase_holdings(world.caller(who), request.id, holder.holder)
                certificates += 1
        final = [service.repository.get(r.id) for r in requests]
        counts["certificates"] = certificates
        counts["rows_erased"] = sum(
            int(e["rows"]) for r in final for h in r.holders for e in h.erased
        )
    return {
        "requests": [
            {
                "id": r.id,
                "reference": r.reference,
                "outcome": r.decision.outcome.value if r.decision else None,
                "paragraph": r.decision.paragraph if r.decision else None,
                "keep_until": r.decision.keep_until.isoformat()
                if r.decision and r.decision.keep_until
                else None,
                "state": r.state.value,
                "letter": _first_line_after_salutation(letters[r.id]),
            }
            for r in final
        ],
        "certificates": certificates,
    }


def _first_line_after_salutation(letter: str) -> str:
    """The letter's title line (the line after "Dear …,"): it names no one."""
    lines = letter.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Dear "))
    return next(line for line in lines[at + 1 :] if line.strip())
