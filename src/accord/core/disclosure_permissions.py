"""Who may act in disclosure control: pure verdicts, each with its reason.

Apart from :mod:`accord.core.permissions` only so the two concerns can grow
separately; the style is the same (deny by default, a reason on every verdict).
Output checkers are designated per organisation (a trust's workspace) by its admin,
and checking is independent by construction: an author never checks their own
output and nobody reviews the same file twice.
"""

from __future__ import annotations

from collections.abc import Collection

from accord.core.identity import Role
from accord.core.permissions import Caller, Verdict

__all__ = [
    "can_define_batch_check",
    "can_designate_checker",
    "can_download_output",
    "can_read_outputs",
    "can_review_output",
    "can_submit_outputs",
    "can_tabulate",
    "can_validate_batch",
]


def _allow(reason: str) -> Verdict:
    return Verdict(True, reason)


def _deny(reason: str) -> Verdict:
    return Verdict(False, reason)


def can_tabulate(caller: Caller, organisation_id: str) -> Verdict:
    """Produce protected aggregate tables from an organisation's datasets (to publish)."""
    if caller.operator:
        return _allow("local operator")
    if caller.has_role(organisation_id, Role.DATA_OWNER):
        return _allow(f"data_owner of {organisation_id!r}")
    return _deny(f"only a data_owner of {organisation_id!r} may tabulate its datasets")


def can_define_batch_check(caller: Caller, organisation_id: str) -> Verdict:
    if caller.operator:
        return _allow("local operator")
    if caller.has_role(organisation_id, Role.DATA_OWNER):
        return _allow(f"data_owner of {organisation_id!r}")
    return _deny(f"only a data_owner of {organisation_id!r} may offer batch validation")


def can_validate_batch(caller: Caller, requester_org: str, allowed: Collection[str]) -> Verdict:
    """Submit a batch: a requester of an organisation the check is offered to."""
    if requester_org not in allowed:
        return _deny(f"this batch validation check is not offered to {requester_org!r}")
    if caller.has_role(requester_org, Role.REQUESTER):
        return _allow(f"requester of {requester_org!r}, to which the check is offered")
    return _deny(f"only a requester of {requester_org!r} may submit its batches")


def can_designate_checker(caller: Caller, organisation_id: str) -> Verdict:
    if caller.is_platform_admin:
        return _allow("platform admin")
    if caller.has_role(organisation_id, Role.ADMIN):
        return _allow(f"admin of {organisation_id!r}")
    return _deny(f"only an admin of {organisation_id!r} may designate its output checkers")


def can_submit_outputs(caller: Caller, organisation_id: str) -> Verdict:
    if caller.has_role(organisation_id, Role.ANALYST):
        return _allow(f"analyst in {organisation_id!r}")
    return _deny(f"only an analyst in {organisation_id!r} may submit outputs from it")


def can_review_output(
    caller: Caller,
    organisation_id: str,
    author: str,
    *,
    is_checker: bool,
    reviewed_already: bool,
) -> Verdict:
    principal = caller.principal
    if principal is None:
        return _deny("output checking is done by named people, not the local operator")
    if not is_checker:
        return _deny(f"{principal.id!r} is not an output checker for {organisation_id!r}")
    if principal.id == author:
        return _deny("an author may not check their own outputs")
    if reviewed_already:
        return _deny("each checker reviews a file once; a second review must be independent")
    return _allow(f"output checker for {organisation_id!r}, independent of the author")


def can_download_output(
    caller: Caller, organisation_id: str, author: str, approved: bool
) -> Verdict:
    if not approved:
        return _deny("only files approved by two independent checkers can be downloaded")
    if caller.principal is not None and caller.principal.id == author:
        return _allow("the author of an approved output")
    if caller.has_role(organisation_id, Role.ANALYST):
        return _allow(f"analyst in {organisation_id!r}, and the file is approved")
    return _deny(f"only the author or analysts in {organisation_id!r} may download its outputs")


def can_read_outputs(caller: Caller, organisation_id: str, *, is_checker: bool) -> Verdict:
    """See an organisation's output requests: its analysts, its output checkers, its
    DPOs and auditors (who answer for what leaves), and the platform's auditors."""
    if caller.operator:
        return _allow("local operator")
    if caller.has_role(caller.platform_org, Role.AUDITOR, Role.ADMIN):
        return _allow("auditor or admin of the platform organisation")
    if is_checker:
        return _allow(f"output checker for {organisation_id!r}")
    if caller.has_role(organisation_id, Role.ANALYST, Role.DPO, Role.AUDITOR):
        return _allow(f"analyst, DPO or auditor in {organisation_id!r}")
    return _deny(
        f"only the analysts, output checkers, DPOs and auditors of {organisation_id!r} "
        "see its output requests"
    )
