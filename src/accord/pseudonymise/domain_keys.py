"""Linkage-domain keys: generated here, sealed at rest, versioned, never exported.

Each domain's key is 32 random bytes from :mod:`secrets`, sealed with AES-256-GCM
under the home's master key by :class:`accord.keys.KeyStore` (the name bound into the
seal is ``linkage-domain/<domain>/v<version>``, so a file copied to another domain or
version does not open). Every version is one immutable JSON file::

    keys/domains/<domain>/v0001.json   {"domain", "version", "created_at",
                                         "fingerprint", "previous_usable_until",
                                         "sealed": base64(nonce || ciphertext)}

Files are created, never rewritten: a version file is written to a temporary file,
fsynced and hard-linked into place, which fails if the name exists, so two concurrent
rotations cannot both make version *n*; the loser gets a ConflictError and may retry.
Because nothing is rewritten, there is no metadata file to corrupt or race on.

Rotation makes version *n + 1* current and records in it how long the versions before
it stay usable (``previous_usable_until``): within that overlap a recipient holding
pseudonyms made under the old version can still be matched; after it, asking for the
old key is refused. The old sealed file is kept (the audit trail names versions).

Key material leaves this module only through :meth:`DomainKeyStore.key`, to callers
in the same process (the engine, which puts it into a plan or hands it to its own
worker processes). No CLI command or API route returns it, and there is no export
function; :class:`DomainKey` hides the bytes from ``repr`` and refuses to be pickled,
so it does not slip into logs, audit details or a pickle by accident. Fingerprints are
safe to show: a domain-separated SHA-256 of the key, never an HMAC any value could
produce.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from accord.errors import ConfigurationError, ConflictError, NotFoundError, ValidationError
from accord.fsutil import fsync_directory
from accord.keys import KeyStore

__all__ = [
    "DEFAULT_OVERLAP",
    "KEY_BYTES",
    "DomainKey",
    "DomainKeyStore",
    "DomainKeyVersion",
    "LinkageDomain",
    "fingerprint",
    "validate_domain_name",
]

KEY_BYTES = 32
DEFAULT_OVERLAP = timedelta(days=30)
_FORMAT = "accord-linkage-domain-key/1"
_DOMAIN = re.compile(r"[a-z][a-z0-9-]{1,62}")
_VERSION_FILE = re.compile(r"v(\d{4,})\.json")
_FINGERPRINT_CONTEXT = b"accord/linkage-domain/fingerprint\0"


def validate_domain_name(name: str) -> str:
    """A domain name is a slug (it becomes a directory and appears in agreements)."""
    if not isinstance(name, str) or not _DOMAIN.fullmatch(name):
        raise ValidationError(
            f"invalid linkage domain name {name!r}: use 2-63 characters, lowercase "
            "letters, digits and hyphens, starting with a letter (e.g. 'dwp-nhs-carers')"
        )
    return name


def fingerprint(material: bytes) -> str:
    """A short public identifier for a key: 16 hex of SHA-256 over a fixed prefix + key.

    The prefix keeps it distinct from every pseudonym (those are HMACs), and a
    fingerprint says nothing useful about the key (it is 256 random bits).
    """
    return hashlib.sha256(_FINGERPRINT_CONTEXT + material).hexdigest()[:16]


@dataclass(frozen=True)
class DomainKeyVersion:
    """Public facts about one version of a domain key: no key material."""

    domain: str
    version: int
    created_at: datetime
    fingerprint: str
    usable_until: datetime | None
    """When a later version superseded this one, the end of its overlap; else None."""

    def usable_at(self, when: datetime) -> bool:
        return self.usable_until is None or when <= self.usable_until


@dataclass(frozen=True)
class LinkageDomain:
    """A domain and its key versions, oldest first; the last one is current."""

    name: str
    versions: tuple[DomainKeyVersion, ...]

    @property
    def current(self) -> DomainKeyVersion:
        return self.versions[-1]


@dataclass(frozen=True)
class DomainKey:
    """Key material for one domain version, for in-process use by the engine only.

    ``material`` is excluded from ``repr`` and the object cannot be pickled, so it
    cannot reach a log line, an audit record or another process by accident; code
    that really means to hand the bytes to its own worker passes ``material``.
    """

    domain: str
    version: int
    fingerprint: str
    material: bytes = field(repr=False)

    def __reduce__(self) -> NoReturn:
        raise TypeError("DomainKey holds linkage key material and is never serialised")


class DomainKeyStore:
    """Linkage-domain keys in the key store's directory, sealed under its master key."""

    def __init__(self, keys: KeyStore) -> None:
        self._keys = keys
        self.directory = keys.directory / "domains"

    # -- reading -------------------------------------------------------------------

    def domains(self) -> list[LinkageDomain]:
        """Every domain, by name, with its versions' fingerprints (no key material)."""
        if not self.directory.is_dir():
            return []
        names = sorted(p.name for p in self.directory.iterdir() if _DOMAIN.fullmatch(p.name))
        return [d for d in (self._load(name) for name in names) if d is not None]

    def domain(self, name: str) -> LinkageDomain:
        found = self._load(validate_domain_name(name))
        if found is None:
            raise NotFoundError(f"no linkage domain {name!r}")
        return found

    def exists(self, name: str) -> bool:
        return self._load(validate_domain_name(name)) is not None

    def key(
        self, domain: str, version: int | None = None, *, at: datetime | None = None
    ) -> DomainKey:
        """The key of ``domain`` at ``version`` (default: current), unsealed.

        In-process only (see the module docstring). A superseded version is refused
        once its overlap has ended at ``at`` (default: now), so pseudonyms under it can
        no longer be made or matched.
        """
        info = self.domain(domain)
        chosen = info.current if version is None else _version(info, version)
        when = at or datetime.now(UTC)
        if not chosen.usable_at(when):
            assert chosen.usable_until is not None
            raise ConflictError(
                f"version {chosen.version} of linkage domain {domain!r} was superseded and "
                f"its overlap ended at {chosen.usable_until.isoformat()}; use version "
                f"{info.current.version}"
            )
        record = _read_json(self._path(domain, chosen.version))
        try:
            sealed = base64.b64decode(record["sealed"], validate=True)
        except (KeyError, ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"the key file for {domain!r} version {chosen.version} is damaged"
            ) from exc
        material = self._keys.unseal(_seal_name(domain, chosen.version), sealed)
        if fingerprint(material) != chosen.fingerprint:
            raise ConfigurationError(
                f"the key for {domain!r} version {chosen.version} does not match its "
                "recorded fingerprint"
            )
        return DomainKey(domain, chosen.version, chosen.fingerprint, material)

    # -- changing ------------------------------------------------------------------

    def create(self, name: str, *, now: datetime | None = None) -> LinkageDomain:
        """A new domain with a fresh random key as version 1; ConflictError if it exists."""
        validate_domain_name(name)
        if self._load(name) is not None:
            raise ConflictError(f"linkage domain {name!r} exists already")
        self._write_version(name, 1, now or datetime.now(UTC), previous_usable_until=None)
        return self.domain(name)

    def ensure(self, name: str, *, now: datetime | None = None) -> LinkageDomain:
        """The domain, created first if it does not exist (safe against a concurrent creator)."""
        found = self._load(validate_domain_name(name))
        if found is not None:
            return found
        try:
            return self.create(name, now=now)
        except ConflictError:
            return self.domain(name)

    def rotate(
        self, name: str, *, overlap: timedelta = DEFAULT_OVERLAP, now: datetime | None = None
    ) -> LinkageDomain:
        """Make a fresh key the current version; earlier versions stay usable for ``overlap``.

        New pseudonyms are made under the new version at once. ``overlap`` is how long
        the old ones may still be reproduced (to match a recipient's existing
        pseudonyms during a changeover); zero ends it immediately.
        """
        if overlap < timedelta(0):
            raise ValidationError("the overlap of a key rotation cannot be negative")
        info = self.domain(name)
        when = now or datetime.now(UTC)
        self._write_version(
            name, info.current.version + 1, when, previous_usable_until=when + overlap
        )
        return self.domain(name)

    # -- files ---------------------------------------------------------------------

    def _path(self, domain: str, version: int) -> Path:
        return self.directory / domain / f"v{version:04d}.json"

    def _write_version(
        self,
        domain: str,
        version: int,
        created_at: datetime,
        *,
        previous_usable_until: datetime | None,
    ) -> None:
        material = secrets.token_bytes(KEY_BYTES)
        sealed = self._keys.seal(_seal_name(domain, version), material)
        record = {
            "format": _FORMAT,
            "domain": domain,
            "version": version,
            "created_at": _iso(created_at),
            "fingerprint": fingerprint(material),
            "previous_usable_until": (
                None if previous_usable_until is None else _iso(previous_usable_until)
            ),
            "sealed": base64.b64encode(sealed).decode("ascii"),
        }
        data = json.dumps(record, indent=2, sort_keys=True).encode() + b"\n"
        try:
            _create_exclusive(self._path(domain, version), data)
        except FileExistsError as exc:
            raise ConflictError(
                f"version {version} of linkage domain {domain!r} was created concurrently; "
                "read the domain again and retry"
            ) from exc

    def _load(self, domain: str) -> LinkageDomain | None:
        folder = self.directory / domain
        if not folder.is_dir():
            return None
        numbers = sorted(
            int(m.group(1)) for p in folder.iterdir() if (m := _VERSION_FILE.fullmatch(p.name))
        )
        if not numbers:
            return None
        if numbers != list(range(1, len(numbers) + 1)):
            raise ConfigurationError(
                f"linkage domain {domain!r} has a gap in its key versions: {numbers}"
            )
        records = [_read_json(self._path(domain, n)) for n in numbers]
        versions = []
        for record, successor in zip(records, [*records[1:], None], strict=True):
            if record.get("format") != _FORMAT or record.get("domain") != domain:
                raise ConfigurationError(f"a key file of linkage domain {domain!r} is damaged")
            until = None if successor is None else successor.get("previous_usable_until")
            versions.append(
                DomainKeyVersion(
                    domain=domain,
                    version=int(record["version"]),
                    created_at=datetime.fromisoformat(record["created_at"]),
                    fingerprint=str(record["fingerprint"]),
                    usable_until=None if until is None else datetime.fromisoformat(until),
                )
            )
        return LinkageDomain(domain, tuple(versions))


def _version(info: LinkageDomain, version: int) -> DomainKeyVersion:
    for candidate in info.versions:
        if candidate.version == version:
            return candidate
    raise NotFoundError(f"linkage domain {info.name!r} has no key version {version}")


def _seal_name(domain: str, version: int) -> str:
    return f"linkage-domain/{domain}/v{version}"


def _iso(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValidationError("key timestamps must be timezone-aware")
    return when.astimezone(UTC).isoformat()


def _read_json(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the key file {path}: {exc}") from exc
    if not isinstance(record, dict):
        raise ConfigurationError(f"the key file {path} is damaged")
    return record


def _create_exclusive(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically, failing with FileExistsError if it exists.

    Unlike :func:`accord.fsutil.write_atomic` (which renames over), a key version must
    never replace another, so the finished temporary file is hard-linked into place.
    """
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.link(tmp, target)
        fsync_directory(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
