"""Generated docs stay in step with the tables; agreements export as ODRL JSON-LD."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from accord.core.governance.agreement import policy_from_request
from accord.core.governance.diagram import workflow_markdown
from accord.core.governance.odrl import policy_from_odrl, policy_to_odrl
from tests.governance.conftest import example

DOCS = Path(__file__).parents[2] / "docs"
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
DPV = Namespace("https://w3id.org/dpv#")


def test_the_workflow_doc_is_generated_from_the_tables() -> None:
    assert (DOCS / "workflow.md").read_text() == workflow_markdown(), (
        "docs/workflow.md drifted from the tables: run `accord governance diagram --write`"
    )


def _policy():  # type: ignore[no-untyped-def]
    today = date.today()
    request = example(
        "carers-vaccination", start_date=str(today), end_date=str(today + timedelta(days=90))
    )
    return policy_from_request(
        request,
        agreement_id="agr-test",
        version=2,
        request_id="req-test",
        tier=5,
        per_record_answers=False,
        conditions=("PRECEDENT accepted by dwp.legal: first share",),
    )


def test_the_odrl_export_round_trips() -> None:
    policy = _policy()
    document = policy_to_odrl(policy)
    assert policy_from_odrl(json.loads(json.dumps(document))) == policy


def test_the_odrl_export_parses_as_json_ld() -> None:
    document = policy_to_odrl(_policy())
    graph = Graph().parse(data=json.dumps(document), format="json-ld")
    agreement = URIRef("urn:accord:agreement:agr-test:v2")
    assert (agreement, RDF.type, ODRL.Agreement) in graph
    assert (agreement, ODRL.assignee, URIRef("urn:accord:org:nhse")) in graph
    assert (agreement, DPV.hasPurpose, DPV.ServiceProvision) in graph
    permissions = list(graph.objects(agreement, ODRL.permission))
    assert len(permissions) == 1
    assert (permissions[0], ODRL.target, URIRef("urn:accord:dataset:dwp/carers_allowance")) in graph
    assert (permissions[0], ODRL.action, ODRL.use) in graph
    assert list(graph.objects(agreement, ODRL.prohibition)), "no onward sharing was agreed"
    again = Graph().parse(data=graph.serialize(format="json-ld"), format="json-ld")
    assert isomorphic(graph, again)


def test_a_tampered_export_is_refused() -> None:
    document = policy_to_odrl(_policy())
    document["policy"]["tier"] = 1
    with pytest.raises(ValueError, match="does not match"):
        policy_from_odrl(document)


def test_every_request_and_policy_field_is_documented() -> None:
    from accord.core.governance.agreement import AgreementPolicy
    from accord.core.governance.request import SharingRequest

    requests_doc = (DOCS / "requests.md").read_text()
    for name in SharingRequest.model_fields:
        assert f"`{name}`" in requests_doc, f"{name} is missing from docs/requests.md"
    agreements_doc = (DOCS / "agreements.md").read_text()
    for name in AgreementPolicy.model_fields:
        assert f"`{name}`" in agreements_doc, f"{name} is missing from docs/agreements.md"


def test_every_finding_code_is_documented() -> None:
    import re

    source = (Path(__file__).parents[2] / "src/accord/core/governance/assessment.py").read_text()
    codes = set(re.findall(r'"([A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+)",\n\s+Severity', source))
    assert len(codes) > 20
    doc = (DOCS / "requests.md").read_text()
    missing = sorted(c for c in codes if f"`{c}`" not in doc)
    assert not missing, f"findings missing from docs/requests.md: {missing}"
