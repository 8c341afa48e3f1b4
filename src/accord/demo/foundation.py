"""The foundation demo: the five kinds of organisation, people with roles, a dataset
registered with validated ingest, a malformed delivery refused whole, the catalogue
searched across organisations, and the audit log verified.

Everything runs in a temporary ACCORD_HOME on the embedded defaults (SQLite and
DuckDB), through the same services the CLI and API use.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

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
from accord.demo.home import temporary_home
from accord.errors import PermissionDenied, ValidationError
from accord.services.app import Accord
from accord.settings import load_settings

__all__ = ["DEMO_ORGANISATIONS", "build_demo_identities", "run_foundation_demo"]

console = Console(soft_wrap=True)

DEMO_ORGANISATIONS = (
    (
        "dwp",
        "Department for Work and Pensions",
        OrgKind.GOVERNMENT_DEPARTMENT,
        AssuranceScheme.ISO_27001,
    ),
    ("nhse", "NHS England", OrgKind.HEALTH_BODY, AssuranceScheme.DSPT),
    (
        "northshire",
        "Northshire County Council",
        OrgKind.LOCAL_AUTHORITY,
        AssuranceScheme.CYBER_ESSENTIALS_PLUS,
    ),
    (
        "pathways",
        "Pathways Employment Services Ltd",
        OrgKind.CONTRACTED_PROVIDER,
        AssuranceScheme.ASSURED_SECURITY_PLAN,
    ),
    ("ifsr", "Institute for Social Research", OrgKind.RESEARCH_BODY, AssuranceScheme.ISO_27001),
)

DEMO_PEOPLE = (
    ("dwp.data", "DWP data team", (("dwp", Role.DATA_OWNER),)),
    ("dwp.dpo", "DWP data protection officer", (("dwp", Role.DPO),)),
    ("dwp.legal", "DWP legal adviser", (("dwp", Role.LEGAL),)),
    ("nhse.analyst", "NHS England analyst", (("nhse", Role.REQUESTER), ("nhse", Role.ANALYST))),
    ("northshire.officer", "Northshire data officer", (("northshire", Role.REQUESTER),)),
    ("pathways.adviser", "Pathways adviser", (("pathways", Role.REQUESTER),)),
    ("ifsr.researcher", "IfSR researcher", (("ifsr", Role.REQUESTER), ("ifsr", Role.ANALYST))),
    ("platform.auditor", "Platform auditor", (("platform", Role.AUDITOR),)),
)


def build_demo_identities(app: Accord) -> None:
    """The demo organisations with a year's assurance, and one person per job."""
    operator = app.operator("demo")
    expires = date.today() + timedelta(days=365)
    for org_id, name, kind, scheme in DEMO_ORGANISATIONS:
        assurance = Assurance(scheme, f"{org_id.upper()}-{scheme.value.upper()}-0001", expires)
        app.identity.create_organisation(operator, org_id, name, kind, (assurance,))
    for principal_id, name, roles in DEMO_PEOPLE:
        app.identity.create_principal(
            operator,
            principal_id,
            name,
            PrincipalKind.PERSON,
            tuple(Membership(org, role) for org, role in roles),
        )


def _malformed_copy(source: Path, target: Path) -> int:
    """The same extract with one NINO mistyped, as a delivery might arrive; returns its row."""
    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("nino")
    rows[3][column] = "QQ123456Z"
    with target.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return 4


REQUESTS = Path(__file__).parent / "requests"


def demo_request(name: str, **changes: object) -> SharingRequest:
    """An example request from ``accord/demo/requests``, dated from today."""
    document = yaml.safe_load((REQUESTS / f"{name}.yaml").read_text(encoding="utf-8"))
    today = date.today()
    document.update(start_date=str(today), end_date=str(today + timedelta(days=180)))
    document.update(changes)
    return SharingRequest.parse(document)


def _governance(app: Accord) -> None:
    """Seed 000's request, assessed, approved by three people and made an agreement."""
    console.rule("Governance")
    analyst = app.acting_as("nhse.analyst", "demo")
    request = app.requests.create(analyst, demo_request("carers-vaccination"))
    request, assessment = app.requests.submit(analyst, request.id)
    console.print(
        f"NHS England's request {request.id}: tier {assessment.tier}, needs "
        + ", ".join(r.value for r in assessment.approver_roles)
        + f"; DPIA because {'; '.join(assessment.dpia_required_because)}; "
        f"{len(assessment.blocking)} blocking finding(s)"
    )
    names = [
        {"name": field, "justification": "to write to them"}
        for field in ("forename", "surname", "address_line_1", "postcode")
    ]
    outreach = app.requests.assess(
        demo_request(
            "lone-parents-outreach",
            title="Carers, for an outreach mailshot",
            datasets=[{"dataset": "dwp/carers_allowance", "fields": names}],
        )
    )
    blocked = next(f for f in outreach.blocking if f.code == "LEGAL_OUTREACH_BULK_IDENTIFIABLE")
    console.print(f"A council's outreach request for names and addresses: blocked. {blocked.fix}")
    app.requests.start_review(app.acting_as("dwp.data", "demo"), request.id)
    try:
        app.requests.approve(app.acting_as("nhse.analyst", "demo"), request.id)
    except PermissionDenied as refused:
        console.print(f"NHS England approving its own request: refused ({refused.reason})")
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = app.requests.approve(app.acting_as(who, "demo"), request.id)
    agreement = outcome.agreement
    assert agreement is not None
    console.print(
        f"Approved by data owner, DPO and legal: agreement {agreement.id} v{agreement.version} "
        f"is {agreement.state.value}, decision record signed by {agreement.signed_by} "
        f"({'verified' if app.agreements.verify(agreement) else 'NOT VERIFIED'})"
    )
    entry = app.agreements.register()[0]
    console.print(
        f"Public register: {entry.agreement} {', '.join(entry.data_owners)} → "
        f"{entry.recipient}, under {entry.legal_power}"
    )


def run_foundation_demo(*, keep: bool = False, scale: float = 0.0005, seed: int = 2020) -> None:
    from accord.synth import generate

    with temporary_home(
        "accord-demo-",
        keep=keep,
        console=console,
        kept="Home kept at {home}: ACCORD_HOME={home} accord audit show",
    ) as home:
        app = Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="demo")
        console.rule("[bold]Accord foundation demo")
        console.print(f"Fresh home in {home} (SQLite store, DuckDB engine)")
        build_demo_identities(app)
        console.print(
            f"Organisations: {', '.join(o.id for o in app.store.list_organisations())}; "
            f"{len(app.store.list_principals())} principals with roles"
        )

        data = home / "synthetic"
        manifest = generate("carers", scale=scale, seed=seed, out=data, fmt="csv")
        console.print(
            f"Synthetic carers data at scale {scale}: "
            + ", ".join(f"{f.name} {f.rows:,}" for f in manifest.files if f.role == "dataset")
        )
        operator = app.operator("demo")
        extract = data / "carers_allowance.csv"
        report = app.catalogue.register(
            operator,
            "dwp",
            "carers_allowance",
            str(extract),
            description="Recipients of Carer's Allowance, with the people they care for",
            tags=("carers", "benefits", "vaccination"),
            retention="13 months after the decision",
            owner_id="dwp.data",
        )
        console.print(
            f"Registered dwp/carers_allowance v{report.version.number}: "
            f"{report.version.row_count:,} rows, sha256 {report.version.content_hash[:12]}…"
        )
        app.catalogue.register(
            operator,
            "nhse",
            "patient_register",
            str(data / "patient_register.csv"),
            description="Patients registered with a GP practice, with vaccination offers",
            tags=("health", "vaccination"),
        )

        bad = home / "carers_allowance_bad.csv"
        row = _malformed_copy(extract, bad)
        try:
            app.catalogue.ingest(operator, "dwp/carers_allowance", str(bad))
        except ValidationError as exc:
            first = exc.problems[0]
            console.print(
                f"A delivery with a bad NINO at row {row} was refused whole "
                f"(strict mode): {first}; the catalogue still holds version "
                f"{app.store.get_dataset('dwp/carers_allowance').latest_version}"
            )
        unchanged = app.catalogue.ingest(operator, "dwp/carers_allowance", str(extract))
        console.print(
            f"Re-ingesting the same file: unchanged={unchanged.unchanged} (detected by hash)"
        )

        console.rule("Catalogue (metadata only)")
        for dataset in app.catalogue.list_datasets(operator):
            identifiers = [
                f.name for f in dataset.fields if f.category.value == "direct_identifier"
            ]
            console.print(
                f"[bold]{dataset.id}[/] v{dataset.latest_version}: {len(dataset.fields)} fields; "
                f"direct identifiers: {', '.join(identifiers) or 'none'}"
            )
        found = app.catalogue.search(operator, "vaccination")
        console.print(
            f"Search 'vaccination' across organisations: {', '.join(d.id for d in found)}"
        )

        _governance(app)

        app.audit.checkpoint(operator)
        verdict = app.audit.verify()
        console.rule("Audit")
        status = (
            "[green]verified[/]" if verdict.ok else f"[red]FAILED at {verdict.first_bad_seq}[/]"
        )
        console.print(
            f"{verdict.events} events, head {verdict.head_hash[:16]}…, "
            f"{verdict.checkpoints} signed checkpoint(s): {status}"
        )
        app.close()
        if not verdict.ok:
            raise SystemExit(1)
