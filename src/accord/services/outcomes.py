"""Outcome validation: the department confirms a participant's first pay date and the
earnings thresholds reached, per record, to the provider the participant was referred to.

The rules are in :mod:`accord.core.lifecycle.outcomes`; this service authorises the call
through the one release path (the ``outcome`` channel, allowed by an agreement's
``eligibility_check`` channel with per-record answers), runs the two governed queries on
the executor and writes one audit event per call holding counts only, never a NINO.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from accord.core.lifecycle.outcomes import (
    MAX_PARTICIPANTS,
    SUPPLIED_TABLE,
    OutcomeAnswer,
    answers,
    events_query,
    parse_keys,
    referrals_query,
)
from accord.core.permissions import Caller
from accord.core.plan.authorise import PlaneChannel
from accord.core.plan.release import GovernedRelease
from accord.engine.executor import EngineError, executor_for
from accord.errors import ValidationError
from accord.services.guard import refuse, released
from accord.services.plane import PlaneService
from accord.store import Store

__all__ = ["OUTCOME_ACTION", "OutcomesService"]

OUTCOME_ACTION = "outcome.check"
REFERRALS, EVENTS = "referrals", "circumstance_events"


class OutcomesService:
    def __init__(self, store: Store, plane: PlaneService) -> None:
        self.store = store
        self.plane = plane

    def check(
        self,
        caller: Caller,
        agreement_id: str,
        participants: Sequence[str],
        *,
        limit: int = MAX_PARTICIPANTS,
    ) -> list[OutcomeAnswer]:
        """One answer per supplied referral id or NINO, in order.

        The batch size is checked before anything else; then who may ask (a requester
        or analyst of the agreement's recipient, the agreement active, its channel and
        per-record term), each refusal audited; then both queries run over the whole
        batch, so a participant who is not the recipient's costs the same work and gets
        the same answer as one who does not exist.
        """
        # The batch is bounded and checked before the agreement is even looked up: the
        # work a caller can ask for is limited first. A refusal names no one.
        try:
            keys = parse_keys(participants, limit=limit)
        except ValidationError as exc:
            refuse(self.store, caller, OUTCOME_ACTION, f"agreement:{agreement_id}", "",
                   exc.message, supplied=len(participants))  # fmt: skip
            raise
        releases = self.plane.releases(caller, agreement_id, PlaneChannel.OUTCOME,
                                       action=OUTCOME_ACTION)  # fmt: skip
        first = releases[0]
        agreement = first.agreement
        try:
            referrals = self._dataset(releases, REFERRALS)
            events = self._dataset(releases, EVENTS)
            referral_sql = referrals_query(referrals.plan)
            event_sql = events_query(events.plan)
        except ValidationError as exc:
            refuse(self.store, caller, OUTCOME_ACTION, first.object,
                   agreement.policy.recipient, exc.message)  # fmt: skip
            raise
        wanted = sorted({k.canonical for k in keys})
        found = self._rows(caller, referrals.narrowed(referral_sql), wanted)
        reached = self._rows(caller, events.narrowed(event_sql), wanted)
        out = answers(keys, found, reached)
        self.store.record(
            released(
                first.event,
                action="outcome.release",
                reason=f"first pay dates and thresholds confirmed for {len(out)} participant(s)",
                supplied=len(out),
                found=sum(a.found for a in out),
                first_pay_dates=sum(a.first_pay_date is not None for a in out),
                thresholds=sum(len(a.thresholds) for a in out),
                policy_sha256=agreement.policy.sha256(),
                **({"via": caller.via} if caller.via else {}),
            )
        )
        return out

    @staticmethod
    def _dataset(releases: Sequence[GovernedRelease], name: str) -> GovernedRelease:
        for release in releases:
            if release.dataset.id.rpartition("/")[2] == name:
                return release
        covered = ", ".join(r.dataset.id for r in releases)
        raise ValidationError(
            f"outcomes are computed from a {name} dataset; the agreement covers {covered}"
        )

    def _rows(
        self, caller: Caller, release: GovernedRelease, wanted: list[str]
    ) -> list[dict[str, Any]]:
        try:
            batches = list(executor_for(release).execute(release, tables={SUPPLIED_TABLE: wanted}))
        except EngineError as exc:
            raise self.plane.engine_failed(caller, release, OUTCOME_ACTION, exc) from exc
        if not batches:
            return []
        rows: list[dict[str, Any]] = pa.Table.from_batches(batches).to_pylist()
        return rows
