"""The governed world a benchmark measures in: organisations, people and one agreement.

Shared by the benchmark scripts (they run with ``benchmarks/`` on the path), so each
sets up only what differs: who takes part, the dataset and the request. The approval
is the real workflow (create, submit, review, the data owner, DPO and legal approve),
so what is timed afterwards runs under a real agreement.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

from accord.core.governance.request import SharingRequest
from accord.core.identity import (
    Assurance,
    AssuranceScheme,
    Membership,
    OrgKind,
    PrincipalKind,
    Role,
)
from accord.services.app import Accord
from accord.settings import load_settings

__all__ = ["APPROVERS", "approve", "bench_accord"]

APPROVERS = {"owner": Role.DATA_OWNER, "dpo": Role.DPO, "legal": Role.LEGAL}
"""The holder's people who approve, by principal id."""


def bench_accord(
    home: Path,
    holder: str,
    organisations: Mapping[str, OrgKind],
    people: Mapping[str, tuple[str, Role]],
) -> Accord:
    """A new home with the organisations (assured for a year), the holder's approvers
    and the other ``people`` (principal id -> organisation and role)."""
    app = Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="bench")
    operator = app.operator("bench")
    year = date.today() + timedelta(days=365)
    for org, kind in organisations.items():
        app.identity.create_organisation(
            operator, org, org.upper(), kind, (Assurance(AssuranceScheme.ISO_27001, "x", year),)
        )
    everyone = {pid: (holder, role) for pid, role in APPROVERS.items()} | dict(people)
    for pid, (org, role) in everyone.items():
        app.identity.create_principal(
            operator, pid, pid, PrincipalKind.PERSON, (Membership(org, role),)
        )
    return app


def approve(app: Accord, request: SharingRequest, requester: str) -> str:
    """Take ``request`` through the workflow to an active agreement; its id."""
    asker = app.acting_as(requester, "bench")
    created = app.requests.create(asker, request)
    app.requests.submit(asker, created.id)
    app.requests.start_review(app.acting_as("owner", "bench"), created.id)
    for who in APPROVERS:
        outcome = app.requests.approve(app.acting_as(who, "bench"), created.id)
        if outcome.agreement is not None:
            return outcome.agreement.id
    raise SystemExit("the benchmark's request was not approved")
