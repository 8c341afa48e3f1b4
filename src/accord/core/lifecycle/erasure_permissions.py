"""Who may act on an erasure request: pure verdicts with reasons.

The provider (the agreement's recipient) receives, refers, decides and answers the
participant (seed 003, paras 22-42), through its DPO or admin; the department's DPO
assigns the reference number (para 25); each holder's admin, DPO or data owner erases
its own copies and certifies it. Anyone else is told the request does not exist.
"""

from __future__ import annotations

from accord.core.identity import Role
from accord.core.lifecycle.erasure import ErasureRequest
from accord.core.permissions import Caller, Verdict

__all__ = [
    "can_assign_reference",
    "can_erase_holdings",
    "can_handle_erasure",
    "can_remind_erasures",
    "can_see_erasure",
]

PROVIDER_ROLES = (Role.DPO, Role.ADMIN)
HOLDER_ROLES = (Role.DPO, Role.ADMIN, Role.DATA_OWNER)


def can_handle_erasure(caller: Caller, provider: str) -> Verdict:
    """Receive, refer, decide and issue letters: the provider's DPO or admin."""
    if caller.has_role(provider, *PROVIDER_ROLES):
        return Verdict(True, f"DPO or admin of {provider!r}, the provider the request was made to")
    return Verdict(
        False, f"only a DPO or admin of {provider!r} handles its participants' erasure requests"
    )


def can_assign_reference(caller: Caller, request: ErasureRequest) -> Verdict:
    """The department's Data Protection Office assigns the reference (para 25)."""
    if caller.has_role(request.department, Role.DPO):
        return Verdict(True, f"DPO of {request.department!r}, the department")
    return Verdict(
        False, f"only a DPO of {request.department!r} assigns an erasure request's reference"
    )


def can_erase_holdings(caller: Caller, holder: str) -> Verdict:
    """A holder's erasure and its certificate speak for the holder."""
    if caller.has_role(holder, *HOLDER_ROLES):
        return Verdict(True, f"{holder!r}'s DPO, admin or data owner, for its own copies")
    return Verdict(False, f"only a DPO, admin or data owner of {holder!r} erases its copies")


def can_see_erasure(caller: Caller, request: ErasureRequest) -> Verdict:
    """The provider, the department, the holders it reaches, and platform auditors."""
    if caller.operator:
        return Verdict(True, "local operator")
    if caller.has_role(caller.platform_org, Role.AUDITOR, Role.ADMIN):
        return Verdict(True, "auditor or admin of the platform organisation")
    parties = (request.provider, request.department, *(h.holder for h in request.holders))
    for org in parties:
        if caller.has_role(org, *HOLDER_ROLES):
            return Verdict(True, f"DPO, admin or data owner of {org!r}, a party to the request")
    return Verdict(False, f"{caller.actor} is not a party to erasure request {request.id}")


def can_remind_erasures(caller: Caller) -> Verdict:
    if caller.operator:
        return Verdict(True, "local operator")
    if caller.has_role(caller.platform_org, Role.ADMIN):
        return Verdict(True, "admin of the platform organisation")
    return Verdict(False, "only the local operator or a platform admin runs the reminder sweep")
