"""Seed 000 end to end: unpaid carers found for COVID-19 vaccination.

A benefits department (DWP) and the national health body (NHS England) on synthetic
data at a chosen scale: the catalogue, NHS England's request, its assessment, three
approvals and the executable agreement; organisation keys; a test exchange of
synthetic rows in the agreed schema, receipted; the two deliveries (Carer's Allowance,
then other caring benefits) as signed, encrypted packages, each loaded and receipted;
linkage to the patient register; the cohort of carers not yet offered a vaccine; and
the audit verification. Every step is timed and counted, and linkage is scored against
the synthetic ground truth.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import yaml
from rich.console import Console

from accord.core.audit import AuditEvent
from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import SharingRequest
from accord.core.identity import (
    Assurance,
    AssuranceScheme,
    Membership,
    OrgKind,
    PrincipalKind,
    Role,
)
from accord.demo.home import temporary_home
from accord.demo.steps import Step, steps_table, timed
from accord.services.app import Accord
from accord.settings import load_settings

__all__ = ["CarersReport", "Step", "carers_request", "run_carers_demo"]

REQUESTS = Path(__file__).parent / "requests"
FIELDS = ("nino", "forename", "surname", "date_of_birth", "postcode", "address_line_1")
DATASETS = ("carers_allowance", "other_caring_benefits")


@dataclass
class CarersReport:
    scale: float
    steps: list[Step] = field(default_factory=list)
    agreement: str = ""
    tier: int = 0
    linkage: dict[str, Any] = field(default_factory=dict)
    not_offered: int = 0
    not_offered_truth: int = 0
    audit_ok: bool = False
    audit_events: int = 0
    test_exchanges: list[str] = field(default_factory=list)
    """Transfer ids of the receipted test packages, one per dataset."""
    deliveries: list[str] = field(default_factory=list)
    """Transfer ids of the live packages, in the order they were sent."""
    receipts: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _setup(app: Accord) -> None:
    operator = app.operator("demo")
    expires = date.today() + timedelta(days=365)
    for org_id, name, kind, scheme in (
        (
            "dwp",
            "Department for Work and Pensions",
            OrgKind.GOVERNMENT_DEPARTMENT,
            AssuranceScheme.ISO_27001,
        ),
        ("nhse", "NHS England", OrgKind.HEALTH_BODY, AssuranceScheme.DSPT),
    ):
        app.identity.create_organisation(
            operator, org_id, name, kind, (Assurance(scheme, f"{org_id}-assurance", expires),)
        )
    for pid, org, role in (
        ("dwp.data", "dwp", Role.DATA_OWNER),
        ("dwp.dpo", "dwp", Role.DPO),
        ("dwp.legal", "dwp", Role.LEGAL),
        ("nhse.analyst", "nhse", Role.REQUESTER),
        ("nhse.owner", "nhse", Role.DATA_OWNER),
    ):
        app.identity.create_principal(
            operator, pid, pid, PrincipalKind.PERSON, (Membership(org, role),)
        )


def carers_request(datasets: tuple[str, ...] = DATASETS) -> SharingRequest:
    """NHS England's request (``requests/carers-vaccination.yaml``) for ``datasets`` of
    DWP's, starting yesterday and ending in six months."""
    document = yaml.safe_load((REQUESTS / "carers-vaccination.yaml").read_text(encoding="utf-8"))
    today = date.today()
    justification = {f["name"]: f["justification"] for f in document["datasets"][0]["fields"]}
    document.update(
        start_date=str(today - timedelta(days=1)),
        end_date=str(today + timedelta(days=180)),
        datasets=[
            {
                "dataset": f"dwp/{name}",
                "fields": [{"name": f, "justification": justification[f]} for f in FIELDS],
            }
            for name in datasets
        ],
    )
    return SharingRequest.parse(document)


def _score(matches: pa.Table, truth: Path) -> dict[str, Any]:
    """Precision and recall of the NINO to NHS number links against the ground truth."""
    with duckdb.connect() as con:
        con.register("matches", matches)
        true_pairs = (
            "SELECT nino, nhs_number FROM read_parquet(?) "
            "WHERE (carers_allowance OR other_caring_benefits) AND in_patient_register"
        )
        found, correct, total = con.execute(
            f"""
            WITH truth AS ({true_pairs}),
                 found AS (SELECT DISTINCT left_id AS nino, right_id AS nhs_number FROM matches)
            SELECT (SELECT count(*) FROM found),
                   (SELECT count(*) FROM found JOIN truth USING (nino, nhs_number)),
                   (SELECT count(*) FROM truth)
            """,
            [str(truth)],
        ).fetchone() or (0, 0, 0)
    precision = correct / found if found else 0.0
    recall = correct / total if total else 0.0
    return {
        "matched": found,
        "true_links": total,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4) if correct else 0.0,
    }


def _approved_agreement(
    app: Accord, report: CarersReport, counts: dict[str, Any]
) -> AgreementRecord:
    """NHS England asks; DWP's data owner, DPO and legal approve; the agreement is active."""
    analyst = app.acting_as("nhse.analyst", "demo")
    request = app.requests.create(analyst, carers_request())
    request, assessment = app.requests.submit(analyst, request.id)
    app.requests.start_review(app.acting_as("dwp.data", "demo"), request.id)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = app.requests.approve(app.acting_as(who, "demo"), request.id)
        if outcome.agreement is not None:
            break
    agreement = outcome.agreement
    if agreement is None:
        raise SystemExit("the carers request was not approved")
    report.agreement, report.tier = agreement.id, assessment.tier
    counts.update(
        tier=assessment.tier,
        approvals=len(assessment.approver_roles),
        blocking=len(assessment.blocking),
        agreement=f"{agreement.id} v{agreement.version}",
    )
    return agreement


def _publish(app: Accord, synthetic: Path, counts: dict[str, Any]) -> None:
    operator = app.operator("demo")
    for org, name in (
        ("dwp", "carers_allowance"),
        ("dwp", "other_caring_benefits"),
        ("nhse", "patient_register"),
    ):
        published = app.catalogue.register(
            operator, org, name, str(synthetic / f"{name}.parquet"), tags=("carers",)
        )
        counts[f"{org}/{name}"] = published.version.row_count


def _link(
    app: Accord,
    agreement: AgreementRecord,
    delivered: list[Path],
    truth: Path,
    report: CarersReport,
    counts: dict[str, Any],
) -> pa.Table:
    """NHS England links what it received to its own register; the run is audited."""
    from accord.linkage import LinkageOptions, link

    with duckdb.connect() as con:
        carers = con.sql(
            "SELECT DISTINCT ON (nino) * FROM read_parquet(?) ORDER BY nino",
            params=[[str(p) for p in delivered]],
        ).to_arrow_table()
    register = app.store.get_version("nhse/patient_register").location
    linked = link(carers, register, left_id="nino", right_id="nhs_number", options=LinkageOptions())
    report.linkage = _score(linked.matches, truth)
    report.linkage["to_review"] = linked.review.num_rows
    counts.update(carers=carers.num_rows, **report.linkage)
    app.store.record(
        AuditEvent(
            actor="principal:nhse.analyst",
            action="linkage.run",
            object=f"agreement:{agreement.id}:v{agreement.version}",
            organisation="nhse",
            reason="carers matched to the patient register for vaccination",
            details={"matched": report.linkage["matched"], "to_review": linked.review.num_rows},
        )
    )
    matches: pa.Table = linked.matches
    return matches


def _not_offered(matches: pa.Table, register: str) -> int:
    """Matched carers alive and not yet offered a vaccine, from the register."""
    with duckdb.connect() as con:
        con.register("matches", matches)
        row = con.execute(
            "SELECT count(DISTINCT r.nhs_number) FROM matches m "
            "JOIN read_parquet(?) r ON r.nhs_number = m.right_id "
            "WHERE r.vaccination_offered_date IS NULL AND r.date_of_death IS NULL",
            [register],
        ).fetchone()
    return int(row[0]) if row else 0


def _deliver(
    app: Accord, agreement: AgreementRecord, home: Path, report: CarersReport
) -> list[Path]:
    """DWP sends each dataset as a package after a receipted test exchange; NHS England
    verifies, decrypts and loads each one and signs a receipt."""
    owner = app.acting_as("dwp.data", "demo")
    analyst = app.acting_as("nhse.analyst", "demo")
    outbox, inbox = home / "outbox", home / "received"
    with timed(report.steps, "organisation keys") as counts:
        for org in ("dwp", "nhse"):
            keys = app.org_keys.rotate(app.operator("demo"), org)
            counts[org] = ", ".join(f"{k.purpose.value} {k.fingerprint[:12]}" for k in keys)
    with timed(report.steps, "test exchange") as counts:
        for name in DATASETS:
            sent = app.transfer.send(
                owner, agreement.id, "nhse", outbox, dataset_id=f"dwp/{name}", test=True
            )
            received = app.transfer.receive(analyst, sent.path, inbox)
            report.test_exchanges.append(received.receipt.receipt.transfer_id)
            counts[name] = f"{sent.manifest.rows} synthetic rows receipted"
    delivered = []
    for name in DATASETS:
        with timed(report.steps, f"delivery: {name}") as counts:
            sent = app.transfer.send(owner, agreement.id, "nhse", outbox, dataset_id=f"dwp/{name}")
            received = app.transfer.receive(analyst, sent.path, inbox)
            delivered.append(received.path)
            report.deliveries.append(sent.manifest.transfer_id)
            counts.update(
                rows=sent.manifest.rows,
                encrypted_bytes=sent.manifest.ciphertext_bytes,
                sha256=sent.manifest.plaintext_sha256[:16],
                receipt=received.receipt.signing_key[:12],
            )
    report.receipts = len(app.transfer.receipts(app.operator("demo"), agreement_id=agreement.id))
    return delivered


def run_carers_demo(
    *, scale: float = 0.002, seed: int = 2021, as_json: bool = False, keep: bool = False
) -> CarersReport:
    from accord.synth import generate

    console = Console(soft_wrap=True)
    report = CarersReport(scale=scale)
    with temporary_home("accord-carers-", keep=keep, console=console) as home:
        synthetic = home / "synthetic"
        with timed(report.steps, "set up organisations and people") as counts:
            app = Accord.init(load_settings({"ACCORD_HOME": str(home / "home")}), operator="demo")
            _setup(app)
            counts["organisations"] = len(app.store.list_organisations())
        with timed(report.steps, "synthetic population") as counts:
            manifest = generate("carers", scale=scale, seed=seed, out=synthetic)
            counts.update({f.name: f.rows for f in manifest.files if f.role == "dataset"})
        with timed(report.steps, "publish to the catalogue") as counts:
            _publish(app, synthetic, counts)
        with timed(report.steps, "request, assessment and approvals") as counts:
            agreement = _approved_agreement(app, report, counts)
        delivered = _deliver(app, agreement, home, report)
        with timed(report.steps, "link to the patient register") as counts:
            truth = synthetic / "ground_truth" / "identity.parquet"
            matches = _link(app, agreement, delivered, truth, report, counts)
        with timed(report.steps, "carers not yet offered a vaccine") as counts:
            register = app.store.get_version("nhse/patient_register").location
            report.not_offered = _not_offered(matches, register)
            report.not_offered_truth = int(manifest.truth["carers_not_offered"])
            counts.update(found=report.not_offered, truth=report.not_offered_truth)
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


def _print(console: Console, report: CarersReport) -> None:
    console.rule(f"[bold]Carers for vaccination (seed 000), scale {report.scale}")
    console.print(steps_table(report.steps))
    linkage = report.linkage
    console.print(
        f"Agreement {report.agreement} (tier {report.tier}). Linkage precision "
        f"{linkage['precision']:.4f}, recall {linkage['recall']:.4f} against the ground truth. "
        f"Carers not yet offered a vaccine: {report.not_offered:,} (ground truth "
        f"{report.not_offered_truth:,}). Audit: {report.audit_events} events, "
        + ("[green]verified[/]" if report.audit_ok else "[red]FAILED[/]")
    )
