"""The disclosure services end to end on a real store: tables, batches, the airlock."""

from __future__ import annotations

import inspect
import json
import secrets
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.core.permissions import Caller
from accord.disclosure.airlock import Decision, FileStatus
from accord.disclosure.batch import BatchOutcome, BatchPolicy
from accord.disclosure.rules import Flag
from accord.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from accord.services.app import Accord
from accord.services.disclosure import (
    AirlockService,
    BatchValidationService,
    Protection,
    SubmittedOutput,
    TableService,
)
from accord.store import AuditFilter, Store
from accord.store.disclosure_store import DISCLOSURE_READ_METHODS, DisclosureStore
from tests.disclosure.agreements import batch_agreement


class DisclosureAwareStore(Store, DisclosureStore):
    """Store with the disclosure mixin, as the application will compose it."""


@pytest.fixture
def world(sqlite_accord: Accord, tmp_path: Path) -> dict[str, object]:
    app = sqlite_accord
    op = app.operator("test")
    app.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    app.identity.create_organisation(op, "la", "A council", OrgKind.LOCAL_AUTHORITY)
    app.identity.create_organisation(op, "trust", "Data trust", OrgKind.RESEARCH_BODY)
    people = {
        "owner": (Membership("dwp", Role.DATA_OWNER),),
        "req": (Membership("la", Role.REQUESTER),),
        "analyst": (Membership("trust", Role.ANALYST),),
        "chk1": (Membership("trust", Role.AUDITOR),),
        "chk2": (Membership("trust", Role.AUDITOR),),
        "chk3": (Membership("trust", Role.AUDITOR),),
    }
    for pid, memberships in people.items():
        app.identity.create_principal(op, pid, pid, PrincipalKind.PERSON, memberships)
    rng = np.random.default_rng(11)
    n = 3_000
    ninos = [f"AB{num:06d}{'ABCD'[num % 4]}" for num in rng.permutation(999_999)[:n]]
    benefit = rng.choice(["UC", "ESA", "JSA", "IS"], n, p=[0.6, 0.25, 0.1, 0.05])
    source = tmp_path / "claimants.parquet"
    pq.write_table(
        pa.table(
            {
                "nino": ninos,
                "benefit_type": benefit,
                "lsoa_code": [f"E015{x:05d}" for x in rng.integers(0, 8, n)],
                "weekly_amount": np.round(rng.gamma(2.0, 40.0, n), 2),
            }
        ),
        source,
    )
    app.catalogue.register(op, "dwp", "claimants", str(source))
    store = DisclosureAwareStore(app.store.engine, signer=app.store.signer)
    return {
        "app": app,
        "store": store,
        "ninos": ninos,
        "benefit": benefit,
        "callers": {
            pid: Caller.for_principal(app.store.get_principal(pid), app.platform_org)
            for pid in people
        },
    }


def test_disclosure_store_methods_keep_the_audit_contract() -> None:
    public = [
        name
        for name, _ in inspect.getmembers(DisclosureStore, inspect.isfunction)
        if not name.startswith("_") and name in DisclosureStore.__dict__
    ]
    for name in public:
        parameters = inspect.signature(getattr(DisclosureStore, name)).parameters
        if name in DISCLOSURE_READ_METHODS:
            assert "audit" not in parameters, name
        else:
            assert "audit" in parameters, f"{name} changes state but takes no audit event"
            assert parameters["audit"].default is inspect.Parameter.empty
    assert set(DISCLOSURE_READ_METHODS) <= set(public)


def test_suppressed_tables_are_proved_and_cell_keys_are_drawn_once(
    world: dict, tmp_path: Path
) -> None:
    store, owner = world["store"], world["callers"]["owner"]
    tables = TableService(store, data_dir=tmp_path / "data", domains=world["app"].plane.domains)
    table = tables.tabulate(owner, "dwp/claimants", ["lsoa_code"], ["benefit_type"])
    flags = np.asarray(table.flags)
    assert (flags & Flag.THRESHOLD).any() or (flags & Flag.SECONDARY).any() or flags.sum() == 0
    for r, row in enumerate(table.values):
        for c, v in enumerate(row):
            assert (v is None) == bool(flags[r, c])
    assert b"Total" in table.to_csv()
    first = tables.tabulate(
        owner, "dwp/claimants", ["lsoa_code"], ["benefit_type"], protection=Protection.CELL_KEY
    )
    again = tables.tabulate(
        owner, "dwp/claimants", ["lsoa_code"], ["benefit_type"], protection=Protection.CELL_KEY
    )
    assert first.values == again.values
    assert store.get_record_keys("dwp/claimants", 1) is not None
    draws = store.audit_events(AuditFilter(action="disclosure.record_keys.draw"))
    assert len(draws) == 1
    with pytest.raises(PermissionDenied):
        tables.tabulate(world["callers"]["req"], "dwp/claimants", ["lsoa_code"], ["benefit_type"])


def test_batch_validation_answers_a_proportion_and_refuses_differencing(world: dict) -> None:
    store, callers = world["store"], world["callers"]
    service = BatchValidationService(
        store, world["app"].plane, overlap_key=secrets.token_bytes(32), deadline_ms=0
    )
    agreement = batch_agreement(world["app"], requester=callers["req"], owner=callers["owner"])
    service.define(
        callers["owner"], "dwp", "out_of_work", "dwp/claimants", "nino",
        {"benefit_type": ["ESA", "JSA", "IS"]}, ["la"],
        policy=BatchPolicy(epsilon_per_batch=0.2, budget=0.4),
    )  # fmt: skip
    ninos, benefit = world["ninos"], world["benefit"]
    batch = [x.lower() for x in ninos[:400]] + ["ZZ999999Z"] * 3  # normalised, deduplicated
    truth = float(np.isin(benefit[:400], ["ESA", "JSA", "IS"]).sum()) / 401
    answer = service.validate(callers["req"], "dwp/out_of_work", "la", batch)
    assert answer.outcome is BatchOutcome.ANSWERED
    assert answer.records == 401
    assert answer.proportion is not None
    assert abs(answer.proportion - truth) < 0.15
    # the differencing partner: the same batch less one person
    again = service.validate(callers["req"], "dwp/out_of_work", "la", batch[1:])
    assert again.outcome is BatchOutcome.REFUSED
    assert "overlap" in again.reason
    fresh = service.validate(callers["req"], "dwp/out_of_work", "la", ninos[400:800])
    assert fresh.outcome is BatchOutcome.ANSWERED
    spent = service.validate(callers["req"], "dwp/out_of_work", "la", ninos[800:1200])
    assert "budget" in spent.reason
    budget = store.batch_budget("dwp/claimants", agreement)
    assert (budget.agreement_spent, budget.agreement_allocated) == pytest.approx((0.4, 0.4))
    # The trust is not offered the check: answered as if there were none, on the record.
    with pytest.raises(NotFoundError, match="no batch validation check 'dwp/out_of_work'"):
        service.validate(callers["analyst"], "dwp/out_of_work", "trust", ninos[:200])
    events = store.audit_events(AuditFilter(action="disclosure.batch.validate"))
    assert [e.decision for e in events].count("deny") >= 3


def test_airlock_needs_two_independent_checkers_before_anything_leaves(
    world: dict, tmp_path: Path, acro_python: Path
) -> None:
    store, callers = world["store"], world["callers"]
    airlock = AirlockService(store, data_dir=tmp_path / "data")
    for checker in ("chk1", "chk2", "chk3", "analyst"):  # the author checks too, elsewhere
        airlock.designate_checker(world["app"].operator("test"), "trust", checker)
    safe = b"benefit,people\nUC,1520\nESA,640\n"
    small = b"benefit,people\nJSA,4\nIS,25\n"
    query = "SELECT benefit, count(*) AS people FROM claims GROUP BY benefit"
    request = airlock.submit(
        callers["analyst"], "trust", "caseload by benefit",
        [
            SubmittedOutput("caseload.csv", safe, query, ("people",)),
            SubmittedOutput("small.csv", small, query + " -- one LA", ("people",)),
        ],
    )  # fmt: skip
    assert request.file("caseload.csv").checks["status"] == "pass"
    assert request.file("small.csv").checks["summary"]["MinimumThresholdCheck"] == 1
    rid = request.id
    with pytest.raises(PermissionDenied, match="own outputs"):
        airlock.review(callers["analyst"], rid, "caseload.csv", Decision.APPROVE)
    # The local authority is no party to the trust's request: answered as if none.
    with pytest.raises(NotFoundError, match=f"no output request '{rid}'"):
        airlock.review(callers["req"], rid, "caseload.csv", Decision.APPROVE)
    airlock.review(callers["chk1"], rid, "caseload.csv", Decision.APPROVE, "counts large")
    with pytest.raises(PermissionDenied, match="once"):
        airlock.review(callers["chk1"], rid, "caseload.csv", Decision.APPROVE)
    with pytest.raises(PermissionDenied, match="approved"):
        airlock.download(callers["analyst"], rid, "caseload.csv")
    after = airlock.review(callers["chk2"], rid, "caseload.csv", Decision.APPROVE, "agree")
    assert after.file("caseload.csv").status is FileStatus.APPROVED
    # a split on the small table waits for the third checker
    airlock.review(callers["chk1"], rid, "small.csv", Decision.REJECT, "JSA count of 4")
    split = airlock.review(callers["chk2"], rid, "small.csv", Decision.APPROVE)
    assert split.file("small.csv").status is FileStatus.PENDING
    final = airlock.review(callers["chk3"], rid, "small.csv", Decision.REJECT, "below threshold")
    assert final.file("small.csv").status is FileStatus.REJECTED
    with pytest.raises(ConflictError):
        airlock.review(callers["chk3"], rid, "caseload.csv", Decision.REJECT)
    assert airlock.download(callers["analyst"], rid, "caseload.csv") == safe
    with pytest.raises(PermissionDenied):
        airlock.download(callers["analyst"], rid, "small.csv")
    out = tmp_path / "release"
    document = airlock.release(callers["analyst"], rid, out)
    assert [f["name"] for o in document["results"].values() for f in o["files"]] == ["caseload.csv"]
    assert (out / "checksums" / "caseload.csv.txt").read_text() == request.file(
        "caseload.csv"
    ).sha256
    assert not (out / "small.csv").exists()
    # ACRO itself reads the results.json
    loaded = subprocess.run(
        [str(acro_python), "-I", "-c",
         "import sys, logging; logging.disable(50); from acro.record import load_records; "
         "r = load_records(sys.argv[1]); print(len(r.results))", str(out)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert loaded.stdout.strip() == "1"
    downloads = store.audit_events(AuditFilter(action="airlock.download"))
    assert {e.decision for e in downloads} == {"allow", "deny"}
    with pytest.raises(ValidationError):
        airlock.submit(callers["analyst"], "trust", "bad", [SubmittedOutput("../x.csv", safe, "q")])
    assert json.loads((out / "results.json").read_text())["version"] == "1.0.2"
