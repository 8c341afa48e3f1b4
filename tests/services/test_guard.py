"""The guard: allow verdicts keep their reason in the stored event; refusals are recorded."""

from __future__ import annotations

import pytest

from accord.core.audit import Decision
from accord.core.permissions import Caller, Verdict
from accord.errors import PermissionDenied
from accord.services.app import Accord
from accord.services.guard import authorise, released
from accord.store import AuditFilter


def test_an_allow_keeps_its_reason_through_the_store(sqlite_accord: Accord) -> None:
    caller = Caller("principal:alice")
    event = authorise(
        sqlite_accord.store,
        caller,
        Verdict(True, "data_owner of 'dwp'"),
        action="dataset.ingest",
        obj="dataset:dwp/carers",
        organisation="dwp",
    )
    assert event.reason == "data_owner of 'dwp'"
    sqlite_accord.store.record(event)
    stored = sqlite_accord.store.audit_events(AuditFilter(actor="principal:alice"))[0]
    assert stored.decision == Decision.ALLOW
    assert stored.reason == "data_owner of 'dwp'"
    assert stored.owner_ids == ("dwp",)


def test_a_release_keeps_the_verdict_that_allowed_it(sqlite_accord: Accord) -> None:
    allowed = authorise(
        sqlite_accord.store,
        Caller("principal:bob"),
        Verdict(True, "analyst of the recipient 'nhse'"),
        action="extract.run",
        obj="agreement:ag-1:v1",
        organisation="nhse",
    )
    event = released(allowed, action="extract.release", reason="governed extract", rows=2)
    sqlite_accord.store.record(event)
    stored = sqlite_accord.store.audit_events(AuditFilter(actor="principal:bob"))[0]
    assert stored.action == "extract.release"
    assert stored.reason == "governed extract"
    assert stored.details_dict == {
        "rows": 2,
        "authorised": {"action": "extract.run", "reason": "analyst of the recipient 'nhse'"},
    }


def test_a_refusal_is_recorded_before_it_is_raised(sqlite_accord: Accord) -> None:
    with pytest.raises(PermissionDenied, match="only a data_owner"):
        authorise(
            sqlite_accord.store,
            Caller("principal:carol"),
            Verdict(False, "only a data_owner of 'dwp' may publish its datasets"),
            action="dataset.register",
            obj="dataset:dwp/x",
            organisation="dwp",
        )
    stored = sqlite_accord.store.audit_events(AuditFilter(actor="principal:carol"))[0]
    assert stored.decision == Decision.DENY
    assert stored.reason == "only a data_owner of 'dwp' may publish its datasets"
    assert stored.owner_ids == ("dwp",)
