"""Sub-contractors approved by the department: who may handle its data for a prime provider.

Seed 003 lets a prime provider forward participants' data to its sub-contractors only
once the department has *formally approved* each one, after due diligence that includes
"confirmation that the sub-contractor is not using any product or service with any
offshore elements or links" (paragraphs 45 and 52). So each data-owning organisation
keeps its own approved list: the sub-contractor, the prime it works for, the dates the
approval runs, the due-diligence notes, the explicit no-offshore confirmation, and who
approved. Only that organisation's data owner, DPO or admin may change its list.

The list gates sharing twice, both as pure verdicts with reasons:

- at submission, :func:`processor_findings` blocks a request whose processors are not on
  every data owner's list for that prime and in date when the agreement starts;
- on every release, :func:`processors_approved` refuses the release unless each processor
  of the agreement is approved by every owner *today*, so withdrawing an approval (or
  letting it expire) stops the share at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from accord.core.governance.findings import Finding, Severity
from accord.core.identity import Organisation, Role
from accord.core.permissions import Caller, Verdict

__all__ = [
    "APPROVER_ROLES",
    "MAX_NOTES",
    "MIN_NOTE_WORDS",
    "ApprovalForm",
    "SubcontractorApproval",
    "can_manage",
    "check_form",
    "in_force",
    "processor_findings",
    "processors_approved",
]

APPROVER_ROLES = (Role.DATA_OWNER, Role.DPO, Role.ADMIN)
"""Who keeps a data owner's approved list: its data owner, DPO or admin."""
MAX_NOTES = 4000
"""Characters of due-diligence notes (or a withdrawal reason) kept, at most."""
MIN_NOTE_WORDS = 5
"""Due diligence is a record of what was checked: a few words at least."""
MAX_YEARS = 10
"""The longest an approval may run before it is looked at again."""
_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


@dataclass(frozen=True, slots=True)
class ApprovalForm:
    """What the approver fills in; checked by :func:`check_form` before anything is stored."""

    subcontractor: str
    prime: str
    approved_from: date
    approved_to: date
    due_diligence: str
    no_offshore: bool | None
    """The explicit answer to "no offshore elements or links?": True is yes, confirmed;
    False means an offshore element was found; None means not answered."""


@dataclass(frozen=True, slots=True)
class SubcontractorApproval:
    id: str
    owner: str
    """The data-owning organisation whose list this is (DWP)."""
    subcontractor: str
    prime: str
    """The prime provider the sub-contractor works for under this approval."""
    approved_from: date
    approved_to: date
    due_diligence: str
    approved_by: str
    """The approving actor, ``principal:<id>`` (never a name)."""
    approved_at: datetime
    no_offshore: bool = True
    withdrawn_at: datetime | None = None
    withdrawn_by: str = ""
    withdrawal_reason: str = ""

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def state_on(self, day: date) -> str:
        """``withdrawn``, ``not yet``, ``expired`` or ``in force`` on ``day``."""
        if self.withdrawn:
            return "withdrawn"
        if day < self.approved_from:
            return "not yet"
        if day > self.approved_to:
            return "expired"
        return "in force"


def in_force(approval: SubcontractorApproval, day: date) -> bool:
    return approval.state_on(day) == "in force"


def can_manage(caller: Caller, owner: str) -> Verdict:
    """Only the data owner organisation's own data owner, DPO or admin keeps its list."""
    for role in APPROVER_ROLES:
        if caller.has_role(owner, role):
            return Verdict(True, f"{role.value} of {owner}")
    return Verdict(
        False,
        f"only a data owner, DPO or admin of {owner!r} may see or change its approved "
        "sub-contractors",
    )


def check_form(
    form: ApprovalForm,
    owner: str,
    organisations: Mapping[str, Organisation],
    today: date,
) -> Verdict:
    """Every field of the form, each refusal naming the field and what to do."""
    for name, value in (("subcontractor", form.subcontractor), ("prime", form.prime)):
        if not _ID.fullmatch(value):
            return Verdict(False, f"{name}: give an organisation id (lower case, up to 64)")
        if value not in organisations:
            return Verdict(False, f"{name}: there is no organisation {value!r}")
    if form.subcontractor == form.prime:
        return Verdict(False, "subcontractor: a prime provider is not its own sub-contractor")
    if owner in (form.subcontractor, form.prime):
        return Verdict(False, f"subcontractor: {owner} does not approve itself")
    if form.approved_to < form.approved_from:
        return Verdict(False, "approved_to: the approval must end on or after it starts")
    if form.approved_to < today:
        return Verdict(False, "approved_to: the approval would already have ended")
    if (form.approved_to - form.approved_from).days > MAX_YEARS * 366:
        return Verdict(False, f"approved_to: an approval runs for {MAX_YEARS} years at most")
    notes = form.due_diligence.strip()
    if len(notes) > MAX_NOTES:
        return Verdict(False, f"due_diligence: at most {MAX_NOTES} characters")
    if len(notes.split()) < MIN_NOTE_WORDS:
        return Verdict(
            False,
            f"due_diligence: say what was checked, in {MIN_NOTE_WORDS} words or more",
        )
    if form.no_offshore is None:
        return Verdict(
            False,
            "no_offshore: confirm that the sub-contractor uses no product or service with "
            "offshore elements or links (seed 003, paragraph 52)",
        )
    if form.no_offshore is False:
        return Verdict(
            False,
            "no_offshore: a sub-contractor with offshore elements or links cannot be approved",
        )
    return Verdict(True, "the form is complete and the due diligence confirms no offshore elements")


def _approval_for(
    approvals: Iterable[SubcontractorApproval], owner: str, prime: str, processor: str, day: date
) -> tuple[SubcontractorApproval | None, str]:
    """The approval in force on ``day``, or None and why not."""
    mine = [a for a in approvals if a.owner == owner and a.subcontractor == processor]
    for approval in mine:
        if approval.prime == prime and in_force(approval, day):
            return approval, ""
    if not mine:
        return None, f"{processor!r} is not on {owner}'s approved sub-contractors"
    for_prime = [a for a in mine if a.prime == prime]
    if not for_prime:
        primes = ", ".join(sorted({a.prime for a in mine}))
        return None, f"{owner} approved {processor!r} for {primes}, not for {prime!r}"
    latest = max(for_prime, key=lambda a: a.approved_at)
    state = latest.state_on(day)
    when = {
        "withdrawn": f"on {latest.withdrawn_at.date().isoformat()}" if latest.withdrawn_at else "",
        "expired": f"on {latest.approved_to.isoformat()}",
        "not yet": f"until {latest.approved_from.isoformat()}",
    }[state]
    words = {"withdrawn": "was withdrawn", "expired": "expired", "not yet": "does not start"}
    return None, f"{owner}'s approval of {processor!r} for {prime!r} {words[state]} {when}"


def processors_approved(
    owners: Iterable[str],
    prime: str,
    processors: Iterable[str],
    approvals: Iterable[SubcontractorApproval],
    today: date,
) -> Verdict:
    """Each processor approved by every data owner for ``prime``, in force today."""
    approvals = tuple(approvals)
    cited = []
    for owner in owners:
        for processor in processors:
            found, why = _approval_for(approvals, owner, prime, processor, today)
            if found is None:
                return Verdict(False, why + ": nothing is released under the agreement")
            cited.append(f"{processor} approved by {owner} until {found.approved_to.isoformat()}")
    if not cited:
        return Verdict(True, "no sub-contractors")
    return Verdict(True, "; ".join(cited))


def processor_findings(
    owners: Iterable[str],
    prime: str,
    processors: Iterable[str],
    approvals: Iterable[SubcontractorApproval],
    start: date,
    end: date,
) -> list[Finding]:
    """At submission: a processor not approved by an owner for this prime blocks; one whose
    approval ends before the agreement does is a warning."""
    approvals = tuple(approvals)
    out = []
    for owner in owners:
        for processor in processors:
            found, why = _approval_for(approvals, owner, prime, processor, start)
            if found is None:
                out.append(
                    Finding(
                        "SUBCONTRACTOR_NOT_APPROVED",
                        Severity.BLOCK,
                        why,
                        f"Ask {owner} to approve {processor} for {prime} after due diligence "
                        "(`accord subcontractor approve`), or remove it from the processors.",
                    )
                )
            elif found.approved_to < end:
                out.append(
                    Finding(
                        "SUBCONTRACTOR_APPROVAL_ENDS",
                        Severity.WARN,
                        f"{owner}'s approval of {processor} ends on "
                        f"{found.approved_to.isoformat()}, before the agreement does",
                        "Sharing stops when it ends unless the approval is renewed.",
                    )
                )
    return out
