"""Linkage domains belong to the agreements that created them.

Two datasets pseudonymised into the same linkage domain link: the same person has the
same pseudonym in both. That is the point of a domain within one share, and a leak
between two recipients: if a second recipient names a domain a first recipient already
receives pseudonyms in, the two can join their extracts person by person. So a domain
is *owned* by the first agreement activated into it (its recipient and its data
owners are recorded with it); a request from any other recipient naming it is a
blocking finding (``LINKAGE_DOMAIN_SHARED``) that only the DPO and legal of the owning
agreement's data owners may override, each with a reason; once such a request is
approved its agreement *joins* the domain, and the register shows every agreement
that shares it. The same recipient (amending, or a further agreement) may name its
own domain freely: its datasets are meant to link. A recipient that already supplies
data into the domain (each department of a data trust, seed 002, receives the others'
data in one domain) gets a warning, ``LINKAGE_DOMAIN_JOINED``, rather than the block:
its own data is what it could link, and the reviewers of the data it asks for see the
agreements sharing the domain before they approve.

Pure functions over frozen values; the store records ownership in the transaction
that activates the agreement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from accord.core.governance.findings import Finding, Severity
from accord.core.governance.request import TransformKind
from accord.core.identity import Membership, Role

__all__ = [
    "DOMAIN_JOINED",
    "DOMAIN_SHARED",
    "DomainMember",
    "DomainOwnership",
    "domain_findings",
    "joins",
    "pseudonymised_domains",
]

DOMAIN_SHARED = "LINKAGE_DOMAIN_SHARED"
DOMAIN_JOINED = "LINKAGE_DOMAIN_JOINED"
OVERRIDE_ROLES = (Role.DPO, Role.LEGAL)
"""Who of each owning data owner must accept another recipient into the domain."""


@dataclass(frozen=True, slots=True)
class DomainMember:
    """One agreement that pseudonymises into a domain."""

    agreement: str
    recipient: str
    data_owners: tuple[str, ...]
    owner: bool
    """The agreement that created the domain (the first activated into it)."""


@dataclass(frozen=True, slots=True)
class DomainOwnership:
    """A linkage domain and the agreements that share it, the owner first."""

    domain: str
    members: tuple[DomainMember, ...]

    @property
    def owner(self) -> DomainMember:
        return next(m for m in self.members if m.owner)

    @property
    def agreements(self) -> tuple[str, ...]:
        return tuple(m.agreement for m in self.members)

    @property
    def recipients(self) -> frozenset[str]:
        return frozenset(m.recipient for m in self.members)

    @property
    def suppliers(self) -> frozenset[str]:
        """The data owners whose data is pseudonymised into the domain."""
        return frozenset(org for m in self.members for org in m.data_owners)

    def admits(self, recipient: str) -> bool:
        """Whether ``recipient`` may pseudonymise into the domain with no finding: it
        already receives pseudonyms there, so nothing new can be linked."""
        return recipient in self.recipients


def pseudonymised_domains(datasets: Iterable[object]) -> tuple[str, ...]:
    """The linkage domains named by ``pseudonymise(domain)`` in a request's or a
    policy's datasets (anything with ``fields`` of ``transform``), sorted, once each."""
    names = set()
    for dataset in datasets:
        for spec in getattr(dataset, "fields", ()):
            transform = spec.transform
            if transform.kind is TransformKind.PSEUDONYMISE and transform.argument.strip():
                names.add(transform.argument.strip())
    return tuple(sorted(names))


def domain_findings(
    recipient: str,
    domains: Iterable[str],
    owned: Mapping[str, DomainOwnership],
    request_owners: Iterable[str] = (),
) -> list[Finding]:
    """A blocking ``LINKAGE_DOMAIN_SHARED`` finding for each domain ``recipient`` names
    that other recipients' agreements already own, to be overridden by the DPO and legal
    of every data owner of the owning agreement.

    A recipient that already supplies data into the domain (a data owner of one of its
    agreements, as each department of a data trust is) gets a warning,
    ``LINKAGE_DOMAIN_JOINED``, instead: what it could link is its own data, and the
    reviewers of the data asked for see who shares the domain before they approve.

    Those reviewers act on a request only as reviewers of an organisation whose data it
    asks for, so where an owning data owner is not among ``request_owners`` nobody could
    override: the finding then names nobody, and the request must change its domain."""
    findings = []
    for name in domains:
        ownership = owned.get(name)
        if ownership is None or ownership.admits(recipient):
            continue
        owner = ownership.owner
        shared = (
            f"linkage domain {name!r} belongs to agreement {owner.agreement} "
            f"(shared by {', '.join(ownership.agreements)}; recipients "
            f"{', '.join(sorted(ownership.recipients))})"
        )
        if recipient in ownership.suppliers:
            findings.append(
                Finding(
                    DOMAIN_JOINED,
                    Severity.WARN,
                    f"{shared}: {recipient} already supplies data into it, so its own data "
                    "is not what links; the data asked for here would link person by person "
                    "with what those recipients hold",
                    "Reviewers should confirm that a shared domain is intended (a data "
                    "trust); otherwise name a linkage domain of your own.",
                    subject=name,
                )
            )
            continue
        parties = set(request_owners)
        outside = [org for org in owner.data_owners if org not in parties]
        seats = tuple(Membership(org, role) for org in owner.data_owners for role in OVERRIDE_ROLES)
        fix = (
            "Name a linkage domain of your own, or ask the DPO and legal of "
            + ", ".join(owner.data_owners)
            + " to accept the shared domain with a reason (override_requests)."
        )
        if outside:
            seats = ()
            fix = (
                "Name a linkage domain of your own: "
                + ", ".join(outside)
                + ", whose agreement owns this one, is no party to this request and "
                "cannot accept it here."
            )
        findings.append(
            Finding(
                DOMAIN_SHARED,
                Severity.BLOCK,
                f"{shared}: pseudonyms given to {recipient} there would link person by "
                "person with what those recipients hold",
                fix,
                subject=name,
                override_by=seats,
            )
        )
    return findings


def joins(
    agreement: str,
    recipient: str,
    data_owners: tuple[str, ...],
    domains: Iterable[str],
    owned: Mapping[str, DomainOwnership],
) -> list[tuple[str, DomainMember]]:
    """What activating ``agreement`` adds to the domain register: ownership of each
    domain nobody holds yet, membership of each it is not already in (an amended
    version keeps its agreement's place)."""
    added = []
    for name in domains:
        ownership = owned.get(name)
        if ownership is not None and agreement in ownership.agreements:
            continue
        member = DomainMember(agreement, recipient, data_owners, owner=ownership is None)
        added.append((name, member))
    return added
