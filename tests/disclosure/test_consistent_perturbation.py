"""Perturbation that holds across releases: stable record keys, one method per lineage,
perturbed margins and no exact differences that single people out."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.disclosure.aggregate import tabulate
from accord.disclosure.cellkey import (
    PTable,
    normalise_person_identifier,
    person_record_keys,
    row_record_keys,
)
from accord.errors import PermissionDenied
from accord.services.app import Accord
from accord.services.disclosure import Protection, perturbation_domain
from accord.store import AuditFilter


def _load_attack() -> object:
    """The attack module, by path: benchmarks/ is scripts, not a package."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "attacks" / "averaging.py"
    spec = importlib.util.spec_from_file_location("accord_attack_averaging", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


averaging: Any = _load_attack()

KEY = secrets.token_bytes(32)

_ninos = st.builds(
    lambda a, b, n, c: f"{a}{b}{n:06d}{c}",
    st.sampled_from("ABCEGHJKLMNPRSTWXYZ"),
    st.sampled_from("ABCEGHJKLMNPRSTWXYZ"),
    st.integers(0, 999_999),
    st.sampled_from("ABCD"),
)
_noise = st.sampled_from([" ", "\t", "\r", "\n", "-", "\x0b", "\x0c", ""])


@settings(max_examples=200, deadline=None)
@given(_ninos, st.lists(st.tuples(st.integers(0, 9), _noise), max_size=4), st.booleans())
def test_a_person_has_one_record_key_however_the_identifier_is_written(
    nino: str, inserts: list[tuple[int, str]], lower: bool
) -> None:
    written = nino.lower() if lower else nino
    for at, ch in sorted(inserts, reverse=True):
        written = written[:at] + ch + written[at:]
    assert normalise_person_identifier(written) == nino
    assert person_record_keys([written], KEY)[0] == person_record_keys([nino], KEY)[0]


def test_record_keys_depend_on_the_key_and_the_person_not_the_release() -> None:
    people = [f"AB{i:06d}C" for i in range(2_000)]
    keys = person_record_keys(people, KEY)
    assert (person_record_keys(people, KEY) == keys).all()
    assert (person_record_keys(people[::-1], KEY)[::-1] == keys).all()
    assert (person_record_keys(people, secrets.token_bytes(32)) != keys).mean() > 0.9
    # Spread over all 256 values, as drawn keys are.
    assert len(np.unique(keys)) > 240
    rows = [("E01", "UC", 1), ("E02", "ESA", None)]
    assert (row_record_keys(rows, KEY) == row_record_keys(list(rows), KEY)).all()
    with pytest.raises(ValueError, match="32 bytes"):
        person_record_keys(people, b"short")


def test_averaging_twelve_quarters_recovers_no_small_cell() -> None:
    result = averaging.run(quarters=12, seed=3)
    stable, fresh = result["stable_person_keys"], result["keys_drawn_per_version"]
    assert result["small_cells"] >= 40
    # Each quarter reproduces the first exactly: twelve releases say what one said.
    assert stable["distinct_releases"] == 1
    assert stable["recovered_beyond_one_release"] == 0
    assert stable["cells_pinned"] == 0
    # The old way (keys redrawn per version) is what the attack defeats.
    assert fresh["recovered_exactly"] > stable["recovered_exactly"]
    assert result["target_met"] is True


# -- through the services ---------------------------------------------------------------


def _claimants(path: Path, order: np.ndarray, messy: bool, extra: int = 0) -> None:
    n = len(order)
    rng = np.random.default_rng(1)
    lsoa = [f"E0100000{x}" for x in rng.integers(0, 6, n)]
    benefit = rng.choice(["UC", "ESA", "JSA", "IS"], n, p=[0.55, 0.25, 0.15, 0.05]).tolist()
    ninos = [f"AB{i:06d}C" for i in range(n)]
    if messy:  # the same people, written as a careless extract writes them
        ninos = [
            f"ab {x[2:4]} {x[4:6]} {x[6:8]} c\r" if i % 2 else f"{x}\t" for i, x in enumerate(ninos)
        ]
    columns = {"nino": ninos, "lsoa_code": lsoa, "benefit_type": benefit}
    table = pa.table(columns).take(pa.array(order))
    if extra:
        table = pa.concat_tables(
            [
                table,
                pa.table(
                    {
                        "nino": [f"ZX{i:06d}A" for i in range(extra)],
                        "lsoa_code": ["E01000000"] * extra,
                        "benefit_type": ["UC"] * extra,
                    }
                ),
            ]
        )
    pq.write_table(table, path)


@pytest.fixture
def app(sqlite_accord: Accord, tmp_path: Path) -> Accord:
    op = sqlite_accord.operator("test")
    sqlite_accord.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    sqlite_accord.identity.create_principal(
        op, "owner", "owner", PrincipalKind.PERSON, (Membership("dwp", Role.DATA_OWNER),)
    )
    first = tmp_path / "q1.parquet"
    _claimants(first, np.arange(400), messy=False)
    sqlite_accord.catalogue.register(op, "dwp", "claimants", str(first))
    return sqlite_accord


def _owner(app: Accord) -> object:
    from accord.core.permissions import Caller

    return Caller.for_principal(app.store.get_principal("owner"), app.platform_org)


def test_republishing_unchanged_counts_reproduces_the_same_noise_and_margins_are_perturbed(
    app: Accord, tmp_path: Path
) -> None:
    owner, op = _owner(app), app.operator("test")
    rng = np.random.default_rng(9)
    published = []
    for quarter in range(4):
        if quarter:
            path = tmp_path / f"q{quarter + 1}.parquet"
            _claimants(path, rng.permutation(400), messy=quarter % 2 == 1)
            app.catalogue.ingest(op, "dwp/claimants", str(path))
        result = app.tables.publish(
            owner,  # type: ignore[arg-type]
            "dwp/claimants",
            ["lsoa_code"],
            ["benefit_type"],
            name=f"claimants_q{quarter + 1}",
            protection=Protection.CELL_KEY,
        )
        published.append(result.table.values)
    assert all(values == published[0] for values in published)
    draws = app.store.audit_events(AuditFilter(action="disclosure.record_keys.draw"))
    assert len(draws) == 4
    assert {json.loads(e.details)["basis"] for e in draws} == {"person:nino"}
    assert {json.loads(e.details)["domain"] for e in draws} == {perturbation_domain("dwp")}
    assert (
        len({json.loads(e.details)["sha256"] for e in draws}) > 1
    )  # row order differs per version
    # Margins go through the same perturbation: at least one total is not the true one.
    data = pq.read_table(tmp_path / "q1.parquet")
    truth = tabulate(data, ["lsoa_code"], ["benefit_type"])
    counts = truth.stats.count
    shown = np.asarray(published[0], dtype=float)
    true_margins = np.concatenate([counts.sum(axis=1), counts.sum(axis=0), [counts.sum()]])
    shown_margins = np.concatenate([shown[:-1, -1], shown[-1, :-1], [shown[-1, -1]]])
    assert (shown_margins != true_margins).any()
    assert np.abs(shown_margins - true_margins).max() <= PTable.build().d


def test_a_second_protection_method_on_a_lineage_is_refused_with_the_reason(
    app: Accord,
) -> None:
    owner = _owner(app)
    app.tables.publish(
        owner,  # type: ignore[arg-type]
        "dwp/claimants", ["lsoa_code"], ["benefit_type"], name="by_area",
    )  # fmt: skip
    for other in (Protection.ROUND, Protection.CELL_KEY):
        with pytest.raises(PermissionDenied, match="one lineage keeps one method"):
            app.tables.publish(
                owner,  # type: ignore[arg-type]
                "dwp/claimants", ["lsoa_code"], ["benefit_type"], name=f"by_area_{other.value}",
                protection=other,
            )  # fmt: skip
    denied = [
        e
        for e in app.store.audit_events(AuditFilter(action="disclosure.publish"))
        if e.decision == "deny"
    ]
    assert len(denied) == 2
    assert all("'suppress'" in e.reason for e in denied)
    assert not any(d.id.startswith("dwp/by_area_") for d in app.store.list_datasets())


def test_an_exact_difference_that_singles_out_a_new_claimant_is_refused(
    app: Accord, tmp_path: Path
) -> None:
    owner, op = _owner(app), app.operator("test")
    app.tables.publish(
        owner,  # type: ignore[arg-type]
        "dwp/claimants", ["lsoa_code"], ["benefit_type"], name="q1",
    )  # fmt: skip
    path = tmp_path / "q2.parquet"
    _claimants(path, np.arange(400), messy=False, extra=1)  # one new claimant
    app.catalogue.ingest(op, "dwp/claimants", str(path))
    with pytest.raises(PermissionDenied, match="differ from an earlier release by fewer than"):
        app.tables.publish(
            owner,  # type: ignore[arg-type]
            "dwp/claimants", ["lsoa_code"], ["benefit_type"], name="q2",
        )  # fmt: skip
    assert [r.product for r in app.store.list_table_releases("dwp/claimants")] == ["dwp/q1"]
    # Ten new claimants in one cell differ by at least the threshold: published.
    path = tmp_path / "q3.parquet"
    _claimants(path, np.arange(400), messy=False, extra=10)
    app.catalogue.ingest(op, "dwp/claimants", str(path))
    app.tables.publish(
        owner,  # type: ignore[arg-type]
        "dwp/claimants", ["lsoa_code"], ["benefit_type"], name="q3",
    )  # fmt: skip
    releases = app.store.list_table_releases("dwp/claimants")
    assert [r.source_version for r in releases] == [1, 3]
    assert all(r.recipient == "public" for r in releases)


def test_the_store_rechecks_the_method_inside_the_write(app: Accord) -> None:
    """A release racing past the service's check still cannot record a second method."""
    import dataclasses

    from accord.core.audit import AuditEvent, Decision
    from accord.errors import ConflictError

    owner = _owner(app)
    app.tables.publish(
        owner,  # type: ignore[arg-type]
        "dwp/claimants", ["lsoa_code"], ["benefit_type"], name="first",
    )  # fmt: skip
    [first] = app.store.list_table_releases("dwp/claimants")
    assert first.protection == "suppress"
    assert first.cells  # true counts per cell and margin, for later differencing
    racing = dataclasses.replace(first, id="rel_racing", protection="round")
    event = AuditEvent(
        actor="owner",
        action="disclosure.publish",
        object="dataset:dwp/claimants",
        organisation="dwp",
        decision=Decision.ALLOW,
        reason="test",
    )
    before = len(app.store.audit_events(AuditFilter(action="disclosure.publish")))
    with pytest.raises(ConflictError, match="one lineage keeps one method"):
        app.store.add_table_release(racing, audit=event)
    assert len(app.store.list_table_releases("dwp/claimants")) == 1
    assert len(app.store.audit_events(AuditFilter(action="disclosure.publish"))) == before
