"""docs/agreements.md says where every term of the policy is enforced, and the tests it
names exist."""

from __future__ import annotations

import re
from pathlib import Path

from accord.core.governance.agreement import AgreementPolicy

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "agreements.md").read_text()
TABLE = DOC.split("| term | enforced in | shown by |", 1)[1].split("\n\n", 1)[0]


def test_every_policy_field_has_a_row_in_the_enforcement_table() -> None:
    terms = set()
    for line in TABLE.splitlines():
        cells = line.split("|")
        if len(cells) > 2:
            terms |= set(re.findall(r"`([a-z_0-9]+)`", cells[1]))
    missing = set(AgreementPolicy.model_fields) - terms
    assert not missing, f"docs/agreements.md does not say where these are enforced: {missing}"


def test_every_test_the_table_names_exists() -> None:
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", TABLE)
    assert len(named) >= 15
    for path, name in named:
        source = (ROOT / path).read_text()
        assert re.search(rf"^def {name}\(", source, re.M), f"{path}::{name} does not exist"


def test_every_function_the_table_names_exists() -> None:
    sources = "\n".join(
        (ROOT / "src" / "accord" / p).read_text()
        for p in (
            "core/plan/authorise.py",
            "core/plan/release.py",
            "services/plane.py",
            "services/disclosure.py",
            "core/plan/compiler.py",
            "core/governance/agreement.py",
            "core/governance/request.py",
        )
    )
    pattern = re.compile(
        r"`((?:PlaneService|TableService|SharingRequest)(?:\.\w+)?|"
        r"(?:can|hides|needs|frequency|territory|processor|compile|policy|test_exchange)_\w+)`"
    )
    named = {m for line in TABLE.splitlines()[2:] for m in pattern.findall(line.split("|")[2])}
    assert len(named) >= 10
    for name in named:
        last = name.rsplit(".", 1)[-1]
        assert re.search(rf"(def|class) {last}\b", sources), f"{name} is not in the code"
