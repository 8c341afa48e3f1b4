"""The workflow document, generated from the transition tables.

``docs/workflow.md`` is exactly :func:`workflow_markdown`; a test regenerates it and
fails on any difference, and ``accord governance diagram --write`` rewrites it.
"""

from __future__ import annotations

from collections.abc import Mapping

from accord.core.governance.workflow import (
    AGREEMENT_OWNERS,
    AGREEMENT_TRANSITIONS,
    REQUEST_OWNERS,
    REQUEST_TRANSITIONS,
    AgreementState,
    RequestState,
    mermaid,
    required_roles,
)
from accord.core.identity import Role

__all__ = ["workflow_markdown"]


def _owners(
    owners: Mapping[RequestState, frozenset[Role]] | Mapping[AgreementState, frozenset[Role]],
) -> str:
    rows = ["| state | who acts next |", "|---|---|"]
    for state, roles in owners.items():
        names = ", ".join(sorted(r.value for r in roles)) or "nobody (final)"
        rows.append(f"| `{state.value}` | {names} |")
    return "\n".join(rows)


def workflow_markdown() -> str:
    tiers = "\n".join(
        f"| {tier} | {', '.join(r.value for r in required_roles(tier)) or 'none'} |"
        for tier in range(1, 6)
    )
    return f"""# Workflow

Generated from `accord.core.governance.workflow` by `accord governance diagram --write`;
a test fails if this file and the tables disagree.

## Requests

```mermaid
{mermaid(REQUEST_TRANSITIONS, RequestState.DRAFT.value)}
```

{_owners(REQUEST_OWNERS)}

Each organisation whose data is asked for decides for its own data: the tier's roles
are needed from *every* data-owning organisation. An approval that leaves others still
required keeps the request `in_review`; the one that completes every owner's set
(`approve_final`) makes it `approved` and activates the agreement, signed by every
owner, in the same transaction. Any owner's `reject` rejects the request. Approvers are
people in the organisation they approve for, never in the requesting organisation, and
one person gives at most one approval to a revision. Approvals bind to the assessment
stored at submission. Editing after `changes_requested` starts a new revision, whose
approvals start again; only a new, changed revision can be resubmitted.

Every action authorises the caller before the state is looked at, so a refusal never
reveals a request's state; a request the caller may not see answers as a missing one.

| tier | approvals required from each data owner |
|---|---|
{tiers}

## Agreements

```mermaid
{mermaid(AGREEMENT_TRANSITIONS, AgreementState.ACTIVE.value)}
```

{_owners(AGREEMENT_OWNERS)}

An amendment is a new request that names the agreement it amends; its approval
activates a new version and supersedes the old one.
"""
