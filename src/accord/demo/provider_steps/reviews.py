"""The access-review step of ``accord demo provider``: recertify, lapse, refuse, restore.

Northfield's admin recertifies who has access; thirty-one days pass with no further
review (the demo moves the store's clock, as a scheduler's calendar would); the daily
check records the lapse and tells DWP (Ridgeway's too: its caseworker has access);
Northfield's caseworker's next read is refused on the release path; a new
recertification restores it at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from accord.core.lifecycle.notices import NoticeKind
from accord.demo.provider_world import ProviderWorld
from accord.demo.steps import Step, timed
from accord.errors import PermissionDenied
from accord.services.outbox import Outbox
from accord.services.reviews import ReviewService

__all__ = ["run"]

READER = "northfield.caseworker"
ADMIN = "northfield.admin"


def _read(world: ProviderWorld) -> int:
    """The caseworker's in-place count of their referrals (a release like any other)."""
    result = world.app.plane.query(
        world.caller(READER, "demo"),
        world.agreement.id,
        "SELECT count(*) AS n FROM dwp_referrals",
    )
    return int(result.table.column("n")[0].as_py())


def run(world: ProviderWorld, steps: list[Step]) -> dict[str, Any]:
    app, agreement = world.app, world.agreement
    reviews = ReviewService.of(app)
    admin = world.caller(ADMIN, "demo")
    operator = app.operator("demo")
    summary: dict[str, Any] = {"agreement": agreement.id}

    with timed(steps, "access review: Northfield's admin recertifies") as counts:
        listed = reviews.reviews(admin, "northfield")[0].with_access
        view = reviews.recertify(admin, agreement.id, "northfield", keep=listed)
        counts.update(principals_kept=len(view.with_access), reads=_read(world) and 1)
        summary["due_on"] = str(view.due_on)

    original = app.store.clock
    with timed(steps, "access review: 31 days pass, the review lapses") as counts:
        started = app.store.clock()
        days = (agreement.policy.access_review_days or 30) + 1
        app.store.clock = lambda: started + timedelta(days=days)
        check = reviews.check(operator)
        notices = Outbox(app.store).notices(kind=NoticeKind.ACCESS_REVIEW_LAPSED)
        counts.update(lapsed=len(check.lapsed), notices=len(notices))
        summary["lapsed"] = check.lapsed

    with timed(steps, "access review: the caseworker's next read is refused") as counts:
        refused = 0
        try:
            _read(world)
        except PermissionDenied as exc:
            refused = 1
            summary["refusal"] = exc.reason
        counts.update(refused=refused)

    with timed(steps, "access review: recertified, access restored") as counts:
        view = reviews.recertify(
            admin, agreement.id, "northfield", keep=view.with_access, note="monthly review"
        )
        rows = _read(world)
        restored = int(view.status.value == "current")
        # Ridgeway, the sub-contractor, has principals with access too: its admin recertifies.
        sub = world.caller("ridgeway.admin", "demo")
        for other in reviews.reviews(sub, "ridgeway"):
            reviews.recertify(sub, agreement.id, "ridgeway", keep=other.with_access)
            restored += 1
        counts.update(restored=restored, rows_read=rows)
        summary["rows_after_restore"] = rows
    app.store.clock = original  # the later steps run on the real calendar again
    return summary
