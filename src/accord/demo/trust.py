"""Seed 002 end to end: a labour-market data trust shared in place over Delta Sharing.

Three departments (DfE, HMRC, DWP) each register one dataset from the synthetic
``trust`` scenario, find each other's in the one catalogue, ask for what they need, and
get agreements approved by the holder's data owner, DPO and legal with the Delta Sharing
channel. Each then reads the other's governed view in place with the official Delta
Sharing client against a real server the demo starts on a loopback port: one source,
read many times, never copied per recipient. One holder then revokes an agreement and
the next read is refused; the audit log is verified at the end.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from accord.core.governance.request import SharingRequest
from accord.core.identity import (
    Assurance,
    AssuranceScheme,
    Membership,
    OrgKind,
    PrincipalKind,
    Role,
)
from accord.core.plan.authorise import PlaneChannel
from accord.demo.home import temporary_home
from accord.demo.steps import Step, steps_table, timed
from accord.services.app import Accord
from accord.services.plane import view_name
from accord.settings import load_settings

__all__ = ["Read", "TrustReport", "run_trust_demo"]

REQUESTS = Path(__file__).parent / "requests"
DEPARTMENTS = {
    "dfe": ("Department for Education", "learners"),
    "hmrc": ("HM Revenue and Customs", "employment_spells"),
    "dwp": ("Department for Work and Pensions", "benefit_spells"),
}
ASKS = {  # recipient -> the request it makes, in seed 002's terms
    "dwp": "trust-dwp-employment-spells.yaml",
    "hmrc": "trust-hmrc-learners.yaml",
    "dfe": "trust-dfe-benefit-spells.yaml",
}
READS_EACH = 2


@dataclass
class Read:
    recipient: str
    table: str
    rows: int
    governed_rows: int
    seconds: float


@dataclass
class TrustReport:
    scale: float
    steps: list[Step] = field(default_factory=list)
    agreements: dict[str, str] = field(default_factory=dict)
    reads: list[Read] = field(default_factory=list)
    materialised_files: int = 0
    file_fetches: int = 0
    refused_after_revocation: str = ""
    audit_ok: bool = False
    audit_events: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _setup(app: Accord) -> None:
    operator = app.operator("demo")
    expires = date.today() + timedelta(days=365)
    for org_id, (name, _) in DEPARTMENTS.items():
        assurance = Assurance(AssuranceScheme.ISO_27001, f"{org_id}-27001", expires)
        app.identity.create_organisation(
            operator, org_id, name, OrgKind.GOVERNMENT_DEPARTMENT, (assurance,)
        )
        for suffix, roles in (
            ("data", (Role.DATA_OWNER,)),
            ("dpo", (Role.DPO,)),
            ("legal", (Role.LEGAL,)),
            ("analyst", (Role.REQUESTER, Role.ANALYST)),
        ):
            app.identity.create_principal(
                operator,
                f"{org_id}.{suffix}",
                f"{name} {suffix}",
                PrincipalKind.PERSON,
                tuple(Membership(org_id, role) for role in roles),
            )


def _request(recipient: str) -> SharingRequest:
    document = yaml.safe_load((REQUESTS / ASKS[recipient]).read_text(encoding="utf-8"))
    today = date.today()
    document.update(
        start_date=str(today - timedelta(days=1)), end_date=str(today + timedelta(days=365))
    )
    # Read in place over an open protocol that states its own schema: the trust's
    # agreements waive the package test exchange (with one, no row is served before it).
    document.setdefault("test_exchange", False)
    return SharingRequest.parse(document)


def _approve(app: Accord, recipient: str) -> str:
    """The recipient asks; the holder's data owner, DPO and legal approve."""
    analyst = app.acting_as(f"{recipient}.analyst", "demo")
    asked = _request(recipient)
    request = app.requests.create(analyst, asked)
    app.requests.submit(analyst, request.id)
    holder = asked.datasets[0].dataset.split("/")[0]
    app.requests.start_review(app.acting_as(f"{holder}.data", "demo"), request.id)
    for who in ("data", "dpo", "legal"):
        outcome = app.requests.approve(app.acting_as(f"{holder}.{who}", "demo"), request.id)
        if outcome.agreement is not None:
            return outcome.agreement.id
    raise SystemExit(f"{recipient}'s request was not approved")


def _read(app: Accord, base: str, work: Path, recipient: str, agreement_id: str) -> list[Read]:
    """The recipient's analyst reads its share with the official client, in place."""
    import delta_sharing  # type: ignore[import-untyped]
    import pyarrow.parquet as pq

    _, profile = app.sharing.profile(
        app.acting_as(f"{recipient}.analyst", "demo"),
        agreement_id,
        f"{recipient}.analyst",
        f"{base}/delta-sharing",
    )
    path = work / f"{recipient}.share"
    path.write_text(json.dumps(profile), encoding="utf-8")
    path.chmod(0o600)
    client = delta_sharing.SharingClient(str(path))
    agreement = app.store.get_agreement(agreement_id)
    reads = []
    for table in client.list_all_tables():
        dataset = next(
            d.dataset
            for d in agreement.policy.datasets
            if view_name(app.store.get_dataset(d.dataset)) == table.name
        )
        release = app.plane.release(
            app.acting_as(f"{recipient}.analyst", "demo"),
            agreement_id,
            dataset,
            PlaneChannel.DELTA_SHARING,
            action="sharing.metadata",
        )
        governed = pq.read_metadata(app.plane.materialise(release)).num_rows
        for _ in range(READS_EACH):
            started = time.perf_counter()
            frame = delta_sharing.load_as_pandas(
                f"{path}#{table.share}.{table.schema}.{table.name}"
            )
            reads.append(
                Read(
                    recipient,
                    table.name,
                    len(frame),
                    governed,
                    round(time.perf_counter() - started, 3),
                )
            )
    return reads


def _revoke(app: Accord, base: str, work: Path, agreement_id: str, recipient: str) -> str:
    """The holder revokes; the recipient's next read is refused, with the reason."""
    import delta_sharing
    from requests.exceptions import HTTPError

    agreement = app.store.get_agreement(agreement_id)
    holder = agreement.policy.datasets[0].dataset.split("/")[0]
    app.agreements.revoke(
        app.acting_as(f"{holder}.dpo", "demo"), agreement_id, "the pilot's evaluation ended"
    )
    table = view_name(app.store.get_dataset(agreement.policy.datasets[0].dataset))
    try:
        delta_sharing.load_as_pandas(
            f"{work / f'{recipient}.share'}#{agreement_id}.governed.{table}"
        )
    except HTTPError as exc:
        if exc.response is None:
            raise
        return str(json.loads(exc.response.text)["message"])
    raise SystemExit("a revoked agreement was still served")


def run_trust_demo(
    *, scale: float = 0.0005, seed: int = 2022, as_json: bool = False, keep: bool = False
) -> TrustReport:
    from accord.api.local_server import running_server
    from accord.store import AuditFilter
    from accord.synth import generate

    console = Console(soft_wrap=True)
    report = TrustReport(scale=scale)
    with temporary_home("accord-trust-", keep=keep, console=console) as home:
        synthetic = home / "synthetic"
        with timed(report.steps, "set up departments and people") as counts:
            app = Accord.init(load_settings({"ACCORD_HOME": str(home / "home")}), operator="demo")
            _setup(app)
            counts["departments"] = len(DEPARTMENTS)
        with timed(report.steps, "synthetic population") as counts:
            manifest = generate("trust", scale=scale, seed=seed, out=synthetic)
            counts.update({f.name: f.rows for f in manifest.files if f.role == "dataset"})
        with timed(report.steps, "each department registers its dataset") as counts:
            operator = app.operator("demo")
            for org_id, (_, name) in DEPARTMENTS.items():
                published = app.catalogue.register(
                    operator, org_id, name, str(synthetic / f"{name}.parquet"), tags=("trust",)
                )
                counts[f"{org_id}/{name}"] = published.version.row_count
        with timed(report.steps, "discovery in one catalogue") as counts:
            for org_id in DEPARTMENTS:
                found = app.catalogue.search(app.acting_as(f"{org_id}.analyst", "demo"), "trust")
                counts[org_id] = sum(1 for d in found if d.organisation_id != org_id)
        with timed(report.steps, "requests, assessments and approvals") as counts:
            for recipient in ASKS:
                report.agreements[recipient] = _approve(app, recipient)
            counts.update(report.agreements)
        with running_server(app) as base:
            for recipient, agreement_id in report.agreements.items():
                with timed(report.steps, f"{recipient} reads in place") as counts:
                    reads = _read(app, base, home, recipient, agreement_id)
                    report.reads.extend(reads)
                    counts.update(
                        tables=", ".join(sorted({r.table for r in reads})),
                        reads=len(reads),
                        rows=reads[-1].rows,
                        matches_governed_view=all(r.rows == r.governed_rows for r in reads),
                    )
            with timed(report.steps, "hmrc's share revoked by dfe") as counts:
                report.refused_after_revocation = _revoke(
                    app, base, home, report.agreements["hmrc"], "hmrc"
                )
                counts["refused"] = report.refused_after_revocation
        report.materialised_files = sum(
            1 for _ in (home / "home" / "materialised").rglob("*.parquet")
        )
        report.file_fetches = len(
            app.store.audit_events(
                AuditFilter(action="sharing.file", decision="allow", limit=100_000)
            )
        )
        with timed(report.steps, "audit verification") as counts:
            verdict = app.audit.verify()
            report.audit_ok, report.audit_events = verdict.ok, verdict.events
            counts.update(events=verdict.events, ok=verdict.ok)
        app.close()
    if as_json:
        print(json.dumps(report.as_dict(), indent=2, default=str))  # noqa: T201
    else:
        _print(console, report)
    return report


def _print(console: Console, report: TrustReport) -> None:
    console.rule(f"[bold]Labour-market data trust (seed 002), scale {report.scale}")
    console.print(steps_table(report.steps))
    console.print(
        f"{len(report.reads)} reads of {len(report.agreements)} shares over Delta Sharing, "
        f"served from {report.materialised_files} governed files (one per view; nothing "
        f"copied per read) through {report.file_fetches} audited file fetches. After "
        f"revocation: refused ({report.refused_after_revocation}). Audit: "
        f"{report.audit_events} events, "
        + ("[green]verified[/]" if report.audit_ok else "[red]FAILED[/]")
    )
