"""The legal gateways Accord knows, each with the purposes and recipients it serves.

A gateway is the specific legal power that lets a public body disclose personal data
it would otherwise be barred from sharing (for DWP, the Social Security Administration
Act 1992 makes unlawful disclosure an offence). Tiers 4 and 5 need one. The catalogue
is deliberately conservative: where a gateway's reach depends on facts Accord cannot
see, the finding says so and a lawyer decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.core.governance.request import PurposeCategory as P
from accord.core.identity import OrgKind

__all__ = ["GATEWAYS", "Gateway", "gateway"]

ANY_PUBLIC_BODY = frozenset(
    {
        OrgKind.GOVERNMENT_DEPARTMENT,
        OrgKind.HEALTH_BODY,
        OrgKind.LOCAL_AUTHORITY,
        OrgKind.RESEARCH_BODY,
        OrgKind.CONTRACTED_PROVIDER,
    }
)


@dataclass(frozen=True, slots=True)
class Gateway:
    id: str
    title: str
    provision: str
    purposes: frozenset[P]
    recipients: frozenset[OrgKind]
    per_record: bool
    """Whether it supports per-record disclosure (else aggregate or batch answers only)."""
    note: str
    precedent: bool = False
    """Used case by case: every use is flagged as setting a precedent."""
    consent: bool = False
    social_security_records: bool = False
    """Authorises disclosing individual social security records (names, addresses,
    awards) in bulk to the recipients it names, for its purposes; without such a power the
    Social Security Administration Act 1992 makes the disclosure an offence, whatever the
    purpose is called."""

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "provision": self.provision,
            "purposes": sorted(p.value for p in self.purposes),
            "recipients": sorted(k.value for k in self.recipients),
            "per_record": self.per_record,
            "social_security_records": self.social_security_records,
            "note": self.note,
        }


GATEWAYS: tuple[Gateway, ...] = (
    Gateway(
        "ssaa-1992",
        "Social Security Administration Act 1992",
        "ss. 122C to 122E: social security information to local authorities",
        frozenset({P.ELIGIBILITY_CHECKING, P.OPERATIONAL_SERVICE_DELIVERY}),
        frozenset({OrgKind.LOCAL_AUTHORITY, OrgKind.CONTRACTED_PROVIDER}),
        True,
        "Administration of Housing Benefit and Council Tax benefits, by a local authority "
        "or those acting for it. Not for outreach or local tracking databases.",
        social_security_records=True,
    ),
    Gateway(
        "wra-2009",
        "Welfare Reform Act 2009",
        "s. 35: integrated employment and skills",
        frozenset({P.OPERATIONAL_SERVICE_DELIVERY, P.CUSTOMER_TRACKING, P.ELIGIBILITY_CHECKING}),
        frozenset(
            {
                OrgKind.GOVERNMENT_DEPARTMENT,
                OrgKind.LOCAL_AUTHORITY,
                OrgKind.CONTRACTED_PROVIDER,
            }
        ),
        True,
        "Employment and skills services only; unlikely to support bulk local data sharing.",
    ),
    Gateway(
        "dea-2017-part5",
        "Digital Economy Act 2017, Part 5",
        "Chapters 1 (public service delivery), 3 and 4 (debt, fraud), 5 (research), 7 (statistics)",
        frozenset(
            {
                P.OPERATIONAL_SERVICE_DELIVERY,
                P.CUSTOMER_TRACKING,
                P.RESEARCH,
                P.STRATEGIC_PLANNING,
            }
        ),
        ANY_PUBLIC_BODY,
        True,
        "Public service delivery for a specified objective, fraud, debt, accredited research "
        "and official statistics; agreements go on the public register.",
    ),
    Gateway(
        "copi-2002-reg3",
        "Health Service (Control of Patient Information) Regulations 2002",
        "reg. 3: communicable disease and other risks to public health",
        frozenset({P.EMERGENCY_RESPONSE, P.OPERATIONAL_SERVICE_DELIVERY, P.RESEARCH}),
        frozenset({OrgKind.HEALTH_BODY, OrgKind.LOCAL_AUTHORITY, OrgKind.GOVERNMENT_DEPARTMENT}),
        True,
        "Public-health purposes under a notice, such as a pandemic vaccination programme.",
    ),
    Gateway(
        "common-law",
        "Common-law powers",
        "Implied powers of a Crown body (case by case)",
        frozenset(P),
        ANY_PUBLIC_BODY,
        True,
        "Decided case by case by lawyers; not viable for bulk data as a rule.",
        precedent=True,
    ),
    Gateway(
        "consent",
        "Informed consent of each individual",
        "UK GDPR Art 6(1)(a) with explicit consent where Art 9 applies",
        frozenset(P),
        ANY_PUBLIC_BODY,
        True,
        "Lawful but costly to collect and keep at volume; consent may be withdrawn.",
        consent=True,
    ),
    Gateway(
        "dpa-2018-sch1-para18",
        "Data Protection Act 2018, Schedule 1 paragraph 18",
        "Safeguarding of children and of individuals at risk",
        frozenset({P.SAFEGUARDING}),
        ANY_PUBLIC_BODY,
        True,
        "Where necessary to protect a child or an adult at risk from neglect or harm.",
    ),
)


def gateway(gateway_id: str) -> Gateway | None:
    for candidate in GATEWAYS:
        if candidate.id == gateway_id:
            return candidate
    return None
