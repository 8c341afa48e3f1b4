"""What the owners', output checkers' and DPOs' pages need in the web world, made
through the services exactly as the command line and the API make it.

DWP publishes ``dwp/carers`` (and HMRC ``hmrc/self_assessment``); Leeds asks for DWP's
counts and is given an agreement; DWP keeps an opt-out register; Leeds's analyst
submits output tables that two Leeds checkers review.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import SharingRequest
from accord.core.identity import Membership, PrincipalKind, Role
from accord.disclosure.airlock import OutputRequest
from accord.services.app import Accord
from accord.services.disclosure import SubmittedOutput

CARERS = (
    "nino,forename,surname,date_of_birth,postcode\n"
    "AB123456C,Mary,Jones,1961-04-12,SW1A 1AA\n"
    "CE654321A,John,Smith,1958-11-30,M1 1AE\n"
)
INCOME = "utr,income\n1234567890,52000\n2345678901,31000\n"
OPTED_OUT = ("AB123456C", "CE654321A", "JG103759A")

CAVEATS = "ward,count\nHeadingley,120\nHyde Park,4\nKirkstall,0\n"
"""Hyde Park's 4 fails the threshold of 10; Kirkstall's 0 fails the zero check."""


def publish(accord: Accord, tmp_path: Path) -> None:
    op = accord.operator("test")
    carers = tmp_path / "carers.csv"
    carers.write_text(CARERS)
    accord.catalogue.register(
        op,
        "dwp",
        "carers",
        str(carers),
        description="Carer's Allowance recipients",
        owner_id="dwp.owner",
    )
    income = tmp_path / "income.csv"
    income.write_text(INCOME)
    accord.catalogue.register(op, "hmrc", "self_assessment", str(income))


def request_body(**changes: object) -> dict[str, object]:
    today = date.today()
    body: dict[str, object] = {
        "title": "Carers in Leeds",
        "requesting_organisation": "leeds",
        "requester": "leeds.officer",
        "purpose_category": "strategic_planning",
        "purpose": "Count carers by ward to plan respite services",
        "datasets": [
            {"dataset": "dwp/carers", "fields": [{"name": "postcode", "justification": "ward"}]}
        ],
        "form": "aggregate",
        "channels": ["aggregate_statistics"],
        "start_date": str(today),
        "end_date": str(today + timedelta(days=45)),
    }
    body.update(changes)
    return body


def agree(accord: Accord) -> AgreementRecord:
    """Leeds asks for DWP's counts; DWP's data owner approves: an active agreement."""
    officer = accord.acting_as("leeds.officer", "test")
    owner = accord.acting_as("dwp.owner", "test")
    request = accord.requests.create(officer, SharingRequest.parse(request_body()))
    accord.requests.submit(officer, request.id)
    accord.requests.start_review(owner, request.id)
    outcome = accord.requests.approve(owner, request.id)
    assert outcome.agreement is not None
    return outcome.agreement


def opt_out(accord: Accord) -> None:
    accord.plane.add_opt_outs(accord.operator("test"), "dwp", "nino", list(OPTED_OUT))


CHECKING_PEOPLE = {
    "leeds.analyst": ("Ana Lyst", Role.ANALYST),
    "leeds.checker1": ("Chris Checker", Role.AUDITOR),
    "leeds.checker2": ("Kim Checker", Role.AUDITOR),
}


def outputs(accord: Accord) -> OutputRequest:
    """A Leeds analyst's output request of two files; two Leeds checkers designated."""
    op = accord.operator("test")
    for pid, (name, role) in CHECKING_PEOPLE.items():
        accord.identity.create_principal(
            op, pid, name, PrincipalKind.PERSON, (Membership("leeds", role),)
        )
        if role is Role.AUDITOR:
            accord.airlock.designate_checker(op, "leeds", pid)
    return accord.airlock.submit(
        accord.acting_as("leeds.analyst", "test"),
        "leeds",
        "Carers by ward",
        [
            SubmittedOutput(
                "carers_by_ward.csv", CAVEATS.encode(), "select ward, count(*)", ("count",)
            ),
            SubmittedOutput("totals.csv", b"total\n124\n", "select count(*)", ("total",)),
        ],
    )
