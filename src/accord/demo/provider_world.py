"""Seed 003's world: a benefits department, two prime providers and a sub-contractor.

DWP publishes the Work and Health Programme referrals (the Annex A data items) and the
changes of circumstances that follow them, each row naming the prime provider the
participant was referred to. DWP approves Ridgeway Skills as the sub-contractor of
Northfield Employment Services (due diligence, no offshore elements); Northfield asks
for its own participants' referrals and changes (``seed003/whp-referrals.yaml``),
naming Ridgeway as its processor and accepting only an assured security plan or ISO
27001; DWP's data owner, DPO and legal approve, and the agreement becomes active.
Eastgate Works, the other prime provider, has referrals in the same datasets that
Northfield must never see.

The same world serves ``accord demo provider`` and the tests of the lifecycle after
sharing (access reviews, change feeds, notifications, outcomes, exit reports, erasure,
retention), so each of them starts from the agreement the seed describes.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import SharingRequest
from accord.core.governance.subcontractors import ApprovalForm, SubcontractorApproval
from accord.core.identity import (
    Assurance,
    AssuranceScheme,
    Membership,
    OrgKind,
    PrincipalKind,
    Role,
)
from accord.core.permissions import Caller
from accord.demo.steps import Step, timed
from accord.services.app import Accord
from accord.services.subcontractors import SubcontractorService

__all__ = [
    "DUE_DILIGENCE",
    "ORGANISATIONS",
    "PEOPLE",
    "ProviderWorld",
    "approve_subcontractor",
    "build_provider_world",
    "event_slices",
    "referrals_request",
]

REQUESTS = Path(__file__).parent / "seed003"
DEPARTMENT, PROVIDER, OTHER_PROVIDER, SUBCONTRACTOR = "dwp", "northfield", "eastgate", "ridgeway"
DATASETS = ("referrals", "circumstance_events")

ORGANISATIONS: tuple[tuple[str, str, OrgKind, AssuranceScheme], ...] = (
    (DEPARTMENT, "Department for Work and Pensions", OrgKind.GOVERNMENT_DEPARTMENT,
     AssuranceScheme.ISO_27001),
    (PROVIDER, "Northfield Employment Services", OrgKind.CONTRACTED_PROVIDER,
     AssuranceScheme.ASSURED_SECURITY_PLAN),
    (OTHER_PROVIDER, "Eastgate Works", OrgKind.CONTRACTED_PROVIDER,
     AssuranceScheme.ASSURED_SECURITY_PLAN),
    (SUBCONTRACTOR, "Ridgeway Skills CIC", OrgKind.CONTRACTED_PROVIDER,
     AssuranceScheme.CYBER_ESSENTIALS_PLUS),
)  # fmt: skip
"""Each organisation with the assurance it holds: the primes hold DWP-assured security
plans (seed 003, paragraph 2); the sub-contractor only Cyber Essentials Plus."""

PEOPLE: dict[str, tuple[tuple[str, Role], ...]] = {
    "dwp.data": ((DEPARTMENT, Role.DATA_OWNER),),
    "dwp.dpo": ((DEPARTMENT, Role.DPO),),
    "dwp.legal": ((DEPARTMENT, Role.LEGAL),),
    "dwp.admin": ((DEPARTMENT, Role.ADMIN),),
    "dwp.payments": ((DEPARTMENT, Role.ANALYST),),
    "northfield.caseworker": ((PROVIDER, Role.REQUESTER),),
    "northfield.adviser": ((PROVIDER, Role.ANALYST),),
    "northfield.admin": ((PROVIDER, Role.ADMIN),),
    "northfield.dpo": ((PROVIDER, Role.DPO),),
    "eastgate.caseworker": ((OTHER_PROVIDER, Role.REQUESTER),),
    "ridgeway.caseworker": ((SUBCONTRACTOR, Role.REQUESTER),),
    "ridgeway.admin": ((SUBCONTRACTOR, Role.ADMIN),),
}
"""Who works where, by principal id: DWP's approvers, admin and payment team; each
provider's caseworkers, admin and DPO."""


@dataclass
class ProviderWorld:
    """The world after the referral agreement is active (and, if asked, test-exchanged)."""

    app: Accord
    synthetic: Path
    agreement: AgreementRecord
    """DWP -> Northfield: referrals and changes of circumstances, continuous."""
    counts: dict[str, Any]
    via: str = "test"
    """What the audit log records the actors acting through (``demo`` in the demo)."""

    def caller(self, principal_id: str, via: str | None = None) -> Caller:
        return self.app.acting_as(principal_id, via or self.via)

    @property
    def operator(self) -> Caller:
        return self.app.operator(self.via)

    def dataset_location(self, name: str) -> str:
        return self.app.store.get_version(f"{DEPARTMENT}/{name}").location


def referrals_request(today: date | None = None, **changes: Any) -> SharingRequest:
    """Northfield's request, running from yesterday for eighteen months."""
    document = yaml.safe_load((REQUESTS / "whp-referrals.yaml").read_text(encoding="utf-8"))
    day = today or date.today()
    document.update(
        start_date=str(day - timedelta(days=1)), end_date=str(day + timedelta(days=548))
    )
    document.update(changes)
    return SharingRequest.parse(document)


def _organisations(app: Accord, operator: Caller) -> None:
    expires = date.today() + timedelta(days=365)
    for org_id, name, kind, scheme in ORGANISATIONS:
        assurance = Assurance(scheme, f"{org_id}-{scheme.value}", expires)
        app.identity.create_organisation(operator, org_id, name, kind, (assurance,))
    for pid, roles in PEOPLE.items():
        memberships = tuple(Membership(org, role) for org, role in roles)
        app.identity.create_principal(
            operator, pid, pid, PrincipalKind.PERSON, memberships, email=f"{pid}@example.gov.uk"
        )


def event_slices(synthetic: Path, slices: int) -> tuple[Path, ...]:
    """The change events as DWP learns of them: ``slices`` files, each holding every
    event notified up to a later date (the last one all of them), to publish one after
    another as versions of ``circumstance_events``. Cut at equal shares of the events
    by notified date; the same files for the same synthetic data."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if not 1 <= slices <= 12:
        raise ValueError(f"slices must be between 1 and 12, not {slices}")
    table = pq.read_table(synthetic / "circumstance_events.parquet")
    notified = table.column("notified_date")
    ordered = pc.sort_indices(notified)
    cut_dates = [
        notified[int(ordered[max(0, len(table) * k // slices - 1)].as_py())].as_py()
        for k in range(1, slices)
    ]
    paths = []
    for k, cut in enumerate([*cut_dates, None], start=1):
        part = table if cut is None else table.filter(pc.less_equal(notified, cut))
        path = synthetic / f"circumstance_events.slice{k}of{slices}.parquet"
        pq.write_table(part, path)
        paths.append(path)
    return tuple(paths)


def _publish(
    app: Accord, operator: Caller, synthetic: Path, counts: dict[str, Any], events_slices: int
) -> None:
    for name in DATASETS:
        source = synthetic / f"{name}.parquet"
        if name == "circumstance_events" and events_slices > 1:
            source = event_slices(synthetic, events_slices)[0]
        published = app.catalogue.register(operator, DEPARTMENT, name, str(source), tags=("whp",))
        counts[f"{DEPARTMENT}/{name}"] = published.version.row_count


DUE_DILIGENCE = (
    "Supply-chain due diligence: security plan and Cyber Essentials Plus certificate "
    "checked, data held in UK data centres only, no product or service with offshore "
    "elements or links (seed 003, paragraph 52)."
)


def approve_subcontractor(app: Accord, via: str = "test") -> SubcontractorApproval:
    """DWP's data owner approves Ridgeway as Northfield's sub-contractor, before the
    request naming it as a processor is assessed."""
    today = date.today()
    form = ApprovalForm(
        subcontractor=SUBCONTRACTOR,
        prime=PROVIDER,
        approved_from=today - timedelta(days=1),
        approved_to=today + timedelta(days=730),
        due_diligence=DUE_DILIGENCE,
        no_offshore=True,
    )
    return SubcontractorService(app.store).approve(app.acting_as("dwp.data", via), DEPARTMENT, form)


def approve_referrals(app: Accord, request: SharingRequest, via: str = "test") -> AgreementRecord:
    """Northfield asks; DWP's data owner, DPO and legal approve as the tier needs."""
    caseworker = app.acting_as("northfield.caseworker", via)
    created = app.requests.create(caseworker, request)
    app.requests.submit(caseworker, created.id)
    app.requests.start_review(app.acting_as("dwp.data", via), created.id)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = app.requests.approve(app.acting_as(who, via), created.id)
        if outcome.agreement is not None:
            return outcome.agreement
    raise RuntimeError("the referral request was approved by all three and is still not active")


def exchange_test_packages(
    world: ProviderWorld, outbox: Path, inbox: Path, via: str = "test"
) -> None:
    """Organisation keys, then a receipted test package of each dataset: the agreement
    requires one before any live release."""
    app = world.app
    for org in (DEPARTMENT, PROVIDER):
        app.org_keys.rotate(app.operator(via), org)
    owner, caseworker = app.acting_as("dwp.data", via), app.acting_as("northfield.caseworker", via)
    for name in DATASETS:
        sent = app.transfer.send(
            owner, world.agreement.id, PROVIDER, outbox, dataset_id=f"{DEPARTMENT}/{name}",
            test=True,
        )  # fmt: skip
        app.transfer.receive(caseworker, sent.path, inbox)


def build_provider_world(
    app: Accord,
    synthetic: Path,
    *,
    scale: float = 0.001,
    seed: int = 2021,
    exchange: bool = True,
    events_slices: int = 1,
    steps: list[Step] | None = None,
    via: str = "test",
    **request_changes: Any,
) -> ProviderWorld:
    """Organisations, people, DWP's two datasets from the synthetic population at
    ``scale``, DWP's approval of Ridgeway as Northfield's sub-contractor, the approved
    referral agreement and (with ``exchange``) its test exchange.

    With ``events_slices`` above 1, ``circumstance_events`` is published with only the
    first of that many slices of the events (:func:`event_slices`), so the change feed
    has later versions to publish; by default, all of them at once. With ``steps``,
    each phase is timed and counted there (``accord demo provider``); ``via`` is what
    the audit log records the actors acting through."""
    from accord.synth import generate

    operator = app.operator(via)
    counts: dict[str, Any] = {}
    with _phase(steps, "set up organisations and people") as step:
        _organisations(app, operator)
        step.update(organisations=len(ORGANISATIONS), people=len(PEOPLE))
    with _phase(steps, "synthetic population") as step:
        manifest = generate("provider", scale=scale, seed=seed, out=synthetic)
        counts.update({f.name: f.rows for f in manifest.files if f.role == "dataset"})
        step.update({f.name: f.rows for f in manifest.files if f.role == "dataset"})
    with _phase(steps, "publish to the catalogue") as step:
        _publish(app, operator, synthetic, counts, events_slices)
        step.update(datasets=len(DATASETS))
    with _phase(steps, "sub-contractor approved by the department") as step:
        approval = approve_subcontractor(app, via)
        step.update(approved=approval.subcontractor, prime=approval.prime, no_offshore="yes")
    with _phase(steps, "referral request, assessment and approvals") as step:
        agreement = approve_referrals(app, referrals_request(**request_changes), via)
        step.update(
            agreement=agreement.id,
            tier=agreement.policy.tier,
            fields=sum(len(d.fields) for d in agreement.policy.datasets),
        )
    world = ProviderWorld(app, synthetic, agreement, counts, via)
    if exchange:
        with _phase(steps, "test exchange") as step:
            exchange_test_packages(
                world, synthetic.parent / "outbox", synthetic.parent / "inbox", via
            )
            step.update(test_packages=len(DATASETS))
    return world


def _phase(steps: list[Step] | None, name: str) -> AbstractContextManager[dict[str, Any]]:
    """The demo's timed step, or for tests just somewhere to put the counts."""
    return timed(steps, name) if steps is not None else nullcontext({})
