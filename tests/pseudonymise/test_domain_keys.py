"""The linkage-domain key store: generated, sealed, versioned, never exported."""

from __future__ import annotations

import base64
import pickle
import secrets
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from accord.errors import ConfigurationError, ConflictError, NotFoundError, ValidationError
from accord.keys import KeyStore
from accord.pseudonymise.domain_keys import KEY_BYTES, DomainKeyStore, fingerprint

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_create_lists_versions_with_fingerprints(domains: DomainKeyStore) -> None:
    created = domains.create("dwp-nhs-carers", now=T0)
    assert created.name == "dwp-nhs-carers"
    assert [v.version for v in created.versions] == [1]
    assert created.current.created_at == T0
    assert created.current.usable_until is None
    key = domains.key("dwp-nhs-carers")
    assert len(key.material) == KEY_BYTES
    assert key.version == 1
    assert key.fingerprint == created.current.fingerprint == fingerprint(key.material)
    assert len(key.fingerprint) == 16

    domains.create("research-linkage", now=T0)
    assert [d.name for d in domains.domains()] == ["dwp-nhs-carers", "research-linkage"]


def test_keys_are_random_and_persist_across_reopening(key_store: KeyStore, tmp_path: Path) -> None:
    first = DomainKeyStore(key_store)
    first.create("alpha")
    first.create("beta")
    assert first.key("alpha").material != first.key("beta").material
    reopened = DomainKeyStore(KeyStore.open(tmp_path / "home"))
    assert reopened.key("alpha").material == first.key("alpha").material


def test_an_existing_domain_is_not_recreated(domains: DomainKeyStore) -> None:
    domains.create("alpha")
    material = domains.key("alpha").material
    with pytest.raises(ConflictError, match="exists already"):
        domains.create("alpha")
    assert domains.key("alpha").material == material


@pytest.mark.parametrize("name", ["", "a", "Alpha", "../keys", "a/b", "-x", "1abc", "a b", "é"])
def test_domain_names_are_slugs(domains: DomainKeyStore, name: str) -> None:
    with pytest.raises(ValidationError, match="invalid linkage domain name"):
        domains.create(name)
    with pytest.raises(ValidationError):
        domains.key(name)


def test_unknown_domain_and_version(domains: DomainKeyStore) -> None:
    assert domains.domains() == []
    with pytest.raises(NotFoundError):
        domains.key("missing")
    with pytest.raises(NotFoundError):
        domains.rotate("missing")
    domains.create("alpha")
    with pytest.raises(NotFoundError, match="no key version 2"):
        domains.key("alpha", 2)


def test_rotation_keeps_old_versions_reproducible_for_the_overlap(
    domains: DomainKeyStore,
) -> None:
    domains.create("alpha", now=T0)
    v1 = domains.key("alpha", at=T0)
    rotated = domains.rotate("alpha", overlap=timedelta(days=30), now=T0 + timedelta(days=100))
    assert [v.version for v in rotated.versions] == [1, 2]
    assert rotated.versions[0].usable_until == T0 + timedelta(days=130)
    assert rotated.current.usable_until is None
    assert rotated.versions[0].fingerprint == v1.fingerprint

    during = T0 + timedelta(days=110)
    current = domains.key("alpha", at=during)
    assert current.version == 2
    assert current.material != v1.material
    assert domains.key("alpha", 1, at=during).material == v1.material

    after = T0 + timedelta(days=131)
    with pytest.raises(ConflictError, match="overlap ended"):
        domains.key("alpha", 1, at=after)
    assert domains.key("alpha", 2, at=after).material == current.material


def test_each_rotation_sets_the_overlap_of_the_version_before(domains: DomainKeyStore) -> None:
    domains.create("alpha", now=T0)
    domains.rotate("alpha", overlap=timedelta(days=10), now=T0 + timedelta(days=1))
    info = domains.rotate("alpha", overlap=timedelta(0), now=T0 + timedelta(days=2))
    assert [v.usable_until for v in info.versions] == [
        T0 + timedelta(days=11),
        T0 + timedelta(days=2),
        None,
    ]
    with pytest.raises(ValidationError, match="negative"):
        domains.rotate("alpha", overlap=timedelta(days=-1))


def test_sealed_files_do_not_contain_the_key(domains: DomainKeyStore, key_store: KeyStore) -> None:
    domains.create("alpha")
    domains.rotate("alpha")
    materials = [domains.key("alpha", v).material for v in (1, 2)]
    files = [p for p in key_store.directory.rglob("*") if p.is_file()]
    assert len([p for p in files if p.suffix == ".json"]) == 2
    for path in files:
        content = path.read_bytes()
        for material in materials:
            for form in (material, material.hex().encode(), base64.b64encode(material)):
                assert form not in content, path
        assert path.stat().st_mode & 0o077 == 0 or path.suffix == ".pub"


def test_a_wrong_master_key_fails_clearly(domains: DomainKeyStore, key_store: KeyStore) -> None:
    domains.create("alpha")
    stranger = DomainKeyStore(KeyStore(key_store.directory, secrets.token_bytes(32)))
    assert [d.name for d in stranger.domains()] == ["alpha"]  # metadata is public
    with pytest.raises(ConfigurationError, match="not the one it was sealed with"):
        stranger.key("alpha")


def test_a_key_file_moved_to_another_domain_does_not_open(domains: DomainKeyStore) -> None:
    domains.create("alpha")
    domains.create("beta")
    source = domains.directory / "alpha" / "v0001.json"
    target = domains.directory / "beta" / "v0001.json"
    shutil.copyfile(source, target)
    with pytest.raises(ConfigurationError):
        domains.key("beta")


def test_key_material_stays_out_of_repr_and_pickle(domains: DomainKeyStore) -> None:
    domains.create("alpha")
    key = domains.key("alpha")
    assert key.material.hex() not in repr(key)
    assert repr(key.material) not in repr(key)
    with pytest.raises(TypeError, match="never serialised"):
        pickle.dumps(key)


def test_no_public_function_exports_a_key() -> None:
    """The store's public surface is read metadata, create, rotate and in-process key()."""
    public = {name for name in vars(DomainKeyStore) if not name.startswith("_")}
    assert public == {"domains", "domain", "exists", "key", "create", "ensure", "rotate"}


def test_a_concurrent_rotation_loses_cleanly(domains: DomainKeyStore) -> None:
    domains.create("alpha")
    # Another process made version 2 between our read and our write.
    stale = domains.domain("alpha")
    domains.rotate("alpha")
    with pytest.raises(ConflictError, match="created concurrently"):
        domains._write_version("alpha", stale.current.version + 1, T0, previous_usable_until=T0)
    assert [v.version for v in domains.domain("alpha").versions] == [1, 2]


def test_ensure_creates_once(domains: DomainKeyStore) -> None:
    first = domains.ensure("alpha")
    assert domains.ensure("alpha") == first
    assert [v.version for v in first.versions] == [1]


def test_seal_binds_the_name(key_store: KeyStore) -> None:
    sealed = key_store.seal("linkage-domain/alpha/v1", b"secret")
    assert key_store.unseal("linkage-domain/alpha/v1", sealed) == b"secret"
    with pytest.raises(ConfigurationError, match="does not decrypt"):
        key_store.unseal("linkage-domain/beta/v1", sealed)
    with pytest.raises(ConfigurationError, match="truncated"):
        key_store.unseal("linkage-domain/alpha/v1", sealed[:8])
