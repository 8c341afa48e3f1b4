"""Seed 003 end to end: ``accord demo provider``.

In a fresh temporary home, on a synthetic population: DWP, two prime providers and a
sub-contractor; DWP's referrals and changes of circumstances published; Ridgeway
approved as Northfield's sub-contractor; Northfield's request assessed and approved;
the test exchange. Then each step of the lifecycle after sharing, in the order of
:data:`PROVIDER_STEPS`, each a module of :mod:`accord.demo.provider_steps` with a
``run(world, steps)`` function; then the audit log is verified. Every step is timed and
counted, and printed as the steps table or as JSON.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console

from accord.demo.home import temporary_home
from accord.demo.provider_world import build_provider_world
from accord.demo.steps import Step, steps_table, timed
from accord.services.app import Accord
from accord.settings import load_settings

__all__ = ["PROVIDER_STEPS", "ProviderReport", "run_provider_demo"]

PROVIDER_STEPS: tuple[str, ...] = (
    "referrals", "reviews", "changefeed", "inbound", "outcomes", "erasure", "records", "outbox",
)  # fmt: skip
"""The lifecycle after the agreement, in order: each a module of
``accord.demo.provider_steps``. The order when all are present: referrals, reviews,
changefeed, inbound, outcomes, erasure, records, outbox."""


@dataclass
class ProviderReport:
    scale: float
    steps: list[Step] = field(default_factory=list)
    summaries: dict[str, Any] = field(default_factory=dict)
    """What each step module returned, by module name."""
    missing: list[str] = field(default_factory=list)
    """Step modules listed but not importable here, each with why."""
    agreement: str = ""
    audit_ok: bool = False
    audit_events: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": "provider", **asdict(self)}


def run_provider_demo(
    *, scale: float = 0.001, seed: int = 2021, as_json: bool = False, keep: bool = False
) -> ProviderReport:
    console = Console(soft_wrap=True)
    report = ProviderReport(scale=scale)
    with temporary_home("accord-provider-", keep=keep, console=console) as home:
        app = Accord.init(load_settings({"ACCORD_HOME": str(home / "home")}), operator="demo")
        try:
            world = build_provider_world(
                app,
                home / "synthetic",
                scale=scale,
                seed=seed,
                steps=report.steps,
                via="demo",
                events_slices=3,
            )
            report.agreement = world.agreement.id
            for name in PROVIDER_STEPS:
                try:
                    module = importlib.import_module(f"accord.demo.provider_steps.{name}")
                except ImportError as exc:
                    report.missing.append(f"{name}: {exc}")
                    continue
                report.summaries[name] = module.run(world, report.steps)
            with timed(report.steps, "audit verification") as counts:
                verdict = app.audit.verify()
                report.audit_ok, report.audit_events = verdict.ok, verdict.events
                counts.update(events=verdict.events, ok=verdict.ok)
        finally:
            app.close()
    if as_json:
        print(json.dumps(report.as_dict(), indent=2, default=str))  # noqa: T201
    else:
        _print(console, report)
    return report


def _print(console: Console, report: ProviderReport) -> None:
    console.rule(f"[bold]Employment-programme provider (seed 003), scale {report.scale}")
    console.print(steps_table(report.steps))
    for line in report.missing:
        console.print(f"[yellow]Step not run[/]: {line}", highlight=False)
    console.print(
        f"Agreement {report.agreement}. Audit: {report.audit_events} events, "
        + ("[green]verified[/]" if report.audit_ok else "[red]FAILED[/]")
    )
