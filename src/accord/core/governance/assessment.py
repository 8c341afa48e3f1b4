"""The automated assessment: a pure, deterministic function of a request and the catalogue.

It derives the shareability tier (seed 001's hierarchy: 1 published, 2 unpublished
aggregate, 3 anonymised research, 4 non-anonymised research, 5 non-anonymised
operational), checks minimisation, the law, the DPIA and the recipient's security,
names published alternatives, and says which approvals the tier needs. Reviewers get
a worked assessment instead of a blank page; requesters see how to ask better.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from accord.core.catalogue import Dataset, FieldSpec
from accord.core.expressions import ExpressionError, check, parse
from accord.core.expressions.areas import keeps_to, uses_recipient_areas
from accord.core.governance.agreement import accepted_schemes
from accord.core.governance.considerations import considerations_findings, seed_questions
from accord.core.governance.domains import (
    DOMAIN_SHARED,
    DomainOwnership,
    domain_findings,
    pseudonymised_domains,
)
from accord.core.governance.findings import Finding, Severity
from accord.core.governance.gateways import gateway as find_gateway
from accord.core.governance.request import (
    AGGREGATE_CHANNELS,
    Art9Condition,
    Channel,
    DpiaOutcome,
    FieldRequest,
    LawfulBasis,
    PurposeCategory,
    RequestedForm,
    SharingRequest,
    TransformKind,
)
from accord.core.governance.subcontractors import SubcontractorApproval, processor_findings
from accord.core.governance.workflow import required_roles
from accord.core.identity import Membership, Organisation, OrgKind, Role
from accord.core.vocabulary import Category, SemanticType

__all__ = [
    "LARGE_SCALE_RECORDS",
    "PUBLISHED_TAG",
    "Assessment",
    "AssessmentContext",
    "ChecklistItem",
    "PriorAgreement",
    "assess",
]

PUBLISHED_TAG = "published"
"""Datasets tagged so are published (tier 1) statistical products."""
BENEFITS_TAG = "benefits"
LARGE_SCALE_RECORDS = 10_000
"""Above this many people the processing counts as large scale for the DPIA screen."""
CONSENT_VOLUME = 1_000
MAX_JOURNEY_LINKS = 3
LONG_AGREEMENT = timedelta(days=3 * 366)
_NEEDS_SCHEDULE1 = {
    Art9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
    Art9Condition.HEALTH_SOCIAL_CARE,
    Art9Condition.PUBLIC_HEALTH,
    Art9Condition.ARCHIVING_RESEARCH_STATISTICS,
}
_DPIA_DONE = {DpiaOutcome.LOW_RISK, DpiaOutcome.MITIGATED}
BULK_CHANNELS = frozenset({Channel.BULK_PACKAGE, Channel.DELTA_SHARING, Channel.IN_PLACE_QUERY})
"""Channels through which the recipient receives or reads records, not answers."""
PLACE_FIELDS = ("postcode", "oa_code", "lsoa_code", "la_code")
"""Fields a cohort can hold to an area with ``in_area``, by name if not by semantic type."""
NOT_OVERRIDABLE = frozenset(
    {
        "CATALOGUE_UNKNOWN_DATASET",
        "CATALOGUE_UNKNOWN_FIELD",
        "COHORT_INVALID",
        "COHORT_AREAS_UNDECLARED",
        "FLAG_INVALID",
        "DATES_INVALID",
        "CHANNEL_FORM_MISMATCH",
    }
)
"""Blocking findings about what cannot be executed at all: the request must change."""
DPIA_OVERRIDES = frozenset({"DPIA_MISSING", "DPIA_HIGH_RESIDUAL_RISK"})
"""Blocking findings the DPO of each owner answers for, rather than legal."""


@dataclass(frozen=True, slots=True)
class PriorAgreement:
    recipient: str
    owners: tuple[str, ...]
    purpose: PurposeCategory


@dataclass(frozen=True, slots=True)
class AssessmentContext:
    """The catalogue and platform facts the assessment reads; gathered by the service."""

    datasets: Mapping[str, Dataset]
    """Every dataset in the catalogue, by id (published products among them)."""
    row_counts: Mapping[str, int]
    recipient: Organisation | None
    prior_agreements: tuple[PriorAgreement, ...] = ()
    today: date = field(default_factory=date.today)
    organisations: Mapping[str, Organisation] = field(default_factory=dict)
    """Organisations by id, where the service supplies them: an owner not listed here is
    taken to hold national data (not a local authority's own)."""
    linkage_domains: Mapping[str, DomainOwnership] = field(default_factory=dict)
    """Owned linkage domains by name, with the agreements sharing each (see
    :mod:`accord.core.governance.domains`)."""
    subcontractor_approvals: tuple[SubcontractorApproval, ...] = ()
    """Every data owner's approved sub-contractors (see
    :mod:`accord.core.governance.subcontractors`): a processor must be on each list."""


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    item: str
    satisfied: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class Assessment:
    tier: int
    findings: tuple[Finding, ...]
    approver_roles: tuple[Role, ...]
    approving_organisations: tuple[str, ...]
    checklist: tuple[ChecklistItem, ...]
    published_alternatives: tuple[str, ...]
    dpia_required_because: tuple[str, ...]
    considerations: tuple[tuple[str, str], ...] = ()
    """Seed 001's questions (paragraphs 19 and 51) with the request's answers, "" if none."""

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.BLOCK)

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}


@dataclass(frozen=True, slots=True)
class _Item:
    """A requested field with its catalogue description."""

    dataset: Dataset
    request: FieldRequest
    spec: FieldSpec

    @property
    def subject(self) -> str:
        return f"{self.dataset.id}.{self.spec.name}"

    @property
    def kept_in_clear(self) -> bool:
        """Leaves as it is, or as something from which it can be read back."""
        return self.request.transform.kind in (TransformKind.KEEP, TransformKind.TRUNCATE)

    @property
    def leaves(self) -> bool:
        return self.request.transform.kind is not TransformKind.DROP


def _items(request: SharingRequest, ctx: AssessmentContext, out: list[Finding]) -> list[_Item]:
    items = []
    for wanted in request.datasets:
        dataset = ctx.datasets.get(wanted.dataset)
        if dataset is None:
            out.append(
                Finding(
                    "CATALOGUE_UNKNOWN_DATASET",
                    Severity.BLOCK,
                    f"{wanted.dataset} is not in the catalogue"
                    + _did_you_mean(wanted.dataset, ctx.datasets),
                    "Search the catalogue (`accord dataset search`) and name a registered dataset.",
                    wanted.dataset,
                )
            )
            continue
        for field_request in wanted.fields:
            try:
                spec = dataset.field(field_request.name)
            except KeyError:
                out.append(
                    Finding(
                        "CATALOGUE_UNKNOWN_FIELD",
                        Severity.BLOCK,
                        f"{dataset.id} has no field {field_request.name!r}"
                        + _did_you_mean(field_request.name, [f.name for f in dataset.fields]),
                        "Ask only for fields the catalogue lists: "
                        + ", ".join(f.name for f in dataset.fields),
                        f"{dataset.id}.{field_request.name}",
                    )
                )
                continue
            items.append(_Item(dataset, field_request, spec))
    return items


def _did_you_mean(name: str, known: Mapping[str, object] | list[str]) -> str:
    """``; did you mean 'benefit_type'?`` when a known name is close (case aside)."""
    names = list(known)
    folded = [n for n in names if n.lower() == name.lower()]
    close = folded or difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _expressions(request: SharingRequest, ctx: AssessmentContext) -> list[Finding]:
    """Cohort filters and flag conditions must parse and type-check against the schema."""
    out = []
    for wanted in request.datasets:
        dataset = ctx.datasets.get(wanted.dataset)
        if dataset is None:
            continue
        schema = {f.name: f.data_type for f in dataset.fields}
        checks = [("COHORT_INVALID", "cohort", wanted.cohort, wanted.dataset)]
        checks += [
            (
                "FLAG_INVALID",
                f"flag on {f.name}",
                f.transform.argument,
                f"{wanted.dataset}.{f.name}",
            )
            for f in wanted.fields
            if f.transform.kind is TransformKind.FLAG
        ]
        for code, what, text, subject in checks:
            if not text.strip():
                continue
            try:
                typed = check(parse(text), schema, source=text)
                if uses_recipient_areas(typed.expression) and not (
                    ctx.recipient is not None and ctx.recipient.areas
                ):
                    who = ctx.recipient.id if ctx.recipient else request.requesting_organisation
                    out.append(
                        Finding(
                            "COHORT_AREAS_UNDECLARED",
                            Severity.BLOCK,
                            f"the {what} uses in_area() without districts, which means the "
                            f"areas {who} serves, and it declares none",
                            f"Declare them (`accord org update {who} --areas …`), or name the "
                            "districts: in_area(postcode, 'E06000001').",
                            subject,
                        )
                    )
            except ExpressionError as exc:
                out.append(
                    Finding(
                        code,
                        Severity.BLOCK,
                        f"the {what} is not a valid filter: {exc.message}",
                        "Write it in Accord's filter language (docs/expressions.md), over "
                        "the dataset's own fields.",
                        subject,
                    )
                )
    return out


def _is_published(dataset: Dataset) -> bool:
    return PUBLISHED_TAG in dataset.tags


def _tier(request: SharingRequest, items: list[_Item]) -> int:
    leaving = [i for i in items if i.leaves]
    if leaving and all(_is_published(i.dataset) for i in leaving):
        return 1
    aggregate_only = set(request.channels) <= AGGREGATE_CHANNELS
    if request.form is RequestedForm.AGGREGATE and aggregate_only:
        return 2
    identified = request.form is RequestedForm.IDENTIFIABLE or any(
        i.kept_in_clear and i.spec.category is Category.DIRECT_IDENTIFIER for i in leaving
    )
    research = request.purpose_category is PurposeCategory.RESEARCH
    if research or request.purpose_category is PurposeCategory.STRATEGIC_PLANNING:
        if not identified:
            return 3
        return 4 if research else 5
    return 5


def _published_alternatives(
    request: SharingRequest, items: list[_Item], ctx: AssessmentContext
) -> tuple[str, ...]:
    owners = set(request.owner_organisations())
    wanted_tags = {tag for i in items if not _is_published(i.dataset) for tag in i.dataset.tags} - {
        PUBLISHED_TAG
    }
    return tuple(
        sorted(
            d.id
            for d in ctx.datasets.values()
            if _is_published(d)
            and d.organisation_id in owners
            and d.id not in request.dataset_ids()
            and wanted_tags & set(d.tags)
        )
    )


def _minimisation(request: SharingRequest, items: list[_Item]) -> list[Finding]:
    out = []
    leaving = [i for i in items if i.leaves]
    by_dataset: dict[str, list[_Item]] = {}
    for item in leaving:
        by_dataset.setdefault(item.dataset.id, []).append(item)
    for _, fields in sorted(by_dataset.items()):
        semantics = {i.spec.semantic_type for i in fields if i.kept_in_clear}
        has_address = bool(semantics & {SemanticType.ADDRESS, SemanticType.POSTCODE})
        for item in fields:
            semantic, kind = item.spec.semantic_type, item.request.transform.kind
            if semantic is SemanticType.PHONE and item.kept_in_clear and has_address:
                out.append(
                    Finding(
                        "MIN_PHONE_WITH_ADDRESS",
                        Severity.WARN,
                        "a telephone number is asked for alongside an address",
                        f"Drop {item.spec.name}: an address suffices to make contact.",
                        item.subject,
                    )
                )
            if semantic is SemanticType.DATE_OF_BIRTH and kind is TransformKind.KEEP:
                needed = request.linkage
                out.append(
                    Finding(
                        "MIN_FULL_DATE_OF_BIRTH",
                        Severity.ADVICE if needed else Severity.WARN,
                        "a full date of birth is asked for"
                        + (" to match records" if needed else ""),
                        "Use generalise(year) or generalise(age_band) where year of birth or an "
                        "age band suffices"
                        + (
                            "; keep it only as a matching key and drop it after." if needed else "."
                        ),
                        item.subject,
                    )
                )
            if (
                BENEFITS_TAG in item.dataset.tags
                and semantic in (SemanticType.CODE, SemanticType.AMOUNT)
                and kind in (TransformKind.KEEP, TransformKind.BAND)
                and request.purpose_category is not PurposeCategory.RESEARCH
            ):
                out.append(
                    Finding(
                        "MIN_BENEFIT_DETAIL",
                        Severity.WARN,
                        f"benefit details ({item.spec.name}) are asked for",
                        f"Ask for flag(...) on {item.spec.name}: a yes/no indication of receipt "
                        "is usually all that is needed.",
                        item.subject,
                    )
                )
            if (
                request.purpose_category is PurposeCategory.RESEARCH
                and item.spec.category is Category.DIRECT_IDENTIFIER
                and item.kept_in_clear
            ):
                fix = (
                    f"Ask for pseudonymise(<linkage domain>) on {item.spec.name} so the research "
                    "can link datasets pseudonymised in the same domain without seeing it."
                    if semantic in (SemanticType.NINO, SemanticType.NHS_NUMBER)
                    else f"Drop {item.spec.name}, or pseudonymise it in a linkage domain."
                )
                out.append(
                    Finding(
                        "MIN_RESEARCH_DIRECT_IDENTIFIER",
                        Severity.ADVICE,
                        f"research asks for the direct identifier {item.spec.name} in the clear",
                        fix,
                        item.subject,
                    )
                )
            if not item.request.justification.strip():
                out.append(
                    Finding(
                        "MIN_NO_JUSTIFICATION",
                        Severity.WARN,
                        f"{item.spec.name} is asked for without a justification",
                        "Say why this field is necessary for the purpose, or drop it.",
                        item.subject,
                    )
                )
            if semantic is SemanticType.FREE_TEXT and kind is TransformKind.KEEP:
                out.append(
                    Finding(
                        "MIN_FREE_TEXT",
                        Severity.WARN,
                        f"{item.spec.name} is free text, which may hold anything about anyone",
                        "Drop it, redact it, or truncate it to what is needed.",
                        item.subject,
                    )
                )
    return out


def _legal(
    request: SharingRequest,
    items: list[_Item],
    tier: int,
    alternatives: tuple[str, ...],
    ctx: AssessmentContext,
) -> list[Finding]:
    out = []
    purpose = request.purpose_category
    gw = find_gateway(request.gateway) if request.gateway else None
    if request.gateway and gw is None:
        out.append(
            Finding(
                "LEGAL_GATEWAY_UNKNOWN",
                Severity.BLOCK,
                f"{request.gateway!r} is not a gateway Accord knows",
                "Name one of `accord gateways`, or ask legal to add the power you rely on.",
            )
        )
    if tier >= 4 and not request.gateway:
        out.append(
            Finding(
                "LEGAL_GATEWAY_REQUIRED",
                Severity.BLOCK,
                f"tier {tier} shares non-anonymised data, which needs a specific legal power",
                "Name the gateway (e.g. dea-2017-part5, copi-2002-reg3), or ask for "
                "anonymised or aggregate data instead.",
            )
        )
    if gw is not None:
        if purpose not in gw.purposes:
            out.append(
                Finding(
                    "LEGAL_GATEWAY_PURPOSE",
                    Severity.BLOCK,
                    f"{gw.title} does not serve {purpose.value.replace('_', ' ')}",
                    f"{gw.note} Choose a gateway that serves this purpose.",
                )
            )
        if ctx.recipient is not None and ctx.recipient.kind not in gw.recipients:
            out.append(
                Finding(
                    "LEGAL_GATEWAY_RECIPIENT",
                    Severity.BLOCK,
                    f"{gw.title} does not allow disclosure to a "
                    f"{ctx.recipient.kind.value.replace('_', ' ')}",
                    gw.note,
                )
            )
        if gw.precedent:
            out.append(
                Finding(
                    "LEGAL_COMMON_LAW_PRECEDENT",
                    Severity.WARN,
                    "common-law powers are decided case by case and set a precedent",
                    "Legal must confirm the power for this case; record the reasoning.",
                )
            )
        volume = request.expected_records or 0
        if gw.consent and volume > CONSENT_VOLUME:
            out.append(
                Finding(
                    "LEGAL_CONSENT_AT_VOLUME",
                    Severity.WARN,
                    f"consent for {volume:,} people is costly to collect, evidence and honour",
                    "Consider a statutory gateway, or a smaller cohort.",
                )
            )
        if (
            purpose is PurposeCategory.ELIGIBILITY_CHECKING
            and Channel.ELIGIBILITY_CHECK in request.channels
            and not (gw.per_record and purpose in gw.purposes)
        ):
            out.append(_batch_only())
    elif (
        purpose is PurposeCategory.ELIGIBILITY_CHECKING
        and Channel.ELIGIBILITY_CHECK in request.channels
    ):
        out.append(_batch_only())
    if tier >= 3 and request.lawful_basis is None:
        out.append(
            Finding(
                "LEGAL_LAWFUL_BASIS_MISSING",
                Severity.BLOCK,
                "no UK GDPR Article 6 lawful basis is given",
                "State the lawful basis; for a public body's task it is usually 6(1)(e).",
            )
        )
    if request.lawful_basis is LawfulBasis.LEGITIMATE_INTERESTS:
        out.append(
            Finding(
                "LEGAL_LEGITIMATE_INTERESTS",
                Severity.WARN,
                "public authorities cannot rely on legitimate interests for their tasks",
                "Use 6(1)(e) public task, or explain why this is outside your public tasks.",
            )
        )
    special = [i for i in items if i.leaves and i.spec.category is Category.SPECIAL_CATEGORY]
    if special and request.art9_condition is None:
        out.append(
            Finding(
                "LEGAL_ART9_MISSING",
                Severity.BLOCK,
                "special-category data ("
                + ", ".join(i.spec.name for i in special)
                + ") needs an Article 9 condition",
                "State the Art 9(2) condition, and the DPA 2018 Schedule 1 condition where "
                "it needs one.",
            )
        )
    if special and request.art9_condition in _NEEDS_SCHEDULE1 and not request.schedule1_condition:
        out.append(
            Finding(
                "LEGAL_SCHEDULE1_MISSING",
                Severity.BLOCK,
                f"Art {request.art9_condition.value} needs a DPA 2018 Schedule 1 condition"
                if request.art9_condition
                else "",
                "Name the Schedule 1 paragraph (e.g. para 2 health or social care, para 18 "
                "safeguarding).",
            )
        )
    identifiable_benefits = _identifiable_benefits(items)
    if purpose is PurposeCategory.OUTREACH and identifiable_benefits:
        where = _area_targeting(alternatives)
        out.append(
            Finding(
                "LEGAL_OUTREACH_BULK_IDENTIFIABLE",
                Severity.BLOCK,
                "outreach cannot have bulk identifiable benefit data: the Social Security "
                "Administration Act restricts sharing recipients' names and addresses",
                f"Target areas rather than people: {where}; or ask the data owner to send "
                "the mailshot on your behalf.",
            )
        )
    if request.onward_sharing.strip():
        out.append(
            Finding(
                "LEGAL_ONWARD_SHARING",
                Severity.WARN,
                f"the data would be shared onward: {request.onward_sharing.strip()}",
                "Onward sharing needs its own lawful authority; name each recipient and power.",
            )
        )
    if request.territory == "other":
        out.append(
            Finding(
                "LEGAL_TERRITORY",
                Severity.BLOCK,
                "the data would be used outside the UK without adequacy",
                "Keep processing in the UK or an adequate territory, or put safeguards in place.",
            )
        )
    return out


def _identifiable_benefits(items: list[_Item]) -> list[_Item]:
    """Direct identifiers from a benefits dataset, leaving in the clear."""
    return [
        i
        for i in items
        if i.leaves
        and BENEFITS_TAG in i.dataset.tags
        and i.spec.category is Category.DIRECT_IDENTIFIER
        and i.kept_in_clear
    ]


def _area_targeting(alternatives: tuple[str, ...]) -> str:
    return (
        "use the published small-area statistics instead: " + ", ".join(alternatives)
        if alternatives
        else "use published small-area (output area) counts of claimants instead"
    )


def _bulk_to_local_authority(
    request: SharingRequest,
    items: list[_Item],
    alternatives: tuple[str, ...],
    ctx: AssessmentContext,
) -> list[Finding]:
    """Bulk identifiable benefit data to a local authority, judged by what leaves, not the label.

    Seed 001: the Social Security Administration Act restricts sharing benefit
    recipients' names and addresses in bulk; only a power for per-record disclosure of
    social security records to local authorities (the SSAA's own Housing Benefit and
    Council Tax gateway) allows it. Calling a mailshot "operational service delivery"
    does not change what is disclosed.
    """
    recipient = ctx.recipient
    if (
        recipient is None
        or recipient.kind is not OrgKind.LOCAL_AUTHORITY
        or request.purpose_category is PurposeCategory.OUTREACH  # its own finding
        or not BULK_CHANNELS & set(request.channels)
    ):
        return []
    identifiable = _identifiable_benefits(items)
    if not identifiable:
        return []
    fields = ", ".join(i.subject for i in identifiable)
    gw = find_gateway(request.gateway) if request.gateway else None
    if (
        gw is not None
        and gw.social_security_records
        and request.purpose_category in gw.purposes
        and OrgKind.LOCAL_AUTHORITY in gw.recipients
    ):
        return [
            Finding(
                "LEGAL_BULK_BENEFITS_GATEWAY_SCOPE",
                Severity.WARN,
                f"identifiable benefit data ({fields}) goes in bulk to a local authority under "
                f"{gw.title}, which allows it only within {gw.provision}",
                f"Legal must confirm the use is within the gateway: {gw.note}",
            )
        ]
    return [
        Finding(
            "LEGAL_BULK_BENEFITS_TO_LOCAL_AUTHORITY",
            Severity.BLOCK,
            f"bulk identifiable benefit data ({fields}) would go to a local authority "
            "without a gateway for per-record disclosure of social security records, "
            f"whatever the purpose is called ({request.purpose_category.value})",
            f"Ask for what the law allows: {_area_targeting(alternatives)}; a batch "
            "validation or per-record eligibility check of your own residents; or ask the "
            "data owner to contact the people on your behalf.",
        )
    ]


def _is_national(dataset: Dataset, ctx: AssessmentContext) -> bool:
    """Held by a body other than a local authority (an owner the service did not describe
    is taken to be national: the safer reading)."""
    owner = ctx.organisations.get(dataset.organisation_id)
    return owner is None or owner.kind is not OrgKind.LOCAL_AUTHORITY


def _place_field(dataset: Dataset) -> str:
    for spec in dataset.fields:
        if spec.semantic_type is SemanticType.POSTCODE:
            return spec.name
    names = {f.name for f in dataset.fields}
    return next((n for n in PLACE_FIELDS if n in names), "")


def _local_cohorts(
    request: SharingRequest, items: list[_Item], tier: int, ctx: AssessmentContext
) -> list[Finding]:
    """A local authority's records from a national dataset should be its own residents'.

    Block when direct identifiers leave in the clear, warn otherwise: a council has no
    function for people outside the areas it serves.
    """
    recipient = ctx.recipient
    if (
        recipient is None
        or recipient.kind is not OrgKind.LOCAL_AUTHORITY
        or tier < 3
        or not BULK_CHANNELS & set(request.channels)
    ):
        return []
    out = []
    for wanted in request.datasets:
        dataset = ctx.datasets.get(wanted.dataset)
        if (
            dataset is None
            or dataset.organisation_id == recipient.id
            or not _is_national(dataset, ctx)
        ):
            continue
        leaving = [i for i in items if i.dataset.id == dataset.id and i.leaves]
        if not leaving:
            continue
        identified = any(
            i.kept_in_clear and i.spec.category is Category.DIRECT_IDENTIFIER for i in leaving
        )
        severity = Severity.BLOCK if identified else Severity.WARN
        place = _place_field(dataset)
        example = f"in_area({place})" if place else "a condition on where people live"
        declare = f"`accord org update {recipient.id} --areas …`"
        if not wanted.cohort.strip():
            rows = ctx.row_counts.get(dataset.id)
            size = f" ({rows:,} records)" if rows else ""
            out.append(
                Finding(
                    "COHORT_WHOLE_NATIONAL_DATASET",
                    severity,
                    f"a local authority asks for the whole of {dataset.id}{size}, a national "
                    "dataset, with no cohort",
                    f"Add a cohort that keeps to the areas you serve, e.g. {example}"
                    + ("" if recipient.areas else f", after declaring them ({declare})")
                    + ", and to the people the purpose needs.",
                    dataset.id,
                )
            )
            continue
        try:
            tree = parse(wanted.cohort)
        except ExpressionError:
            continue  # COHORT_INVALID says why
        if keeps_to(tree, recipient.areas):
            continue
        reason = (
            f"the cohort on {dataset.id} does not keep to the areas {recipient.name} serves "
            f"({', '.join(recipient.areas)})"
            if recipient.areas
            else f"{recipient.name} declares no areas it serves, so the cohort on "
            f"{dataset.id} cannot be held to them"
        )
        out.append(
            Finding(
                "COHORT_OUTSIDE_AREAS",
                severity,
                reason,
                f"Add `and {example}` to the cohort"
                + ("" if recipient.areas else f", after declaring the areas ({declare})")
                + ".",
                dataset.id,
            )
        )
    return out


def _batch_only() -> Finding:
    return Finding(
        "LEGAL_ELIGIBILITY_BATCH_ONLY",
        Severity.BLOCK,
        "per-record eligibility checks need a gateway that allows them for this purpose",
        "Use batch validation instead: the proportion of your batch that meets the criteria, "
        "never which records.",
    )


def _scale(request: SharingRequest, items: list[_Item], ctx: AssessmentContext) -> int:
    if request.expected_records is not None:
        return request.expected_records
    counts = [ctx.row_counts.get(d, 0) for d in {i.dataset.id for i in items}]
    return max(counts, default=0)


def _dpia(
    request: SharingRequest, items: list[_Item], tier: int, ctx: AssessmentContext
) -> tuple[tuple[str, ...], list[Finding]]:
    if tier <= 2:
        return (), []
    reasons = []
    if any(i.leaves and i.spec.category is Category.SPECIAL_CATEGORY for i in items):
        reasons.append("special-category data")
    if _scale(request, items, ctx) >= LARGE_SCALE_RECORDS:
        reasons.append(f"large scale (over {LARGE_SCALE_RECORDS:,} people)")
    if request.linkage or {Channel.ELIGIBILITY_CHECK, Channel.BATCH_VALIDATION} & set(
        request.channels
    ):
        reasons.append("datasets are matched")
    if request.vulnerable_people or request.purpose_category is PurposeCategory.SAFEGUARDING:
        reasons.append("the people are vulnerable")
    if request.new_technology:
        reasons.append("new technology")
    findings = []
    if reasons:
        dpia = request.dpia
        if not dpia.reference or dpia.outcome not in _DPIA_DONE | {DpiaOutcome.HIGH_RESIDUAL_RISK}:
            findings.append(
                Finding(
                    "DPIA_MISSING",
                    Severity.BLOCK,
                    "a DPIA is required (" + "; ".join(reasons) + ") and none is complete",
                    "Complete the DPIA and give its reference and outcome.",
                )
            )
        elif dpia.outcome is DpiaOutcome.HIGH_RESIDUAL_RISK:
            findings.append(
                Finding(
                    "DPIA_HIGH_RESIDUAL_RISK",
                    Severity.BLOCK,
                    f"DPIA {dpia.reference} found a high residual risk",
                    "Mitigate the risk, or consult the ICO before processing (UK GDPR Art 36).",
                )
            )
    return tuple(reasons), findings


def _platform(request: SharingRequest, ctx: AssessmentContext, tier: int) -> list[Finding]:
    out = []
    if request.end_date <= request.start_date:
        out.append(
            Finding(
                "DATES_INVALID",
                Severity.BLOCK,
                "the end date is not after the start date",
                "Give a start date and a later end date.",
            )
        )
    elif request.end_date - request.start_date > LONG_AGREEMENT:
        out.append(
            Finding(
                "DATES_LONG",
                Severity.WARN,
                "the agreement would run for more than three years",
                "Set a shorter term with a review, and renew it if the need remains.",
            )
        )
    recipient = ctx.recipient
    if tier >= 3 and recipient is not None:
        accepted = accepted_schemes(request)
        names = " or ".join(s.value for s in accepted)
        held = recipient.valid_assurances(max(request.start_date, ctx.today))
        valid = tuple(a for a in held if a.scheme in accepted)
        if not valid:
            holds = ", ".join(sorted({a.scheme.value for a in held}))
            out.append(
                Finding(
                    "SECURITY_ASSURANCE",
                    Severity.BLOCK,
                    f"{recipient.name} holds none of the security assurance the request "
                    f"accepts ({names})"
                    + (f"; it holds only {holds}" if holds else "")
                    + (" (its assurance has expired)" if recipient.assurances and not held else ""),
                    f"Record a current {names} for {recipient.name} (`accord org assure`), "
                    "or change the schemes the request accepts.",
                )
            )
        elif max(a.expires_on for a in valid) < request.end_date:
            out.append(
                Finding(
                    "SECURITY_ASSURANCE_EXPIRES",
                    Severity.WARN,
                    f"{recipient.name}'s security assurance expires before the agreement ends",
                    "Access will stop when it lapses unless it is renewed.",
                )
            )
    if tier >= 3 and request.retention is None:
        out.append(
            Finding(
                "RETENTION_MISSING",
                Severity.WARN,
                "no retention period is given",
                "Say how long the data is kept and how it is deleted.",
            )
        )
    if len(request.data_journey) > MAX_JOURNEY_LINKS:
        out.append(
            Finding(
                "JOURNEY_LONG",
                Severity.ADVICE,
                f"the data passes through {len(request.data_journey)} links",
                "Keep the number of links in the chain to a minimum.",
            )
        )
    # An in-place query under an aggregate agreement releases only checked aggregates
    # (the output controls run on every answer), so it is an aggregate channel too.
    allowed = AGGREGATE_CHANNELS | {Channel.IN_PLACE_QUERY}
    if request.form is RequestedForm.AGGREGATE and not set(request.channels) <= allowed:
        out.append(
            Finding(
                "CHANNEL_FORM_MISMATCH",
                Severity.BLOCK,
                "aggregate data is asked for over a channel that delivers records",
                "Use aggregate_statistics, batch_validation or in_place_query (whose "
                "answers are then aggregates only), or ask for another form.",
            )
        )
    return out


def _precedent(request: SharingRequest, tier: int, ctx: AssessmentContext) -> list[Finding]:
    if tier <= 1:
        return []
    owners = set(request.owner_organisations())
    for prior in ctx.prior_agreements:
        if (
            prior.recipient == request.requesting_organisation
            and owners <= set(prior.owners)
            and prior.purpose is request.purpose_category
        ):
            return []
    return [
        Finding(
            "PRECEDENT",
            Severity.WARN,
            "no earlier agreement between these parties for this purpose: this sets a precedent",
            "Reviewers should consider the precedent; record why it is acceptable.",
        )
    ]


def _checklist(
    request: SharingRequest, assessment_findings: list[Finding], tier: int, dpia: tuple[str, ...]
) -> tuple[ChecklistItem, ...]:
    codes = {f.code for f in assessment_findings}
    minimised = not any(c.startswith("MIN_") and c != "MIN_FULL_DATE_OF_BIRTH" for c in codes)
    return (
        ChecklistItem(
            "The purpose and its benefits are clear", bool(request.public_benefit.strip())
        ),
        ChecklistItem(
            "A lawful basis is identified",
            request.lawful_basis is not None,
            request.lawful_basis.value if request.lawful_basis else "",
        ),
        ChecklistItem(
            "A legal power or gateway is identified",
            tier < 4 or (bool(request.gateway) and "LEGAL_GATEWAY_UNKNOWN" not in codes),
            request.gateway,
        ),
        ChecklistItem(
            "Special-category conditions are met",
            not ({"LEGAL_ART9_MISSING", "LEGAL_SCHEDULE1_MISSING"} & codes),
        ),
        ChecklistItem(
            "A DPIA is done where one is needed",
            not ({"DPIA_MISSING", "DPIA_HIGH_RESIDUAL_RISK"} & codes),
            "; ".join(dpia) if dpia else "not required",
        ),
        ChecklistItem("Only the data needed is shared", minimised),
        ChecklistItem(
            "Security measures and assurance are in place",
            bool(request.security_measures.strip()) and "SECURITY_ASSURANCE" not in codes,
        ),
        ChecklistItem(
            "Retention and deletion are agreed",
            request.retention is not None and bool(request.deletion_method.strip()),
        ),
        ChecklistItem("Onward sharing is controlled", "LEGAL_ONWARD_SHARING" not in codes),
        ChecklistItem("The data journey is described", bool(request.data_journey)),
        ChecklistItem(
            "The logic model says how the benefit comes about", bool(request.logic_model.strip())
        ),
        ChecklistItem("A review or end date is set", True, request.end_date.isoformat()),
        ChecklistItem(
            "Benefit or detriment, cost, fair processing, operational difference and "
            "alternatives are considered",
            all(answer for _, answer in seed_questions(request)),
        ),
    )


def assess(request: SharingRequest, ctx: AssessmentContext) -> Assessment:
    """Assess ``request`` against the catalogue snapshot ``ctx``. Same input, same output."""
    findings: list[Finding] = []
    items = _items(request, ctx, findings)
    tier = _tier(request, items)
    alternatives = _published_alternatives(request, items, ctx)
    if alternatives and tier >= 2:
        findings.append(
            Finding(
                "PUBLISHED_ALTERNATIVE",
                Severity.ADVICE,
                "published statistics may already meet this need: " + ", ".join(alternatives),
                "Check the published products first: they need no agreement.",
            )
        )
    if tier >= 3 and request.form in (RequestedForm.AGGREGATE, RequestedForm.ANONYMISED):
        clear = [
            i.subject
            for i in items
            if i.leaves and i.kept_in_clear and i.spec.category is Category.DIRECT_IDENTIFIER
        ]
        if clear:
            findings.append(
                Finding(
                    "FORM_MISMATCH",
                    Severity.BLOCK,
                    f"{request.form.value} data is asked for, but direct identifiers leave in "
                    "the clear: " + ", ".join(clear),
                    "Drop or pseudonymise them, or declare the form as identifiable.",
                )
            )
    findings.extend(_expressions(request, ctx))
    findings.extend(_minimisation(request, items))
    findings.extend(_legal(request, items, tier, alternatives, ctx))
    dpia_reasons, dpia_findings = _dpia(request, items, tier, ctx)
    findings.extend(dpia_findings)
    findings.extend(_platform(request, ctx, tier))
    if request.processors:
        findings.extend(
            processor_findings(
                request.owner_organisations(),
                request.requesting_organisation,
                request.processors,
                ctx.subcontractor_approvals,
                max(request.start_date, ctx.today),
                request.end_date,
            )
        )
    findings.extend(_precedent(request, tier, ctx))
    findings.extend(_bulk_to_local_authority(request, items, alternatives, ctx))
    findings.extend(_local_cohorts(request, items, tier, ctx))
    findings.extend(
        domain_findings(
            request.requesting_organisation,
            pseudonymised_domains(request.datasets),
            ctx.linkage_domains,
            request.owner_organisations(),
        )
    )
    identified = (
        any(
            i.leaves and i.kept_in_clear and i.spec.category is Category.DIRECT_IDENTIFIER
            for i in items
        )
        or request.form is RequestedForm.IDENTIFIABLE
    )
    findings.extend(considerations_findings(request, identified=identified and tier >= 3))
    owners = request.owner_organisations()
    ordered = tuple(sorted({_who_overrides(f, owners) for f in findings}, key=Finding.key))
    return Assessment(
        tier=tier,
        findings=ordered,
        approver_roles=required_roles(tier),
        approving_organisations=request.owner_organisations(),
        checklist=_checklist(request, findings, tier, dpia_reasons),
        published_alternatives=alternatives,
        dpia_required_because=dpia_reasons,
        considerations=seed_questions(request),
    )


def _who_overrides(finding: Finding, owners: tuple[str, ...]) -> Finding:
    """Fill in who may override a blocking finding: legal of each owner by default."""
    if finding.severity is not Severity.BLOCK or finding.override_by:
        return finding
    if finding.code in NOT_OVERRIDABLE or finding.code == DOMAIN_SHARED:
        return finding  # a shared domain names its own seats, or none (see domains.py)
    role = Role.DPO if finding.code in DPIA_OVERRIDES else Role.LEGAL
    return replace(finding, override_by=tuple(Membership(org, role) for org in owners))
