"""A world of held records for the retention job's tests: a few hundred records of
every kind at two holders, with events so that a known subset is due today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from accord.core.identifiers import is_valid_nino
from accord.core.identity import Assurance, Membership, PrincipalKind
from accord.core.lifecycle.record_retention import RecordKind
from accord.demo.provider_steps.records import months_ago
from accord.demo.provider_world import ORGANISATIONS, PEOPLE
from accord.services.app import Accord
from accord.services.records import RecordsService

KINDS = tuple(RecordKind)


def organisations(app: Accord) -> None:
    """Seed 003's organisations and people (without its datasets or agreement)."""
    operator = app.operator("test")
    expires = date.today() + timedelta(days=365)
    for org_id, name, kind, scheme in ORGANISATIONS:
        assurance = Assurance(scheme, f"{org_id}-{scheme.value}", expires)
        app.identity.create_organisation(operator, org_id, name, kind, (assurance,))
    for pid, roles in PEOPLE.items():
        memberships = tuple(Membership(org, role) for org, role in roles)
        app.identity.create_principal(operator, pid, pid, PrincipalKind.PERSON, memberships)


def nino(i: int) -> str:
    value = f"JK{i:06d}A"
    assert is_valid_nino(value)
    return value


@dataclass
class Held:
    due: set[str]
    """Ids of the records due today."""
    kept: set[str]
    ninos: list[str]


def hold_records(app: Accord, participants: int = 60) -> Held:
    """Per participant (half WHP, half WHP-JETS) one record of each kind at Northfield,
    and a few at Eastgate. Due: mandation evidence of participants whose decision was
    notified 14 months ago (not 11, not never), and Northfield's WHP ESF records (WHP
    ended and its final claim was paid over ten years ago; WHP-JETS has only ended)."""
    service = RecordsService.of(app)
    operator = app.operator("test")
    today = app.store.clock().date()
    held = Held(set(), set(), [])
    for i in range(participants):
        person = nino(i)
        held.ninos.append(person)
        referral = f"{'W' if i % 2 == 0 else 'J'}{i:09d}"
        for kind in KINDS:
            record = service.add(
                operator,
                "northfield",
                kind=kind.value,
                referral_id=referral,
                nino=person,
                data=f"{kind.value} {i}".encode() * 8,
                suffix=".pdf",
            )
            due = i % 3 == 0 if kind is RecordKind.MANDATION_EVIDENCE else referral.startswith("W")
            (held.due if due else held.kept).add(record.id)
        if i % 3 == 0:
            service.record_event(
                operator, "northfield", "decision_notified", months_ago(today, 14), nino=person
            )
        elif i % 3 == 1:
            service.record_event(
                operator, "northfield", "decision_notified", months_ago(today, 11), nino=person
            )
        if i % 5 == 0:  # Eastgate's own record of a participant: its clock never started
            record = service.add(
                operator,
                "eastgate",
                kind="mandation_evidence",
                referral_id=referral,
                nino=person,
                data=b"eastgate",
            )
            held.kept.add(record.id)
    ended = months_ago(today, 12 * 11)
    service.record_event(operator, "northfield", "programme_ended", ended, programme="WHP")
    service.record_event(
        operator, "northfield", "final_esf_claim_paid", months_ago(today, 121), programme="WHP"
    )
    service.record_event(operator, "northfield", "programme_ended", ended, programme="WHP-JETS")
    return held
