"""Requests written by people, not programmers: the shorthand the fixes suggest is
accepted, misspelt names get "did you mean", and a wrong date says YYYY-MM-DD, on the
command line and over the API alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from accord.api.app import create_app
from accord.cli.main import app as cli
from accord.core.governance.request import FieldRequest, SharingRequest, TransformKind
from accord.services.app import Accord
from accord.settings import load_settings
from tests.governance.conftest import build_world, example

runner = CliRunner()


@pytest.mark.parametrize(
    ("written", "kind", "argument"),
    [
        ("generalise(age_band)", TransformKind.GENERALISE, "age_band"),
        ("Generalise( year )", TransformKind.GENERALISE, "year"),
        ("flag(weekly_amount > (80))", TransformKind.FLAG, "weekly_amount > (80)"),
        ("drop", TransformKind.DROP, ""),
        ({"kind": "pseudonymise(carers-2021)"}, TransformKind.PSEUDONYMISE, "carers-2021"),
        ({"kind": "band", "argument": "0,18,65"}, TransformKind.BAND, "0,18,65"),
    ],
)
def test_a_transform_may_be_written_as_the_fixes_write_it(
    written: Any, kind: TransformKind, argument: str
) -> None:
    field = FieldRequest.model_validate({"name": "x", "transform": written})
    assert field.transform.kind is kind
    assert field.transform.argument == argument


def test_the_shorthand_removes_the_finding_that_suggested_it(sqlite_world: Accord) -> None:
    document = example("carers-vaccination").model_dump(mode="json")
    before = sqlite_world.requests.assess(SharingRequest.parse(document))
    fix = next(f.fix for f in before.findings if f.code == "MIN_FULL_DATE_OF_BIRTH")
    assert "generalise(age_band)" in fix
    for field in document["datasets"][0]["fields"]:
        if field["name"] == "date_of_birth":
            field["transform"] = "generalise(age_band)"
    after = sqlite_world.requests.assess(SharingRequest.parse(document))
    assert "MIN_FULL_DATE_OF_BIRTH" not in after.codes()


def test_a_misspelt_transform_is_named_with_the_nearest() -> None:
    with pytest.raises(ValueError, match="did you mean 'generalise'"):
        FieldRequest.model_validate({"name": "x", "transform": "generalize(year)"})
    with pytest.raises(ValueError, match="gives its argument twice"):
        FieldRequest.model_validate(
            {"name": "x", "transform": {"kind": "generalise(year)", "argument": "year"}}
        )


def test_misspelt_datasets_and_fields_get_did_you_mean(sqlite_world: Accord) -> None:
    document = example("carers-vaccination").model_dump(mode="json")
    document["datasets"] = [
        {"dataset": "dwp/carer_allowance", "fields": [{"name": "nino"}]},
        {"dataset": "dwp/benefit_claimants", "fields": [{"name": "Surname"}, {"name": "benfit"}]},
    ]
    findings = sqlite_world.requests.assess(SharingRequest.parse(document)).findings
    reasons = {f.subject: f.reason for f in findings if f.code.startswith("CATALOGUE_UNKNOWN")}
    assert reasons["dwp/carer_allowance"].endswith("did you mean 'dwp/carers_allowance'?")
    assert reasons["dwp/benefit_claimants.Surname"].endswith("did you mean 'surname'?")
    assert reasons["dwp/benefit_claimants.benfit"].endswith("did you mean 'benefit'?")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("ACCORD_HOME", str(home))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    build_world(Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test"), tmp_path)
    return home


def written(tmp_path: Path, **changes: Any) -> Path:
    document = example("carers-vaccination").model_dump(mode="json")
    document.update(changes)
    path = tmp_path / "request.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_a_wrong_date_says_the_form_on_the_command_line(home: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["request", "assess", "--file", str(written(tmp_path, start_date="01/12/2026"))]
    )
    assert result.exit_code != 0
    assert "start_date: expected a date as YYYY-MM-DD (e.g. 2026-12-01), got '01/12/2026'" in (
        result.output
    )


def test_the_cli_takes_the_shorthand(home: Path, tmp_path: Path) -> None:
    document = example("carers-vaccination").model_dump(mode="json")
    document["datasets"][0]["fields"][3]["transform"] = "generalise(year)"
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    result = runner.invoke(cli, ["request", "assess", "--file", str(path)])
    assert result.exit_code == 0, result.output
    assert "MIN_FULL_DATE_OF_BIRTH" not in result.output


def test_a_wrong_date_says_the_form_over_the_api(sqlite_world: Accord) -> None:
    admin = sqlite_world.operator("test")
    _, secret = sqlite_world.identity.issue_token(admin, "nhse.analyst")
    document = example("carers-vaccination").model_dump(mode="json")
    document["end_date"] = "31-09-2021"
    with TestClient(create_app(sqlite_world)) as client:
        answer = client.post(
            "/requests/assess", json=document, headers={"Authorization": f"Bearer {secret}"}
        )
    assert answer.status_code == 422
    body = answer.json()
    assert "expected a date as YYYY-MM-DD" in body["error"]["message"]
    assert body["error"]["message"].startswith("body.end_date")


def test_the_api_assessment_shows_who_may_override_and_the_questions(
    sqlite_world: Accord,
) -> None:
    _, secret = sqlite_world.identity.issue_token(sqlite_world.operator("test"), "nhse.analyst")
    document = example("carers-vaccination").model_dump(mode="json")
    document["gateway"] = ""
    with TestClient(create_app(sqlite_world)) as client:
        answer = client.post(
            "/requests/assess", json=document, headers={"Authorization": f"Bearer {secret}"}
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    gateway = next(f for f in body["findings"] if f["code"] == "LEGAL_GATEWAY_REQUIRED")
    assert gateway["override_by"] == [{"organisation": "dwp", "role": "legal"}]
    assert [c["answer"] for c in body["considerations"]] == [""] * 6
