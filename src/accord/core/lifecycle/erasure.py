"""A participant's request to erase their personal information, decided by seed 003's rules.

The provider receives the request and answers at once with a holding response (para 23);
it refers the request to the department's Data Protection Office (para 24), whose DPO
assigns the reference number every later letter carries (para 25, 32, 42); the provider
then decides by the rules of paras 26-39 and issues the accepted letter (WHP RTE Acc) or
the rejected one (WHP RTE REJ). An accepted erasure is fanned out to every holder of the
person's data, each of which confirms with a signed destruction certificate.

Everything here is pure: the lifecycle as a transition table with an owner per state,
the one-month deadline, the decision from :class:`ParticipationFacts`, and the keyed
pseudonymous reference that is the only way Accord's records (the audit log, notices)
name the person. The letters are in :mod:`accord.core.lifecycle.erasure_letters`.

States (generated from :data:`TRANSITIONS` by ``state_diagram()``)::

    received -> acknowledged -> referred -> referenced -> decided -> letter_issued
    letter_issued -> erasing -> confirmed -> closed        (accepted)
    letter_issued -> closed                                (rejected)
    received | acknowledged | referred | referenced -> withdrawn
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from accord.core.identifiers import is_valid_nino, normalise_nino
from accord.core.identity import Role
from accord.core.lifecycle.retention import add_duration

__all__ = [
    "DEADLINE",
    "DUE_SOON_DAYS",
    "ESF_RETENTION",
    "MANDATION_RETENTION",
    "OWNERS",
    "TRANSITIONS",
    "DeadlineState",
    "Decision",
    "ErasureRequest",
    "ErasureState",
    "HolderStatus",
    "Letter",
    "Outcome",
    "ParticipationFacts",
    "Programme",
    "ReferralKind",
    "can_move",
    "deadline",
    "deadline_state",
    "decide",
    "person_reference",
    "state_diagram",
]

DEADLINE = "P1M"
"""Every response within one month of receipt (paras 23, 32, 42)."""
DUE_SOON_DAYS = 7
"""A request whose deadline is this close is "due soon" and reminded."""
MANDATION_RETENTION = "P13M"
"""Mandation evidence: at least 13 months from the provider being notified of the
decision maker's decision (the notes after paras 38 and 42)."""
ESF_RETENTION = "P10Y"
"""ESF audit: up to 10 years after the programme ends and the final claim is paid
(the note after para 39)."""


class ErasureState(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    """The holding response is issued (immediately, para 23)."""
    REFERRED = "referred"
    """Forwarded to the department's Data Protection Office (para 24)."""
    REFERENCED = "referenced"
    """The department's DPO assigned the reference number (para 25)."""
    DECIDED = "decided"
    LETTER_ISSUED = "letter_issued"
    ERASING = "erasing"
    """Accepted: every holder was told to erase (``ERASURE_REQUIRED``)."""
    CONFIRMED = "confirmed"
    """Every holder's destruction certificate is in."""
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


S = ErasureState
TRANSITIONS: dict[ErasureState, frozenset[ErasureState]] = {
    S.RECEIVED: frozenset({S.ACKNOWLEDGED, S.WITHDRAWN}),
    S.ACKNOWLEDGED: frozenset({S.REFERRED, S.WITHDRAWN}),
    S.REFERRED: frozenset({S.REFERENCED, S.WITHDRAWN}),
    S.REFERENCED: frozenset({S.DECIDED, S.WITHDRAWN}),
    S.DECIDED: frozenset({S.LETTER_ISSUED}),
    S.LETTER_ISSUED: frozenset({S.ERASING, S.CLOSED}),
    S.ERASING: frozenset({S.CONFIRMED}),
    S.CONFIRMED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
"""Which state may follow which; anything else is refused."""

OWNERS: dict[ErasureState, tuple[str, Role | None]] = {
    S.RECEIVED: ("provider", Role.DPO),
    S.ACKNOWLEDGED: ("provider", Role.DPO),
    S.REFERRED: ("department", Role.DPO),
    S.REFERENCED: ("provider", Role.DPO),
    S.DECIDED: ("provider", Role.DPO),
    S.LETTER_ISSUED: ("provider", Role.DPO),
    S.ERASING: ("holders", Role.ADMIN),
    S.CONFIRMED: ("provider", Role.DPO),
    S.CLOSED: ("nobody", None),
    S.WITHDRAWN: ("nobody", None),
}
"""Whose move it is in each state (the provider's DPO or admin acts for the provider; each
holder's admin, DPO or data owner for itself)."""


def can_move(current: ErasureState, to: ErasureState) -> tuple[bool, str]:
    if to in TRANSITIONS[current]:
        return True, f"{current.value} -> {to.value}"
    allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "nothing"
    return False, f"the request is {current.value}: it may move only to {allowed}"


def state_diagram() -> str:
    """The lifecycle as a Mermaid state diagram, generated from the table."""
    lines = ["stateDiagram-v2", "    [*] --> received"]
    for source, targets in TRANSITIONS.items():
        lines += [f"    {source.value} --> {t.value}" for t in sorted(targets)]
        if not targets:
            lines.append(f"    {source.value} --> [*]")
    return "\n".join(lines) + "\n"


# -- the deadline ----------------------------------------------------------------------


class DeadlineState(StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MET = "met"
    """The decision letter was issued (the response the deadline is for)."""


def deadline(received_on: date) -> date:
    """One calendar month from receipt, clamped to the month's end (31 Jan -> 28/29 Feb)."""
    return add_duration(received_on, DEADLINE)


def deadline_state(
    due_on: date, today: date, *, answered: bool = False
) -> tuple[DeadlineState, int]:
    """The deadline's state and the days left (negative when overdue)."""
    left = (due_on - today).days
    if answered:
        return DeadlineState.MET, left
    if left < 0:
        return DeadlineState.OVERDUE, left
    if left <= DUE_SOON_DAYS:
        return DeadlineState.DUE_SOON, left
    return DeadlineState.ON_TIME, left


# -- the decision ----------------------------------------------------------------------


class Programme(StrEnum):
    WHP = "WHP"
    """Work and Health Programme (Core)."""
    JETS = "JETS"
    """Job Entry: Targeted Support."""


class ReferralKind(StrEnum):
    VOLUNTARY = "voluntary"
    MANDATED = "mandated"
    """Long-term unemployed (WHP Core) or a JETS customer mandated to attend."""


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ParticipationFacts:
    """What the provider knows of the participant's journey, on which the rules turn."""

    programme: Programme
    referral: ReferralKind
    started: bool
    """The participant started on the programme."""
    mandated_to_interview: bool = False
    """Mandated to attend a provider interview (the initial one, for JETS)."""
    did_not_attend: bool = False
    """A Did Not Attend (DNA) code was input after a mandated interview."""
    decision_notified_on: date | None = None
    """When the provider was notified of the decision maker's decision on the
    compliance doubt: the 13 months of mandation evidence run from here."""
    programme_ended_on: date | None = None
    final_claim_paid_on: date | None = None
    """The programme's end and the final ESF claim's payment: the 10 years of ESF
    retention run from the later of the two, once both are recorded."""

    def problems(self) -> list[dict[str, str]]:
        """What is inconsistent, each with its field; empty when the facts hold together."""
        out = []
        if self.referral is ReferralKind.VOLUNTARY and self.mandated_to_interview:
            out.append(
                {"field": "mandated_to_interview", "error": "a voluntary customer is not mandated"}
            )
        if self.did_not_attend and not self.mandated_to_interview:
            out.append(
                {
                    "field": "did_not_attend",
                    "error": "a DNA is input only after a mandated interview",
                }
            )
        if self.decision_notified_on is not None and not self.mandated_to_interview:
            out.append(
                {
                    "field": "decision_notified_on",
                    "error": "a decision maker's decision follows mandation only",
                }
            )
        if (
            self.programme_ended_on
            and self.final_claim_paid_on
            and self.final_claim_paid_on < self.programme_ended_on
        ):
            out.append({"field": "final_claim_paid_on", "error": "before the programme ended"})
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome, the paragraph it rests on, why, and what is kept until when."""

    outcome: Outcome
    paragraph: str
    reason: str
    retain: str = ""
    """What must be kept (empty when accepted)."""
    keep_until: date | None = None
    """The earliest date the retained information may be deleted, once it is known."""
    keep_until_pending: str = ""
    """Why the keep-until date is not known yet (the event it waits for)."""

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED


def decide(facts: ParticipationFacts) -> Decision:
    """Seed 003's rules (paras 26-39), in the order the guidance takes them.

    Started (para 39) comes first: the right of erasure does not apply, whatever else
    is true. Then mandation that produced evidence (paras 34, 35); then the two cases
    with nothing to keep (paras 28, 29). Raises ValueError on inconsistent facts.
    """
    problems = facts.problems()
    if problems:
        raise ValueError("; ".join(f"{p['field']}: {p['error']}" for p in problems))
    mandation_until = (
        add_duration(facts.decision_notified_on, MANDATION_RETENTION)
        if facts.decision_notified_on
        else None
    )
    if facts.started:
        ends = (facts.programme_ended_on, facts.final_claim_paid_on)
        esf_until = add_duration(max(d for d in ends if d), ESF_RETENTION) if all(ends) else None
        pending = (
            ""
            if esf_until
            else "10 years from the later of the programme's end and the final ESF claim's "
            "payment, when both are recorded"
        )
        keep = esf_until
        if keep and mandation_until:
            keep = max(keep, mandation_until)
        return Decision(
            Outcome.REJECTED,
            "39",
            "the participant started on the programme: all information is retained for "
            "official functions and duties, and the right of erasure does not apply",
            "all mandation activity and evidence, all ESF forms, evidence of the customer "
            "journey and payments, for ESF audit up to 10 years after the programme ends "
            "and the final ESF claim is paid",
            keep,
            pending,
        )
    if facts.mandated_to_interview:
        paragraph = "35" if facts.programme is Programme.JETS else "34"
        what = (
            "the notification letter of the interview, the notification of non-compliance "
            "and any re-compliance information"
            if facts.programme is Programme.JETS
            else "the supporting evidence on the compliance doubt"
        )
        attended = "did not attend" if facts.did_not_attend else "was mandated to attend"
        return Decision(
            Outcome.REJECTED,
            paragraph,
            f"the participant never started, but {attended} a mandated provider interview: "
            "the mandation evidence must be kept",
            f"{what}, for at least 13 months from the date the provider was notified of "
            "the decision maker's decision",
            mandation_until,
            ""
            if mandation_until
            else "13 months from the date the provider is notified of the decision maker's "
            "decision, when it is recorded",
        )
    if facts.referral is ReferralKind.VOLUNTARY:
        return Decision(
            Outcome.ACCEPTED,
            "28",
            f"a voluntary customer ({facts.programme.value}) who never started: there is no "
            "requirement to retain any personal information, as the referral information "
            "is kept on DWP systems",
        )
    return Decision(
        Outcome.ACCEPTED,
        "29",
        "a long-term unemployed customer who never started and was not mandated to any "
        "provider interview: there is no requirement to retain any personal information, "
        "as the referral information is kept on DWP systems",
    )


# -- the pseudonymous reference --------------------------------------------------------


def person_reference(key: bytes, nino: str) -> str:
    """``nino:`` and the HMAC-SHA256 of the normalised NINO under the erasure domain's key.

    Keyed, because a bare SHA-256 of a NINO is reversed by hashing every possible NINO.
    Raises ValueError for a string that is not a NINO in any typed form.
    """
    normalised = normalise_nino(nino)
    if not is_valid_nino(normalised):
        raise ValueError(f"{nino!r} is not a National Insurance number")
    return "nino-hmac:" + hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()[:32]


# -- the stored request ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Letter:
    """A response as stored: its kind, when it was issued, and its body without addressee."""

    kind: str
    issued_on: date
    body: str


@dataclass(frozen=True, slots=True)
class HolderStatus:
    """One organisation an accepted erasure reaches."""

    holder: str
    certified: bool
    certificate_id: str = ""
    erased: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class ErasureRequest:
    """A request as Accord keeps it. ``nino`` and ``addressee_name`` are blank once the
    request is closed or withdrawn: from then on only ``person_ref`` remains."""

    id: str
    provider: str
    department: str
    agreement_id: str
    person_ref: str
    state: ErasureState
    received_on: date
    due_on: date
    reference: str = ""
    facts: ParticipationFacts | None = None
    decision: Decision | None = None
    letters: tuple[Letter, ...] = ()
    holders: tuple[HolderStatus, ...] = ()
    nino: str = ""
    addressee_name: str = ""
    addressee_address: tuple[str, ...] = ()
    version: int = 1

    @property
    def answered(self) -> bool:
        """The decision letter is issued: the one-month deadline is met."""
        return any(letter.kind != "holding" for letter in self.letters)

    @property
    def subject(self) -> str:
        return f"erasure:{self.id}"
