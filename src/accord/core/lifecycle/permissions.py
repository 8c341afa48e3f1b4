"""Who may run the deletion job, certify a destruction, and read what was destroyed.

Pure verdicts with reasons, like :mod:`accord.core.permissions`; the reason of an
allow goes to the audit log as well as that of a refusal.
"""

from __future__ import annotations

from collections.abc import Iterable

from accord.core.identity import Role
from accord.core.permissions import Caller, Verdict

__all__ = ["can_certify_destruction", "can_read_destruction", "can_run_retention"]

CERTIFIERS = (Role.DATA_OWNER, Role.DPO, Role.ADMIN)
READERS = (Role.DATA_OWNER, Role.DPO, Role.ADMIN, Role.AUDITOR)


def can_run_retention(caller: Caller) -> Verdict:
    """The job deletes across every agreement: the node's operator or a platform admin."""
    if caller.operator:
        return Verdict(True, "local operator")
    if caller.has_role(caller.platform_org, Role.ADMIN):
        return Verdict(True, "admin of the platform organisation")
    return Verdict(False, "only the local operator or a platform admin may run the deletion job")


def can_certify_destruction(caller: Caller, holder: str) -> Verdict:
    """A certificate speaks for the holder: only its data owner, DPO or admin signs one.

    The local operator has no role in the holder and may not certify for it: the
    certificate must name a person who answers for the destruction.
    """
    for role in CERTIFIERS:
        if caller.has_role(holder, role):
            return Verdict(True, f"{role.value} of {holder!r}, the holder")
    return Verdict(
        False,
        f"only a data owner, DPO or admin of {holder!r} may certify the destruction of its copies",
    )


def can_read_destruction(caller: Caller, holder: str, owners: Iterable[str] = ()) -> Verdict:
    """The holder, the organisations whose data it was, and platform auditors may read
    what was destroyed and the certificates that say so."""
    if caller.operator:
        return Verdict(True, "local operator")
    if caller.has_role(caller.platform_org, Role.AUDITOR, Role.ADMIN):
        return Verdict(True, "auditor or admin of the platform organisation")
    for organisation in (holder, *owners):
        for role in READERS:
            if caller.has_role(organisation, role):
                whose = "the holder" if organisation == holder else "whose data it was"
                return Verdict(True, f"{role.value} of {organisation!r}, {whose}")
    return Verdict(
        False,
        f"only {holder!r}, the data's owners or a platform auditor may read "
        "this destruction record",
    )
