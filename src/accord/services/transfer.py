"""Packages: the governed extract, encrypted to the recipient and signed by the sender;
received all or nothing, and acknowledged with a signed receipt.

Sending: authorise (the data owner, under an active agreement that allows bulk
packages, to its recipient) → the test-exchange rule → the governed extract through
the data plane (or synthetic rows in its exact schema, for a test) → encrypt → sign →
audit and record → the package directory appears under its final name.

Receiving, in this order, refusing at the first failure with the reason, on the record:
(1) the signature against the sender's registered key, and the ciphertext's size and
hash, before anything is decrypted; (2) decrypt as a stream into a file with no name;
(3) the plaintext hash, the schema and the row count; (4) the load record, the receipt
and the audit event in one transaction, the file given its name just before the commit;
(5) the signed receipt written for the sender. A transfer id seen before is refused.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pyrage import x25519  # type: ignore[import-untyped]

from accord.core.audit import AuditEvent, Decision
from accord.core.governance.records import AgreementRecord
from accord.core.identity import Role
from accord.core.permissions import Caller, Verdict
from accord.core.plan.authorise import PlaneChannel, can_use
from accord.core.plan.release import Declared, GovernedRelease
from accord.core.transfer.keys import KeyPurpose
from accord.core.transfer.manifest import PackageManifest, Receipt
from accord.core.transfer.records import ReceivedPackage, SentPackage, SignedReceipt
from accord.core.transfer.schema import schema_sha256
from accord.engine.executor import EngineError
from accord.errors import (
    AccordError,
    ConflictError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from accord.fsutil import fsync_directory, write_atomic
from accord.services.guard import authorise, refuse
from accord.services.org_keys import OrgKeyService
from accord.services.plane import PlaneService
from accord.services.reviews import standing_of
from accord.store import Store
from accord.transfer.org_keys import verifier
from accord.transfer.package import PackageFiles, Signature, arrow_columns
from accord.transfer.payload import Digest, decrypt_payload, encrypt_payload
from accord.transfer.staging import staged, sweep
from accord.transfer.synthetic import synthetic_table

__all__ = ["DEFAULT_EXPIRY", "ReceiveResult", "SendResult", "TransferService"]

DEFAULT_EXPIRY = timedelta(days=14)
TEST_ROWS = 100


@dataclass(frozen=True, slots=True)
class SendResult:
    path: Path
    manifest: PackageManifest


@dataclass(frozen=True, slots=True)
class ReceiveResult:
    path: Path
    manifest: PackageManifest
    receipt: SignedReceipt
    receipt_path: Path


class TransferService:
    def __init__(self, store: Store, keys: OrgKeyService, plane: PlaneService) -> None:
        self.store = store
        self.keys = keys
        self.plane = plane

    # -- sending -------------------------------------------------------------------

    def _authorise_send(
        self,
        caller: Caller,
        agreement_id: str,
        to: str,
        dataset_id: str | None,
        *,
        test: bool,
        declared: Declared | None,
    ) -> GovernedRelease:
        """The package's release on the one release path, or a recorded refusal."""
        try:
            self.store.get_organisation(to)
        except NotFoundError:
            raise refuse(
                self.store,
                caller,
                "package.send",
                f"agreement:{agreement_id}",
                to,
                f"--to {to!r} is not a registered organisation",
            ) from None
        declared = declared or Declared()
        return self.plane.release(
            caller,
            agreement_id,
            dataset_id,
            PlaneChannel.PACKAGE,
            action="package.send",
            declared=Declared(declared.territory, declared.processor, addressee=to),
            test=test,
        )

    def send(
        self,
        caller: Caller,
        agreement_id: str,
        to: str,
        out_dir: Path,
        *,
        dataset_id: str | None = None,
        test: bool = False,
        test_rows: int = TEST_ROWS,
        expires_in: timedelta = DEFAULT_EXPIRY,
        declared: Declared | None = None,
    ) -> SendResult:
        """Write a package of the governed extract (or, with ``test``, synthetic rows in its
        exact schema) for ``to``; see the module docstring for the order of checks.

        ``declared`` says where the recipient will process the data (territory,
        processor); it is checked against the agreement and recorded."""
        if not 1 <= test_rows <= 100_000:
            raise ValidationError(f"--test-rows must be between 1 and 100000, not {test_rows}")
        if not timedelta(hours=1) <= expires_in <= timedelta(days=90):
            raise ValidationError("--expires-days must be between 1 hour and 90 days")
        release = self._authorise_send(
            caller, agreement_id, to, dataset_id, test=test, declared=declared
        )
        agreement, dataset, event = release.agreement, release.dataset, release.event
        dataset_id = dataset.id
        schema = self.plane.governed_schema(release)
        columns = arrow_columns(schema)
        schema_hash = schema_sha256(columns)
        signing = self.keys.current(dataset.organisation_id, KeyPurpose.SIGNING)
        encryption = self.keys.current(to, KeyPurpose.ENCRYPTION)
        signer = self.keys.ring.signer(signing)
        transfer_id = f"tr-{secrets.token_hex(8)}"
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / transfer_id
        partial = out_dir / f".{transfer_id}.partial"
        partial.mkdir(mode=0o700)
        try:
            with staged(partial / "payload.parquet") as plaintext:
                version = release.version
                if test:
                    rows = self._write_test_rows(
                        schema, agreement, dataset_id, transfer_id, test_rows, plaintext.path
                    )
                    written = None
                    opt_outs = erasures = None
                else:
                    try:
                        rows, written = self.plane.write_governed(release, Path(plaintext.path))
                        opt_outs = self.plane.opt_outs_applied(release)
                        erasures = self.plane.erasures_applied(release)
                    except EngineError as exc:
                        raise self.plane.engine_failed(
                            caller, release, "package.send", exc
                        ) from exc
                plain, cipher = encrypt_payload(
                    plaintext.path,
                    str(partial / "payload.age"),
                    x25519.Recipient.from_str(encryption.public_key),
                )
            if written is not None and written != plain.sha256:
                raise ValidationError("the extract changed between writing and encryption")
            now = self.store.clock()
            manifest = PackageManifest(
                transfer_id=transfer_id,
                agreement_id=agreement.id,
                agreement_version=agreement.version,
                policy_sha256=agreement.policy.sha256(),
                dataset_id=dataset_id,
                dataset_version=version.number,
                sender=dataset.organisation_id,
                recipient=to,
                recipient_key=encryption.fingerprint,
                schema_sha256=schema_hash,
                columns=tuple(columns),
                rows=rows,
                plaintext_sha256=plain.sha256,
                plaintext_bytes=plain.size,
                ciphertext_sha256=cipher.sha256,
                ciphertext_bytes=cipher.size,
                created_at=now,
                expires_at=now + expires_in,
                test=test,
            )
            manifest_bytes = manifest.to_bytes()
            signature = Signature.sign(signer, signing.fingerprint, manifest_bytes)
            write_atomic(partial / "manifest.json", manifest_bytes, mode=0o600)
            write_atomic(partial / "manifest.sig", signature.to_bytes(), mode=0o600)
            event = AuditEvent(
                actor=event.actor,
                action=event.action,
                object=event.object,
                organisation=event.organisation,
                reason=(
                    f"{'test' if test else 'live'} package {transfer_id} of {dataset_id} "
                    f"v{version.number} for {to}: {release.reason}"
                ),
                details={
                    **event.details,
                    "transfer_id": transfer_id,
                    "dataset": dataset_id,
                    "dataset_version": version.number,
                    "recipient": to,
                    "test": test,
                    "rows_out": rows,
                    **({"opt_outs": opt_outs} if opt_outs is not None else {}),
                    **({"erasures": erasures} if erasures is not None else {}),
                    "schema_sha256": schema_hash,
                    "plaintext_sha256": plain.sha256,
                    "ciphertext_sha256": cipher.sha256,
                    "signing_key": signing.fingerprint,
                    "recipient_key": encryption.fingerprint,
                    "policy_sha256": agreement.policy.sha256(),
                },
            )
            sent = SentPackage(transfer_id, manifest_bytes, signing.fingerprint, str(target))
            self.store.record_sent_package(sent, manifest, audit=event)  # no event, no package
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        partial.rename(target)
        fsync_directory(out_dir)
        return SendResult(target, manifest)

    def _write_test_rows(
        self,
        schema: pa.Schema,
        agreement: AgreementRecord,
        dataset_id: str,
        transfer_id: str,
        rows: int,
        path: str,
    ) -> int:
        """Synthetic rows in the governed view's schema: values that look like the field's
        meaning where it is released unchanged, values of the right type elsewhere."""
        dataset = self.store.get_dataset(dataset_id)
        agreement_fields = {
            f.name: f.transform.label()
            for d in agreement.policy.datasets
            if d.dataset == dataset_id
            for f in d.fields
        }
        meanings = {
            f.name: f.semantic_type
            for f in dataset.fields
            if agreement_fields.get(f.name) == "keep"
        }
        table = synthetic_table(schema, rows, seed=int(transfer_id[3:], 16), meanings=meanings)
        pq.write_table(table, path, compression="zstd")
        return int(table.num_rows)

    # -- receiving -----------------------------------------------------------------

    def _refused(
        self,
        caller: Caller,
        package: str,
        organisation: str,
        reason: str,
        kind: type[AccordError] = ValidationError,
        **details: Any,
    ) -> AccordError:
        """Record the refusal (what failed, for which package) and return the error to raise."""
        if caller.via:
            details["via"] = caller.via
        self.store.record(
            AuditEvent(
                actor=caller.actor,
                action="package.receive",
                object=f"package:{package}",
                organisation=organisation,
                decision=Decision.DENY,
                reason=reason,
                details=details,
            )
        )
        if kind is PermissionDenied:
            return PermissionDenied(reason)
        return kind(f"package refused: {reason}")

    def receive(self, caller: Caller, path: Path, out_dir: Path) -> ReceiveResult:
        """Check, decrypt and load a package all or nothing, then sign its receipt."""
        sweep(out_dir)
        files, manifest_bytes, manifest = self._signed_manifest(caller, path)
        label = manifest.transfer_id
        now = self.store.clock()
        agreement = self._receivable(caller, manifest)
        if self.store.get_received_package(manifest.transfer_id) is not None:
            raise self._refused(
                caller,
                label,
                manifest.recipient,
                f"transfer {manifest.transfer_id} was received already: a replayed package",
                ConflictError,
            )
        decrypting = self.keys.accepted(
            manifest.recipient_key, manifest.recipient, KeyPurpose.ENCRYPTION, now
        )
        if not decrypting:
            raise self._refused(caller, label, manifest.recipient, decrypting.reason)
        identity = self.keys.ring.identity(self.store.get_org_key(manifest.recipient_key))
        # A home that cannot sign the receipt must not load: fail before decrypting.
        self.keys.ring.signer(self.keys.current(manifest.recipient, KeyPurpose.SIGNING))
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"{manifest.transfer_id}.parquet"
        # Not received (checked above), yet named: a load killed between naming the file
        # and committing its record. The record decides, so the orphan goes.
        target.unlink(missing_ok=True)
        with staged(target) as loaded:
            # (1, continued) the ciphertext is checked before any of it is decrypted; (2)
            try:
                plain = decrypt_payload(
                    str(files.payload),
                    loaded.path,
                    identity,
                    Digest(manifest.ciphertext_sha256, manifest.ciphertext_bytes),
                )
                # (3) what came out is what was signed for, in the agreed shape
                self._check_plaintext(manifest, plain, loaded.path)
            except ValidationError as exc:
                raise self._refused(caller, label, manifest.recipient, exc.message) from exc
            signed = self._receipt(manifest, now)
            event = AuditEvent(
                actor=caller.actor,
                action="package.receive",
                object=f"agreement:{agreement.id}:v{agreement.version}",
                organisation=manifest.recipient,
                reason=(
                    f"{'test' if manifest.test else 'live'} package {manifest.transfer_id} of "
                    f"{manifest.dataset_id} from {manifest.sender}: verified, decrypted, "
                    "loaded and receipted"
                ),
                details={
                    "transfer_id": manifest.transfer_id,
                    "sender": manifest.sender,
                    "dataset": manifest.dataset_id,
                    "test": manifest.test,
                    "rows_in": manifest.rows,
                    "plaintext_sha256": manifest.plaintext_sha256,
                    "receipt_key": signed.signing_key,
                    **({"via": caller.via} if caller.via else {}),
                },
            )
            received = ReceivedPackage(manifest.transfer_id, manifest_bytes, str(target), now)
            try:
                # (4) the record, the receipt and the audit event commit together; the
                # file takes its name inside that transaction.
                self.store.record_received_package(
                    received, manifest, signed, publish=loaded.publish, audit=event
                )
            except ConflictError as exc:
                target.unlink(missing_ok=True)
                raise self._refused(
                    caller, label, manifest.recipient, exc.message, ConflictError
                ) from exc
            except BaseException:
                target.unlink(missing_ok=True)
                raise
        # (5) the receipt, for the sender
        receipt_path = out_dir / f"{manifest.transfer_id}.receipt.json"
        write_atomic(receipt_path, signed.to_bytes())
        return ReceiveResult(target, manifest, signed, receipt_path)

    def _signed_manifest(
        self, caller: Caller, path: Path
    ) -> tuple[PackageFiles, bytes, PackageManifest]:
        """Step (1): the manifest, verified against the sender's registered key, parsed
        strictly and in date; nothing of the payload is touched here."""
        label = path.name
        try:
            files = PackageFiles.open(path)
            manifest_bytes = files.read_manifest()
            signature = files.read_signature()
        except (ValidationError, NotFoundError, OSError) as exc:
            reason = exc.message if isinstance(exc, AccordError) else str(exc)
            raise self._refused(caller, label, "", reason) from exc
        now = self.store.clock()
        # (1) who signed it, and is the manifest exactly what they signed?
        try:
            key = self.store.get_org_key(signature.key)
        except NotFoundError:
            raise self._refused(
                caller,
                label,
                "",
                f"manifest.sig names key {signature.key[:16]}…, which is not "
                "registered in the catalogue",
            ) from None
        accepted = self.keys.accepted(key.fingerprint, key.organisation, KeyPurpose.SIGNING, now)
        if not accepted:
            raise self._refused(caller, label, key.organisation, accepted.reason)
        if not signature.verifies(verifier(key), manifest_bytes):
            raise self._refused(
                caller,
                label,
                key.organisation,
                f"manifest.sig does not verify with {key.organisation}'s key "
                f"{key.fingerprint[:16]}…: the manifest was altered or signed by someone else",
            )
        try:
            manifest: PackageManifest = PackageManifest.parse(manifest_bytes, "manifest")
            manifest.check_consistent()
        except ValidationError as exc:
            raise self._refused(caller, label, key.organisation, exc.message) from exc
        label = manifest.transfer_id
        if manifest.sender != key.organisation:
            raise self._refused(
                caller,
                label,
                key.organisation,
                f"the manifest says it comes from {manifest.sender!r} but is signed with "
                f"{key.organisation!r}'s key",
            )
        if now >= manifest.expires_at:
            raise self._refused(
                caller,
                label,
                manifest.recipient,
                f"the package expired at {manifest.expires_at.isoformat()}",
            )
        return files, manifest_bytes, manifest

    def _receipt(self, manifest: PackageManifest, at: datetime) -> SignedReceipt:
        """Step (5): what was loaded, signed with the recipient's current signing key."""
        signing = self.keys.current(manifest.recipient, KeyPurpose.SIGNING)
        receipt = Receipt(
            transfer_id=manifest.transfer_id,
            agreement_id=manifest.agreement_id,
            agreement_version=manifest.agreement_version,
            dataset_id=manifest.dataset_id,
            sender=manifest.sender,
            recipient=manifest.recipient,
            test=manifest.test,
            schema_sha256=manifest.schema_sha256,
            rows=manifest.rows,
            plaintext_sha256=manifest.plaintext_sha256,
            ciphertext_sha256=manifest.ciphertext_sha256,
            received_at=at,
        )
        signature = self.keys.ring.signer(signing).sign(receipt.signed_bytes())
        return SignedReceipt(receipt, signing.fingerprint, signature)

    def _receivable(self, caller: Caller, manifest: PackageManifest) -> AgreementRecord:
        """The agreement the package travels under, still in force for this caller."""
        label = manifest.transfer_id
        try:
            agreement = self.store.get_agreement(manifest.agreement_id)
        except NotFoundError:
            raise self._refused(
                caller, label, manifest.recipient, f"no agreement {manifest.agreement_id!r}"
            ) from None
        if (agreement.version, agreement.policy.sha256()) != (
            manifest.agreement_version,
            manifest.policy_sha256,
        ):
            raise self._refused(
                caller,
                label,
                manifest.recipient,
                f"the package was made under {agreement.id} v{manifest.agreement_version}; "
                f"the agreement in force is v{agreement.version}",
            )
        if manifest.recipient != agreement.policy.recipient:
            raise self._refused(
                caller,
                label,
                manifest.recipient,
                f"{agreement.id} shares with {agreement.policy.recipient!r}, "
                f"not {manifest.recipient!r}",
            )
        if manifest.sender not in agreement.policy.data_owners:
            raise self._refused(
                caller,
                label,
                manifest.recipient,
                f"{manifest.sender!r} is not a data owner under {agreement.id}",
            )
        recipient = self.store.get_organisation(manifest.recipient)
        verdict = can_use(
            caller,
            agreement,
            PlaneChannel.EXTRACT,
            recipient,
            self.store.clock().date(),
            review=standing_of(self.store, agreement),
        )
        if not verdict:
            raise self._refused(caller, label, manifest.recipient, verdict.reason, PermissionDenied)
        return agreement

    @staticmethod
    def _check_plaintext(manifest: PackageManifest, plain: Digest, path: str) -> None:
        if (plain.sha256, plain.size) != (manifest.plaintext_sha256, manifest.plaintext_bytes):
            raise ValidationError(
                "the decrypted payload does not match the manifest's plaintext_sha256"
            )
        try:
            parquet = pq.ParquetFile(path)
            schema = parquet.schema_arrow
            rows = parquet.metadata.num_rows
        except (pa.ArrowException, OSError) as exc:
            raise ValidationError(
                f"the decrypted payload is not a readable Parquet file: {exc}"
            ) from exc
        found = arrow_columns(schema)
        if schema_sha256(found) != manifest.schema_sha256:
            raise ValidationError(
                "the payload's schema is not the manifest's: found "
                + ", ".join(f"{n} {t}" for n, t in found)
            )
        if rows != manifest.rows:
            raise ValidationError(
                f"the payload holds {rows:,} rows, the manifest says {manifest.rows:,}"
            )

    # -- receipts ------------------------------------------------------------------

    def acknowledge(self, caller: Caller, path: Path) -> tuple[SignedReceipt, bool]:
        """The sender takes a receipt back: verified against the recipient's registered key
        and matched to the package sent. Returns it, and whether it was new here."""
        try:
            signed = SignedReceipt.parse(path.read_bytes())
        except OSError as exc:
            raise ValidationError(f"cannot read {path}: {exc.strerror}") from exc
        receipt = signed.receipt
        obj = f"package:{receipt.transfer_id}"
        try:
            sent = self.store.get_sent_package(receipt.transfer_id)
        except NotFoundError:
            raise refuse(
                self.store,
                caller,
                "package.receipt",
                obj,
                receipt.sender,
                f"no package {receipt.transfer_id} was sent from here",
            ) from None
        manifest: PackageManifest = PackageManifest.parse(sent.manifest, "manifest")
        event = authorise(
            self.store,
            caller,
            _sender_staff(caller, manifest.sender),
            action="package.receipt",
            obj=obj,
            organisation=manifest.sender,
        )
        accepted = self.keys.accepted(
            signed.signing_key, manifest.recipient, KeyPurpose.SIGNING, self.store.clock()
        )
        key = self.store.get_org_key(signed.signing_key) if accepted else None
        if key is None or not Signature(signed.signing_key, signed.signature).verifies(
            verifier(key), receipt.signed_bytes()
        ):
            raise refuse(
                self.store,
                caller,
                "package.receipt",
                obj,
                manifest.sender,
                accepted.reason if not accepted else "the receipt's signature does not verify",
            )
        mismatched = [
            name
            for name in (
                "agreement_id",
                "dataset_id",
                "sender",
                "recipient",
                "test",
                "rows",
                "schema_sha256",
                "plaintext_sha256",
                "ciphertext_sha256",
            )
            if getattr(receipt, name) != getattr(manifest, name)
        ]
        if mismatched:
            raise refuse(
                self.store,
                caller,
                "package.receipt",
                obj,
                manifest.sender,
                "the receipt does not match the package sent: " + ", ".join(mismatched),
            )
        return signed, self.store.record_receipt(signed, audit=event)

    def receipts(
        self, caller: Caller, *, organisation: str | None = None, agreement_id: str | None = None
    ) -> list[SignedReceipt]:
        """Receipts the caller's organisations sent or gave (all of them, for the operator)."""
        found = self.store.list_receipts(sender=organisation, agreement_id=agreement_id)
        if caller.operator:
            return found
        mine = set(caller.principal.organisations_with(*Role)) if caller.principal else set()
        return [r for r in found if {r.receipt.sender, r.receipt.recipient} & mine]

    def sent(self, sender: str | None = None) -> Sequence[SentPackage]:
        return self.store.list_sent_packages(sender)


def _sender_staff(caller: Caller, sender: str) -> Verdict:
    if caller.operator or caller.has_role(sender, Role.DATA_OWNER, Role.DPO):
        return Verdict(True, f"a data owner or DPO of {sender!r} keeps its receipts")
    return Verdict(False, f"only a data owner or DPO of {sender!r} may take back its receipts")
