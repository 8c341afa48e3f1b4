"""Referrals flow to Northfield in place (query, Delta Sharing) and as signed packages.

Whichever channel, Northfield gets exactly the Annex A fields the agreement names, of
exactly the participants DWP referred to it; Eastgate's participants never leave. Each
live referral package is acknowledged by Northfield's signed receipt, which DWP
verifies: that receipt is the referral's acceptance.
"""

from __future__ import annotations

import json
from pathlib import Path

import delta_sharing
import duckdb
import pyarrow.parquet as pq

from accord.api.local_server import running_server
from accord.core.governance.request import TransformKind
from accord.demo.annex_a import ANNEX_A, carried_fields, markdown_table
from accord.demo.provider_world import ProviderWorld

ROOT = Path(__file__).parents[2]


def agreed(world: ProviderWorld, dataset: str = "dwp/referrals") -> list[str]:
    return [f.name for f in world.agreement.policy.dataset(dataset).fields]


def held(world: ProviderWorld, columns: list[str], where: str) -> set[tuple[object, ...]]:
    """What DWP holds, read straight from its file: the expected answer."""
    with duckdb.connect() as con:
        rows = con.execute(
            f"select {', '.join(columns)} from read_parquet(?) where {where}",
            [world.dataset_location("referrals")],
        ).fetchall()
    return set(rows)


def test_every_annex_a_item_carried_is_agreed_with_its_transform(
    provider_world: ProviderWorld,
) -> None:
    fields = {f.name: f for f in provider_world.agreement.policy.dataset("dwp/referrals").fields}
    for item in ANNEX_A:
        for name in item.fields:
            assert name in fields, f"Annex A {item.item!r}: {name} is not in the agreement"
            assert fields[name].transform.kind is TransformKind(item.transform)
    with duckdb.connect() as con:
        synthetic = {
            r[0]
            for r in con.execute(
                "select name from parquet_schema(?)",
                [provider_world.dataset_location("referrals")],
            ).fetchall()
        }
    assert set(carried_fields()) <= synthetic
    events = set(provider_world.agreement.policy.dataset("dwp/circumstance_events").fields)
    assert "event_type" in {f.name for f in events}


def test_the_users_guide_carries_the_annex_a_table() -> None:
    guide = (ROOT / "docs" / "lifecycle" / "referrals.md").read_text(encoding="utf-8")
    assert markdown_table() in guide


def test_northfield_queries_its_referrals_in_place(provider_world: ProviderWorld) -> None:
    columns = agreed(provider_world)
    result = provider_world.app.plane.query(
        provider_world.caller("northfield.caseworker"),
        provider_world.agreement.id,
        f"select {', '.join(columns)} from dwp_referrals",
    )
    assert result.table.column_names == columns
    got = {tuple(r.values()) for r in result.table.to_pylist()}
    assert got == held(provider_world, columns, "provider = 'northfield'")
    assert not got & held(provider_world, columns, "provider <> 'northfield'")


def test_northfield_reads_its_referrals_with_the_official_delta_sharing_client(
    provider_world: ProviderWorld, tmp_path: Path
) -> None:
    app = provider_world.app
    with running_server(app) as base:
        token, document = app.sharing.profile(
            app.operator("test"),
            provider_world.agreement.id,
            "northfield.caseworker",
            f"{base}/delta-sharing",
        )
        profile = tmp_path / f"{token.id}.share"
        profile.write_text(json.dumps(document))
        frame = delta_sharing.load_as_pandas(
            f"{profile}#{provider_world.agreement.id}.governed.dwp_referrals"
        )
    columns = agreed(provider_world)
    assert list(frame.columns) == columns
    expected = held(provider_world, ["referral_id", "nino"], "provider = 'northfield'")
    assert set(zip(frame["referral_id"], frame["nino"], strict=True)) == expected


def test_a_referral_package_is_received_and_acknowledged_by_signed_receipt(
    provider_world: ProviderWorld, tmp_path: Path
) -> None:
    app = provider_world.app
    sent = app.transfer.send(
        provider_world.caller("dwp.data"),
        provider_world.agreement.id,
        "northfield",
        tmp_path / "outbox",
        dataset_id="dwp/referrals",
    )
    received = app.transfer.receive(
        provider_world.caller("northfield.caseworker"), sent.path, tmp_path / "inbox"
    )
    table = pq.read_table(received.path)
    columns = agreed(provider_world)
    assert table.column_names == columns
    assert {r["referral_id"] for r in table.to_pylist()} == {
        r[0] for r in held(provider_world, ["referral_id"], "provider = 'northfield'")
    }
    # The package on disk is encrypted: no NINO is readable in it.
    payload = b"".join(p.read_bytes() for p in sent.path.rglob("*") if p.is_file())
    assert table.column("nino")[0].as_py().encode() not in payload
    # Acceptance: Northfield's signed receipt, verified by DWP against Northfield's key.
    signed, _ = app.transfer.acknowledge(provider_world.caller("dwp.data"), received.receipt_path)
    assert signed.receipt.recipient == "northfield"
    assert signed.receipt.rows == table.num_rows
    assert not signed.receipt.test
