"""Seed 001 end to end: a local partner asks for worklessness data.

The hierarchy of shareability, from the top down, on synthetic data and through the
same services the CLI and API use:

1. the department publishes small-area counts of claimants (a protected table, tier 1)
   and the local authority, searching the catalogue, is pointed to them;
2. the authority's outreach request for claimants' names is refused by the assessment
   (``LEGAL_OUTREACH_BULK_IDENTIFIABLE``), with the published product named instead;
3. the authority's eligibility batch gets a batch-validation answer ("N% of your batch
   met the criteria"), never which records;
4. a research body's request, approved by the department, yields a linkage extract in
   which NINOs are pseudonymised for one linkage domain.

:func:`run_worklessness_demo` prints a readable report and returns a
:class:`WorklessnessReport`, so a test can check the outcomes rather than the prose.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from rich.console import Console

from accord.core.governance.request import SharingRequest
from accord.core.identity import Role
from accord.demo.foundation import build_demo_identities, demo_request
from accord.demo.home import temporary_home
from accord.disclosure.batch import BatchOutcome
from accord.services.app import Accord
from accord.services.disclosure import Protection
from accord.settings import load_settings

__all__ = ["LINKAGE_DOMAIN", "PUBLISHED", "WorklessnessReport", "run_worklessness_demo"]

PUBLISHED = "claimants_by_lsoa"
"""The department's published small-area product (LSOA by benefit)."""
LINKAGE_DOMAIN = "worklessness-research"
"""The linkage domain the research extract's NINOs are pseudonymised for."""
_NINO = re.compile(r"^[A-Z]{2}\d{6}[A-D]$")


@dataclass
class WorklessnessReport:
    """What happened, as figures a test can check."""

    scale: float
    claimants: int = 0
    published: str = ""
    published_cells: int = 0
    suppressed_cells: int = 0
    search_found: list[str] = field(default_factory=list)
    outreach_blocked: bool = False
    outreach_alternatives: list[str] = field(default_factory=list)
    batch_records: int = 0
    batch_answer: str = ""
    batch_proportion: float | None = None
    batch_truth: float = 0.0
    research_tier: int = 0
    research_agreement: str = ""
    extract_rows: int = 0
    extract_pseudonymised: bool = False
    audit_ok: bool = False
    audit_events: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _outreach() -> SharingRequest:
    """Seed 001, 4.3.2: names and postcodes of claimants, to write to them."""
    fields = [
        {"name": name, "justification": "To address the letter"}
        for name in ("forename", "surname", "postcode")
    ]
    return demo_request(
        "lone-parents-outreach",
        title="Out-of-work claimants, for an outreach mailshot",
        purpose="Write to out-of-work claimants to offer the council's return-to-work programme.",
        datasets=[{"dataset": "dwp/benefit_claimants", "fields": fields}],
    )


def _research() -> SharingRequest:
    """Seed 001, 4.3.5: outcomes of programme participants, NINOs pseudonymised to link."""
    today = date.today()
    return demo_request(
        "employment-research",
        datasets=[
            {
                "dataset": "dwp/employment_outcomes",
                "fields": [
                    {
                        "name": "nino",
                        "justification": "To link participants to their outcomes",
                        "transform": {"kind": "pseudonymise", "argument": LINKAGE_DOMAIN},
                    },
                    {"name": "benefit_type", "justification": "Matching the comparison group"},
                    {"name": "employed_12_months", "justification": "Outcome measure"},
                    {"name": "sustained_26_weeks", "justification": "Outcome measure"},
                ],
            }
        ],
        channels=["bulk_package"],
        start_date=str(today - timedelta(days=1)),
        end_date=str(today + timedelta(days=365)),
        # One pseudonymised research extract, pulled once: no test exchange agreed.
        test_exchange=False,
    )


def _batch_request() -> SharingRequest:
    """Seed 001, 4.3.4: answering Northshire's batches reads DWP's claimants, so the
    council asks for the batch validation channel like any other share."""
    today = date.today()
    return SharingRequest.parse(
        {
            "title": "Eligibility for the return-to-work programme, by batch validation",
            "requesting_organisation": "northshire",
            "requester": "northshire.officer",
            "purpose_category": "eligibility_checking",
            "purpose": "What share of a batch of residents is on an out-of-work benefit, "
            "never which of them",
            "datasets": [
                {
                    "dataset": "dwp/benefit_claimants",
                    "fields": [
                        {"name": "nino", "justification": "The batch key"},
                        {"name": "in_work", "justification": "The criterion"},
                    ],
                }
            ],
            "form": "aggregate",
            "channels": ["batch_validation"],
            "frequency": "continuous",
            "lawful_basis": "6(1)(e)",
            "start_date": str(today - timedelta(days=1)),
            "end_date": str(today + timedelta(days=365)),
            "test_exchange": False,
        }
    )


def _publish(app: Accord, data: Path, report: WorklessnessReport, console: Console) -> None:
    console.rule("Published small-area statistics (tier 1)")
    operator = app.operator("demo")
    registered = app.catalogue.register(
        operator,
        "dwp",
        "benefit_claimants",
        str(data / "benefit_claimants.parquet"),
        description="People on an out-of-work or low-income benefit, with their small areas",
        tags=("benefits", "claimants", "worklessness"),
        owner_id="dwp.data",
    )
    app.catalogue.register(
        operator,
        "dwp",
        "employment_outcomes",
        str(data / "employment_outcomes.parquet"),
        description="Employment and benefit outcomes 12 months on, for programme evaluation",
        tags=("employment", "research"),
        owner_id="dwp.data",
    )
    report.claimants = registered.version.row_count
    published = app.tables.publish(
        app.acting_as("dwp.data", "demo"),
        "dwp/benefit_claimants",
        ["lsoa_code"],
        ["benefit_type"],
        name=PUBLISHED,
        description="Claimants by benefit per LSOA: suppressed below 10, proved by the "
        "interval audit, published quarterly",
        tags=("small-area",),
        protection=Protection.SUPPRESS,
    )
    cells = [v for row in published.table.values for v in row]
    report.published = published.dataset_id
    report.published_cells = len(cells)
    report.suppressed_cells = sum(v is None for v in cells)
    console.print(
        f"DWP registered {report.claimants:,} claimants and published "
        f"[bold]{published.dataset_id}[/]: {len(cells)} cells with margins, "
        f"{report.suppressed_cells} suppressed (primary and secondary), tags "
        f"{', '.join(published.tags)}"
    )
    officer = app.acting_as("northshire.officer", "demo")
    found = app.catalogue.search(officer, "claimants")
    report.search_found = [d.id for d in found if "published" in d.tags]
    console.print(
        "Northshire searches the catalogue for 'claimants': "
        f"{', '.join(d.id for d in found)}; published: {', '.join(report.search_found)}"
    )


def _outreach_refused(app: Accord, report: WorklessnessReport, console: Console) -> None:
    console.rule("Outreach for names: refused, with the alternative")
    assessment = app.requests.assess(_outreach())
    blocked = [f for f in assessment.blocking if f.code == "LEGAL_OUTREACH_BULK_IDENTIFIABLE"]
    report.outreach_blocked = bool(blocked)
    report.outreach_alternatives = list(assessment.published_alternatives)
    for finding in blocked:
        console.print(f"Blocked: {finding.reason}.\n  {finding.fix}", highlight=False)


def _batch(app: Accord, data: Path, report: WorklessnessReport, console: Console) -> None:
    console.rule("Eligibility by batch validation")
    app.batches.define(
        app.acting_as("dwp.data", "demo"),
        "dwp",
        "out_of_work",
        "dwp/benefit_claimants",
        "nino",
        {"in_work": [False]},
        ["northshire"],
        description="On an out-of-work benefit (ESA, JSA, IS, or UC without earnings)",
    )
    officer = app.acting_as("northshire.officer", "demo")
    asked = app.requests.create(officer, _batch_request())
    _, assessment = app.requests.submit(officer, asked.id)
    app.requests.start_review(app.acting_as("dwp.data", "demo"), asked.id)
    people = {Role.DATA_OWNER: "dwp.data", Role.DPO: "dwp.dpo", Role.LEGAL: "dwp.legal"}
    for role in assessment.approver_roles:
        approved = app.requests.approve(app.acting_as(people[role], "demo"), asked.id)
    console.print(
        f"Northshire's agreement {approved.agreement.id if approved.agreement else '?'} "
        "names the batch_validation channel for dwp/benefit_claimants"
    )
    batches = pq.read_table(data / "eligibility_batches.parquet").to_pylist()
    first = batches[0]["batch_id"]
    ninos = [r["nino"] for r in batches if r["batch_id"] == first and r["nino"]]
    truth = pq.read_table(data / "ground_truth" / "batch_eligibility.parquet").to_pylist()
    report.batch_truth = float(
        next(r for r in truth if r["batch_id"] == first)["eligible_proportion"]
    )
    answer = app.batches.validate(
        app.acting_as("northshire.officer", "demo"), "dwp/out_of_work", "northshire", ninos
    )
    report.batch_records = answer.records
    report.batch_answer = answer.text()
    report.batch_proportion = answer.proportion if answer.outcome is BatchOutcome.ANSWERED else None
    console.print(
        f"Northshire submits batch {first} ({answer.records} distinct NINOs): "
        f"[bold]{answer.text()}[/] (true share {report.batch_truth:.0%}; discrete Laplace "
        f"noise, epsilon {answer.epsilon}); which records met it is never released"
    )


def _research_extract(
    app: Accord, home: Path, report: WorklessnessReport, console: Console
) -> None:
    console.rule("Research: a pseudonymised linkage extract")
    researcher = app.acting_as("ifsr.researcher", "demo")
    created = app.requests.create(researcher, _research())
    created, assessment = app.requests.submit(researcher, created.id)
    report.research_tier = assessment.tier
    console.print(
        f"IfSR's request {created.id}: tier {assessment.tier}, needs "
        + ", ".join(r.value for r in assessment.approver_roles)
    )
    people = {Role.DATA_OWNER: "dwp.data", Role.DPO: "dwp.dpo", Role.LEGAL: "dwp.legal"}
    app.requests.start_review(app.acting_as("dwp.data", "demo"), created.id)
    outcome = None
    for role in assessment.approver_roles:
        outcome = app.requests.approve(app.acting_as(people[role], "demo"), created.id)
    assert outcome is not None
    assert outcome.agreement is not None
    report.research_agreement = outcome.agreement.id
    result = app.plane.extract(
        researcher, outcome.agreement.id, "dwp/employment_outcomes", home / "extract"
    )
    ninos = pq.read_table(result.path, columns=["nino"]).column("nino").to_pylist()
    report.extract_rows = result.rows
    report.extract_pseudonymised = bool(ninos) and not any(
        isinstance(n, str) and _NINO.match(n) for n in ninos
    )
    console.print(
        f"Agreement {outcome.agreement.id}: extract of {result.rows:,} rows "
        f"(sha256 {result.sha256[:12]}…); NINOs pseudonymised for the "
        f"'{LINKAGE_DOMAIN}' domain, e.g. {str(ninos[0])[:16]}…"
    )


def run_worklessness_demo(
    *,
    keep: bool = False,
    scale: float = 0.0002,
    seed: int = 2021,
    console: Console | None = None,
) -> WorklessnessReport:
    """Run seed 001 in a fresh temporary home; print the story and return its figures."""
    from accord.synth import generate

    console = console or Console(soft_wrap=True)
    report = WorklessnessReport(scale=scale)
    with temporary_home(
        "accord-demo-",
        keep=keep,
        console=console,
        kept="Home kept at {home}: ACCORD_HOME={home} accord audit show",
    ) as home:
        app = Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="demo")
        try:
            console.rule("[bold]Accord worklessness demo (seed 001)")
            build_demo_identities(app)
            data = home / "synthetic"
            generate("worklessness", scale=scale, seed=seed, out=data)
            console.print(f"Fresh home in {home}; synthetic worklessness data at scale {scale}")
            _publish(app, data, report, console)
            _outreach_refused(app, report, console)
            _batch(app, data, report, console)
            _research_extract(app, home, report, console)
            app.audit.checkpoint(app.operator("demo"))
            verdict = app.audit.verify()
            report.audit_ok, report.audit_events = verdict.ok, verdict.events
            console.rule("Audit")
            console.print(
                f"{verdict.events} events, {verdict.checkpoints} signed checkpoint(s): "
                + ("[green]verified[/]" if verdict.ok else "[red]FAILED[/]")
            )
        finally:
            app.close()
    return report
