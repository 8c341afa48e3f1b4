"""An agreement naming batch validation: answering a batch reads the owner's records,
so a requester needs one as for any other release."""

from __future__ import annotations

from datetime import date, timedelta

from accord.core.governance.request import SharingRequest
from accord.core.identity import Assurance, AssuranceScheme
from accord.core.permissions import Caller
from accord.services.app import Accord


def batch_agreement(
    app: Accord,
    *,
    requester: Caller,
    owner: Caller,
    organisation: str = "la",
    dataset: str = "dwp/claimants",
    fields: tuple[str, ...] = ("nino", "benefit_type"),
) -> str:
    """``organisation``'s active agreement naming batch validation of ``dataset``."""
    assert requester.principal is not None
    today = date.today()
    app.identity.add_assurance(
        app.operator("test"),
        organisation,
        Assurance(AssuranceScheme.ISO_27001, f"{organisation}-27001", today + timedelta(days=365)),
    )
    request = SharingRequest.parse(
        {
            "title": "Eligibility by batch validation",
            "requesting_organisation": organisation,
            "requester": requester.principal.id,
            "purpose_category": "eligibility_checking",
            "purpose": "What share of a batch of residents is on an out-of-work benefit",
            "datasets": [
                {
                    "dataset": dataset,
                    "fields": [{"name": f, "justification": "the check"} for f in fields],
                }
            ],
            "form": "aggregate",
            "channels": ["batch_validation"],
            "frequency": "continuous",
            "lawful_basis": "6(1)(e)",
            "start_date": str(today - timedelta(days=1)),
            "end_date": str(today + timedelta(days=90)),
            "test_exchange": False,
        }
    )
    created = app.requests.create(requester, request)
    app.requests.submit(requester, created.id)
    app.requests.start_review(owner, created.id)
    outcome = app.requests.approve(owner, created.id)
    assert outcome.agreement is not None
    return outcome.agreement.id
