"""Seed 001 end to end, at a tiny scale."""

from __future__ import annotations

import io

from rich.console import Console
from typer.testing import CliRunner

from accord.cli.main import app
from accord.demo.worklessness import PUBLISHED, run_worklessness_demo


def test_the_worklessness_scenario_runs_end_to_end() -> None:
    printed = io.StringIO()
    report = run_worklessness_demo(scale=0.0001, seed=11, console=Console(file=printed, width=200))
    published = f"dwp/{PUBLISHED}"
    # The local authority finds the published small-area counts.
    assert report.published == published
    assert report.search_found == [published]
    assert 0 < report.suppressed_cells < report.published_cells
    # Outreach for names is refused, with the published product named instead.
    assert report.outreach_blocked
    assert report.outreach_alternatives == [published]
    # The eligibility batch gets a proportion, close to the truth, and nothing more.
    assert report.batch_records > 400
    assert report.batch_proportion is not None
    assert abs(report.batch_proportion - report.batch_truth) < 0.15
    assert report.batch_answer.endswith("of your batch met the criteria")
    # Research gets a linkage extract whose NINOs are pseudonymised.
    assert report.research_tier == 3
    assert report.research_agreement.startswith("agr-")
    assert report.extract_rows > 0
    assert report.extract_pseudonymised
    assert report.audit_ok
    text = printed.getvalue()
    assert "LEGAL_OUTREACH" not in text  # the reader sees the reason, not the code
    assert f"use the published small-area statistics instead: {published}" in text


def test_an_unknown_demo_is_named() -> None:
    result = CliRunner().invoke(app, ["demo", "carers-and-more"])
    assert result.exit_code == 1
    assert "unknown demo 'carers-and-more'" in result.output
    assert "worklessness" in result.output
