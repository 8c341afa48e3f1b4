"""The example requests a new user copies: real fields, and the findings they should get.

One home holds every dataset the examples name (``accord.demo.examples``, from the
synthetic scenarios); ``accord request assess --file`` runs on each example and its
tier and findings must equal the ``<name>.expected.json`` kept beside it. A change to
the assessment that alters them shows here, to be reviewed rather than re-recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from accord.cli.main import app as cli
from accord.demo.examples import build_example_platform, example_requests
from accord.services.app import Accord
from accord.settings import load_settings

runner = CliRunner()
EXAMPLES = example_requests()


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Accord]:
    root = tmp_path_factory.mktemp("examples")
    home = root / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ACCORD_HOME", str(home))
        patch.delenv("ACCORD_DATABASE_URL", raising=False)
        patch.delenv("ACCORD_MASTER_KEY", raising=False)
        accord = Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test")
        build_example_platform(accord, root / "data", assurance_expires=date(2099, 12, 31))
        try:
            yield accord
        finally:
            accord.close()


def assess(path: Path) -> dict[str, Any]:
    result = runner.invoke(cli, ["request", "assess", "--file", str(path), "--json"])
    assert result.exit_code == 0, result.output
    body: dict[str, Any] = json.loads(result.output)
    return body


def test_there_are_examples_each_with_its_expectation() -> None:
    assert len(EXAMPLES) >= 6
    for path in EXAMPLES:
        assert path.with_suffix(".expected.json").exists(), path.name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_name_only_fields_their_datasets_have(platform: Accord, path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for wanted in document["datasets"]:
        dataset = platform.store.get_dataset(wanted["dataset"])
        names = {f.name for f in dataset.fields}
        asked = {f["name"] for f in wanted["fields"]}
        assert asked <= names, f"{path.name}: {sorted(asked - names)} not in {dataset.id}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_each_example_gets_the_findings_expected_of_it(platform: Accord, path: Path) -> None:
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assessed = assess(path)
    found = [
        {"code": f["code"], "severity": f["severity"], "subject": f["subject"]}
        for f in assessed["findings"]
    ]
    assert {"tier": assessed["tier"], "findings": found} == expected
    codes = {f["code"] for f in found}
    assert not {"CATALOGUE_UNKNOWN_DATASET", "CATALOGUE_UNKNOWN_FIELD", "COHORT_INVALID"} & codes


def test_the_lone_parents_mailshot_is_still_blocked(platform: Accord) -> None:
    [path] = [p for p in EXAMPLES if p.stem == "lone-parents-outreach"]
    assessed = assess(path)
    assert "LEGAL_OUTREACH_BULK_IDENTIFIABLE" in assessed["blocking"]
    blocked = next(
        f for f in assessed["findings"] if f["code"] == "LEGAL_OUTREACH_BULK_IDENTIFIABLE"
    )
    assert "dwp/claimants_by_lsoa" in blocked["fix"]
    assert blocked["override_by"] == [{"organisation": "dwp", "role": "legal"}]
    # Relabelled as service delivery, it is blocked all the same.
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document.update(purpose_category="operational_service_delivery", gateway="dea-2017-part5")
    relabelled = Path(platform.settings.home) / "relabelled.yaml"
    relabelled.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert "LEGAL_BULK_BENEFITS_TO_LOCAL_AUTHORITY" in assess(relabelled)["blocking"]
