"""Request and response bodies: the API's contract, published as OpenAPI."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accord.core.catalogue import Dataset, DatasetVersion, UpdateFrequency
from accord.core.identity import (
    AssuranceScheme,
    Organisation,
    OrgKind,
    Principal,
    PrincipalKind,
    Role,
    Token,
)
from accord.core.vocabulary import Category, DataType, SemanticType
from accord.services.audit import VerifyReport


class StrictModel(BaseModel):
    """The base of every request body: an unknown field is refused (422, naming it).

    A misspelt field (``purpos`` for ``purpose``) would otherwise be dropped without a
    word and the request acted on with the default: a filter not applied, a condition
    not recorded. Every model a route accepts as a body inherits this, and
    ``tests/hardening/hygiene/test_strict_models.py`` walks the app's routes so a new
    endpoint cannot forget. Response models need not be strict.
    """

    model_config = ConfigDict(extra="forbid")


class AssuranceIn(StrictModel):
    scheme: AssuranceScheme
    reference: str = Field(min_length=1, max_length=200)
    expires_on: date


class AssuranceOut(AssuranceIn):
    valid: bool


class OrganisationIn(StrictModel):
    id: str = Field(min_length=1, max_length=64, examples=["dwp"])
    name: str = Field(min_length=1, max_length=200)
    kind: OrgKind
    assurances: list[AssuranceIn] = []
    areas: list[str] = Field(
        default=[],
        max_length=500,
        description="Local authority district codes it serves",
        examples=[["E06000001"]],
    )


class AreasIn(StrictModel):
    areas: list[str] = Field(
        max_length=500,
        description="Local authority district codes it serves (replaces the list)",
        examples=[["E06000001", "E06000002"]],
    )


class OrganisationOut(BaseModel):
    id: str
    name: str
    kind: OrgKind
    areas: list[str] = []
    assurances: list[AssuranceOut]

    @classmethod
    def of(cls, org: Organisation, today: date) -> OrganisationOut:
        return cls(
            id=org.id,
            name=org.name,
            kind=org.kind,
            areas=list(org.areas),
            assurances=[
                AssuranceOut(
                    scheme=a.scheme,
                    reference=a.reference,
                    expires_on=a.expires_on,
                    valid=a.is_valid_on(today),
                )
                for a in org.assurances
            ],
        )


class MembershipIO(StrictModel):
    organisation: str
    role: Role


class PrincipalIn(StrictModel):
    id: str = Field(min_length=1, max_length=64)
    name: str = ""
    kind: PrincipalKind = PrincipalKind.PERSON
    email: str = ""
    roles: list[MembershipIO] = Field(min_length=1)


class PrincipalOut(BaseModel):
    id: str
    name: str
    kind: PrincipalKind
    email: str
    roles: list[MembershipIO]

    @classmethod
    def of(cls, p: Principal) -> PrincipalOut:
        return cls(
            id=p.id,
            name=p.name,
            kind=p.kind,
            email=p.email,
            roles=sorted(
                (MembershipIO(organisation=m.organisation_id, role=m.role) for m in p.memberships),
                key=lambda m: (m.organisation, m.role.value),
            ),
        )


class TokenIn(StrictModel):
    ttl_days: int | None = Field(default=None, ge=1, le=366)
    description: str = Field(default="", max_length=200)


class TokenOut(BaseModel):
    id: str
    principal: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    description: str

    @classmethod
    def of(cls, t: Token) -> TokenOut:
        return cls(
            id=t.id,
            principal=t.principal_id,
            prefix=t.prefix,
            created_at=t.created_at,
            expires_at=t.expires_at,
            revoked_at=t.revoked_at,
            last_used_at=t.last_used_at,
            description=t.description,
        )


class IssuedToken(BaseModel):
    token: TokenOut
    secret: str = Field(description="Shown once; only its hash is stored.")


class FieldOut(BaseModel):
    name: str
    data_type: DataType
    category: Category
    semantic_type: SemanticType
    nullable: bool
    confirmed: bool
    description: str


class FieldPatch(StrictModel):
    category: Category | None = None
    semantic_type: SemanticType | None = None
    description: str | None = None


class VersionOut(BaseModel):
    number: int
    row_count: int
    quarantined_rows: int
    content_hash: str
    created_at: datetime

    @classmethod
    def of(cls, v: DatasetVersion) -> VersionOut:
        return cls(
            number=v.number,
            row_count=v.row_count,
            quarantined_rows=v.quarantined_rows,
            content_hash=v.content_hash,
            created_at=v.created_at,
        )


class DatasetOut(BaseModel):
    id: str
    organisation: str
    name: str
    description: str
    tags: list[str]
    update_frequency: UpdateFrequency
    retention: str
    owner: str
    source_kind: str
    latest_version: int
    fields: list[FieldOut]
    versions: list[VersionOut] | None = None

    @classmethod
    def of(cls, d: Dataset, versions: list[DatasetVersion] | None = None) -> DatasetOut:
        return cls(
            id=d.id,
            organisation=d.organisation_id,
            name=d.name,
            description=d.description,
            tags=list(d.tags),
            update_frequency=d.update_frequency,
            retention=d.retention,
            owner=d.owner_id,
            source_kind=d.source_kind.value,
            latest_version=d.latest_version,
            fields=[
                FieldOut(
                    name=f.name,
                    data_type=f.data_type,
                    category=f.category,
                    semantic_type=f.semantic_type,
                    nullable=f.nullable,
                    confirmed=f.confirmed,
                    description=f.description,
                )
                for f in d.fields
            ],
            versions=None if versions is None else [VersionOut.of(v) for v in versions],
        )


class ProblemOut(BaseModel):
    row: int | None
    column: str | None
    code: str
    message: str


class IngestOut(BaseModel):
    dataset: DatasetOut
    version: VersionOut
    unchanged: bool
    quarantined_rows: int
    problems: list[ProblemOut]


class AuditEventOut(BaseModel):
    seq: int
    ts: str
    actor: str
    organisation: str
    owners: list[str] = Field(
        description="The data-owner organisations the event concerns (empty: none recorded)"
    )
    action: str
    object: str
    decision: str
    reason: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    events: int
    head_seq: int
    head_hash: str
    checkpoints: int
    first_bad_seq: int | None
    problem: str

    @classmethod
    def of(cls, report: VerifyReport) -> VerifyOut:
        return cls(
            ok=report.ok,
            events=report.events,
            head_seq=report.head_seq,
            head_hash=report.head_hash,
            checkpoints=report.checkpoints,
            first_bad_seq=report.first_bad_seq,
            problem=report.problem,
        )


class CheckpointOut(BaseModel):
    seq: int
    head_hash: str
    signed_at: str
    key_fingerprint: str
    signature: str
