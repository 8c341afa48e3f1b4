"""Requests built through the services, for the pages that decide on them.

DWP publishes Carer's Allowance; HMRC publishes PAYE income; Leeds City Council's
officer asks DWP (and, for a two-owner request, HMRC) for identifiable records to
offer carers support: a tier 5 request needing DWP's data owner, DPO and legal.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from accord.core.governance.request import SharingRequest
from accord.core.vocabulary import SemanticType as S
from accord.services.app import Accord

APPROVERS = ("dwp.owner", "dwp.dpo", "dwp.legal")


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> str:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def publish(accord: Accord, tmp_path: Path) -> None:
    op = accord.operator("test")
    accord.catalogue.register(
        op,
        "dwp",
        "carers_allowance",
        _csv(
            tmp_path / "ca.csv",
            ["nino", "forename", "surname", "date_of_birth", "postcode", "weekly_amount"],
            [
                ["AB123456C", "Mary", "Jones", "1961-04-12", "LS1 1AA", "81.90"],
                ["CE654321A", "John", "Smith", "1958-11-30", "LS2 7EE", "81.90"],
            ],
        ),
        tags=("carers", "benefits"),
        overrides={"weekly_amount": S.AMOUNT},
    )
    accord.catalogue.register(
        op,
        "hmrc",
        "paye_income",
        _csv(
            tmp_path / "paye.csv",
            ["nino", "tax_year", "annual_pay"],
            [["AB123456C", "2020", "15000"], ["CE654321A", "2020", "9000"]],
        ),
        tags=("income",),
        overrides={"annual_pay": S.AMOUNT, "tax_year": S.CODE},
    )


def document(**changes: Any) -> dict[str, Any]:
    today = date.today()
    body: dict[str, Any] = {
        "title": "Carers in Leeds offered support",
        "requesting_organisation": "leeds",
        "requester": "leeds.officer",
        "purpose_category": "outreach",
        "purpose": "Write to unpaid carers in Leeds to offer them a carer's assessment",
        "public_benefit": "Carers get support before they reach crisis",
        "datasets": [
            {
                "dataset": "dwp/carers_allowance",
                "fields": [
                    {"name": "nino", "justification": "To match to council records"},
                    {"name": "forename", "justification": "To address the letter"},
                    {"name": "postcode", "justification": "To address the letter"},
                ],
            }
        ],
        "form": "identifiable",
        "channels": ["bulk_package"],
        "lawful_basis": "6(1)(e)",
        "dpia": {"reference": "LCC-DPIA-7", "outcome": "mitigated"},
        "start_date": str(today),
        "end_date": str(today + timedelta(days=180)),
    }
    body.update(changes)
    return body


def with_asks(accord: Accord, body: dict[str, Any]) -> SharingRequest:
    """The request, asking for each blocking finding to be overridden (or it cannot be
    submitted)."""
    asks = [
        {"finding": f.ref, "reason": "The council has a duty to assess carers"}
        for f in accord.requests.assess(SharingRequest.parse(body)).blocking
    ]
    return SharingRequest.parse({**body, "override_requests": asks})


def submitted(accord: Accord, **changes: Any) -> str:
    officer = accord.acting_as("leeds.officer", "test")
    record = accord.requests.create(officer, with_asks(accord, document(**changes)))
    accord.requests.submit(officer, record.id)
    return record.id


def resubmit(accord: Accord, request_id: str, **changes: Any) -> None:
    """The requester's new revision, after changes were asked for."""
    officer = accord.acting_as("leeds.officer", "test")
    accord.requests.edit(officer, request_id, with_asks(accord, document(**changes)))
    accord.requests.submit(officer, request_id)


def sign_in(browser: Any, who: str) -> None:
    """Sign ``who`` in, in place of whoever was signed in (a fresh session, as after
    signing out)."""
    browser.cookies.clear()
    browser.sign_in(who)


def approved(accord: Accord, request_id: str) -> str:
    """Take a submitted request through review: DWP's legal accepts each blocking
    finding and every approval the tier needs is given. Returns the agreement's id."""
    legal = accord.acting_as("dwp.legal", "test")
    accord.requests.start_review(accord.acting_as("dwp.owner", "test"), request_id)
    record = accord.store.get_request(request_id)
    revision = accord.store.get_revision(request_id, record.revision)
    assert revision is not None
    for ref in revision.assessment.blocking_refs:
        accord.requests.override(legal, request_id, ref, "The council's duty to carers")
    roles = {r.value for r in revision.assessment.approver_roles}
    people = {"data_owner": "dwp.owner", "dpo": "dwp.dpo", "legal": "dwp.legal"}
    agreement = None
    for role, who in people.items():
        if role in roles:
            agreement = accord.requests.approve(accord.acting_as(who, "test"), request_id).agreement
    assert agreement is not None
    return agreement.id


def active_agreement(accord: Accord, **changes: Any) -> str:
    return approved(accord, submitted(accord, **changes))


def amended(accord: Accord, agreement_id: str, **changes: Any) -> None:
    """Version 2 of the agreement, from an amending request."""
    approved(accord, submitted(accord, amends=agreement_id, **changes))
