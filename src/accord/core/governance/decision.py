"""The decision record: the ICO data-sharing decision form, filled in from the workflow
for every outcome (share, share with conditions, do not share) and signed by each
organisation that decided, with its own Ed25519 key.

A share needs every data owner's approval, so its record is signed by every data owner;
a refusal is one owner's decision, signed by that owner. A record verifies only when
every organisation that decided has signed it and every signature verifies: dropping
one signature, or changing one byte of the record, fails verification.

The signatures cover the canonical JSON of the whole record, which includes the
SHA-256 of the agreement policy and of the assessment that was reviewed: a record
verifies only for the exact policy that was approved.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.core.checkpoint import key_fingerprint
from accord.core.governance.request import SharingRequest

__all__ = [
    "ApprovalEntry",
    "Charge",
    "ConsiderationEntry",
    "DecisionOutcome",
    "DecisionRecord",
    "OwnerSignature",
    "SignatureCheck",
    "considerations_entries",
    "sign_record",
    "verify_record",
    "verify_signatures",
]

_CONTEXT = b"accord-decision-record-v1\x00"


class DecisionOutcome(StrEnum):
    """The outcomes of the ICO decision form."""

    SHARE = "share"
    SHARE_WITH_CONDITIONS = "share_with_conditions"
    DO_NOT_SHARE = "do_not_share"


@dataclass(frozen=True, slots=True)
class ApprovalEntry:
    principal: str
    organisation: str
    role: str
    at: str
    note: str = ""
    conditions: tuple[str, ...] = ()
    """Conditions this approver attached; they join the policy's conditions."""


@dataclass(frozen=True, slots=True)
class Charge:
    """What a data owner charges for the share, recorded at its approval."""

    organisation: str
    amount_pence: int
    basis: str

    def label(self) -> str:
        return f"{self.organisation} charges £{self.amount_pence / 100:,.2f}: {self.basis}"


@dataclass(frozen=True, slots=True)
class ConsiderationEntry:
    """One question of seed 001 (paragraphs 19 and 51) with the requester's answer."""

    question: str
    answer: str


CONSIDERATION_QUESTIONS = (
    ("benefit_or_detriment", "Benefit or detriment to the individuals"),
    ("cost_against_benefit", "Resource cost against the expected benefit"),
    ("fair_processing_information", "Fair-processing information given"),
    ("compatible_with_fair_processing", "Compatible with that fair-processing information"),
    ("operational_difference", "Operational difference to the service"),
)


def considerations_entries(document: SharingRequest) -> tuple[ConsiderationEntry, ...]:
    """Seed 001's questions (paragraphs 19 and 51) with the request's answers; an
    unanswered one says so, so that the decider sees the gap."""
    given = document.considerations
    entries = []
    for name, question in CONSIDERATION_QUESTIONS:
        value = getattr(given, name) if given is not None else None
        answer = ("yes" if value else "no") if isinstance(value, bool) else str(value or "")
        entries.append(ConsiderationEntry(question, answer or "not stated"))
    alternatives = given.alternatives_considered if given is not None else ()
    if not alternatives:
        entries.append(ConsiderationEntry("Alternatives considered", "not stated"))
    for alternative in alternatives:
        entries.append(
            ConsiderationEntry(
                "Alternative considered",
                f"{alternative.option} (rejected: {alternative.why_rejected})",
            )
        )
    return tuple(entries)


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """Fields of the ICO decision form, in its order."""

    decision_id: str
    request_id: str
    request_revision: int
    request_title: str
    requesting_organisation: str
    data_owners: tuple[str, ...]
    decision: DecisionOutcome
    decided_by: tuple[str, ...]
    """The organisations whose decision this is: each signs the record."""
    decided_at: str
    reasons: str
    purpose: str
    lawful_basis: str
    legal_power: str
    data_items: tuple[str, ...]
    tier: int
    dpia_reference: str
    considerations: tuple[ConsiderationEntry, ...]
    conditions: tuple[str, ...]
    overridden_findings: tuple[str, ...]
    approvals: tuple[ApprovalEntry, ...]
    charges: tuple[Charge, ...]
    review_date: str
    assessment_sha256: str
    agreement_id: str
    """Empty when the decision is not to share."""
    agreement_version: int
    policy_sha256: str

    def canonical(self) -> bytes:
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":")).encode()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["decision"] = self.decision.value
        return data

    @classmethod
    def from_json(cls, text: str) -> DecisionRecord:
        """Parse a stored record (the canonical JSON that was signed)."""
        data: dict[str, Any] = json.loads(text)
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"not a decision record: unknown fields {', '.join(unknown)}")
        data["decision"] = DecisionOutcome(data["decision"])
        data["approvals"] = tuple(
            ApprovalEntry(**{**a, "conditions": tuple(a.get("conditions", ()))})
            for a in data["approvals"]
        )
        data["charges"] = tuple(Charge(**c) for c in data["charges"])
        data["considerations"] = tuple(ConsiderationEntry(**c) for c in data["considerations"])
        for key in ("data_owners", "decided_by", "data_items", "conditions", "overridden_findings"):
            data[key] = tuple(data[key])
        return cls(**data)

    def text(self) -> str:
        """The record as a reviewer or auditor reads it."""
        lines = [
            f"Decision record {self.decision_id}: {self.decision.value.replace('_', ' ')}",
            f"Request {self.request_id} revision {self.request_revision}: {self.request_title}",
            f"{self.requesting_organisation} asked {', '.join(self.data_owners)}; "
            f"decided by {', '.join(self.decided_by)} at {self.decided_at}",
            f"Reasons: {self.reasons}",
            f"Purpose: {self.purpose}",
            f"Lawful basis: {self.lawful_basis or 'none given'}; legal power: "
            f"{self.legal_power or 'none given'}",
            f"Tier {self.tier}; DPIA {self.dpia_reference or 'none'}; review by {self.review_date}",
            "Data items: " + (", ".join(self.data_items) or "none"),
        ]
        if self.considerations:
            lines.append("Considerations:")
            lines.extend(f"  {c.question}: {c.answer}" for c in self.considerations)
        if self.conditions:
            lines.append("Conditions:")
            lines.extend(f"  - {c}" for c in self.conditions)
        if self.overridden_findings:
            lines.append("Overridden findings: " + ", ".join(self.overridden_findings))
        if self.charges:
            lines.append("Charges:")
            lines.extend(f"  - {c.label()}" for c in self.charges)
        lines.append("Decisions:")
        for a in self.approvals:
            lines.append(
                f"  - {a.principal}, {a.role} of {a.organisation}, at {a.at}"
                + (f": {a.note}" if a.note else "")
            )
        if self.agreement_id:
            lines.append(
                f"Agreement {self.agreement_id} v{self.agreement_version}, "
                f"policy sha256 {self.policy_sha256}"
            )
        lines.append(f"Assessment sha256 {self.assessment_sha256}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class OwnerSignature:
    """One organisation's signature over a decision record."""

    organisation: str
    key_fingerprint: str
    signature: str


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """Whether a record verifies, with a reason per organisation that must have signed."""

    valid: bool
    reasons: tuple[str, ...]

    def __bool__(self) -> bool:
        return self.valid


def sign_record(
    record: DecisionRecord, key: Ed25519PrivateKey, organisation: str
) -> OwnerSignature:
    return OwnerSignature(
        organisation,
        key_fingerprint(key.public_key()),
        key.sign(_CONTEXT + record.canonical()).hex(),
    )


def verify_record(record: DecisionRecord, signature: str, key: Ed25519PublicKey) -> bool:
    """One signature over ``record``."""
    return _verifies(record.canonical(), signature, key)


def _verifies(message: bytes, signature: str, key: Ed25519PublicKey) -> bool:
    try:
        key.verify(bytes.fromhex(signature), _CONTEXT + message)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_signatures(
    text: str,
    signatures: Iterable[OwnerSignature],
    public_key_for: Callable[[str], Ed25519PublicKey | None],
) -> SignatureCheck:
    """Verify a stored record: every organisation in its ``decided_by`` signed it, with
    the key it holds now, over exactly these bytes; no one else's signature is counted.

    ``text`` is the canonical JSON as stored; ``public_key_for`` returns an
    organisation's public signing key, or None when it has none.
    """
    try:
        record = DecisionRecord.from_json(text)
    except (ValueError, KeyError, TypeError) as exc:
        return SignatureCheck(False, (f"the record does not parse: {exc}",))
    if record.canonical() != text.encode():
        return SignatureCheck(False, ("the record is not in canonical form",))
    given: dict[str, list[OwnerSignature]] = {}
    for signature in signatures:
        given.setdefault(signature.organisation, []).append(signature)
    reasons: list[str] = []
    valid = bool(record.decided_by)
    if not record.decided_by:
        reasons.append("the record names no deciding organisation")
    for stranger in sorted(set(given) - set(record.decided_by)):
        valid = False
        reasons.append(f"{stranger} signed but did not decide")
    for org in record.decided_by:
        mine = given.get(org, [])
        key = public_key_for(org)
        if len(mine) != 1:
            valid = False
            reasons.append(f"{org}: {'no signature' if not mine else 'more than one signature'}")
        elif key is None:
            valid = False
            reasons.append(f"{org}: no public signing key")
        elif mine[0].key_fingerprint != key_fingerprint(key):
            valid = False
            reasons.append(f"{org}: signed with key {mine[0].key_fingerprint}, not its own")
        elif not _verifies(text.encode(), mine[0].signature, key):
            valid = False
            reasons.append(f"{org}: signature does not verify")
        else:
            reasons.append(f"{org}: signature verifies")
    return SignatureCheck(valid, tuple(reasons))
