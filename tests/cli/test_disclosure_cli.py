"""Disclosure control on the command line: tables, publishing, batches and the airlock."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.services.app import Accord
from accord.settings import load_settings
from tests.disclosure.agreements import batch_agreement

runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def ninos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    home = tmp_path / "home"
    monkeypatch.setenv("ACCORD_HOME", str(home))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    accord = Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test")
    op = accord.operator("test")
    accord.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    accord.identity.create_organisation(op, "la", "A council", OrgKind.LOCAL_AUTHORITY)
    accord.identity.create_organisation(op, "trust", "Data trust", OrgKind.RESEARCH_BODY)
    people = {
        "owner": [("dwp", Role.DATA_OWNER)],
        "officer": [("la", Role.REQUESTER)],
        "analyst": [("trust", Role.ANALYST)],
        "chk1": [("trust", Role.AUDITOR)],
        "chk2": [("trust", Role.AUDITOR)],
    }
    for pid, roles in people.items():
        accord.identity.create_principal(
            op, pid, pid, PrincipalKind.PERSON, tuple(Membership(o, r) for o, r in roles)
        )
    rng = np.random.default_rng(3)
    n = 1_000
    numbers = [f"AB{i:06d}C" for i in range(n)]
    pq.write_table(
        pa.table(
            {
                "nino": numbers,
                "benefit_type": rng.choice(["UC", "ESA", "JSA"], n),
                "la_code": rng.choice(["E06000001", "E06000002"], n),
            }
        ),
        tmp_path / "claimants.parquet",
    )
    accord.catalogue.register(
        op, "dwp", "claimants", str(tmp_path / "claimants.parquet"), tags=("benefits",)
    )
    accord.close()
    return numbers


def test_tables_publishing_and_batches(ninos: list[str], tmp_path: Path) -> None:
    shown = json.loads(
        run(
            "stats", "table", "dwp/claimants", "--rows", "la_code", "--columns",
            "benefit_type", "--protection", "round", "--as", "owner", "--json",
        )
    )  # fmt: skip
    assert shown["protection"] == "round"
    assert len(shown["values"]) == 3
    assert len(shown["values"][0]) == 4
    assert all(v is None or v % 5 == 0 for row in shown["values"] for v in row)
    assert "c = suppressed" in run(
        "stats", "table", "dwp/claimants", "--rows", "la_code", "--columns", "benefit_type"
    )
    out = tmp_path / "table.csv"
    run(
        "stats", "table", "dwp/claimants", "--rows", "la_code", "--columns", "benefit_type",
        "--out", str(out),
    )  # fmt: skip
    assert out.read_text().startswith("la_code,")
    run(
        "stats", "table", "dwp/claimants", "--rows", "la_code", "--columns", "benefit_type",
        "--as", "officer", code=3,
    )  # fmt: skip
    published = run(
        "stats", "publish", "dwp/claimants", "claimants_by_la", "--rows", "la_code",
        "--columns", "benefit_type", "--as", "owner", "--tag", "small-area",
    )  # fmt: skip
    assert "dwp/claimants_by_la" in published
    assert "published, benefits, small-area" in published
    run(
        "batch", "define", "out_of_work", "--dataset", "dwp/claimants", "--key", "nino",
        "--criterion", "benefit_type=ESA,JSA", "--offer-to", "la", "--as", "owner",
    )  # fmt: skip
    batch = tmp_path / "batch.txt"
    batch.write_text("\n".join(ninos[:300]) + "\n")
    # The offer alone is not enough: answering reads DWP's records, a release.
    refused = run("batch", "validate", "dwp/out_of_work", str(batch), "--as", "officer", code=3)
    assert "no active agreement naming the batch_validation channel" in refused
    accord = Accord.open()
    try:
        batch_agreement(
            accord,
            requester=accord.acting_as("officer", "test"),
            owner=accord.acting_as("owner", "test"),
        )
    finally:
        accord.close()
    answer = json.loads(
        run("batch", "validate", "dwp/out_of_work", str(batch), "--as", "officer", "--json")
    )
    assert answer["outcome"] == "answered"
    assert answer["records"] == 300
    assert 0.4 < answer["proportion"] < 0.95
    again = run("batch", "validate", "dwp/out_of_work", str(batch), "--as", "officer")
    assert "refused" in again
    assert "overlap" in again
    # The trust is not offered the check: answered as if there were none (exit 4).
    refused = run("batch", "validate", "dwp/out_of_work", str(batch), "--as", "analyst", code=4)
    assert "no batch validation check 'dwp/out_of_work'" in refused


def test_outputs_leave_the_airlock_only_when_approved(ninos: list[str], tmp_path: Path) -> None:
    run("airlock", "designate", "trust", "chk1")
    run("airlock", "designate", "trust", "chk2")
    output = tmp_path / "caseload.csv"
    output.write_text("benefit,count\nUC,120\nESA,45\n")
    submitted = json.loads(
        run(
            "airlock", "submit", "trust", str(output), "--query",
            "select benefit, count(*) from caseload group by 1", "--count-column", "count",
            "--as", "analyst", "--json",
        )
    )  # fmt: skip
    request = submitted["id"]
    assert submitted["files"][0]["status"] == "pending"
    run("airlock", "review", request, "caseload.csv", "approve", "--as", "analyst", code=3)
    run("airlock", "download", request, "caseload.csv", "--as", "analyst", code=3)
    run("airlock", "review", request, "caseload.csv", "approve", "--as", "chk1")
    assert "approved" in run(
        "airlock", "review", request, "caseload.csv", "approve", "--as", "chk2", "--comment", "ok"
    )
    copy = tmp_path / "copy.csv"
    run("airlock", "download", request, "caseload.csv", "--as", "analyst", "--out", str(copy))
    assert copy.read_text() == output.read_text()
    released = tmp_path / "released"
    run("airlock", "release", request, "--out", str(released), "--as", "analyst")
    assert (released / "results.json").exists()
    assert (released / "checksums" / "caseload.csv.txt").exists()
    run("airlock", "submit", "trust", str(output), "--as", "analyst", "--query", "a", "--query",
        "b", code=1)  # fmt: skip
