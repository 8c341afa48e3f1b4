"""A data-sharing request, carrying what the ICO request form and the NHS access-request
standards ask for, so that reviewers never start from a blank page.

Requests are written as YAML or JSON (see ``docs/requests.md``) or built through the
API; this model is the one schema for all three.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.core.governance.interval import parse_interval
from accord.core.identity import AssuranceScheme
from accord.core.lifecycle.retention import OptionalRetention

__all__ = [
    "Alternative",
    "Art9Condition",
    "Channel",
    "Considerations",
    "ControllerRelationship",
    "DataJourneyLink",
    "Dpia",
    "DpiaOutcome",
    "FieldRequest",
    "Frequency",
    "LawfulBasis",
    "OverrideAsk",
    "Party",
    "PartyRole",
    "PurposeCategory",
    "RequestedDataset",
    "RequestedForm",
    "SharingRequest",
    "Transform",
    "TransformKind",
]


class PurposeCategory(StrEnum):
    STRATEGIC_PLANNING = "strategic_planning"
    OUTREACH = "outreach"
    CUSTOMER_TRACKING = "customer_tracking"
    ELIGIBILITY_CHECKING = "eligibility_checking"
    RESEARCH = "research"
    OPERATIONAL_SERVICE_DELIVERY = "operational_service_delivery"
    SAFEGUARDING = "safeguarding"
    EMERGENCY_RESPONSE = "emergency_response"


OPERATIONAL_PURPOSES = frozenset(
    {
        PurposeCategory.OUTREACH,
        PurposeCategory.CUSTOMER_TRACKING,
        PurposeCategory.ELIGIBILITY_CHECKING,
        PurposeCategory.OPERATIONAL_SERVICE_DELIVERY,
        PurposeCategory.SAFEGUARDING,
        PurposeCategory.EMERGENCY_RESPONSE,
    }
)


class RequestedForm(StrEnum):
    AGGREGATE = "aggregate"
    ANONYMISED = "anonymised"
    PSEUDONYMISED = "pseudonymised"
    IDENTIFIABLE = "identifiable"


class Channel(StrEnum):
    IN_PLACE_QUERY = "in_place_query"
    DELTA_SHARING = "delta_sharing"
    BULK_PACKAGE = "bulk_package"
    ELIGIBILITY_CHECK = "eligibility_check"
    BATCH_VALIDATION = "batch_validation"
    AGGREGATE_STATISTICS = "aggregate_statistics"


AGGREGATE_CHANNELS = frozenset({Channel.BATCH_VALIDATION, Channel.AGGREGATE_STATISTICS})


class Frequency(StrEnum):
    ONE_OFF = "one_off"
    RECURRING = "recurring"
    CONTINUOUS = "continuous"


class LawfulBasis(StrEnum):
    """UK GDPR Article 6(1)."""

    CONSENT = "6(1)(a)"
    CONTRACT = "6(1)(b)"
    LEGAL_OBLIGATION = "6(1)(c)"
    VITAL_INTERESTS = "6(1)(d)"
    PUBLIC_TASK = "6(1)(e)"
    LEGITIMATE_INTERESTS = "6(1)(f)"


class Art9Condition(StrEnum):
    """UK GDPR Article 9(2), for special-category data."""

    EXPLICIT_CONSENT = "9(2)(a)"
    EMPLOYMENT_SOCIAL_SECURITY = "9(2)(b)"
    VITAL_INTERESTS = "9(2)(c)"
    NOT_FOR_PROFIT = "9(2)(d)"
    MADE_PUBLIC = "9(2)(e)"
    LEGAL_CLAIMS = "9(2)(f)"
    SUBSTANTIAL_PUBLIC_INTEREST = "9(2)(g)"
    HEALTH_SOCIAL_CARE = "9(2)(h)"
    PUBLIC_HEALTH = "9(2)(i)"
    ARCHIVING_RESEARCH_STATISTICS = "9(2)(j)"


class ControllerRelationship(StrEnum):
    SEPARATE = "separate"
    JOINT = "joint"


class PartyRole(StrEnum):
    CONTROLLER = "controller"
    JOINT_CONTROLLER = "joint_controller"
    PROCESSOR = "processor"


class DpiaOutcome(StrEnum):
    """The DPIA's conclusion. ``high_residual_risk`` needs ICO prior consultation (Art 36)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    LOW_RISK = "low_risk"
    MITIGATED = "mitigated"
    HIGH_RESIDUAL_RISK = "high_residual_risk"


class TransformKind(StrEnum):
    KEEP = "keep"
    DROP = "drop"
    PSEUDONYMISE = "pseudonymise"
    GENERALISE = "generalise"
    FLAG = "flag"
    BAND = "band"
    REDACT = "redact"
    TRUNCATE = "truncate"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class Transform(_Frozen):
    """How a field leaves: kept, dropped, pseudonymised in a linkage domain, generalised…

    ``argument`` is the domain for ``pseudonymise``; ``year``, ``year_month``,
    ``age_band``, ``area``, ``district`` or ``sector`` for ``generalise``; an
    expression for ``flag``; comma-separated band edges for ``band``; a length for
    ``truncate``.
    """

    kind: TransformKind = TransformKind.KEEP
    argument: str = ""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """``generalise(age_band)`` (as the assessment's fixes write it) for
        ``{kind: generalise, argument: age_band}``, in a field's ``transform`` or ``kind``."""
        return transform_shorthand(value)

    @model_validator(mode="after")
    def _argument_present(self) -> Transform:
        needs = {
            TransformKind.PSEUDONYMISE,
            TransformKind.GENERALISE,
            TransformKind.FLAG,
            TransformKind.BAND,
            TransformKind.TRUNCATE,
        }
        if self.kind in needs and not self.argument.strip():
            raise ValueError(f"transform {self.kind.value} needs an argument")
        return self

    def label(self) -> str:
        return self.kind.value + (f"({self.argument})" if self.argument else "")


_SHORTHAND = re.compile(r"\s*([A-Za-z_]+)\s*(?:\((.*)\))?\s*", re.DOTALL)


def transform_shorthand(value: Any) -> Any:
    """Expand ``"kind(argument)"`` (or a mapping whose ``kind`` is written so) into a
    mapping; an unknown kind is named with the nearest known one."""
    if isinstance(value, dict) and isinstance(value.get("kind"), str) and "(" in value["kind"]:
        if value.get("argument"):
            raise ValueError(
                f"transform {value['kind']!r} gives its argument twice: write "
                "generalise(age_band), or kind and argument apart"
            )
        value = value["kind"]
    if not isinstance(value, str):
        return value
    match = _SHORTHAND.fullmatch(value)
    kinds = [k.value for k in TransformKind]
    if match is None or match[1].lower() not in kinds:
        word = match[1] if match else value
        close = difflib.get_close_matches(word.lower(), kinds, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"transform {value!r} is not one of {', '.join(kinds)}{hint} "
            "(write it as kind(argument), e.g. generalise(age_band))"
        )
    return {"kind": match[1].lower(), "argument": (match[2] or "").strip()}


class FieldRequest(_Frozen):
    name: str = Field(min_length=1)
    justification: str = ""
    transform: Transform = Transform()


class RequestedDataset(_Frozen):
    dataset: str = Field(min_length=3, description="ORG/NAME in the catalogue")
    fields: tuple[FieldRequest, ...] = Field(min_length=1)
    cohort: str = Field(default="", description="A row filter in Accord's expression language")


class Party(_Frozen):
    organisation: str
    role: PartyRole = PartyRole.CONTROLLER


class Dpia(_Frozen):
    reference: str = ""
    outcome: DpiaOutcome = DpiaOutcome.NOT_STARTED
    completed_on: date | None = None


class DataJourneyLink(_Frozen):
    """One link in the chain the data travels along, from source to final use."""

    from_party: str
    to_party: str
    description: str = ""


class OverrideAsk(_Frozen):
    """A blocking finding the requester asks the owners' legal to override, and why."""

    finding: str = Field(min_length=1, description="The finding's ref, as the assessment prints it")
    reason: str = Field(min_length=1)


class Alternative(_Frozen):
    """An option considered instead of this share, and why it was rejected."""

    option: str = Field(min_length=1)
    why_rejected: str = Field(min_length=1)


class Considerations(_Frozen):
    """What paragraphs 19 and 51 of the worklessness guidance (seed 001) ask a data owner
    to weigh before sharing; the assessment reads them and the decision record shows them."""

    benefit_or_detriment: str = Field(
        default="", description="The benefit or detriment to the individuals"
    )
    cost_against_benefit: str = Field(
        default="", description="The resource cost against the expected benefit"
    )
    fair_processing_information: str = Field(
        default="", description="The fair-processing information the individuals were given"
    )
    compatible_with_fair_processing: bool | None = Field(
        default=None, description="Whether the share is compatible with that information"
    )
    operational_difference: str = Field(
        default="", description="The operational difference the share makes to the service"
    )
    alternatives_considered: tuple[Alternative, ...] = ()


CYBER_ONLY = frozenset({AssuranceScheme.CYBER_ESSENTIALS, AssuranceScheme.CYBER_ESSENTIALS_PLUS})
"""Schemes that test an organisation's defences but not its governance of records."""


class SharingRequest(_Frozen):
    """Everything a reviewer needs to decide, in one document."""

    title: str = Field(min_length=3)
    requesting_organisation: str
    requester: str
    parties: tuple[Party, ...] = ()
    controller_relationship: ControllerRelationship = ControllerRelationship.SEPARATE
    processors: tuple[str, ...] = ()
    purpose_category: PurposeCategory
    purpose: str = Field(min_length=10, description="The purpose, in words")
    public_benefit: str = ""
    logic_model: str = Field(default="", description="How the benefit comes about")
    datasets: tuple[RequestedDataset, ...] = Field(min_length=1)
    form: RequestedForm
    channels: tuple[Channel, ...] = Field(min_length=1)
    frequency: Frequency = Frequency.ONE_OFF
    lawful_basis: LawfulBasis | None = None
    art9_condition: Art9Condition | None = None
    schedule1_condition: str = Field(default="", description="DPA 2018 Schedule 1 paragraph")
    gateway: str = Field(default="", description="A gateway id from `accord gateways`")
    dpia: Dpia = Dpia()
    expected_records: int | None = Field(default=None, ge=0)
    vulnerable_people: bool = False
    new_technology: bool = False
    linkage: bool = Field(
        default=False, description="The recipient will match this to its own data"
    )
    retention: OptionalRetention = Field(
        default=None,
        description="How long the recipient keeps the data: {period: P13M, after: decision} "
        "or {until: YYYY-MM-DD}; the deletion job executes it",
    )
    deletion_method: str = ""
    onward_sharing: str = Field(default="", description="Empty means none")
    security_measures: str = ""
    territory: Literal["uk", "eea", "adequate", "other"] = "uk"
    start_date: date
    end_date: date
    data_journey: tuple[DataJourneyLink, ...] = ()
    test_exchange: bool = Field(
        default=True, description="Require a test exchange before live data"
    )
    amends: str = Field(default="", description="The agreement id this request amends")
    override_requests: tuple[OverrideAsk, ...] = Field(
        default=(),
        description="Blocking findings the requester asks the data owners' legal to override",
    )
    considerations: Considerations | None = None
    frequency_interval: str = Field(
        default="",
        description="For a recurring share, the ISO 8601 interval between deliveries (P1M)",
    )
    inbound_forms: tuple[Literal["whp07", "employment_business", "exit_report"], ...] = Field(
        default=(),
        description="Forms the recipient may send back to the data owners, one record a "
        "message: whp07, employment_business, exit_report",
    )
    designated_senders: tuple[str, ...] = Field(
        default=(),
        description="Principal ids of the recipient allowed to send those forms "
        "(the designated inbox)",
    )

    access_review_days: int | None = Field(
        default=None,
        ge=1,
        le=90,
        description="How often (days, 1 to 90) each recipient organisation's admin "
        "recertifies who has access; empty: no access reviews",
    )
    assurance_schemes: tuple[AssuranceScheme, ...] = Field(
        default=(),
        description="The security assurance schemes the recipient may hold (any one, valid "
        "each day data leaves); empty: every scheme fit for the requested form",
    )

    @model_validator(mode="after")
    def _schemes_fit_form(self) -> SharingRequest:
        """Cyber Essentials (basic or Plus) tests defences against common attacks; it says
        nothing about how personal records are governed, so a request for per-record data
        must accept at least one scheme that does (seed 003, paragraph 2)."""
        if len(set(self.assurance_schemes)) != len(self.assurance_schemes):
            raise ValueError("assurance_schemes names a scheme twice")
        per_record = self.form not in (RequestedForm.AGGREGATE, RequestedForm.ANONYMISED)
        if per_record and self.assurance_schemes and set(self.assurance_schemes) <= CYBER_ONLY:
            raise ValueError(
                "assurance_schemes: Cyber Essentials alone does not assure a recipient of "
                f"{self.form.value} records; accept iso_27001, assured_security_plan or dspt"
            )
        return self

    @model_validator(mode="after")
    def _interval_fits_frequency(self) -> SharingRequest:
        if self.frequency is Frequency.RECURRING and not self.frequency_interval.strip():
            raise ValueError(
                "frequency_interval is needed for a recurring share: an ISO 8601 duration "
                "such as P1M (monthly) or P7D (weekly)"
            )
        if self.frequency_interval.strip():
            if self.frequency is not Frequency.RECURRING:
                raise ValueError(
                    f"frequency_interval is only for a recurring share, not {self.frequency.value}"
                )
            parse_interval(self.frequency_interval)
        return self

    def dataset_ids(self) -> tuple[str, ...]:
        return tuple(d.dataset for d in self.datasets)

    def owner_organisations(self) -> tuple[str, ...]:
        """The organisations whose data is asked for: they approve."""
        return tuple(sorted({d.dataset.split("/", 1)[0] for d in self.datasets}))

    @classmethod
    def parse(cls, document: dict[str, Any]) -> SharingRequest:
        return cls.model_validate(document)
