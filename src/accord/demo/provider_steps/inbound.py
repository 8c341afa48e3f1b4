"""The provider writes back: WHP07, an employment business form and exit reports.

Northfield's designated sender picks participants from the referrals DWP released to
it (an in-place query on the agreement's governed view), sends one record per message
of each form the agreement allows, and one message that breaks a rule of the seed and
is refused; DWP's data owner then reads its inbox and actions what arrived.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from accord.demo.provider_world import ProviderWorld
from accord.demo.steps import Step, timed
from accord.errors import ValidationError
from accord.services.inbound import inbound_service

__all__ = ["run"]

SENDER = "northfield.caseworker"
READER = "dwp.data"
NEXT_STEPS = (
    "Book a work-focused interview with the work coach within two weeks, continue the "
    "warehouse operative course already started, and refer to the local employer "
    "partnership for supported interviews; review travel costs and childcare support so "
    "that the participant can accept full-time shifts."
)


def _participants(world: ProviderWorld) -> dict[str, dict[str, Any]]:
    """One voluntary WHP Core participant and one JETS participant, as Northfield sees them."""
    caller = world.caller(SENDER, "demo")
    picked: dict[str, dict[str, Any]] = {}
    for key, where in (
        ("whp", "programme = 'WHP' and voluntary_or_mandatory = 'Voluntary'"),
        ("jets", "programme = 'WHP-JETS'"),
    ):
        rows = world.app.plane.query(
            caller,
            world.agreement.id,
            "select referral_id, nino, forename, surname from dwp_referrals "
            f"where {where} order by referral_id limit 1",
        ).table.to_pylist()
        picked[key] = rows[0]
    return picked


def run(world: ProviderWorld, steps: list[Step]) -> dict[str, Any]:
    service = inbound_service(world.app)
    sender = world.caller(SENDER, "demo")
    agreement = world.agreement.id
    today = world.app.store.clock().date()
    with timed(steps, "provider sends notifications and exit reports") as counts:
        people = _participants(world)
        whp, jets = people["whp"], people["jets"]
        messages: list[tuple[str, dict[str, Any]]] = [
            ("whp07", {"referral_id": whp["referral_id"], "nino": whp["nino"],
                       "reason": "disengaged", "date_of_change": str(today - timedelta(days=2)),
                       "details": "Missed three appointments and does not answer calls."}),
            ("employment_business", {
                "referral_id": whp["referral_id"], "nino": whp["nino"],
                "customer_name": f"{whp['forename']} {whp['surname']}",
                "employment_start_date": str(today + timedelta(days=3)),
                "first_salary_date": str(today + timedelta(days=14))}),
            ("exit_report", {"referral_id": whp["referral_id"], "nino": whp["nino"],
                             "surname": whp["surname"],
                             "summary": "Completed the CV and interview workshops.",
                             "employability": "Good prospects in warehouse and retail work.",
                             "next_steps": NEXT_STEPS}),
            ("exit_report", {"referral_id": jets["referral_id"], "nino": jets["nino"],
                             "surname": jets["surname"],
                             "summary": "Attended the light-touch support sessions.",
                             "next_steps": NEXT_STEPS}),
        ]  # fmt: skip
        sent = [service.send(sender, agreement, form, json.dumps(body)) for form, body in messages]
        counts["sent"] = len(sent)
        counts["templates"] = sorted({m.template for m in sent})
        invalid = {**messages[2][1], "next_steps": "Find a job."}
        try:
            service.send(sender, agreement, "exit_report", json.dumps(invalid))
        except ValidationError as exc:
            counts["refused"] = 1
            refused_reason = str(exc)
        else:
            raise RuntimeError("an exit report with a three-word next steps was accepted")
    with timed(steps, "department reads and actions its inbox") as counts:
        reader = world.caller(READER, "demo")
        inbox = service.inbox(reader, "dwp")
        for message in inbox.messages:
            service.show(reader, message.id)
            service.mark_actioned(reader, message.id)
        counts["received"] = inbox.total
        counts["actioned"] = len(inbox.messages)
    return {
        "sent": [f"{m.form.value}: {m.template}" for m in sent],
        "refused": refused_reason,
        "inbox": inbox.total,
        "actioned": len(inbox.messages),
    }
