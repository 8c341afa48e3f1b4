"""A failure to write the audit event is told as what it is, and nothing is changed.

Before, a failed audit append surfaced as "that conflicts with what is stored", which
sends the operator looking for a duplicate that does not exist.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from accord.core.identity import OrgKind
from accord.errors import AuditError, ConflictError
from accord.services.app import Accord
from accord.services.identity import IdentityService
from accord.store import Store, connect_engine
from accord.store.models import AuditHeadRow


def test_a_read_only_store_refuses_the_change_as_an_audit_failure(sqlite_accord: Accord) -> None:
    accord = sqlite_accord
    path = accord.settings.sqlite_path
    assert path is not None
    before = accord.store.audit_bounds()
    read_only = Store(
        connect_engine(f"sqlite:///file:{path}?mode=ro&uri=true"),
        signer=accord.keys.audit_signer(),
    )
    identity = IdentityService(read_only, token_ttl_days=1)
    try:
        with pytest.raises(AuditError) as caught:
            identity.create_organisation(
                accord.operator("test"), "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT
            )
    finally:
        read_only.engine.dispose()
    message = caught.value.message
    assert "audit log could not be written" in message
    assert "readonly" in message
    assert "nothing was changed" in message
    assert "conflicts" not in message
    assert accord.store.audit_bounds() == before
    assert [o.id for o in accord.store.list_organisations()] == ["platform"]


def test_an_audit_append_that_collides_is_an_audit_failure_not_a_conflict(
    sqlite_accord: Accord,
) -> None:
    """A head moved back (a restored or tampered head row) makes the next append collide
    with an event already stored: the change must not be reported as the caller's conflict."""
    accord = sqlite_accord
    _, high, _ = accord.store.audit_bounds()
    with accord.store.engine.begin() as conn:
        conn.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=high - 1))
    with pytest.raises(AuditError) as caught:
        accord.identity.create_organisation(
            accord.operator("test"), "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT
        )
    assert not isinstance(caught.value, ConflictError)
    # Caught either by the Merkle tree, now out of step with the head, or by the
    # collision itself: an audit failure either way, and nothing changed.
    assert "audit log" in caught.value.message
    assert [o.id for o in accord.store.list_organisations()] == ["platform"]


def test_a_conflict_in_the_change_itself_is_still_a_conflict(sqlite_accord: Accord) -> None:
    accord = sqlite_accord
    with pytest.raises(ConflictError):
        accord.identity.create_organisation(
            accord.operator("test"), "platform", "Again", OrgKind.PLATFORM_OPERATOR
        )
