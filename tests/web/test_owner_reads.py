"""The service reads behind the owners' pages, called as the pages call them: each
answers its readers and refuses everyone else on the record."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.disclosure.airlock import OutputRequest
from accord.errors import NotFoundError, PermissionDenied, ValidationError
from accord.services.app import Accord
from accord.services.dashboard import DashboardService
from accord.store import AuditFilter
from tests.web.owners_world import OPTED_OUT, opt_out, outputs


def _denied(accord: Accord, actor: str, action: str) -> bool:
    return bool(
        accord.store.audit_events(
            AuditFilter(actor=f"principal:{actor}", action=action, decision="deny", limit=1)
        )
    )


def test_opt_out_counts_are_for_the_registers_keepers(web_accord: Accord) -> None:
    opt_out(web_accord)
    web_accord.plane.add_opt_outs(web_accord.operator("test"), "dwp", "nino", [OPTED_OUT[0]])
    (nino,) = web_accord.plane.opt_out_counts(web_accord.acting_as("dwp.dpo"), "dwp")
    assert (nino.identifier_type, nino.count) == ("nino", len(OPTED_OUT))
    assert web_accord.plane.opt_out_counts(web_accord.acting_as("hmrc.owner"), "hmrc") == []
    with pytest.raises(PermissionDenied, match="keeps its opt-out register"):
        web_accord.plane.opt_out_counts(web_accord.acting_as("hmrc.owner"), "dwp")
    assert _denied(web_accord, "hmrc.owner", "optout.count")


def test_audit_events_page_backwards_from_a_sequence_number(web_accord: Accord) -> None:
    newest = web_accord.store.audit_events(AuditFilter(limit=3))
    older = web_accord.store.audit_events(AuditFilter(limit=3, before=newest[-1].seq))
    assert all(e.seq < newest[-1].seq for e in older)
    assert [e.seq for e in older] == sorted((e.seq for e in older), reverse=True)
    assert older[0].seq == newest[-1].seq - 1


@pytest.fixture
def submitted(web_accord: Accord) -> OutputRequest:
    return outputs(web_accord)


def test_output_requests_are_read_by_their_organisations_checkers_only(
    web_accord: Accord, submitted: OutputRequest
) -> None:
    checker = web_accord.acting_as("leeds.checker1")
    assert [r.id for r in web_accord.airlock.list_requests(checker, "leeds")] == [submitted.id]
    assert web_accord.airlock.show(checker, submitted.id).title == "Carers by ward"
    with pytest.raises(PermissionDenied, match="only the analysts, output checkers"):
        web_accord.airlock.list_requests(web_accord.acting_as("leeds.officer"), "leeds")
    assert _denied(web_accord, "leeds.officer", "airlock.list")
    outsider = web_accord.acting_as("dwp.dpo")
    with pytest.raises(NotFoundError) as theirs:
        web_accord.airlock.show(outsider, submitted.id)
    with pytest.raises(NotFoundError) as missing:
        web_accord.airlock.show(outsider, "out_0000000000000000")
    assert str(theirs.value) == str(missing.value).replace("out_0000000000000000", submitted.id)
    assert _denied(web_accord, "dwp.dpo", "airlock.show")


def test_a_file_is_read_for_checking_within_a_limit(
    web_accord: Accord, submitted: OutputRequest
) -> None:
    checker = web_accord.acting_as("leeds.checker1")
    content = web_accord.airlock.read_file(checker, submitted.id, "totals.csv", max_bytes=100)
    assert content == b"total\n124\n"
    with pytest.raises(ValidationError, match="more than the 5 shown"):
        web_accord.airlock.read_file(checker, submitted.id, "totals.csv", max_bytes=5)
    Path(submitted.file("totals.csv").path).write_bytes(b"total\n999\n")
    with pytest.raises(Exception, match="no longer matches its checksum"):
        web_accord.airlock.read_file(checker, submitted.id, "totals.csv", max_bytes=100)


def test_the_dashboard_is_refused_outside_its_organisations_governors(
    web_accord: Accord,
) -> None:
    service = DashboardService(web_accord.store)
    assert service.for_organisation(web_accord.acting_as("dwp.dpo"), "dwp").decisions.decided == 0
    with pytest.raises(PermissionDenied, match="DPOs, admins and auditors of 'dwp'"):
        service.for_organisation(web_accord.acting_as("dwp.owner"), "dwp")
    assert _denied(web_accord, "dwp.owner", "dashboard.show")
    with pytest.raises(ValidationError, match="period must be one of"):
        service.for_organisation(web_accord.acting_as("dwp.dpo"), "dwp", period_days=7)
