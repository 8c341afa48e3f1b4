"""Erasure requests: received by the provider, referenced by the department, decided by
seed 003's rules, answered by letter and, when accepted, fanned out to every holder.

The one service behind ``accord erasure``, ``/erasure-requests`` and the web pages. The
rules and letters are pure (:mod:`accord.core.lifecycle.erasure`); here are the store,
the notices, and the holders' files.

**Who the person is, in Accord's records.** Only ``erasure:<request id>`` and a keyed
HMAC of their normalised NINO (``person_ref``) appear in audit events and notices. The
NINO and the letter's addressee are kept on the request row only while they are needed
(to fan the erasure out, and to address the letter): both are blanked, in the same
transaction that records it, when the request closes or is withdrawn. They are not
encrypted in between; the row is readable only through this service.

**Holders.** An accepted erasure reaches every :class:`ErasureHolder` registered with the
service: each says which organisations hold copies under the agreement and erases the
person from one organisation's copies, returning what it removed. The holders here are
the provider's received packages (every past version it received), copies registered as
held downstream (a forward to a sub-contractor), and the node's materialised views of the
agreement. Other parts of the platform (the change feed, case records) register their own
with :meth:`ErasureService.add_holder`. The department's own datasets are not erased: the
referral information is kept on DWP systems (paras 28, 29). So that the recipient's next
read does not bring the person back, the release path leaves everyone erased under the
agreement out of every later release (``ErasureFilter`` in the compiled plan, matched by
the keyed reference computed in SQL).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.core.audit import AuditEvent
from accord.core.audit import Decision as AuditDecision
from accord.core.governance.records import AgreementRecord
from accord.core.identifiers import is_valid_nino, normalise_nino
from accord.core.lifecycle.certificate import DestructionMethod
from accord.core.lifecycle.erasure import (
    DeadlineState,
    ErasureRequest,
    ErasureState,
    Letter,
    ParticipationFacts,
    deadline,
    deadline_state,
    decide,
    person_reference,
)
from accord.core.lifecycle.erasure_letters import (
    Addressee,
    LetterKind,
    letter_body,
    render_letter,
)
from accord.core.lifecycle.erasure_permissions import (
    can_assign_reference,
    can_erase_holdings,
    can_handle_erasure,
    can_remind_erasures,
    can_see_erasure,
)
from accord.core.lifecycle.notices import NoticeKind
from accord.core.permissions import Caller, Verdict
from accord.core.transfer.keys import KeyPurpose
from accord.errors import ConflictError, NotFoundError, ValidationError
from accord.services.erasure_holders import (
    Erased,
    ErasureHolder,
    HeldCopies,
    HeldRecords,
    MaterialisedCopies,
    ReceivedPackages,
    erase_from_parquet,
)
from accord.services.guard import authorise, refuse
from accord.services.outbox import new_notice
from accord.store import Store
from accord.store.erasure_store import ErasureStore
from accord.store.lifecycle_store import LifecycleStore

if TYPE_CHECKING:
    from accord.services.app import Accord
    from accord.services.retention import RetentionService

__all__ = [
    "ERASURE_KEY",
    "MAX_ADDRESS_LINES",
    "MAX_TEXT",
    "Erased",
    "ErasureHolder",
    "ErasureService",
    "erase_from_parquet",
    "request_dict",
]

ERASURE_KEY = "erasure-person-reference"
"""The key of the erasure domain's HMAC: pseudonymous references link only to each other."""
MAX_TEXT = 200
"""Characters in a name, an address line or a reference number."""
MAX_ADDRESS_LINES = 6
OPEN_STATES = (
    ErasureState.RECEIVED,
    ErasureState.ACKNOWLEDGED,
    ErasureState.REFERRED,
    ErasureState.REFERENCED,
    ErasureState.DECIDED,
)
"""States in which the decision letter (the response the deadline is for) is still due."""


class ErasureService:
    def __init__(
        self, store: Store, retention: RetentionService, *, key: bytes, home: Path
    ) -> None:
        self.store = store
        self.repository = ErasureStore(store)
        self.retention = retention
        self._key = key
        self.holders: list[ErasureHolder] = [
            ReceivedPackages(LifecycleStore(store)),
            HeldCopies(self.repository),
            MaterialisedCopies(home),
        ]

    @classmethod
    def of(cls, app: Accord) -> ErasureService:
        from accord.services.records import RecordsService
        from accord.services.retention import RetentionService

        service = cls(
            app.store,
            RetentionService.of(app),
            key=app.keys.secret(ERASURE_KEY, create=True),
            home=app.home,
        )
        service.add_holder(HeldRecords(RecordsService.of(app)))
        return service

    def add_holder(self, holder: ErasureHolder) -> None:
        """Register another kind of copy (the change feed's files, case records…)."""
        self.holders.append(holder)

    # -- the provider receives ---------------------------------------------------------

    def receive(
        self,
        caller: Caller,
        agreement_id: str,
        *,
        nino: str,
        name: str,
        address: Sequence[str] = (),
        received_on: date | None = None,
    ) -> tuple[ErasureRequest, str]:
        """Record a participant's request and issue the holding response at once (para 23).

        Returns the request and the holding letter, addressed, for sending.
        """
        agreement = self._agreement(caller, agreement_id)
        provider = agreement.policy.recipient
        event = authorise(
            self.store,
            caller,
            can_handle_erasure(caller, provider),
            action="erasure.receive",
            obj=f"agreement:{agreement.id}",
            organisation=provider,
        )
        problems = _person_problems(nino, name, address)
        if problems:
            raise ValidationError(
                "the request cannot be recorded: "
                + "; ".join(f"{p['field']}: {p['error']}" for p in problems),
                problems=problems,
            )
        today = self.store.clock().date()
        received_on = received_on or today
        if received_on > today:
            raise ValidationError(
                f"received_on {received_on.isoformat()} is in the future",
                problems=[{"field": "received_on", "error": "in the future"}],
            )
        request_id = "er-" + secrets.token_hex(6)
        due_on = deadline(received_on)
        body = letter_body(
            LetterKind.HOLDING,
            reference=f"erasure:{request_id}",
            provider=self._org_name(provider),
            received_on=received_on,
            due_on=due_on,
        )
        request = ErasureRequest(
            id=request_id,
            provider=provider,
            department=agreement.policy.data_owners[0],
            agreement_id=agreement.id,
            person_ref=person_reference(self._key, nino),
            state=ErasureState.ACKNOWLEDGED,
            received_on=received_on,
            due_on=due_on,
            letters=(Letter(LetterKind.HOLDING.value, today, body),),
            nino=normalise_nino(nino),
            addressee_name=name.strip(),
            addressee_address=tuple(line.strip() for line in address if line.strip()),
        )
        audit = self._event(
            event,
            "erasure.receive",
            request,
            "request to erase received and acknowledged; holding response issued",
            due_on=due_on.isoformat(),
        )
        stored = self.repository.create(request, audit=audit)
        return stored, render_letter(body, _addressee(stored), today)

    def refer(self, caller: Caller, request_id: str) -> ErasureRequest:
        """Forward the request to the department's Data Protection Office (para 24)."""
        request, event = self._act(caller, request_id, "erasure.refer", ErasureState.REFERRED)
        notice = new_notice(
            request.department,
            NoticeKind.ERASURE_RECEIVED,
            f"Erasure request erasure:{request.id} from {request.provider}: reference needed",
            f"{request.provider} received a participant's request to erase their personal "
            f"information on {request.received_on.isoformat()} (person {request.person_ref}). "
            f"Assign a reference number; the response is due by {request.due_on.isoformat()}.",
            request.subject,
        )
        audit = self._event(event, "erasure.refer", request, "referred to the department's DPO")
        return self.repository.move(request, ErasureState.REFERRED, audit=audit, notices=[notice])

    def assign_reference(self, caller: Caller, request_id: str, reference: str) -> ErasureRequest:
        """The department's DPO assigns the reference every response carries (para 25)."""
        request = self._find(caller, request_id, "erasure.reference")
        event = self._authorise(
            caller, can_assign_reference(caller, request), "erasure.reference", request
        )
        reference = reference.strip()
        if not reference or len(reference) > MAX_TEXT or not reference.isprintable():
            raise ValidationError(
                f"reference must be 1 to {MAX_TEXT} printable characters",
                problems=[{"field": "reference", "error": "blank, too long or unprintable"}],
            )
        self._check_move(caller, request, ErasureState.REFERENCED, "erasure.reference")
        audit = self._event(
            event, "erasure.reference", request, "reference number assigned", reference=reference
        )
        return self.repository.move(
            request, ErasureState.REFERENCED, audit=audit, reference=reference
        )

    def decide(self, caller: Caller, request_id: str, facts: ParticipationFacts) -> ErasureRequest:
        """Decide by the seed's rules from the participant's facts; the department is told."""
        request, event = self._act(caller, request_id, "erasure.decide", ErasureState.DECIDED)
        problems = facts.problems()
        if problems:
            raise ValidationError(
                "the participation facts do not hold together: "
                + "; ".join(f"{p['field']}: {p['error']}" for p in problems),
                problems=problems,
            )
        decision = decide(facts)
        notice = new_notice(
            request.department,
            NoticeKind.ERASURE_DECIDED,
            f"Erasure request {request.reference}: {decision.outcome.value}",
            f"{request.provider} {decision.outcome.value} erasure request {request.reference} "
            f"(erasure:{request.id}) under paragraph {decision.paragraph}: {decision.reason}.",
            request.subject,
        )
        audit = self._event(
            event,
            "erasure.decide",
            request,
            f"{decision.outcome.value}: {decision.reason}",
            outcome=decision.outcome.value,
            paragraph=decision.paragraph,
            keep_until=decision.keep_until.isoformat() if decision.keep_until else None,
        )
        return self.repository.move(
            request,
            ErasureState.DECIDED,
            audit=audit,
            facts=facts,
            decision=decision,
            notices=[notice],
        )

    def issue_letter(self, caller: Caller, request_id: str) -> tuple[ErasureRequest, str]:
        """Issue WHP RTE Acc or WHP RTE REJ; then fan an acceptance out to every holder,
        or close a rejection (forgetting the addressee). Returns the letter for sending."""
        request, event = self._act(caller, request_id, "erasure.letter", ErasureState.LETTER_ISSUED)
        assert request.decision is not None  # a decided request has its decision
        kind = LetterKind.ACCEPTED if request.decision.accepted else LetterKind.REJECTED
        today = self.store.clock().date()
        body = letter_body(
            kind,
            reference=request.reference,
            provider=self._org_name(request.provider),
            received_on=request.received_on,
            due_on=request.due_on,
            decision=request.decision,
        )
        letter = render_letter(body, _addressee(request), today)
        late = today > request.due_on
        audit = self._event(
            event, "erasure.letter", request, f"{kind.value} issued", letter=kind.value, late=late
        )
        request = self.repository.move(
            request, ErasureState.LETTER_ISSUED, audit=audit, letter=Letter(kind.value, today, body)
        )
        return self.advance(caller, request.id), letter

    def advance(self, caller: Caller, request_id: str) -> ErasureRequest:
        """Take the step that follows an issued letter or the last certificate: fan out an
        acceptance, close a rejection or a confirmed erasure. Safe to call again."""
        request = self._find(caller, request_id, "erasure.advance")
        if request.state is ErasureState.LETTER_ISSUED:
            assert request.decision is not None
            if request.decision.accepted:
                return self._fan_out(caller, request)
            return self._close(caller, request)
        if request.state is ErasureState.CONFIRMED:
            return self._close(caller, request)
        return request

    def _fan_out(self, caller: Caller, request: ErasureRequest) -> ErasureRequest:
        event = self._authorise(
            caller, can_handle_erasure(caller, request.provider), "erasure.fan_out", request
        )
        agreement = self.store.get_agreement(request.agreement_id)
        holders = {request.provider, *agreement.policy.processors}
        for holder in self.holders:
            holders |= holder.organisations(agreement)
        holders -= set(agreement.policy.data_owners)
        notices = [
            new_notice(
                org,
                NoticeKind.ERASURE_REQUIRED,
                f"Erase a participant: erasure request {request.reference}",
                f"Erasure request {request.reference} (erasure:{request.id}) under agreement "
                f"{agreement.id} is accepted. Erase person {request.person_ref} from every "
                "copy you hold and certify it: `accord erasure erase "
                f"{request.id} --holder {org}`.",
                request.subject,
            )
            for org in sorted(holders)
        ]
        audit = self._event(
            event,
            "erasure.fan_out",
            request,
            f"erasure required of {len(holders)} holders",
            holders=sorted(holders),
        )
        return self.repository.move(
            request, ErasureState.ERASING, audit=audit, holders=sorted(holders), notices=notices
        )

    def _close(self, caller: Caller, request: ErasureRequest) -> ErasureRequest:
        event = self._authorise(caller, can_see_erasure(caller, request), "erasure.close", request)
        audit = self._event(
            event, "erasure.close", request, "closed: the NINO and the addressee are forgotten"
        )
        return self.repository.move(request, ErasureState.CLOSED, audit=audit, forget_person=True)

    def withdraw(self, caller: Caller, request_id: str) -> ErasureRequest:
        """The participant withdrew the request before a decision: it closes as withdrawn,
        and the NINO and the addressee are forgotten in the same transaction."""
        request, event = self._act(caller, request_id, "erasure.withdraw", ErasureState.WITHDRAWN)
        audit = self._event(
            event,
            "erasure.withdraw",
            request,
            "withdrawn by the participant; the NINO and the addressee are forgotten",
        )
        return self.repository.move(
            request, ErasureState.WITHDRAWN, audit=audit, forget_person=True
        )

    # -- the holders erase -------------------------------------------------------------

    def erase_holdings(self, caller: Caller, request_id: str, holder: str) -> ErasureRequest:
        """``holder`` erases the person from every copy Accord knows it holds, and certifies
        it with a destruction certificate signed by its key; the last certificate
        confirms the erasure and closes the request."""
        request = self._find(caller, request_id, "erasure.erase")
        event = self._authorise(
            caller, can_erase_holdings(caller, holder), "erasure.erase", request
        )
        status = {h.holder: h for h in request.holders}.get(holder)
        if request.state is not ErasureState.ERASING or status is None or status.certified:
            reason = (
                f"erasure request {request.id} is {request.state.value}: "
                + ("nothing is required of " if status is None else "already certified by ")
                + holder
                if status is None or status.certified
                else f"erasure request {request.id} is {request.state.value}, not erasing"
            )
            refuse(self.store, caller, "erasure.erase", request.subject, holder, reason)
            raise ConflictError(reason)
        agreement = self.store.get_agreement(request.agreement_id)
        # A holder that cannot sign its certificate must not erase first: fail before.
        self.retention.org_keys.current(holder, KeyPurpose.SIGNING)
        erased = [e for kind in self.holders for e in kind.erase(holder, agreement, request.nino)]
        rows = sum(e.rows for e in erased)
        certificate = self.retention.issue_certificate(
            caller,
            holder=holder,
            subject_kind="erasure",
            subject_id=request.id,
            agreement_id=agreement.id,
            agreement_version=agreement.version,
            description=(
                f"every record of person {request.person_ref} (erasure request "
                f"{request.reference}) in {len(erased)} copies: {rows} rows removed"
            ),
            method=DestructionMethod.OVERWRITE,
        )
        audit = self._event(
            event,
            "erasure.erase",
            request,
            f"{holder} erased {rows} rows from {len(erased)} copies and certified it",
            holder=holder,
            certificate=certificate.certificate.id,
            copies=[e.as_dict() for e in erased],
        )
        request = self.repository.certify_holder(
            request,
            holder,
            certificate.certificate.id,
            [e.as_dict() for e in erased],
            audit=audit,
        )
        if request.state is ErasureState.CONFIRMED:
            request = self._close(caller, request)
        return request

    def register_copy(self, caller: Caller, agreement_id: str, holder: str, location: Path) -> str:
        """Record that ``holder`` (the recipient or a processor of the agreement) holds a
        file of the agreement's data, so that an accepted erasure reaches it."""
        agreement = self._agreement(caller, agreement_id)
        parties = (agreement.policy.recipient, *agreement.policy.processors)
        verdict = can_erase_holdings(caller, holder)
        if verdict and holder not in parties:
            verdict = Verdict(
                False,
                f"{holder!r} is neither the recipient nor a processor of agreement {agreement.id}",
            )
        event = authorise(
            self.store,
            caller,
            verdict,
            action="erasure.copy.register",
            obj=f"agreement:{agreement.id}",
            organisation=holder,
        )
        if not location.is_file():
            raise ValidationError(
                f"location {str(location)!r} is not a file",
                problems=[{"field": "location", "error": "not a file"}],
            )
        copy_id = "hc-" + secrets.token_hex(6)
        self.repository.register_copy(
            copy_id,
            holder,
            agreement.id,
            str(location.resolve()),
            caller.actor,
            audit=replace(event, details={**event.details, "copy": copy_id}),
        )
        return copy_id

    def is_erased(self, agreement_id: str, nino: str) -> bool:
        """Whether an accepted erasure under the agreement covers this NINO, by its keyed
        reference. The release path asks the same of every row inside the plan (the
        department keeps the person, paras 28-29), so no later release carries them."""
        try:
            reference = person_reference(self._key, nino)
        except ValueError:
            return False
        return reference in self.repository.erased_people(agreement_id)

    # -- reading and reminding ---------------------------------------------------------

    def get(self, caller: Caller, request_id: str) -> ErasureRequest:
        request = self._find(caller, request_id, "erasure.show")
        self.store.record(
            AuditEvent(
                actor=caller.actor,
                action="erasure.show",
                object=request.subject,
                organisation=request.provider,
                decision=AuditDecision.ALLOW,
                reason=can_see_erasure(caller, request).reason,
            )
        )
        return request

    def list_requests(self, caller: Caller, organisation: str) -> list[ErasureRequest]:
        """The requests ``organisation`` is party to, for its DPO, admin or data owner."""
        authorise(
            self.store,
            caller,
            can_erase_holdings(caller, organisation),
            action="erasure.list",
            obj=f"organisation:{organisation}",
            organisation=organisation,
        )
        return [
            r
            for r in self.repository.list_requests()
            if organisation in (r.provider, r.department, *(h.holder for h in r.holders))
        ]

    def remind(self, caller: Caller, today: date | None = None) -> list[ErasureRequest]:
        """Queue an ``ERASURE_DEADLINE`` notice for every unanswered request due within a
        week or overdue, once a day (the provider; the department too once overdue)."""
        authorise(
            self.store,
            caller,
            can_remind_erasures(caller),
            action="erasure.remind",
            obj="erasure:sweep",
            organisation=caller.platform_org,
        )
        today = today or self.store.clock().date()
        reminded = []
        for request in self.repository.list_requests(states=OPEN_STATES):
            state, left = deadline_state(request.due_on, today)
            if state is DeadlineState.ON_TIME or self._reminded_today(request, today):
                continue
            when = f"overdue by {-left} days" if left < 0 else f"due in {left} days"
            orgs = [request.provider] + ([request.department] if left < 0 else [])
            notices = [
                new_notice(
                    org,
                    NoticeKind.ERASURE_DEADLINE,
                    f"Erasure request {request.reference or request.subject}: {when}",
                    f"The response to erasure request {request.reference or request.subject} "
                    f"is {when} (by {request.due_on.isoformat()}); it is {request.state.value}.",
                    request.subject,
                )
                for org in orgs
            ]
            audit = AuditEvent(
                actor=caller.actor,
                action="erasure.remind",
                object=request.subject,
                organisation=request.provider,
                decision=AuditDecision.ALLOW,
                reason=f"response {when}",
                details={"person": request.person_ref},
            )
            self.repository.mark_reminded(request, today, audit=audit, notices=notices)
            reminded.append(request)
        return reminded

    def _reminded_today(self, request: ErasureRequest, today: date) -> bool:
        return self.repository.reminded_on(request.id) == today

    # -- helpers -----------------------------------------------------------------------

    def _agreement(self, caller: Caller, agreement_id: str) -> AgreementRecord:
        try:
            return self.store.get_agreement(agreement_id)
        except NotFoundError:
            self._deny(
                caller,
                "erasure.receive",
                f"agreement:{agreement_id}",
                "",
                f"no agreement {agreement_id!r}",
            )
            raise

    def _find(self, caller: Caller, request_id: str, action: str) -> ErasureRequest:
        """The request, or the one answer a missing one gets, also for a non-party."""
        missing = f"no erasure request {request_id!r}"
        try:
            request = self.repository.get(request_id)
        except NotFoundError:
            self._deny(
                caller,
                action,
                f"erasure:{request_id}",
                "",
                f"erasure request {request_id!r} does not exist",
            )
            raise NotFoundError(missing) from None
        verdict = can_see_erasure(caller, request)
        if not verdict:
            self._deny(caller, action, request.subject, request.provider, verdict.reason)
            raise NotFoundError(missing)
        return request

    def _act(
        self, caller: Caller, request_id: str, action: str, to: ErasureState
    ) -> tuple[ErasureRequest, AuditEvent]:
        """Find, authorise the provider's DPO or admin, and check the move is allowed."""
        request = self._find(caller, request_id, action)
        event = self._authorise(
            caller, can_handle_erasure(caller, request.provider), action, request
        )
        self._check_move(caller, request, to, action)
        return request, event

    def _check_move(
        self, caller: Caller, request: ErasureRequest, to: ErasureState, action: str
    ) -> None:
        from accord.core.lifecycle.erasure import can_move

        allowed, reason = can_move(request.state, to)
        if not allowed:
            refuse(self.store, caller, action, request.subject, request.provider, reason)
            raise ConflictError(f"erasure request {request.id}: {reason}")

    def _authorise(
        self, caller: Caller, verdict: Verdict, action: str, request: ErasureRequest
    ) -> AuditEvent:
        return authorise(
            self.store,
            caller,
            verdict,
            action=action,
            obj=request.subject,
            organisation=request.provider,
        )

    def _deny(self, caller: Caller, action: str, obj: str, organisation: str, reason: str) -> None:
        details: dict[str, Any] = {"answered": "not found"}
        if caller.via:
            details["via"] = caller.via
        self.store.record(
            AuditEvent(
                actor=caller.actor,
                action=action,
                object=obj,
                organisation=organisation,
                decision=AuditDecision.DENY,
                reason=reason,
                details=details,
            )
        )

    @staticmethod
    def _event(
        allowed: AuditEvent, action: str, request: ErasureRequest, reason: str, **details: Any
    ) -> AuditEvent:
        """The event of a change: the request and the person only by their references."""
        return AuditEvent(
            actor=allowed.actor,
            action=action,
            object=f"erasure:{request.id}",
            organisation=request.provider,
            decision=AuditDecision.ALLOW,
            reason=reason,
            details={
                **allowed.details,
                "person": request.person_ref,
                "agreement": request.agreement_id,
                "authorised": allowed.reason,
                **details,
            },
            owners=(request.department,),
        )

    def _org_name(self, org_id: str) -> str:
        try:
            return self.store.get_organisation(org_id).name
        except NotFoundError:
            return org_id


def _addressee(request: ErasureRequest) -> Addressee:
    return Addressee(request.addressee_name, request.addressee_address)


def _person_problems(nino: str, name: str, address: Sequence[str]) -> list[dict[str, str]]:
    problems = []
    if len(nino) > 32 or not is_valid_nino(nino):
        problems.append({"field": "nino", "error": "not a National Insurance number"})
    if not name.strip() or len(name) > MAX_TEXT or not name.isprintable():
        problems.append({"field": "name", "error": f"1 to {MAX_TEXT} printable characters"})
    if len(address) > MAX_ADDRESS_LINES:
        problems.append({"field": "address", "error": f"at most {MAX_ADDRESS_LINES} lines"})
    for number, line in enumerate(address, start=1):
        if len(line) > MAX_TEXT or not line.isprintable():
            problems.append(
                {"field": f"address[{number}]", "error": f"at most {MAX_TEXT} printable characters"}
            )
    return problems


def request_dict(request: ErasureRequest, today: date) -> dict[str, Any]:
    """One presentation of a request, shared by the CLI, the API and the pages. It names
    the person only by reference: the addressee is shown on the letter, never here."""
    state, left = deadline_state(request.due_on, today, answered=request.answered)
    decision = request.decision
    return {
        "id": request.id,
        "subject": request.subject,
        "person": request.person_ref,
        "provider": request.provider,
        "department": request.department,
        "agreement": request.agreement_id,
        "state": request.state.value,
        "reference": request.reference,
        "received_on": request.received_on.isoformat(),
        "due_on": request.due_on.isoformat(),
        "deadline": state.value,
        "days_left": left,
        "facts": None if request.facts is None else json.loads(_facts_json(request.facts)),
        "decision": None
        if decision is None
        else {
            "outcome": decision.outcome.value,
            "paragraph": decision.paragraph,
            "reason": decision.reason,
            "retain": decision.retain,
            "keep_until": decision.keep_until.isoformat() if decision.keep_until else None,
            "keep_until_pending": decision.keep_until_pending,
        },
        "letters": [
            {"kind": x.kind, "issued_on": x.issued_on.isoformat(), "body": x.body}
            for x in request.letters
        ],
        "holders": [
            {
                "holder": h.holder,
                "certified": h.certified,
                "certificate": h.certificate_id,
                "erased": list(h.erased),
            }
            for h in request.holders
        ],
    }


def _facts_json(facts: ParticipationFacts) -> str:
    from dataclasses import asdict

    return json.dumps(asdict(facts), default=str)
