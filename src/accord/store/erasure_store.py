"""Erasure requests behind a narrow repository.

It shares the main store's engine, clock and audit chain: every state change writes its
audit event, and the notices it sends, in one transaction (``queue_notices`` inside
``_write``). A state change is compare-and-set on the state and version the caller read,
so two decisions on one request cannot both land.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from accord.core.audit import AuditEvent
from accord.core.lifecycle.erasure import (
    Decision,
    ErasureRequest,
    ErasureState,
    HolderStatus,
    Letter,
    Outcome,
    ParticipationFacts,
    Programme,
    ReferralKind,
)
from accord.core.lifecycle.notices import Notice
from accord.errors import ConflictError, NotFoundError
from accord.store.base import Repository
from accord.store.erasure_models import ErasureHolderRow, ErasureRequestRow, HeldCopyRow
from accord.store.outbox_store import queue_notices

__all__ = ["ERASURE_READ_METHODS", "ErasureStore", "HeldCopy"]

ERASURE_READ_METHODS = frozenset(
    {"get", "list_requests", "held_copies", "reminded_on", "erased_people"}
)
"""Public methods that change nothing; every other public method takes ``audit``."""

HeldCopy = tuple[str, str, str]
"""(id, holder, location) of a registered downstream copy."""


class ErasureStore(Repository):
    def create(
        self, request: ErasureRequest, *, audit: AuditEvent, notices: Sequence[Notice] = ()
    ) -> ErasureRequest:
        now = self.clock()

        def change(conn: Connection) -> None:
            conn.execute(
                insert(ErasureRequestRow).values(
                    id=request.id,
                    provider=request.provider,
                    department=request.department,
                    agreement_id=request.agreement_id,
                    person_ref=request.person_ref,
                    nino=request.nino,
                    addressee=json.dumps(
                        {"name": request.addressee_name, "address": request.addressee_address}
                    ),
                    state=request.state.value,
                    received_on=request.received_on,
                    due_on=request.due_on,
                    reference=request.reference,
                    facts="",
                    decision="",
                    letters=_letters_json(request.letters),
                    reminded_on=None,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
            queue_notices(conn, notices, now)

        self._write(audit, change)
        return self.get(request.id)

    def move(
        self,
        request: ErasureRequest,
        to: ErasureState,
        *,
        audit: AuditEvent,
        notices: Sequence[Notice] = (),
        reference: str | None = None,
        facts: ParticipationFacts | None = None,
        decision: Decision | None = None,
        letter: Letter | None = None,
        holders: Sequence[str] = (),
        forget_person: bool = False,
    ) -> ErasureRequest:
        """Move ``request`` to ``to`` if it is still in the state and version read."""
        now = self.clock()
        values: dict[str, Any] = {
            "state": to.value,
            "version": request.version + 1,
            "updated_at": now,
        }
        if reference is not None:
            values["reference"] = reference
        if facts is not None:
            values["facts"] = json.dumps(_facts_dict(facts))
        if decision is not None:
            values["decision"] = json.dumps(_decision_dict(decision))
        if letter is not None:
            values["letters"] = _letters_json((*request.letters, letter))
        if forget_person:
            values["nino"] = ""
            values["addressee"] = json.dumps({"name": "", "address": []})

        def change(conn: Connection) -> None:
            moved = conn.execute(
                update(ErasureRequestRow)
                .where(
                    ErasureRequestRow.id == request.id,
                    ErasureRequestRow.state == request.state.value,
                    ErasureRequestRow.version == request.version,
                )
                .values(**values)
            )
            if moved.rowcount != 1:
                raise ConflictError(
                    f"erasure request {request.id} changed while this change was made "
                    "(another decision or step landed first): reload it and try again"
                )
            if holders:
                conn.execute(
                    insert(ErasureHolderRow),
                    [
                        {
                            "request_id": request.id,
                            "holder": h,
                            "state": "required",
                            "erased": "[]",
                            "certificate_id": "",
                            "certified_at": None,
                        }
                        for h in holders
                    ],
                )
            queue_notices(conn, notices, now)

        self._write(audit, change)
        return self.get(request.id)

    def certify_holder(
        self,
        request: ErasureRequest,
        holder: str,
        certificate_id: str,
        erased: Sequence[dict[str, Any]],
        *,
        audit: AuditEvent,
        notices: Sequence[Notice] = (),
    ) -> ErasureRequest:
        """Record ``holder``'s certificate; the last one moves the request to confirmed."""
        now = self.clock()

        def change(conn: Connection) -> None:
            done = conn.execute(
                update(ErasureHolderRow)
                .where(
                    ErasureHolderRow.request_id == request.id,
                    ErasureHolderRow.holder == holder,
                    ErasureHolderRow.state == "required",
                )
                .values(
                    state="certified",
                    certificate_id=certificate_id,
                    erased=json.dumps(list(erased)),
                    certified_at=now,
                )
            )
            if done.rowcount != 1:
                raise ConflictError(f"{holder} has already certified erasure {request.id}")
            left = conn.execute(
                select(ErasureHolderRow.holder).where(
                    ErasureHolderRow.request_id == request.id,
                    ErasureHolderRow.state == "required",
                )
            ).first()
            if left is None:
                conn.execute(
                    update(ErasureRequestRow)
                    .where(
                        ErasureRequestRow.id == request.id,
                        ErasureRequestRow.state == ErasureState.ERASING.value,
                    )
                    .values(
                        state=ErasureState.CONFIRMED.value,
                        version=ErasureRequestRow.version + 1,
                        updated_at=now,
                    )
                )
            queue_notices(conn, notices, now)

        self._write(audit, change)
        return self.get(request.id)

    def mark_reminded(
        self, request: ErasureRequest, day: date, *, audit: AuditEvent, notices: Sequence[Notice]
    ) -> None:
        """Record the day a deadline reminder was queued, so a sweep reminds once a day."""

        def change(conn: Connection) -> None:
            conn.execute(
                update(ErasureRequestRow)
                .where(ErasureRequestRow.id == request.id)
                .values(reminded_on=day)
            )
            queue_notices(conn, notices, self.clock())

        self._write(audit, change)

    def register_copy(
        self,
        copy_id: str,
        holder: str,
        agreement_id: str,
        location: str,
        by: str,
        *,
        audit: AuditEvent,
    ) -> None:
        def change(conn: Connection) -> None:
            conn.execute(
                insert(HeldCopyRow).values(
                    id=copy_id,
                    holder=holder,
                    agreement_id=agreement_id,
                    location=location,
                    registered_by=by,
                    registered_at=self.clock(),
                )
            )

        self._write(audit, change)

    # -- reads -------------------------------------------------------------------------

    def get(self, request_id: str) -> ErasureRequest:
        with self._read() as conn:
            row = conn.execute(
                select(ErasureRequestRow.__table__).where(ErasureRequestRow.id == request_id)
            ).first()
            if row is None:
                raise NotFoundError(f"no erasure request {request_id!r}")
            holders = conn.execute(
                select(ErasureHolderRow.__table__)
                .where(ErasureHolderRow.request_id == request_id)
                .order_by(ErasureHolderRow.holder)
            ).all()
        return _request(row, holders)

    def list_requests(
        self, *, organisation: str | None = None, states: Sequence[ErasureState] = ()
    ) -> list[ErasureRequest]:
        """Requests an organisation is party to (as provider or department), oldest due first."""
        query = select(ErasureRequestRow.id).order_by(
            ErasureRequestRow.due_on, ErasureRequestRow.id
        )
        if organisation is not None:
            query = query.where(
                (ErasureRequestRow.provider == organisation)
                | (ErasureRequestRow.department == organisation)
            )
        if states:
            query = query.where(ErasureRequestRow.state.in_([s.value for s in states]))
        with self._read() as conn:
            ids = list(conn.execute(query).scalars())
        return [self.get(i) for i in ids]

    def reminded_on(self, request_id: str) -> date | None:
        with self._read() as conn:
            return conn.execute(
                select(ErasureRequestRow.reminded_on).where(ErasureRequestRow.id == request_id)
            ).scalar_one_or_none()

    def erased_people(self, agreement_id: str) -> frozenset[str]:
        """The person references of every accepted erasure under the agreement (fanned
        out, confirmed or closed): what a later release to the recipient must leave out."""
        done = (ErasureState.ERASING, ErasureState.CONFIRMED, ErasureState.CLOSED)
        with self._read() as conn:
            rows = conn.execute(
                select(ErasureRequestRow.person_ref, ErasureRequestRow.decision).where(
                    ErasureRequestRow.agreement_id == agreement_id,
                    ErasureRequestRow.state.in_([s.value for s in done]),
                )
            ).all()
        return frozenset(
            r.person_ref
            for r in rows
            if r.decision and json.loads(r.decision)["outcome"] == Outcome.ACCEPTED.value
        )

    def held_copies(self, agreement_id: str) -> list[HeldCopy]:
        with self._read() as conn:
            rows = conn.execute(
                select(HeldCopyRow.id, HeldCopyRow.holder, HeldCopyRow.location)
                .where(HeldCopyRow.agreement_id == agreement_id)
                .order_by(HeldCopyRow.registered_at, HeldCopyRow.id)
            ).all()
        return [(r.id, r.holder, r.location) for r in rows]


def _facts_dict(facts: ParticipationFacts) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(facts).items()}


def _decision_dict(decision: Decision) -> dict[str, Any]:
    out = asdict(decision)
    out["outcome"] = decision.outcome.value
    out["keep_until"] = decision.keep_until.isoformat() if decision.keep_until else None
    return out


def _letters_json(letters: Sequence[Letter]) -> str:
    return json.dumps(
        [{"kind": x.kind, "issued_on": x.issued_on.isoformat(), "body": x.body} for x in letters]
    )


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _request(row: Row[Any], holders: Sequence[Row[Any]]) -> ErasureRequest:
    facts = decision = None
    if row.facts:
        f = json.loads(row.facts)
        facts = ParticipationFacts(
            programme=Programme(f["programme"]),
            referral=ReferralKind(f["referral"]),
            started=bool(f["started"]),
            mandated_to_interview=bool(f["mandated_to_interview"]),
            did_not_attend=bool(f["did_not_attend"]),
            decision_notified_on=_day(f["decision_notified_on"]),
            programme_ended_on=_day(f["programme_ended_on"]),
            final_claim_paid_on=_day(f["final_claim_paid_on"]),
        )
    if row.decision:
        d = json.loads(row.decision)
        decision = Decision(
            Outcome(d["outcome"]),
            d["paragraph"],
            d["reason"],
            d["retain"],
            _day(d["keep_until"]),
            d["keep_until_pending"],
        )
    addressee = json.loads(row.addressee)
    return ErasureRequest(
        id=row.id,
        provider=row.provider,
        department=row.department,
        agreement_id=row.agreement_id,
        person_ref=row.person_ref,
        state=ErasureState(row.state),
        received_on=row.received_on,
        due_on=row.due_on,
        reference=row.reference,
        facts=facts,
        decision=decision,
        letters=tuple(
            Letter(x["kind"], date.fromisoformat(x["issued_on"]), x["body"])
            for x in json.loads(row.letters)
        ),
        holders=tuple(
            HolderStatus(
                h.holder, h.state == "certified", h.certificate_id, tuple(json.loads(h.erased))
            )
            for h in holders
        ),
        nino=row.nino,
        addressee_name=addressee["name"],
        addressee_address=tuple(addressee["address"]),
        version=row.version,
    )
