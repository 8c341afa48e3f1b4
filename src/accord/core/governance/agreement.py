"""The executable agreement: the policy approvers signed and the engine enforces.

An agreement version is immutable once active; an amendment is a new version that is
approved again. The policy is plain JSON (documented in ``docs/agreements.md``); its
SHA-256 over canonical JSON is what the decision record signs and what every audited
extract cites.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from accord.core.governance.request import (
    AGGREGATE_CHANNELS,
    Art9Condition,
    Channel,
    Frequency,
    LawfulBasis,
    PurposeCategory,
    RequestedForm,
    SharingRequest,
    Transform,
)
from accord.core.identity import AssuranceScheme
from accord.core.lifecycle.retention import OptionalRetention

__all__ = [
    "ANY_SCHEME",
    "PER_RECORD_SCHEMES",
    "AgreementPolicy",
    "DatasetPolicy",
    "FieldPolicy",
    "OutputControls",
    "accepted_schemes",
    "policy_from_request",
]


PER_RECORD_SCHEMES = (
    AssuranceScheme.ISO_27001,
    AssuranceScheme.ASSURED_SECURITY_PLAN,
    AssuranceScheme.DSPT,
)
"""Schemes that assure a recipient of per-record (identifiable or pseudonymised) data.
Cyber Essentials Plus tests defences against common attacks; it says nothing about
how personal records are governed, so it is not enough on its own for them."""
ANY_SCHEME = (
    *PER_RECORD_SCHEMES,
    AssuranceScheme.CYBER_ESSENTIALS_PLUS,
    AssuranceScheme.CYBER_ESSENTIALS,
)
"""For aggregate or anonymised outputs, any recognised scheme will do."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldPolicy(_Frozen):
    name: str
    transform: Transform


class DatasetPolicy(_Frozen):
    dataset: str
    fields: tuple[FieldPolicy, ...]
    cohort: str = ""


class OutputControls(_Frozen):
    """Limits on what leaves through aggregate and per-record channels."""

    min_cell_count: int = 10
    rounding_base: int = 5
    per_record_answers: bool = False
    """Whether the eligibility-check channel may answer yes/no per record."""
    max_rows_per_query: int = 1_000_000
    form: RequestedForm | None = None
    """The form the data leaves in, as approved. Under ``aggregate`` and ``anonymised``
    only aggregate query results leave; ``anonymised`` extracts are made k-anonymous.
    None for agreements approved before it was recorded (tiers 1-2 then count as
    aggregate)."""
    k_anonymity: int = Field(default=10, ge=1)
    """Each combination of quasi-identifiers in an anonymised extract is shared by at
    least this many records (10, the threshold of the disclosure rules)."""
    l_diversity: int = Field(default=1, ge=1)
    """Each such group holds at least this many distinct values of the sensitive
    attribute (1: not required)."""
    cell_key_perturbation: bool = False
    """Perturb released query counts with the cell-key method instead of rounding them."""


class AgreementPolicy(_Frozen):
    id: str
    version: int = Field(ge=1)
    request_id: str
    title: str
    tier: int = Field(ge=1, le=5)
    data_owners: tuple[str, ...]
    recipient: str
    processors: tuple[str, ...] = ()
    purpose_category: PurposeCategory
    purpose: str
    public_benefit: str = ""
    lawful_basis: LawfulBasis | None = None
    art9_condition: Art9Condition | None = None
    schedule1_condition: str = ""
    gateway: str = ""
    datasets: tuple[DatasetPolicy, ...]
    channels: tuple[Channel, ...]
    output_controls: OutputControls = OutputControls()
    frequency: Frequency = Frequency.ONE_OFF
    retention: OptionalRetention = None
    """Executed by the deletion job (``accord retention run``); None: until the agreement ends."""
    deletion_method: str = ""
    onward_sharing: str = ""
    territory: str = "uk"
    valid_from: date
    valid_to: date
    test_exchange_required: bool = True
    conditions: tuple[str, ...] = ()
    form: RequestedForm = RequestedForm.IDENTIFIABLE
    """The form the data leaves in: aggregate and anonymised forms are not per-record."""
    frequency_interval: str = ""
    """For a recurring share, the ISO 8601 interval between live deliveries."""
    assurance_schemes: tuple[AssuranceScheme, ...] = PER_RECORD_SCHEMES
    """The security assurance the recipient must hold (any one of them, valid today)."""
    inbound_forms: tuple[str, ...] = ()
    """Forms the recipient may send back to the data owners (``whp07``,
    ``employment_business``, ``exit_report``): the inbound channel of
    :mod:`accord.services.inbound`. Empty: nothing comes back."""
    designated_senders: tuple[str, ...] = ()
    """Principal ids of the recipient allowed to send those forms: the designated inbox
    of seed 003 paragraph 49."""

    access_review_days: int | None = Field(default=None, ge=1, le=90)
    """Each recipient organisation's admin recertifies who has access at least this
    often, or its access under the agreement is suspended (seed 003: every 30 days).
    None: the agreement requires no access reviews. Enforced on the release path by
    :func:`accord.core.lifecycle.reviews.access_review_current`."""

    LATER_TERMS: ClassVar[frozenset[str]] = frozenset(
        {"inbound_forms", "designated_senders", "access_review_days"}
    )
    """Terms added after agreements were first signed. Each is left out of the canonical
    JSON while it holds its default, so an agreement signed before the term existed keeps
    the hash its decision record signed; a new term with a default must be listed here."""

    def canonical_json(self) -> str:
        body = self.model_dump(mode="json")
        for name in self.LATER_TERMS:
            if getattr(self, name) == type(self).model_fields[name].default:
                body.pop(name, None)
        return json.dumps(body, sort_keys=True, separators=(",", ":"))

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def dataset(self, dataset_id: str) -> DatasetPolicy:
        for policy in self.datasets:
            if policy.dataset == dataset_id:
                return policy
        raise KeyError(dataset_id)


def policy_from_request(
    request: SharingRequest,
    *,
    agreement_id: str,
    version: int,
    request_id: str,
    tier: int,
    per_record_answers: bool,
    conditions: tuple[str, ...] = (),
) -> AgreementPolicy:
    """The policy an approved request becomes: exactly what was asked, as approved."""
    aggregate = set(request.channels) <= AGGREGATE_CHANNELS
    return AgreementPolicy(
        id=agreement_id,
        version=version,
        request_id=request_id,
        title=request.title,
        tier=tier,
        data_owners=request.owner_organisations(),
        recipient=request.requesting_organisation,
        processors=request.processors,
        purpose_category=request.purpose_category,
        purpose=request.purpose,
        public_benefit=request.public_benefit,
        lawful_basis=request.lawful_basis,
        art9_condition=request.art9_condition,
        schedule1_condition=request.schedule1_condition,
        gateway=request.gateway,
        datasets=tuple(
            DatasetPolicy(
                dataset=d.dataset,
                fields=tuple(FieldPolicy(name=f.name, transform=f.transform) for f in d.fields),
                cohort=d.cohort,
            )
            for d in request.datasets
        ),
        channels=request.channels,
        output_controls=OutputControls(
            per_record_answers=per_record_answers and not aggregate, form=request.form
        ),
        frequency=request.frequency,
        retention=request.retention,
        deletion_method=request.deletion_method,
        onward_sharing=request.onward_sharing,
        territory=request.territory,
        valid_from=request.start_date,
        valid_to=request.end_date,
        test_exchange_required=request.test_exchange,
        conditions=conditions,
        form=request.form,
        frequency_interval=request.frequency_interval,
        assurance_schemes=accepted_schemes(request),
        inbound_forms=request.inbound_forms,
        designated_senders=request.designated_senders,
        access_review_days=request.access_review_days,
    )


def accepted_schemes(request: SharingRequest) -> tuple[AssuranceScheme, ...]:
    """The schemes the request names, or else every scheme fit for its form."""
    if request.assurance_schemes:
        return request.assurance_schemes
    if request.form in (RequestedForm.AGGREGATE, RequestedForm.ANONYMISED):
        return ANY_SCHEME
    return PER_RECORD_SCHEMES
