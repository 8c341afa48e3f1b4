"""The signed decision record, as a page and as a PDF, for the parties to its request.

One list of sections makes both, so the page and the PDF say the same thing: the
outcome, the parties, what was decided and why, the conditions, each reviewer's
decision, and each deciding organisation's signature with its key fingerprint and
whether it verifies now. A record the caller may not see answers as a missing one
(the decision service decides, and audits the refusal).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from accord.core.governance.decision import DecisionOutcome, SignatureCheck
from accord.core.governance.records import DecisionEntry
from accord.core.identity import Role
from accord.services.app import Accord
from accord.web.deps import SignedInDep, accord_of
from accord.web.pdf import Section, document_pdf
from accord.web.render import ROLE_NAMES, org_name, page
from accord.web.routes.review import day, person_name

__all__ = ["OUTCOME_NAMES", "record_sections", "router"]

router = APIRouter()

OUTCOME_NAMES = {
    DecisionOutcome.SHARE: "Share",
    DecisionOutcome.SHARE_WITH_CONDITIONS: "Share, with conditions",
    DecisionOutcome.DO_NOT_SHARE: "Do not share",
}


def _role(role: str) -> str:
    try:
        return ROLE_NAMES[Role(role)]
    except ValueError:
        return role.replace("_", " ")


def signature_rows(
    accord: Accord, entry: DecisionEntry, check: SignatureCheck
) -> list[tuple[str, str]]:
    """Each deciding organisation's signature: its key and whether it verifies."""
    by_org = {s.organisation: s for s in entry.signatures}
    rows = []
    for org in entry.record.decided_by:
        reason = next((r for r in check.reasons if r.startswith(f"{org}:")), "")
        verdict = reason.partition(":")[2].strip() or "not checked"
        signature = by_org.get(org)
        key = f"key {signature.key_fingerprint}" if signature else "no signature"
        rows.append((org_name(accord, org), f"{verdict.capitalize()} ({key})"))
    return rows


def record_sections(accord: Accord, entry: DecisionEntry, check: SignatureCheck) -> list[Section]:
    record = entry.record
    decided = datetime.fromisoformat(record.decided_at)
    return [
        Section(
            "The decision",
            (
                ("Outcome", OUTCOME_NAMES[record.decision]),
                ("Decided on", day(decided)),
                ("Decided by", ", ".join(org_name(accord, o) for o in record.decided_by)),
                ("Reasons", record.reasons),
                ("Review by", day(datetime.fromisoformat(record.review_date))),
            ),
        ),
        Section(
            "Parties",
            (
                ("Asked by", org_name(accord, record.requesting_organisation)),
                ("Data owners", ", ".join(org_name(accord, o) for o in record.data_owners)),
            ),
        ),
        Section(
            "What was decided",
            (
                (
                    "Request",
                    f"{record.request_title} ({record.request_id}, revision "
                    f"{record.request_revision})",
                ),
                ("Purpose", record.purpose),
                ("Lawful basis", record.lawful_basis or "None given"),
                ("Legal power", record.legal_power or "None given"),
                ("Tier", str(record.tier)),
                ("DPIA", record.dpia_reference or "None given"),
            ),
        ),
        Section("Data items (dataset.field:how it leaves)", (), tuple(record.data_items)),
        Section(
            "What the data owners weighed",
            tuple((c.question, c.answer) for c in record.considerations),
        ),
        Section("Conditions", (), tuple(record.conditions), empty="None."),
        Section("Findings accepted by legal", (), tuple(record.overridden_findings), empty="None."),
        Section("Charges", (), tuple(c.label() for c in record.charges), empty="None."),
        Section(
            "Each decision",
            (),
            tuple(
                f"{person_name(accord, a.principal)}, {_role(a.role)} of "
                f"{org_name(accord, a.organisation)}, {day(datetime.fromisoformat(a.at))}"
                + (f": {a.note}" if a.note else "")
                + (f" (conditions: {'; '.join(a.conditions)})" if a.conditions else "")
                for a in record.approvals
            ),
            empty="None.",
        ),
        Section(
            "Signatures",
            (
                (
                    "All signatures",
                    "Every signature verifies"
                    if check.valid
                    else "The record does not verify: do not rely on it",
                ),
                *signature_rows(accord, entry, check),
            ),
        ),
        Section(
            "Fingerprints of what was signed",
            (
                ("Assessment (SHA-256)", record.assessment_sha256),
                *(
                    (
                        (
                            f"Agreement {record.agreement_id} version {record.agreement_version}"
                            " policy (SHA-256)",
                            record.policy_sha256,
                        ),
                    )
                    if record.agreement_id
                    else ()
                ),
            ),
        ),
    ]


def _entry(
    request: Request, signed_in: SignedInDep, decision_id: str
) -> tuple[Accord, DecisionEntry, SignatureCheck]:
    accord = accord_of(request)
    decisions = accord.requests.decisions
    entry = decisions.get(signed_in.caller, decision_id)
    return accord, entry, decisions.verify(entry)


@router.get("/decision-records/{decision_id}.pdf")
def decision_record_pdf(request: Request, decision_id: str, signed_in: SignedInDep) -> Response:
    accord, entry, check = _entry(request, signed_in, decision_id)
    body = document_pdf(
        f"Decision record {entry.id}",
        f"{OUTCOME_NAMES[entry.outcome]}: {entry.record.request_title}",
        record_sections(accord, entry, check),
    )
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="decision-record-{entry.id}.pdf"'},
    )


@router.get("/decision-records/{decision_id}", response_class=HTMLResponse)
def decision_record(request: Request, decision_id: str, signed_in: SignedInDep) -> Response:
    accord, entry, check = _entry(request, signed_in, decision_id)
    return page(
        request,
        "decision_records/record.html",
        title=f"Decision record {entry.id}",
        entry=entry,
        outcome=OUTCOME_NAMES[entry.outcome],
        valid=check.valid,
        sections=record_sections(accord, entry, check),
    )
