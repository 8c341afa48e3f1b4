"""Lifecycles as data: the transition tables of requests and agreements.

Each row says which action moves which state to which, and which roles may take it;
every state has an owner, the role expected to act next (the review queue is built
from it). ``docs/workflow.md`` holds the diagrams generated from these tables, and a
test fails if they drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from accord.core.identity import Role
from accord.errors import ConflictError

__all__ = [
    "AGREEMENT_OWNERS",
    "AGREEMENT_TRANSITIONS",
    "REQUEST_OWNERS",
    "REQUEST_TRANSITIONS",
    "AgreementAction",
    "AgreementState",
    "RequestAction",
    "RequestState",
    "Transition",
    "action_roles",
    "mermaid",
    "next_state",
    "required_roles",
]


class RequestState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class RequestAction(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    REQUEST_CHANGES = "request_changes"
    APPROVE = "approve"
    """An approval that leaves others still required."""
    APPROVE_FINAL = "approve_final"
    """The approval that completes the set the tier requires."""
    REJECT = "reject"
    WITHDRAW = "withdraw"


class AgreementState(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class AgreementAction(StrEnum):
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    REVOKE = "revoke"
    EXPIRE = "expire"
    SUPERSEDE = "supersede"


@dataclass(frozen=True, slots=True)
class Transition:
    source: str
    action: str
    target: str
    roles: frozenset[Role]
    """Who may take it; empty means the platform itself (a timer, a superseding version)."""
    side: str
    """``requester``: the requesting organisation; ``owner``: one whose data it is."""


R, A = RequestState, RequestAction
REVIEWERS = frozenset({Role.DATA_OWNER, Role.DPO, Role.LEGAL})

REQUEST_TRANSITIONS: tuple[Transition, ...] = (
    Transition(R.DRAFT, A.EDIT, R.DRAFT, frozenset({Role.REQUESTER}), "requester"),
    Transition(R.DRAFT, A.SUBMIT, R.SUBMITTED, frozenset({Role.REQUESTER}), "requester"),
    Transition(R.SUBMITTED, A.START_REVIEW, R.IN_REVIEW, REVIEWERS, "owner"),
    Transition(R.SUBMITTED, A.REQUEST_CHANGES, R.CHANGES_REQUESTED, REVIEWERS, "owner"),
    Transition(R.IN_REVIEW, A.REQUEST_CHANGES, R.CHANGES_REQUESTED, REVIEWERS, "owner"),
    Transition(
        R.CHANGES_REQUESTED, A.EDIT, R.CHANGES_REQUESTED, frozenset({Role.REQUESTER}), "requester"
    ),
    Transition(
        R.CHANGES_REQUESTED, A.SUBMIT, R.SUBMITTED, frozenset({Role.REQUESTER}), "requester"
    ),
    Transition(R.IN_REVIEW, A.APPROVE, R.IN_REVIEW, REVIEWERS, "owner"),
    Transition(R.IN_REVIEW, A.APPROVE_FINAL, R.APPROVED, REVIEWERS, "owner"),
    Transition(R.IN_REVIEW, A.REJECT, R.REJECTED, REVIEWERS, "owner"),
    Transition(R.DRAFT, A.WITHDRAW, R.WITHDRAWN, frozenset({Role.REQUESTER}), "requester"),
    Transition(R.SUBMITTED, A.WITHDRAW, R.WITHDRAWN, frozenset({Role.REQUESTER}), "requester"),
    Transition(R.IN_REVIEW, A.WITHDRAW, R.WITHDRAWN, frozenset({Role.REQUESTER}), "requester"),
    Transition(
        R.CHANGES_REQUESTED, A.WITHDRAW, R.WITHDRAWN, frozenset({Role.REQUESTER}), "requester"
    ),
)

REQUEST_OWNERS: dict[RequestState, frozenset[Role]] = {
    R.DRAFT: frozenset({Role.REQUESTER}),
    R.SUBMITTED: frozenset({Role.DATA_OWNER}),
    R.IN_REVIEW: REVIEWERS,
    R.CHANGES_REQUESTED: frozenset({Role.REQUESTER}),
    R.APPROVED: frozenset(),
    R.REJECTED: frozenset(),
    R.WITHDRAWN: frozenset(),
}

G, GA = AgreementState, AgreementAction
AGREEMENT_TRANSITIONS: tuple[Transition, ...] = (
    Transition(G.ACTIVE, GA.SUSPEND, G.SUSPENDED, frozenset({Role.DATA_OWNER, Role.DPO}), "owner"),
    Transition(
        G.SUSPENDED, GA.REINSTATE, G.ACTIVE, frozenset({Role.DATA_OWNER, Role.DPO}), "owner"
    ),
    Transition(
        G.ACTIVE, GA.REVOKE, G.REVOKED, frozenset({Role.DATA_OWNER, Role.DPO, Role.LEGAL}), "owner"
    ),
    Transition(
        G.SUSPENDED,
        GA.REVOKE,
        G.REVOKED,
        frozenset({Role.DATA_OWNER, Role.DPO, Role.LEGAL}),
        "owner",
    ),
    Transition(G.ACTIVE, GA.EXPIRE, G.EXPIRED, frozenset(), "owner"),
    Transition(G.SUSPENDED, GA.EXPIRE, G.EXPIRED, frozenset(), "owner"),
    Transition(G.ACTIVE, GA.SUPERSEDE, G.SUPERSEDED, frozenset(), "owner"),
    Transition(G.SUSPENDED, GA.SUPERSEDE, G.SUPERSEDED, frozenset(), "owner"),
)

AGREEMENT_OWNERS: dict[AgreementState, frozenset[Role]] = {
    G.ACTIVE: frozenset({Role.DATA_OWNER}),
    G.SUSPENDED: frozenset({Role.DATA_OWNER}),
    G.REVOKED: frozenset(),
    G.EXPIRED: frozenset(),
    G.SUPERSEDED: frozenset(),
}


def find_transition(table: tuple[Transition, ...], source: str, action: str) -> Transition:
    """The table's row for ``action`` from ``source``, or a ConflictError saying what is allowed."""
    for transition in table:
        if transition.source == source and transition.action == action:
            return transition
    allowed = sorted({t.action for t in table if t.source == source})
    raise ConflictError(
        f"cannot {action.replace('_', ' ')} from state {source}; "
        + (f"allowed: {', '.join(allowed)}" if allowed else "it is final")
    )


def action_roles(table: tuple[Transition, ...], action: str) -> frozenset[Role]:
    """Who may take ``action`` from any state: authorisation is decided from this,
    before the state is looked at, so a refusal never reveals an object's state."""
    roles: frozenset[Role] = frozenset()
    for transition in table:
        if transition.action == action:
            roles |= transition.roles
    return roles


def next_state(table: tuple[Transition, ...], source: str, action: str) -> str:
    return find_transition(table, source, action).target


def required_roles(tier: int) -> tuple[Role, ...]:
    """Approvals a tier needs, each from a different person in a data-owning organisation."""
    if tier <= 1:
        return ()
    if tier == 2:
        return (Role.DATA_OWNER,)
    if tier == 3:
        return (Role.DATA_OWNER, Role.DPO)
    return (Role.DATA_OWNER, Role.DPO, Role.LEGAL)


def mermaid(table: tuple[Transition, ...], initial: str) -> str:
    """A Mermaid state diagram of ``table``: the docs embed exactly this text."""
    lines = ["stateDiagram-v2", f"    [*] --> {initial}"]
    for t in table:
        if t.source == t.target and t.action == "edit":
            continue
        who = ", ".join(sorted(r.value for r in t.roles)) or "platform"
        lines.append(f"    {t.source} --> {t.target}: {t.action} ({who})")
    finals = sorted({t.target for t in table} - {t.source for t in table})
    lines.extend(f"    {state} --> [*]" for state in finals)
    return "\n".join(lines)
