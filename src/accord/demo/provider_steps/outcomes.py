"""``accord demo provider``: outcome validation and a recall.

Northfield's caseworker asks DWP to confirm the outcomes of a handful of its
participants (Work and Health Programme and JETS) and of one National Insurance number
it does not hold; DWP answers per record from its earnings events. Then a package of
changes of circumstances that DWP sent to Northfield in error is recalled: Northfield
is alerted, its DPO confirms, its copy is deleted and a destruction certificate signed.
"""

from __future__ import annotations

from typing import Any

from accord.core.lifecycle.notices import NoticeKind
from accord.demo.provider_world import ProviderWorld
from accord.demo.steps import Step, timed
from accord.services.outbox import Outbox
from accord.services.outcomes import OutcomesService
from accord.services.plane import view_name
from accord.services.recall import RecallService
from accord.services.retention import RetentionService

__all__ = ["run"]

PER_PROGRAMME = 4
UNKNOWN_NINO = "ZX 99 99 99 D"
"""A NINO no one in the synthetic data holds: the answer is "no such participant"."""


def _participants(world: ProviderWorld) -> list[str]:
    """Some of Northfield's own referrals of each programme, read in place as Northfield."""
    app = world.app
    view = view_name(app.store.get_dataset("dwp/referrals"))
    chosen: list[str] = []
    for programme in ("WHP", "WHP-JETS"):
        sql = (
            f"select referral_id from {view} where programme = '{programme}' "
            f"order by referral_id limit {PER_PROGRAMME}"
        )
        result = app.plane.query(world.caller("northfield.adviser"), world.agreement.id, sql)
        chosen += [str(v) for v in result.table.column("referral_id").to_pylist()]
    return chosen


def run(world: ProviderWorld, steps: list[Step]) -> dict[str, Any]:
    app = world.app
    summary: dict[str, Any] = {}
    with timed(steps, "DWP confirms outcomes to Northfield") as counts:
        asked = [*_participants(world), UNKNOWN_NINO]
        answers = OutcomesService(app.store, app.plane).check(
            world.caller("northfield.caseworker"), world.agreement.id, asked
        )
        counts.update(
            asked=len(answers),
            found=sum(a.found for a in answers),
            first_pay_dates=sum(a.first_pay_date is not None for a in answers),
            thresholds=sum(len(a.thresholds) for a in answers),
            jets_not_applicable=sum(len(a.not_applicable) for a in answers),
        )
        summary["outcomes"] = dict(counts)

    with timed(steps, "A package sent in error is recalled and its deletion certified") as counts:
        work = world.synthetic.parent / "recall"
        sent = app.transfer.send(world.caller("dwp.data"), world.agreement.id, "northfield",
                                 work / "outbox", dataset_id="dwp/circumstance_events")  # fmt: skip
        loaded = app.transfer.receive(world.caller("northfield.caseworker"), sent.path,
                                      work / "inbox")  # fmt: skip
        service = RecallService(app.store, RetentionService.of(app))
        recall = service.open(world.caller("dwp.data"), sent.manifest.transfer_id,
                              "sent in error: not due for this provider")  # fmt: skip
        notices = Outbox(app.store).notices(organisation="northfield", kind=NoticeKind.RECALL)
        done, signed = service.confirm(world.caller("northfield.dpo"), recall.id)
        counts.update(
            rows_recalled=sent.manifest.rows,
            notices=len(notices),
            copy_deleted=int(done.copy_deleted and not loaded.path.exists()),
            certificates=int(bool(RetentionService.of(app).verify(signed))),
        )
        summary["recall"] = {
            "recall": done.id,
            "transfer": done.transfer_id,
            "state": done.state.value,
            "certificate": signed.certificate.id,
            "keep_until": None if done.keep_until is None else done.keep_until.isoformat(),
            **counts,
        }
    return summary
