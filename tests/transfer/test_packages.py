"""Packages end to end with real keys, real age encryption and real signatures: the happy
path round-trips the governed extract exactly; every tampering is refused with the reason
and leaves nothing loaded; a live package waits for a receipted test exchange."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.core.transfer.keys import KeyPurpose, fingerprint
from accord.core.transfer.manifest import PackageManifest
from accord.core.transfer.records import SignedReceipt
from accord.errors import ConflictError, PermissionDenied, ValidationError
from accord.store import AuditFilter
from accord.transfer.package import Signature
from tests.plane.conftest import agreement_request, approve
from tests.transfer.conftest import Exchange


def receipted_test(exchange: Exchange) -> None:
    exchange.receive(exchange.send(test=True).path)


def refusals(exchange: Exchange) -> list[str]:
    events = exchange.accord.store.audit_events(AuditFilter(decision="deny", limit=1000))
    return [e.reason for e in events if e.action == "package.receive"]


def assert_nothing_loaded(exchange: Exchange, transfer_id: str) -> None:
    assert [n for n in exchange.loaded() if transfer_id in n] == []
    assert exchange.accord.store.get_received_package(transfer_id) is None
    assert transfer_id not in [
        r.receipt.transfer_id for r in exchange.accord.transfer.receipts(exchange.accord.operator())
    ]


def test_the_happy_path_round_trips_exactly_the_governed_extract(
    exchange: Exchange, tmp_path: Path
) -> None:
    receipted_test(exchange)
    sent = exchange.send()
    assert sorted(p.name for p in sent.path.iterdir()) == [
        "manifest.json",
        "manifest.sig",
        "payload.age",
    ]
    assert not sent.manifest.test
    received = exchange.receive(sent.path)
    extract = exchange.accord.plane.extract(
        exchange.receiver, exchange.agreement.id, "dwp/carers_allowance", tmp_path / "extract"
    )
    loaded = pq.read_table(received.path)
    assert loaded.equals(pq.read_table(extract.path))
    assert loaded.num_rows == sent.manifest.rows == received.receipt.receipt.rows
    assert received.receipt.receipt.plaintext_sha256 == extract.sha256
    # The receipt is signed by the recipient and verifies as such.
    receipt = SignedReceipt.parse(received.receipt_path.read_bytes())
    key = exchange.accord.store.get_org_key(receipt.signing_key)
    assert key.organisation == "nhse"
    assert key.purpose is KeyPurpose.SIGNING
    actions = [e.action for e in exchange.accord.store.audit_events(AuditFilter(limit=1000))]
    assert actions.count("package.send") == 2
    assert actions.count("package.receive") == 2
    assert exchange.accord.audit.verify().ok


def test_the_payload_is_encrypted(exchange: Exchange) -> None:
    sent = exchange.send(test=True)
    payload = (sent.path / "payload.age").read_bytes()
    assert payload.startswith(b"age-encryption.org/v1\n")
    assert b"PAR1" not in payload


def test_a_live_package_before_the_test_exchange_is_refused_and_nothing_written(
    exchange: Exchange,
) -> None:
    with pytest.raises(PermissionDenied, match="requires a test exchange"):
        exchange.send()
    assert not exchange.outbox.exists() or list(exchange.outbox.iterdir()) == []
    # A test package sent but not yet receipted is not enough.
    test = exchange.send(test=True)
    with pytest.raises(PermissionDenied, match="requires a test exchange"):
        exchange.send()
    assert [p.name for p in exchange.outbox.iterdir()] == [test.path.name]
    exchange.receive(test.path)
    assert not exchange.send().manifest.test
    denied = exchange.accord.store.audit_events(AuditFilter(decision="deny", limit=100))
    assert any("test exchange" in e.reason for e in denied if e.action == "package.send")


def test_a_test_package_holds_synthetic_rows_in_exactly_the_agreed_schema(
    exchange: Exchange, tmp_path: Path
) -> None:
    test = exchange.send(test=True, test_rows=25)
    received = exchange.receive(test.path)
    loaded = pq.read_table(received.path)
    extract = exchange.accord.plane.extract(
        exchange.receiver, exchange.agreement.id, "dwp/carers_allowance", tmp_path / "extract"
    )
    real = pq.read_table(extract.path)
    assert loaded.schema.equals(real.schema)
    assert loaded.num_rows == 25
    assert not set(loaded.column("nino").to_pylist()) & set(real.column("nino").to_pylist())
    assert received.manifest.test
    assert received.receipt.receipt.test


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_a_bit_flip_in_the_payload_is_refused_before_decryption(
    exchange: Exchange, where: str
) -> None:
    sent = exchange.send(test=True)
    payload = sent.path / "payload.age"
    data = bytearray(payload.read_bytes())
    at = {"start": 30, "middle": len(data) // 2, "end": len(data) - 1}[where]
    data[at] ^= 0x01
    payload.write_bytes(bytes(data))
    with pytest.raises(ValidationError, match="ciphertext_sha256: altered in transit"):
        exchange.receive(sent.path)
    assert_nothing_loaded(exchange, sent.manifest.transfer_id)
    assert "altered in transit" in refusals(exchange)[-1]


def test_a_truncated_payload_is_refused(exchange: Exchange) -> None:
    sent = exchange.send(test=True)
    payload = sent.path / "payload.age"
    data = payload.read_bytes()
    payload.write_bytes(data[: len(data) - 100])
    with pytest.raises(ValidationError, match="truncated or padded"):
        exchange.receive(sent.path)
    assert_nothing_loaded(exchange, sent.manifest.transfer_id)


def test_a_tampered_manifest_is_refused(exchange: Exchange) -> None:
    sent = exchange.send(test=True)
    manifest = sent.path / "manifest.json"
    document = json.loads(manifest.read_bytes())
    document["rows"] += 1
    manifest.write_text(json.dumps(document, sort_keys=True, indent=2) + "\n")
    with pytest.raises(ValidationError, match=r"manifest\.sig does not verify"):
        exchange.receive(sent.path)
    assert_nothing_loaded(exchange, sent.manifest.transfer_id)


def test_a_truncated_manifest_or_missing_file_is_refused(exchange: Exchange) -> None:
    sent = exchange.send(test=True)
    manifest = sent.path / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:-40])
    with pytest.raises(ValidationError, match="does not verify"):
        exchange.receive(sent.path)
    (sent.path / "manifest.sig").unlink()
    with pytest.raises(ValidationError, match=r"missing manifest\.sig"):
        exchange.receive(sent.path)
    assert_nothing_loaded(exchange, sent.manifest.transfer_id)


def _resign(package: Path, key: Ed25519PrivateKey, key_fingerprint: str) -> None:
    data = (package / "manifest.json").read_bytes()
    (package / "manifest.sig").write_bytes(Signature.sign(key, key_fingerprint, data).to_bytes())


def test_a_manifest_signed_with_an_unregistered_key_is_refused(exchange: Exchange) -> None:
    sent = exchange.send(test=True)
    forger = Ed25519PrivateKey.generate()
    _resign(sent.path, forger, fingerprint(forger.public_key().public_bytes_raw().hex()))
    with pytest.raises(ValidationError, match="not registered in the catalogue"):
        exchange.receive(sent.path)
    assert_nothing_loaded(exchange, sent.manifest.transfer_id)


def test_a_manifest_signed_with_another_organisations_key_is_refused(exchange: Exchange) -> None:
    """Even a registered key is the wrong sender's key if it is not the sender's own."""
    sent = exchange.send(test=True)
    nhse = exchange.accord.org_keys.current("nhse", KeyPurpose.SIGNING)
    _resign(sent.path, exchange.accord.org_keys.ring.signer(nhse), nhse.fingerprint)
    with pytest.raises(ValidationError, match="says it comes from 'dwp' but is signed"):
        exchange.receive(sent.path)
    # A forged signature value under the sender's own key id does not verify either.
    dwp = exchange.accord.org_keys.current("dwp", KeyPurpose.SIGNING)
    forged = {
        "algorithm": "ed25519",
        "key": dwp.fingerprint,
        "value": base64.b64encode(Ed25519PrivateKey.generate().sign(b"x")).decode(),
    }
    (sent.path / "manifest.sig").write_text(json.dumps(forged))
    with pytest.raises(ValidationError, match="does not verify with dwp's key"):
        exchange.receive(sent.path)
    assert_nothing_loaded(exchange, sent.manifest.transfer_id)


def test_a_replayed_transfer_is_refused_and_nothing_more_is_written(
    exchange: Exchange, tmp_path: Path
) -> None:
    sent = exchange.send(test=True)
    first = exchange.receive(sent.path)
    before = exchange.loaded()
    copy = tmp_path / "copy" / sent.path.name
    shutil.copytree(sent.path, copy)
    with pytest.raises(ConflictError, match="received already: a replayed package"):
        exchange.receive(copy)
    assert exchange.loaded() == before
    assert pq.read_table(first.path).num_rows == sent.manifest.rows
    assert "replayed" in refusals(exchange)[-1]


def test_only_the_recipients_staff_may_receive(exchange: Exchange) -> None:
    sent = exchange.send(test=True)
    with pytest.raises(PermissionDenied):
        exchange.accord.transfer.receive(
            exchange.accord.acting_as("dwp.data", "test"), sent.path, exchange.inbox
        )
    assert_nothing_loaded(exchange, sent.manifest.transfer_id)


def test_only_a_data_owner_of_the_sender_may_send(exchange: Exchange) -> None:
    with pytest.raises(PermissionDenied, match="only a data owner of 'dwp'"):
        exchange.accord.transfer.send(
            exchange.receiver, exchange.agreement.id, "nhse", exchange.outbox, test=True
        )
    with pytest.raises(PermissionDenied, match="shares with 'nhse', not 'northshire'"):
        exchange.accord.transfer.send(
            exchange.sender, exchange.agreement.id, "northshire", exchange.outbox, test=True
        )


def test_rotation_keeps_old_keys_for_the_overlap_then_retires_them(exchange: Exchange) -> None:
    from datetime import timedelta

    app, operator = exchange.accord, exchange.accord.operator("test")
    receipted_test(exchange)
    in_flight = exchange.send()
    old_signing = app.org_keys.current("dwp", KeyPurpose.SIGNING)
    old_encryption = app.org_keys.current("nhse", KeyPurpose.ENCRYPTION)
    app.org_keys.rotate(operator, "dwp", overlap=timedelta(days=7))
    app.org_keys.rotate(operator, "nhse", overlap=timedelta(days=7))
    assert app.org_keys.current("dwp", KeyPurpose.SIGNING) != old_signing
    states = {
        k.fingerprint: k.state(app.store.clock()).value for k in app.store.list_org_keys("dwp")
    }
    assert states[old_signing.fingerprint] == "overlap"
    # Made before the rotation, received during the overlap: old keys still verify and decrypt.
    assert exchange.receive(in_flight.path).manifest.recipient_key == old_encryption.fingerprint
    after = exchange.send()
    assert after.manifest.recipient_key != old_encryption.fingerprint
    exchange.receive(after.path)
    # A package made with the new keys, received after they too are rotated with no overlap.
    last = exchange.send()
    app.org_keys.rotate(operator, "dwp", overlap=timedelta(0))
    with pytest.raises(ValidationError, match="was retired"):
        exchange.receive(last.path)
    assert_nothing_loaded(exchange, last.manifest.transfer_id)


def test_the_sender_takes_a_receipt_back_and_a_forged_one_is_refused(
    exchange: Exchange, tmp_path: Path
) -> None:
    sent = exchange.send(test=True)
    received = exchange.receive(sent.path)
    signed, new = exchange.accord.transfer.acknowledge(exchange.sender, received.receipt_path)
    assert signed.receipt.transfer_id == sent.manifest.transfer_id
    assert not new  # one home: the receiver recorded it already
    document = json.loads(received.receipt_path.read_bytes())
    document["receipt"]["rows"] = 7
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document))
    with pytest.raises(PermissionDenied, match="does not verify"):
        exchange.accord.transfer.acknowledge(exchange.sender, forged)


def test_a_manifest_field_that_is_wrong_is_named(exchange: Exchange) -> None:
    sent = exchange.send(test=True)
    document = json.loads((sent.path / "manifest.json").read_bytes())
    document["rows"] = "many"
    del document["expires_at"]
    with pytest.raises(ValidationError) as caught:
        PackageManifest.parse(json.dumps(document).encode(), "manifest")
    assert "rows" in caught.value.message
    assert "expires_at" in caught.value.message


def test_an_amendment_that_changes_the_schema_needs_a_new_test_exchange(
    exchange: Exchange,
) -> None:
    exchange.receive(exchange.send(test=True).path)
    assert not exchange.send().manifest.test

    request = agreement_request(
        title="Carers, without the postcode", amends=exchange.agreement.id, test_exchange=True
    )
    document = request.model_dump(mode="json")
    document["datasets"][0]["fields"] = [
        f for f in document["datasets"][0]["fields"] if f["name"] != "postcode"
    ]
    amended = approve(exchange.accord, type(request).parse(document))
    assert (amended.id, amended.version) == (exchange.agreement.id, 2)

    with pytest.raises(PermissionDenied, match="requires a test exchange"):
        exchange.send()
    test = exchange.send(test=True)
    assert "postcode" not in pq.read_schema(exchange.receive(test.path).path).names
    live = exchange.send()
    assert (live.manifest.agreement_version, live.manifest.test) == (2, False)
