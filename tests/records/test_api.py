"""Held records over HTTP with real tokens: staff add (the NINO in a header, the file as
the body, its size checked first), another organisation is answered as missing, the
DPO records the event and runs the job, which deletes the due record."""

from __future__ import annotations

from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.demo.provider_steps.records import months_ago
from accord.services.app import Accord
from accord.services.records import MAX_RECORD_BYTES
from tests.records.harness import nino, organisations


def test_held_records_over_http(sqlite_accord: Accord) -> None:
    accord = sqlite_accord
    organisations(accord)
    op = accord.operator("test")
    accord.org_keys.rotate(op, "northfield")
    auth = {
        pid: {"Authorization": f"Bearer {accord.identity.issue_token(op, pid, ttl_days=1)[1]}"}
        for pid in ("northfield.caseworker", "northfield.dpo", "eastgate.caseworker")
    }
    client = TestClient(create_app(accord))
    params = {"kind": "mandation_evidence", "referral": "W000000042", "suffix": ".pdf"}
    headers = {**auth["northfield.caseworker"], "Accord-Participant-Nino": nino(42)}
    added = client.post(
        "/organisations/northfield/held-records", params=params, headers=headers, content=b"PDF"
    )
    assert added.status_code == 201, added.text
    assert nino(42) not in added.text
    too_big = client.post(
        "/organisations/northfield/held-records",
        params=params,
        headers=headers,
        content=b"x" * (MAX_RECORD_BYTES + 1),
    )
    assert too_big.status_code == 422
    assert "file" in too_big.text
    bad = client.post(
        "/organisations/northfield/held-records",
        params={**params, "referral": "42"},
        headers=headers,
        content=b"PDF",
    )
    assert bad.status_code == 422
    assert "referral" in bad.text

    other = client.get(
        "/organisations/northfield/held-records", headers=auth["eastgate.caseworker"]
    )
    missing = client.get("/organisations/nowhere/held-records", headers=auth["eastgate.caseworker"])
    assert other.status_code == missing.status_code == 404
    assert other.json()["error"]["message"] == "no records held by 'northfield'"

    dpo = auth["northfield.dpo"]
    when = months_ago(accord.store.clock().date(), 13).isoformat()
    event = client.post(
        "/organisations/northfield/retention-events",
        json={"event": "decision_notified", "on": when, "nino": nino(42)},
        headers=dpo,
    )
    assert event.json() == {"recorded": True}
    early = client.put(
        "/organisations/northfield/record-delete-dates/mandation_evidence",
        json={"on": "2020-01-01"},
        headers=dpo,
    )
    assert early.status_code == 403
    assert "keep-until" in early.text
    run = client.post("/organisations/northfield/held-records/run", headers=dpo)
    assert run.status_code == 200, run.text
    assert run.json()["deleted_by_kind"] == {"mandation_evidence": 1}
    assert len(run.json()["certificates"]) == 1
    listed = client.get("/organisations/northfield/held-records", headers=dpo).json()
    assert [r["state"] for r in listed] == ["deleted"]
