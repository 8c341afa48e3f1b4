"""The metadata store facade: one object, one concept per mixin.

Every method that changes state takes the audit event that records the change as a
required keyword argument ``audit`` and writes it in the same transaction
(``tests/store/test_audit_contract.py`` enforces this); reads take none.
"""

from __future__ import annotations

from accord.store.audit_store import AUDIT_READ_METHODS, AuditFilter, AuditStore
from accord.store.catalogue_store import CatalogueStore
from accord.store.disclosure_store import DISCLOSURE_READ_METHODS, DisclosureStore
from accord.store.governance_store import GOVERNANCE_READ_METHODS, GovernanceStore
from accord.store.identity_store import IdentityStore
from accord.store.plane_store import PLANE_READ_METHODS, PlaneStore
from accord.store.sharing_store import SHARING_READ_METHODS, SharingStore
from accord.store.transfer_store import TRANSFER_READ_METHODS, TransferStore

__all__ = ["READ_METHODS", "AuditFilter", "Store"]

READ_METHODS = (
    AUDIT_READ_METHODS
    | GOVERNANCE_READ_METHODS
    | PLANE_READ_METHODS
    | DISCLOSURE_READ_METHODS
    | SHARING_READ_METHODS
    | TRANSFER_READ_METHODS
    | frozenset(
        {
            "get_organisation",
            "list_organisations",
            "get_principal",
            "list_principals",
            "find_token",
            "get_token",
            "list_tokens",
            "get_dataset",
            "list_datasets",
            "search_datasets",
            "list_versions",
            "get_version",
            "find_version_by_hash",
            "audit_head",
            "audit_events",
            "audit_owners_from",
            "object_parties",
            "audit_payloads",
            "audit_blobs",
            "audit_hashes_at",
            "audit_bounds",
            "checkpoints",
        }
    )
)
"""Public methods that change nothing; every other public method must take ``audit``."""


class Store(
    IdentityStore,
    CatalogueStore,
    GovernanceStore,
    PlaneStore,
    DisclosureStore,
    SharingStore,
    TransferStore,
    AuditStore,
):
    """SQLite or PostgreSQL behind one interface; see the module docstring for the contract."""
