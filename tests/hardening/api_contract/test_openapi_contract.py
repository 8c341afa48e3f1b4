"""The OpenAPI document is the contract: schemathesis generates requests for every
operation it publishes and sends them, as three callers, to the real application over
a real store.

- ``owner``: DWP's data owner and administrator, holding roles;
- ``outsider``: a valid token of a principal of HMRC, an organisation that takes part
  in nothing, holding no role;
- ``anonymous``: no token at all.

For each, every answer must be documented (status code, content type, body against the
response model) and none may be a 5xx. For the outsider and the anonymous caller no
operation outside :data:`PUBLIC` may answer 2xx: everything else is a refusal (401,
403, 404 as if absent, 422 for a malformed request, 413 for a body over its limit,
429 when rate-limited).

Nothing is excluded. The file download (``/delta-sharing/files/{token}``) is fuzzed
like the rest: a generated token is never a valid signature, so it answers a refusal
that the contract documents.
"""

from __future__ import annotations

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accord.store import AuditFilter
from tests.hardening.api_contract.conftest import ContractWorld

# Operations that answer 2xx to anyone: liveness, the public register of agreements
# (seed 004: published by law), and the signed-URL file fetch of Delta Sharing, whose
# URL is the credential (a generated one never verifies, so it is refused anyway).
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/register"),
    ("GET", "/delta-sharing/files/{token}"),
    ("HEAD", "/delta-sharing/files/{token}"),
}

# Refusals an unprivileged caller may get (never a 409: that would say the object exists).
# 413 and 429 are the body and rate limits.
REFUSALS = {401, 403, 404, 405, 413, 422, 429}

CALLERS = ("owner", "outsider", "anonymous")

CONTRACT = settings(
    max_examples=4,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def headers_for(world: ContractWorld, who: str, path: str) -> dict[str, str]:
    """The caller's credential: an API token, or under /delta-sharing a share token
    (the owner then uses the recipient's, the one credential that protocol knows)."""
    if who == "anonymous":
        return {}
    if who == "owner":
        secret = (
            world.share_tokens["bob"]
            if path.startswith("/delta-sharing")
            else (world.tokens["alice"])
        )
    else:
        secret = world.tokens["outsider"]
    return {"Authorization": f"Bearer {secret}"}


def nothing_for_the_unprivileged(case: Case, status: int, who: str) -> None:
    """An outsider or an anonymous caller gets 2xx only from a public operation."""
    if who == "owner" or status >= 300:
        return
    key = (case.method.upper(), case.path)
    assert key in PUBLIC, (
        f"{who} got {status} from {key[0]} {case.formatted_path}: only public operations "
        "may answer a caller without a role"
    )


def call(case: Case, world: ContractWorld, who: str) -> None:
    response = case.call_and_validate(
        headers=headers_for(world, who, case.path),
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
    nothing_for_the_unprivileged(case, response.status_code, who)
    if who != "owner" and (case.method.upper(), case.path) not in PUBLIC:
        assert response.status_code in REFUSALS, f"{response.status_code}: {response.text}"


def known_ids(world: ContractWorld) -> dict[str, str]:
    """Real objects for path parameters of those names: generated ids almost always
    miss, and a refusal of a real object is what the unprivileged callers must meet."""
    return {
        "org_id": "dwp",
        "owner": "dwp",
        "name": "carers",
        "field": "nino",
        "agreement_id": world.agreement,
        "share": world.agreement,
        "schema": "governed",
        "table": "dwp_carers",
        "request_id": world.submitted,
        "principal_id": "alice",
    }


def run_contract(api_schema: schemathesis.BaseSchema, world: ContractWorld, who: str) -> None:
    """Every operation, with generated and with real path parameters; every failure
    collected, so one run reports them all."""
    failures: list[str] = []
    known = known_ids(world)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        real = {k: v for k, v in known.items() if k in names}
        strategy = operation.as_strategy()
        if real:
            strategy = strategy | operation.as_strategy(path_parameters=real)

        @CONTRACT
        @given(case=strategy)
        def check(case: Case) -> None:
            call(case, world, who)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # collected, reported below per operation
            failures.append(f"{operation.label}: {exc}")
    assert len(operations) > 100
    assert not failures, "\n\n".join(failures)


def test_a_caller_with_roles(
    api_schema: schemathesis.BaseSchema, contract_world: ContractWorld
) -> None:
    run_contract(api_schema, contract_world, "owner")


def test_a_caller_of_an_unrelated_organisation(
    api_schema: schemathesis.BaseSchema, contract_world: ContractWorld
) -> None:
    run_contract(api_schema, contract_world, "outsider")


def test_no_token(api_schema: schemathesis.BaseSchema, contract_world: ContractWorld) -> None:
    run_contract(api_schema, contract_world, "anonymous")


def test_every_operation_is_loaded(api_schema: schemathesis.BaseSchema) -> None:
    """Every operation the document publishes is well-formed enough to generate for:
    none is dropped from the runs above by a schema error."""
    results = list(api_schema.get_all_operations())
    errors = [str(r.err()) for r in results if isinstance(r, Err)]
    assert len(results) > 100
    assert not errors


def test_a_stranger_learns_nothing_from_an_agreements_state(contract_world: ContractWorld) -> None:
    """Found by the contract run: an outsider asking to revoke a revoked agreement was
    told "cannot revoke from state revoked" (409), learning that it exists and its
    state. Who may know of it is now decided first: 404, as for a missing one, and a
    deny event on the record."""
    accord, agreement = contract_world.accord, contract_world.agreement
    if accord.store.get_agreement(agreement).state.value != "revoked":
        accord.agreements.revoke(accord.operator("test"), agreement, "closing the test")
    with TestClient(contract_world.app) as client:
        answers = [
            client.post(
                f"/agreements/{ident}/revoke",
                json={"reason": "probing"},
                headers={"Authorization": f"Bearer {contract_world.tokens['outsider']}"},
            )
            for ident in (agreement, "agr-00000000")
        ]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json()["error"]["message"] == f"no agreement {agreement!r}"
    [deny] = accord.store.audit_events(
        AuditFilter(decision="deny", limit=1, actor="principal:outsider", action="agreement.revoke")
    )
    assert deny.details_dict["answered"] == "not found"
