"""Held records through the service and the command line: who may add, list, record
events and set delete dates; bad input named by field; a delete date before keep-until
refused; a run by the holder's DPO deletes the due records with a certificate and a
notice; a file already gone is not an error."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.cli.main import app as cli
from accord.core.lifecycle.notices import NoticeKind
from accord.core.lifecycle.record_retention import HeldRecord, RecordState
from accord.demo.provider_steps.records import months_ago
from accord.errors import NotFoundError, PermissionDenied, ValidationError
from accord.services.app import Accord
from accord.services.outbox import Outbox
from accord.services.records import MAX_RECORD_BYTES, RecordsService
from accord.settings import load_settings
from accord.store import AuditFilter
from tests.records.harness import nino, organisations

NINO = nino(7)


@pytest.fixture
def app(sqlite_accord: Accord) -> Accord:
    organisations(sqlite_accord)
    return sqlite_accord


def add(app: Accord, who: str = "northfield.caseworker", **changes: Any) -> HeldRecord:
    arguments: dict[str, Any] = {
        "kind": "mandation_evidence",
        "referral_id": "W000000123",
        "nino": NINO,
        "data": b"%PDF-1.7 evidence",
        "suffix": ".pdf",
        **changes,
    }
    return RecordsService.of(app).add(app.acting_as(who, "test"), "northfield", **arguments)


def denies(app: Accord, action: str) -> list[object]:
    return list(app.store.audit_events(AuditFilter(action=action, decision="deny")))


def test_staff_add_and_list_records_others_are_answered_not_found(app: Accord) -> None:
    service = RecordsService.of(app)
    record = add(app)
    stored = service.repository.get_record(record.id)
    path = app.home / "records" / "northfield" / stored.file_name
    assert path.read_bytes() == b"%PDF-1.7 evidence"
    assert stored.participant == service.participant_ref("northfield", "jk 00 00 07 a")
    assert NINO not in stored.participant
    assert stored.programme == "WHP"
    listed = service.schedule(app.acting_as("northfield.adviser", "test"), "northfield")
    assert [s.record.id for s in listed] == [stored.id]
    assert listed[0].keep_until is None  # no decision notified yet: kept

    eastgate = app.acting_as("eastgate.caseworker", "test")
    with pytest.raises(NotFoundError) as other:
        service.schedule(eastgate, "northfield")
    with pytest.raises(NotFoundError) as missing:
        service.schedule(app.acting_as("northfield.caseworker", "test"), "nowhere")
    assert str(other.value) == "no records held by 'northfield'"
    assert str(missing.value) == "no records held by 'nowhere'"
    with pytest.raises(NotFoundError):
        add(app, who="eastgate.caseworker")
    assert len(denies(app, "records.list")) == 2
    assert len(denies(app, "records.add")) == 1
    # another holder's key: the same person has another reference there
    assert service.participant_ref("eastgate", NINO) != stored.participant


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "diary"}, "kind"),
        ({"referral_id": "X123"}, "referral"),
        ({"nino": "not a nino"}, "nino"),
        ({"data": b""}, "file"),
        ({"suffix": ".p/df"}, "file"),
        ({"data": b"x" * (MAX_RECORD_BYTES + 1)}, "file"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    app: Accord, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        add(app, **changes)
    assert str(refused.value).startswith(f"{field}:")
    assert NINO not in str(refused.value)
    assert not (app.home / "records" / "northfield").exists()


def test_events_and_delete_dates_are_the_dpos_and_never_before_keep_until(app: Accord) -> None:
    service = RecordsService.of(app)
    add(app)
    today = app.store.clock().date()
    caseworker = app.acting_as("northfield.caseworker", "test")
    dpo = app.acting_as("northfield.dpo", "test")
    with pytest.raises(PermissionDenied):
        service.record_event(caseworker, "northfield", "decision_notified", today, nino=NINO)
    with pytest.raises(ValidationError, match=r"^date:"):
        service.record_event(
            dpo, "northfield", "decision_notified", today + timedelta(days=1), nino=NINO
        )
    with pytest.raises(ValidationError, match=r"^programme:"):
        service.record_event(dpo, "northfield", "programme_ended", today, programme="SWP")
    with pytest.raises(ValidationError, match=r"^event:"):
        service.record_event(dpo, "northfield", "born", today)
    notified = months_ago(today, 2)
    assert service.record_event(dpo, "northfield", "decision_notified", notified, nino=NINO)
    assert not service.record_event(dpo, "northfield", "decision_notified", notified, nino=NINO)
    keep = service.schedule(dpo, "northfield")[0].keep_until
    assert keep is not None
    with pytest.raises(PermissionDenied, match=r"before record .* keep-until"):
        service.configure(dpo, "northfield", "mandation_evidence", on=keep - timedelta(days=1))
    with pytest.raises(PermissionDenied):
        service.configure(caseworker, "northfield", "mandation_evidence", offset="P1M")
    service.configure(dpo, "northfield", "mandation_evidence", on=keep + timedelta(days=30))
    assert service.schedule(dpo, "northfield")[0].delete_on == keep + timedelta(days=30)
    refusals = denies(app, "records.configure")
    assert len(refusals) == 2
    facts = app.store.audit_events(AuditFilter(action="records.event", decision="allow"))
    assert len(list(facts)) == 1  # the second, identical, changed nothing


def test_the_holders_dpo_runs_the_job_with_a_certificate_and_a_notice(app: Accord) -> None:
    service = RecordsService.of(app)
    dpo = app.acting_as("northfield.dpo", "test")
    app.org_keys.rotate(app.operator("test"), "northfield")
    due = add(app)
    kept = add(app, kind="esf_form")
    gone = add(app, nino=nino(8), referral_id="J000000008")
    today = app.store.clock().date()
    for person in (NINO, nino(8)):
        service.record_event(
            dpo, "northfield", "decision_notified", months_ago(today, 14), nino=person
        )
    # a file removed by hand (or by a run that died) is not an error
    (app.home / "records" / "northfield" / f"{gone.id}.pdf").unlink()
    with pytest.raises(NotFoundError):
        service.run(app.acting_as("eastgate.dpo", "test"), holder="northfield")
    report = service.run(dpo, holder="northfield")
    assert {r.id for r in report.deleted} == {due.id, gone.id}
    assert report.by_kind() == {"mandation_evidence": 2}
    assert len(report.certificates) == 1
    signed = service.retention.lifecycle.get_certificate(report.certificates[0])
    assert signed.certificate.subject_kind == "held_records"
    assert "2 held record(s)" in signed.certificate.description
    assert NINO not in json.dumps(signed.certificate.as_dict())
    assert service.retention.verify(signed)
    notices = Outbox(app.store).notices(
        organisation="northfield", kind=NoticeKind.RETENTION_DELETED
    )
    assert len(notices) == 1
    assert "2 record(s)" in notices[0].body
    states = {r.id: r.state for r in service.repository.records()}
    assert states[kept.id] is RecordState.HELD
    with pytest.raises(PermissionDenied):
        service.certify(app.acting_as("northfield.caseworker", "test"), "northfield")
    again = service.run(dpo, holder="northfield")
    assert again.deleted == ()
    assert again.certificates == ()


def test_the_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("ACCORD_HOME", str(home))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    monkeypatch.delenv("ACCORD_MASTER_KEY", raising=False)
    accord = Accord.init(load_settings(), operator="test")
    organisations(accord)
    today = accord.store.clock().date()
    accord.close()
    evidence = tmp_path / "evidence.pdf"
    evidence.write_bytes(b"%PDF-1.7 notice of interview")
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, list(args))
        assert result.exit_code == code, result.output
        return result.output

    run(
        "records", "add", "--org", "northfield", "--kind", "mandation_evidence",
        "--referral", "W000000123", "--nino", NINO, "--file", str(evidence),
        "--as", "northfield.caseworker",
    )  # fmt: skip
    out = run("records", "add", "--org", "northfield", "--kind", "mandation_evidence",
              "--referral", "W1", "--nino", NINO, "--file", str(evidence), code=1)  # fmt: skip
    assert "referral" in out
    run("records", "list", "--org", "northfield", "--as", "eastgate.caseworker", code=4)
    run(
        "records", "event", "--org", "northfield", "--event", "decision_notified",
        "--date", months_ago(today, 13).isoformat(), "--nino", NINO, "--as", "northfield.dpo",
    )  # fmt: skip
    run(
        "records", "configure", "--org", "northfield", "--kind", "mandation_evidence",
        "--on", today.isoformat(), "--as", "northfield.dpo",
    )  # fmt: skip
    listed = json.loads(run("records", "list", "--org", "northfield", "--json"))
    assert listed[0]["delete_on"] == today.isoformat()
    report = json.loads(run("records", "run", "--json"))
    assert report["deleted_by_kind"] == {"mandation_evidence": 1}
    assert report["certificates"] == []  # the operator does not sign for Northfield
    run("org", "rotate-keys", "northfield")
    out = run("records", "certify", "--org", "northfield", "--as", "northfield.dpo")
    assert "1 held record(s) deleted" in out
    assert "nothing to certify" in run(
        "records", "certify", "--org", "northfield", "--as", "northfield.dpo"
    )
