"""Agreements as ODRL 2.2 policies in JSON-LD, with Data Privacy Vocabulary (DPV) terms.

Each dataset becomes a permission whose target is the dataset, constrained by purpose
and validity dates, with duties to delete after the retention period; a prohibition on
onward distribution is added where none was agreed. DPV expresses purpose and legal
basis; Accord's own terms (``accord:``) carry what DPV lacks — the UK gateways, field
transforms, channels and output controls — so that :func:`policy_from_odrl` restores
the exact policy. The context is inline, so the document parses offline.
"""

from __future__ import annotations

from typing import Any

from accord.core.governance.agreement import AgreementPolicy
from accord.core.governance.gateways import gateway
from accord.core.governance.request import PurposeCategory

__all__ = ["ACCORD_NS", "CONTEXT", "policy_from_odrl", "policy_to_odrl"]

ODRL_NS = "http://www.w3.org/ns/odrl/2/"
DPV_NS = "https://w3id.org/dpv#"
GDPR_NS = "https://w3id.org/dpv/legal/eu/gdpr#"
ACCORD_NS = "https://w3id.org/accord/ns#"

CONTEXT: dict[str, Any] = {
    "odrl": ODRL_NS,
    "dpv": DPV_NS,
    "eu-gdpr": GDPR_NS,
    "accord": ACCORD_NS,
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "uid": "@id",
    "type": "@type",
    "profile": {"@id": "odrl:profile", "@type": "@id"},
    "assigner": {"@id": "odrl:assigner", "@type": "@id"},
    "assignee": {"@id": "odrl:assignee", "@type": "@id"},
    "permission": {"@id": "odrl:permission", "@container": "@set"},
    "prohibition": {"@id": "odrl:prohibition", "@container": "@set"},
    "duty": {"@id": "odrl:duty", "@container": "@set"},
    "constraint": {"@id": "odrl:constraint", "@container": "@set"},
    "target": {"@id": "odrl:target", "@type": "@id"},
    "action": {"@id": "odrl:action", "@type": "@vocab"},
    "leftOperand": {"@id": "odrl:leftOperand", "@type": "@vocab"},
    "operator": {"@id": "odrl:operator", "@type": "@vocab"},
    "rightOperand": "odrl:rightOperand",
    "use": "odrl:use",
    "distribute": "odrl:distribute",
    "delete": "odrl:delete",
    "purpose": "odrl:purpose",
    "dateTime": "odrl:dateTime",
    "delayPeriod": "odrl:delayPeriod",
    "eq": "odrl:eq",
    "gteq": "odrl:gteq",
    "lteq": "odrl:lteq",
    "hasPurpose": {"@id": "dpv:hasPurpose", "@type": "@id"},
    "hasLegalBasis": {"@id": "dpv:hasLegalBasis", "@type": "@id", "@container": "@set"},
    "policy": {"@id": "accord:policy", "@type": "@json"},
    "gateway": {"@id": "accord:gateway", "@type": "@id"},
    "gatewayTitle": "accord:gatewayTitle",
    "sha256": "accord:policySha256",
}

_DPV_PURPOSE = {
    PurposeCategory.RESEARCH: "dpv:ResearchAndDevelopment",
    PurposeCategory.OPERATIONAL_SERVICE_DELIVERY: "dpv:ServiceProvision",
    PurposeCategory.ELIGIBILITY_CHECKING: "dpv:ServiceProvision",
    PurposeCategory.CUSTOMER_TRACKING: "dpv:ServiceProvision",
    PurposeCategory.OUTREACH: "dpv:CommunicationManagement",
    PurposeCategory.STRATEGIC_PLANNING: "dpv:ServiceOptimisation",
    PurposeCategory.SAFEGUARDING: "dpv:ServiceProvision",
    PurposeCategory.EMERGENCY_RESPONSE: "dpv:ServiceProvision",
}


def _gdpr_term(article: str) -> str:
    """``6(1)(e)`` -> ``eu-gdpr:A6-1-e``: UK GDPR keeps the EU GDPR's article numbers."""
    return "eu-gdpr:A" + article.replace("(", "-").replace(")", "").replace("--", "-")


def policy_to_odrl(policy: AgreementPolicy) -> dict[str, Any]:
    uid = f"urn:accord:agreement:{policy.id}:v{policy.version}"
    recipient = f"urn:accord:org:{policy.recipient}"
    purpose = f"accord:purpose-{policy.purpose_category.value}"
    dates = [
        {
            "leftOperand": "dateTime",
            "operator": "gteq",
            "rightOperand": policy.valid_from.isoformat(),
        },
        {
            "leftOperand": "dateTime",
            "operator": "lteq",
            "rightOperand": policy.valid_to.isoformat(),
        },
    ]
    permissions = [
        {
            "target": f"urn:accord:dataset:{d.dataset}",
            "assigner": f"urn:accord:org:{d.dataset.split('/', 1)[0]}",
            "assignee": recipient,
            "action": "use",
            "constraint": [
                {"leftOperand": "purpose", "operator": "eq", "rightOperand": purpose},
                *dates,
            ],
            "duty": [_delete_duty(policy)],
        }
        for d in policy.datasets
    ]
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "uid": uid,
        "type": "odrl:Agreement",
        "profile": ACCORD_NS.rstrip("#"),
        "assigner": [f"urn:accord:org:{o}" for o in policy.data_owners],
        "assignee": recipient,
        "permission": permissions,
        "hasPurpose": _DPV_PURPOSE[policy.purpose_category],
        "hasLegalBasis": [
            _gdpr_term(v.value) for v in (policy.lawful_basis, policy.art9_condition) if v
        ],
        "sha256": policy.sha256(),
        "policy": policy.model_dump(mode="json"),
    }
    if policy.gateway:
        gw = gateway(policy.gateway)
        document["gateway"] = f"accord:gateway-{policy.gateway}"
        document["gatewayTitle"] = gw.title if gw else policy.gateway
    if not policy.onward_sharing.strip():
        document["prohibition"] = [
            {
                "target": f"urn:accord:dataset:{d.dataset}",
                "assignee": recipient,
                "action": "distribute",
            }
            for d in policy.datasets
        ]
    return document


def _delete_duty(policy: AgreementPolicy) -> dict[str, Any]:
    """The duty to delete: by a date (``dateTime lteq``), or a period (``delayPeriod``, an
    ``xsd:duration``) after the named event; without a retention term, at the agreement's end."""
    retention = policy.retention
    if retention is None:
        return {"action": "delete", "accord:after": "agreement_end"}
    if retention.until is not None:
        constraint = {
            "leftOperand": "dateTime",
            "operator": "lteq",
            "rightOperand": {"@value": retention.until.isoformat(), "@type": "xsd:date"},
        }
        return {
            "action": "delete",
            "constraint": [constraint],
            "accord:retention": retention.describe(),
        }
    assert retention.after is not None
    constraint = {
        "leftOperand": "delayPeriod",
        "operator": "eq",
        "rightOperand": {"@value": retention.period, "@type": "xsd:duration"},
    }
    return {
        "action": "delete",
        "constraint": [constraint],
        "accord:after": retention.after.value,
        "accord:retention": retention.describe(),
    }


def policy_from_odrl(document: dict[str, Any]) -> AgreementPolicy:
    """The policy an exported agreement carries, checked against its stated hash."""
    policy = AgreementPolicy.model_validate(document["policy"])
    if policy.sha256() != document.get("sha256"):
        raise ValueError("the ODRL document's policy does not match its accord:policySha256")
    return policy
