"""Organisations, principals and the roles that join them.

Roles are held *per organisation*: the same person may be a requester for a local
authority and an auditor nowhere else. Every permission decision in
:mod:`accord.core.permissions` is a function of these values alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

__all__ = [
    "Assurance",
    "AssuranceScheme",
    "Membership",
    "OrgKind",
    "Organisation",
    "Principal",
    "PrincipalKind",
    "Role",
    "Token",
    "area_codes",
]

_AREA_CODE = re.compile(r"(E0[6-9]|W06|S12|N09)[0-9]{6}")
"""A local authority district code in the ONS shape: England's unitary (E06), non-metropolitan
(E07), metropolitan (E08) and London (E09) districts, Welsh (W06), Scottish (S12) and
Northern Irish (N09) ones."""


def area_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """Validated, de-duplicated, sorted district codes; a bad one is named with the form.

    An organisation serves the areas it declares, and the assessment holds a local
    authority's requests to them, so a mistyped code must fail here rather than silently
    match nothing.
    """
    cleaned = []
    for code in codes:
        value = code.strip().upper()
        if not _AREA_CODE.fullmatch(value):
            raise ValueError(
                f"area {code!r} is not a local authority district code: expected a code like "
                "E06000001 (E06, E07, E08, E09, W06, S12 or N09 and six digits)"
            )
        cleaned.append(value)
    return tuple(sorted(set(cleaned)))


class OrgKind(StrEnum):
    GOVERNMENT_DEPARTMENT = "government_department"
    HEALTH_BODY = "health_body"
    LOCAL_AUTHORITY = "local_authority"
    CONTRACTED_PROVIDER = "contracted_provider"
    RESEARCH_BODY = "research_body"
    PLATFORM_OPERATOR = "platform_operator"
    """The organisation that runs this Accord instance; its admins manage the others."""


class AssuranceScheme(StrEnum):
    ISO_27001 = "iso_27001"
    ASSURED_SECURITY_PLAN = "assured_security_plan"
    CYBER_ESSENTIALS_PLUS = "cyber_essentials_plus"
    CYBER_ESSENTIALS = "cyber_essentials"
    """Basic Cyber Essentials: a self-assessed questionnaire, weaker than Plus."""
    DSPT = "dspt"
    """NHS Data Security and Protection Toolkit."""


class Role(StrEnum):
    DATA_OWNER = "data_owner"
    REQUESTER = "requester"
    DPO = "dpo"
    LEGAL = "legal"
    ANALYST = "analyst"
    AUDITOR = "auditor"
    ADMIN = "admin"


class PrincipalKind(StrEnum):
    PERSON = "person"
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class Assurance:
    """A security certification or assured plan, valid until ``expires_on`` inclusive."""

    scheme: AssuranceScheme
    reference: str
    expires_on: date

    def is_valid_on(self, day: date) -> bool:
        return day <= self.expires_on


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    name: str
    kind: OrgKind
    assurances: tuple[Assurance, ...] = ()
    created_at: datetime | None = None
    areas: tuple[str, ...] = ()
    """The local authority districts it serves (see :func:`area_codes`): a local authority's
    requests are expected to keep to them, and ``in_area(field)`` in a cohort means them."""

    def valid_assurances(self, day: date) -> tuple[Assurance, ...]:
        return tuple(a for a in self.assurances if a.is_valid_on(day))


@dataclass(frozen=True, slots=True)
class Membership:
    organisation_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class Principal:
    id: str
    name: str
    kind: PrincipalKind
    email: str = ""
    memberships: frozenset[Membership] = field(default_factory=frozenset)

    def has_role(self, organisation_id: str, *roles: Role) -> bool:
        return any(Membership(organisation_id, role) in self.memberships for role in roles)

    def organisations_with(self, *roles: Role) -> frozenset[str]:
        return frozenset(m.organisation_id for m in self.memberships if m.role in roles)


@dataclass(frozen=True, slots=True)
class Token:
    """An API token's record. The secret itself is never stored, only its SHA-256."""

    id: str
    principal_id: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    description: str = ""

    def usable_at(self, moment: datetime) -> bool:
        return self.revoked_at is None and moment < self.expires_at
