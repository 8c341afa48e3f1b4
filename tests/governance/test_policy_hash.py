"""An agreement's hash is what its decision record signed: new terms must not change it."""

from __future__ import annotations

from accord.core.governance.agreement import AgreementPolicy

FIRST_SIGNED_TERMS = frozenset(
    {
        "art9_condition", "assurance_schemes", "channels", "conditions", "data_owners",
        "datasets", "deletion_method", "form", "frequency", "frequency_interval", "gateway",
        "id", "lawful_basis", "onward_sharing", "output_controls", "processors",
        "public_benefit", "purpose", "purpose_category", "recipient", "request_id",
        "retention", "schedule1_condition", "territory", "test_exchange_required", "tier",
        "title", "valid_from", "valid_to", "version",
    }
)  # fmt: skip


def test_every_term_added_since_first_signing_is_a_later_term() -> None:
    added = set(AgreementPolicy.model_fields) - FIRST_SIGNED_TERMS
    assert added == set(AgreementPolicy.LATER_TERMS), (
        "a term added to AgreementPolicy needs a default and a place in LATER_TERMS, "
        "or every agreement signed before it would fail its hash check"
    )
    for name in AgreementPolicy.LATER_TERMS:
        assert not AgreementPolicy.model_fields[name].is_required()


def test_a_later_term_at_its_default_leaves_the_canonical_json_unchanged() -> None:
    for name in AgreementPolicy.LATER_TERMS:
        default = AgreementPolicy.model_fields[name].default
        assert f'"{name}":' not in _policy(**{name: default}).canonical_json()


def _policy(**terms: object) -> AgreementPolicy:
    return AgreementPolicy.model_validate(
        {
            "id": "agr-1", "version": 1, "request_id": "req-1", "title": "t", "tier": 5,
            "data_owners": ["dwp"], "recipient": "provider", "purpose": "p",
            "purpose_category": "operational_service_delivery", "datasets": [],
            "channels": ["bulk_package"],
            "valid_from": "2026-01-01", "valid_to": "2027-01-01", **terms,
        }
    )  # fmt: skip
