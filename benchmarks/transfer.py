"""Package throughput: sealing and opening a 1 GB payload, signatures included.

``encrypt_mb_per_s`` is the payload's size over the time to hash the plaintext, encrypt
it to an age recipient (streamed to disk), hash the ciphertext, and build and sign the
manifest, as ``accord package send`` does after the extract. ``decrypt_mb_per_s`` is the
size over the time to verify the manifest's signature, check the ciphertext's size and
hash *before* decrypting, decrypt (streamed into a staged, nameless file) and hash the
plaintext, as ``accord package receive`` does before loading. The payload is random
bytes in a temporary directory, so neither compression nor the repository is involved.

Each measurement is one function returning a dict; the dicts are merged into the one
JSON object printed. ``delta_read_ratio`` and the other ``delta_`` keys come from
``benchmarks/delta_read.py`` (the official Delta Sharing client reading a
1,000,000-row governed view from a live server, against pyarrow reading the same file
locally; its docstring says exactly what each ratio compares).

    python benchmarks/transfer.py [--mb 1024] [--repeat 1] [--delta-rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyrage import x25519

from accord.core.transfer.keys import fingerprint
from accord.core.transfer.manifest import PackageManifest
from accord.core.transfer.schema import schema_sha256
from accord.transfer.package import Signature
from accord.transfer.payload import CHUNK, Digest, decrypt_payload, encrypt_payload
from accord.transfer.staging import staged

Measurement = Callable[[argparse.Namespace, Path], dict[str, Any]]


def _payload(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        left = size
        while left:
            block = os.urandom(min(CHUNK, left))
            handle.write(block)
            left -= len(block)


def _seal(plain: Path, directory: Path, recipient: Any, key: Ed25519PrivateKey, key_id: str):
    """What a sender does once the extract is written: encrypt, hash, sign."""
    plain_digest, cipher_digest = encrypt_payload(
        str(plain), str(directory / "payload.age"), recipient
    )
    now = datetime.now(UTC)
    columns = (("payload", "binary"),)
    manifest = PackageManifest(
        transfer_id="tr-" + os.urandom(8).hex(),
        agreement_id="agr-bench",
        agreement_version=1,
        policy_sha256="0" * 64,
        dataset_id="bench/payload",
        dataset_version=1,
        sender="bench",
        recipient="bench",
        recipient_key="0" * 64,
        schema_sha256=schema_sha256(list(columns)),
        columns=columns,
        rows=0,
        plaintext_sha256=plain_digest.sha256,
        plaintext_bytes=plain_digest.size,
        ciphertext_sha256=cipher_digest.sha256,
        ciphertext_bytes=cipher_digest.size,
        created_at=now,
        expires_at=now + timedelta(days=1),
        test=False,
    )
    data = manifest.to_bytes()
    (directory / "manifest.json").write_bytes(data)
    (directory / "manifest.sig").write_bytes(Signature.sign(key, key_id, data).to_bytes())
    return manifest


def _open(directory: Path, identity: Any, key: Ed25519PrivateKey, out: Path) -> Digest:
    """What a recipient does before loading: verify, check, decrypt, hash."""
    data = (directory / "manifest.json").read_bytes()
    signature = Signature.parse((directory / "manifest.sig").read_bytes())
    if not signature.verifies(key.public_key(), data):
        raise SystemExit("the manifest did not verify")
    manifest: PackageManifest = PackageManifest.parse(data, "manifest")
    expected = Digest(manifest.ciphertext_sha256, manifest.ciphertext_bytes)
    with staged(out) as target:
        plain = decrypt_payload(str(directory / "payload.age"), target.path, identity, expected)
    if plain.sha256 != manifest.plaintext_sha256:
        raise SystemExit("the plaintext did not match")
    return plain


def measure_age(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    size = args.mb * 1024 * 1024
    plain = work / "payload.parquet"
    _payload(plain, size)
    identity = x25519.Identity.generate()
    signing = Ed25519PrivateKey.generate()
    key_id = fingerprint(signing.public_key().public_bytes_raw().hex())
    package = work / "package"
    package.mkdir()
    encrypt, decrypt = [], []
    for attempt in range(args.repeat):
        started = time.perf_counter()
        _seal(plain, package, identity.to_public(), signing, key_id)
        encrypt.append(time.perf_counter() - started)
        started = time.perf_counter()
        _open(package, identity, signing, work / f"loaded-{attempt}.parquet")
        decrypt.append(time.perf_counter() - started)
        (work / f"loaded-{attempt}.parquet").unlink(missing_ok=True)
    megabytes = size / 1e6
    return {
        "payload_bytes": size,
        "encrypt_mb_per_s": round(megabytes / min(encrypt), 1),
        "decrypt_mb_per_s": round(megabytes / min(decrypt), 1),
    }


def measure_delta(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from delta_read import measure_delta_read  # benchmarks/ is the script's own directory

    return measure_delta_read(args.delta_rows, max(args.repeat, 3))


MEASUREMENTS: dict[str, Measurement] = {"age": measure_age, "delta": measure_delta}
"""Name -> measurement; each returns keys of the one JSON object printed."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1024, help="payload size in MiB")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the best is reported")
    parser.add_argument("--delta-rows", type=int, default=1_000_000, help="rows of the share")
    args = parser.parse_args()
    result: dict[str, Any] = {}
    for measure in MEASUREMENTS.values():
        with tempfile.TemporaryDirectory(prefix="accord-bench-transfer-") as work:
            result.update(measure(args, Path(work)))
    result.update(
        cores=os.cpu_count(),
        targets={"encrypt_mb_per_s": 400, "decrypt_mb_per_s": 400, "delta_read_ratio": 2.0},
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
