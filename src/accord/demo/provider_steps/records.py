"""Demo step: Northfield's case records and the record-level retention run.

Northfield holds records for participants DWP referred to it (read in place under the
referral agreement, as its caseworker would): mandation evidence for participants whose
decision it was notified of 14 months ago (due: 13 months have passed) and 11 months ago
(kept), and ESF forms and payments for WHP participants (the WHP programme ended and its
final ESF claim was paid over ten years ago: due) and for WHP-JETS participants (the
programme ended, its final claim is not yet paid: kept). Its DPO runs the retention job
over its records; exactly the due ones are deleted, with a destruction certificate.
"""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date
from typing import Any

from accord.demo.provider_world import ProviderWorld
from accord.demo.steps import Step, timed
from accord.services.records import RecordsService

__all__ = ["run"]

PER_GROUP = 3


def months_ago(today: date, months: int) -> date:
    """The same day ``months`` calendar months before ``today`` (clamped to month end)."""
    total = today.year * 12 + today.month - 1 - months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))


def referred(world: ProviderWorld, limit: int = 200) -> list[tuple[str, str]]:
    """``(referral_id, nino)`` of Northfield's referred participants, by an in-place query
    under the agreement (only its own participants are visible)."""
    result = world.app.plane.query(
        world.caller("northfield.caseworker"),
        world.agreement.id,
        f"select referral_id, nino from dwp_referrals order by referral_id limit {int(limit)}",
    )
    rows = result.table.to_pylist()
    return [(str(r["referral_id"]), str(r["nino"])) for r in rows]


def run(world: ProviderWorld, steps: list[Step]) -> dict[str, Any]:
    service = RecordsService.of(world.app)
    caseworker = world.caller("northfield.caseworker")
    dpo = world.caller("northfield.dpo")
    today = world.app.store.clock().date()
    expected: set[str] = set()

    with timed(steps, "records: Northfield holds case records") as counts:
        people = referred(world)
        whp = [p for p in people if p[0].startswith("W")]
        jets = [p for p in people if p[0].startswith("J")]
        groups = {
            "mandation_14m": (whp + jets)[:PER_GROUP],
            "mandation_11m": (whp + jets)[PER_GROUP : 2 * PER_GROUP],
        }
        held: Counter[str] = Counter()
        for name, members in groups.items():
            months = 14 if name == "mandation_14m" else 11
            for referral, nino in members:
                record = service.add(
                    caseworker,
                    "northfield",
                    kind="mandation_evidence",
                    referral_id=referral,
                    nino=nino,
                    data=f"compliance doubt evidence for {referral}".encode(),
                    suffix=".txt",
                )
                held[record.kind.value] += 1
                service.record_event(
                    dpo, "northfield", "decision_notified", months_ago(today, months), nino=nino
                )
                if months == 14:
                    expected.add(record.id)
        for programme, members in (("WHP", whp[:PER_GROUP]), ("WHP-JETS", jets[:PER_GROUP])):
            for referral, nino in members:
                for kind in ("esf_form", "payment"):
                    record = service.add(
                        caseworker,
                        "northfield",
                        kind=kind,
                        referral_id=referral,
                        nino=nino,
                        data=f"{kind} for {referral}".encode(),
                        suffix=".pdf",
                    )
                    held[kind] += 1
                    if programme == "WHP":
                        expected.add(record.id)
        counts.update(participants=len(people), **held)

    with timed(steps, "records: retention events recorded") as counts:
        ended = months_ago(today, 12 * 11)
        service.record_event(dpo, "northfield", "programme_ended", ended, programme="WHP")
        service.record_event(
            dpo,
            "northfield",
            "final_esf_claim_paid",
            months_ago(today, 12 * 10 + 1),
            programme="WHP",
        )
        service.record_event(dpo, "northfield", "programme_ended", ended, programme="WHP-JETS")
        service.configure(dpo, "northfield", "mandation_evidence", offset="P0D")
        counts.update(events=len(service.facts(dpo, "northfield")), expected_due=len(expected))

    with timed(steps, "records: retention run") as counts:
        report = service.run(dpo, holder="northfield")
        deleted = {r.id for r in report.deleted}
        kept = service.schedule(dpo, "northfield", state=None)
        counts.update(
            deleted=len(deleted),
            kept=sum(1 for s in kept if s.record.id not in deleted),
            certificates=len(report.certificates),
            exactly_due=deleted == expected,
        )
    return {
        "held": dict(held),
        "deleted_by_kind": report.by_kind(),
        "kept": sum(1 for s in kept if s.record.id not in deleted),
        "exactly_due": deleted == expected,
        "certificates": list(report.certificates),
    }
