"""The client-key repository keeps the store's promise: no change without its audit event."""

from __future__ import annotations

import inspect

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.errors import NotFoundError
from accord.services.app import Accord
from accord.services.client_keys import ClientKeyService
from accord.store import AuditFilter
from accord.store.base import StoreBase
from accord.store.tls_store import CLIENT_KEY_READ_METHODS, ClientKeyStore


def test_every_mutating_method_takes_a_required_audit_event() -> None:
    own = {
        name
        for name, member in inspect.getmembers(ClientKeyStore, inspect.isfunction)
        if not name.startswith("_") and not hasattr(StoreBase, name)
    }
    assert own >= CLIENT_KEY_READ_METHODS
    mutating = own - CLIENT_KEY_READ_METHODS
    assert mutating == {"add_client_key", "revoke_client_key"}
    for name in mutating:
        audit = inspect.signature(getattr(ClientKeyStore, name)).parameters["audit"]
        assert audit.default is inspect.Parameter.empty, name
    for name in CLIENT_KEY_READ_METHODS:
        assert "audit" not in inspect.signature(getattr(ClientKeyStore, name)).parameters


def test_register_and_revoke_on_each_backend(accord: Accord) -> None:
    op = accord.operator("test")
    accord.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    accord.identity.create_principal(
        op, "dwp.sync", "Sync", PrincipalKind.SERVICE, (Membership("dwp", Role.DATA_OWNER),)
    )
    public = Ed25519PrivateKey.generate().public_key()
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    service = ClientKeyService(accord.store)
    key = service.register(op, "dwp.sync", pem, description="sync")
    assert key.public_key == public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert service.keys.get_client_key(key.id) == key
    revoked = service.revoke(op, key.id)
    assert revoked.revoked_at is not None
    with pytest.raises(NotFoundError, match="unrevoked client key"):
        service.revoke(op, key.id)
    with pytest.raises(NotFoundError, match="no client key 'ck_none'"):
        service.keys.get_client_key("ck_none")
    actions = [
        e.action for e in accord.store.audit_events(AuditFilter(action="client_key", limit=10))
    ]
    assert sorted(actions) == ["client_key.register", "client_key.revoke"]
    assert accord.audit.verify().ok
