"""The policy compiler: an agreement version and a dataset version in, a plan out.

The plan is a sqlglot AST (never SQL text glued together), so one agreement renders
for DuckDB, PostgreSQL and Spark, and the SQL can be snapshot-tested per dialect.
Default deny: only the fields the agreement names leave, each as its transform says;
only the rows its cohort selects; never an opted-out person, unless the output is
statistical; never a person erased under the agreement (:class:`ErasureFilter`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlglot import exp

from accord.core.catalogue import Dataset, FieldSpec
from accord.core.governance.agreement import AgreementPolicy
from accord.core.governance.request import TransformKind
from accord.core.plan import transforms
from accord.core.plan.transforms import Share
from accord.core.vocabulary import DataType, SemanticType
from accord.errors import ValidationError
from accord.pseudonymise.hmac_sql import Dialect, hmac_sha256_sql_from_pads

__all__ = [
    "ERASED_TABLE",
    "ERASURE_IPAD_TABLE",
    "ERASURE_OPAD_TABLE",
    "ErasureFilter",
    "OptOutFilter",
    "OutputColumn",
    "Plan",
    "compile_plan",
    "for_dialect",
    "quoted",
]

DIALECTS = ("duckdb", "postgres", "spark")


def quoted(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


@dataclass(frozen=True, slots=True)
class OutputColumn:
    name: str
    source: str
    transform: str
    pseudonymise_domain: str = ""
    """Set when the engine must hash this (normalised) column with the domain's key."""


@dataclass(frozen=True, slots=True)
class OptOutFilter:
    """Exclude rows where *any* identifier field is in the owner's opt-out register.

    Every NINO and NHS-number field of the dataset is checked, not only the first: a
    person opted out by NHS number is removed from a dataset keyed by NINO that also
    holds their NHS number. The register table holds both kinds, normalised; a valid
    NINO (letters) never equals a valid NHS number (ten digits), so one table serves.
    """

    fields: tuple[tuple[str, SemanticType], ...]
    """``(column, semantic type)`` of each identifier field, in dataset order."""
    table: exp.Table
    """A one-column table (``identifier``) of normalised identifiers."""

    def __post_init__(self) -> None:
        if not self.fields:
            raise ValidationError("an opt-out filter needs at least one identifier field")

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)

    def _opted_out(self, share: Share | None) -> list[exp.Expression]:
        tests: list[exp.Expression] = []
        for name, semantic in self.fields:
            identifier = transforms.normalise_identifier(quoted(name), semantic)
            if share is not None:
                identifier = share(identifier)
            opted = (
                exp.select(exp.Literal.number(1))
                .from_(self.table.copy())
                .where(exp.EQ(this=exp.column("identifier", quoted=True), expression=identifier))
            )
            tests.append(exp.Exists(this=opted))
        return tests

    def excluded(self, share: Share | None = None) -> exp.Condition:
        """True for a row some identifier of which is opted out (the rows removed)."""
        return exp.or_(*self._opted_out(share))

    def kept(self, share: Share | None = None) -> exp.Condition:
        """True for a row none of whose identifiers is opted out: one anti-join per field."""
        return exp.and_(*(exp.Not(this=t) for t in self._opted_out(share)))


ERASED_TABLE = "accord_erased"
"""One-column table (``identifier``) of the erased people's keyed references (hex)."""
ERASURE_IPAD_TABLE = "accord_erasure_ipad"
ERASURE_OPAD_TABLE = "accord_erasure_opad"
"""One-row tables holding the hex HMAC pads of the erasure key: the key travels to the
engine as data, like the registers, so the SQL text (logged, snapshot) never holds it."""
_ERASURE_REF = "ACCORD_ERASURE_REF"
REFERENCE_HEX = 32
"""Hex characters of the keyed reference kept for an erased person (``person_reference``)."""


@dataclass(frozen=True, slots=True)
class ErasureFilter:
    """Leave out every person erased under the agreement, matched by keyed reference.

    After an accepted erasure the department keeps the person (seed 003, paras 28-29),
    so every later release under the agreement must leave them out, whichever version
    and channel. Accord keeps no NINO of theirs once the request closes, only the keyed
    reference ``HMAC-SHA256(erasure key, normalised NINO)`` truncated to 32 hex
    characters, so the plan computes that reference for each row in SQL and anti-joins
    the erased table. The row of the person (``subject``, the dataset's first NINO field)
    is dropped; any other NINO field naming them (a joint claimant's) is released
    blank, as the holders' files are rewritten.

    The HMAC renders differently per dialect, so the plan holds a marker function,
    expanded by :func:`for_dialect` when the plan is rendered.
    """

    subject: str
    """The NINO field naming the row's person: a match drops the row."""
    others: tuple[str, ...] = ()
    """Further NINO fields (a joint claimant's): a match blanks the cell."""

    def reference(self, name: str) -> exp.Expression:
        normalised = transforms.normalise_identifier(quoted(name), SemanticType.NINO)
        return exp.Anonymous(this=_ERASURE_REF, expressions=[normalised])

    def erased(self, reference: exp.Expression) -> exp.Exists:
        return exp.Exists(
            this=exp.select(exp.Literal.number(1))
            .from_(exp.table_(ERASED_TABLE, quoted=True))
            .where(exp.EQ(this=exp.column("identifier", quoted=True), expression=reference))
        )


def _scalar(table: str) -> exp.Expression:
    return (
        exp.select(exp.column("identifier", quoted=True))
        .from_(exp.table_(table, quoted=True))
        .subquery()
    )


_HMAC_DIALECTS: dict[str, Dialect] = {
    "duckdb": "duckdb",
    "postgres": "postgres",
    "postgresql": "postgres",
    "spark": "spark",
}


def for_dialect(query: exp.Expr, dialect: str) -> exp.Expr:
    """``query`` with the erasure filter's keyed references expanded for ``dialect``
    (unchanged, not copied, when the plan has none)."""
    if not any(
        isinstance(node, exp.Anonymous) and node.name == _ERASURE_REF
        for node in query.find_all(exp.Anonymous)
    ):
        return query
    chosen = _HMAC_DIALECTS.get(dialect)
    if chosen is None:
        raise ValidationError(
            f"no keyed-reference rendering for SQL dialect {dialect!r}; one of "
            + ", ".join(sorted(_HMAC_DIALECTS))
        )

    def expand(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and node.name == _ERASURE_REF:
            digest = hmac_sha256_sql_from_pads(
                node.expressions[0],
                _scalar(ERASURE_IPAD_TABLE),
                _scalar(ERASURE_OPAD_TABLE),
                chosen,
            )
            return exp.Substring(
                this=digest, start=exp.Literal.number(1), length=exp.Literal.number(REFERENCE_HEX)
            )
        return node

    return query.transform(expand)


@dataclass(frozen=True, slots=True)
class Plan:
    agreement_id: str
    agreement_version: int
    policy_sha256: str
    dataset_id: str
    dataset_version: int
    query: exp.Select
    outputs: tuple[OutputColumn, ...]
    cohort: str = ""
    opt_out: bool = False
    parameters: Mapping[str, str] = field(default_factory=dict)
    opt_out_fields: tuple[tuple[str, SemanticType], ...] = ()
    """The identifier fields the opt-out filter checks, for the manifest and the audit."""
    opted_out_query: exp.Select | None = None
    """``count(*)`` of the rows the cohort selects and the opt-out filter removes."""
    erasure_fields: tuple[str, ...] = ()
    """The NINO fields the erasure filter checks (the subject first); empty without one."""
    erased_query: exp.Select | None = None
    """``count(*)`` of the rows the cohort selects whose person is erased."""

    def sql(self, dialect: str = "duckdb") -> str:
        return for_dialect(self.query, dialect).sql(dialect=dialect)

    def rows(self) -> exp.Expression:
        """What the plan reads from: the source, with any shared columns (a copy)."""
        source: exp.Expression = self.query.args["from_"].this
        return source.copy()

    @property
    def pseudonymised(self) -> dict[str, str]:
        return {c.name: c.pseudonymise_domain for c in self.outputs if c.pseudonymise_domain}

    @property
    def key(self) -> tuple[str, int, str, int]:
        """Plans are cached by agreement version and dataset version."""
        return (self.agreement_id, self.agreement_version, self.dataset_id, self.dataset_version)


class _Shared:
    """Subexpressions that a transform uses several times, computed once per row.

    A postcode generalisation needs the compacted postcode three times and an age band
    needs the age seven times; engines do not reliably share them inside CASE, and
    normalising text is most of the cost of a governed extract. Each distinct one
    becomes a column of an inner SELECT, and the outer SELECT refers to it by name.
    The opt-out filter and a pseudonymised identifier share the normalised identifier
    the same way. Anything reusing the WHERE clause must read the plan's own FROM
    (:meth:`Plan.rows`), where the shared columns exist.
    """

    def __init__(self) -> None:
        self.columns: dict[exp.Expression, str] = {}

    def __call__(self, expression: exp.Expression) -> exp.Expression:
        name = self.columns.setdefault(expression, f"accord__shared_{len(self.columns) + 1}")
        return quoted(name)

    def reuse(self, expression: exp.Expression) -> exp.Expression:
        """The shared column if ``expression`` is already one, else the expression itself."""
        name = self.columns.get(expression)
        return expression if name is None else quoted(name)

    def source(self, table: exp.Table) -> exp.Expression:
        """What the outer SELECT reads: the table, or the table with the shared columns."""
        if not self.columns:
            return table.copy()
        computed = [
            exp.Alias(this=expression, alias=exp.to_identifier(name, quoted=True))
            for expression, name in self.columns.items()
        ]
        inner = exp.select(exp.Star(), *computed).from_(table.copy())
        return inner.subquery(alias=exp.to_identifier(SHARED_ALIAS, quoted=True))


SHARED_ALIAS = "accord_rows"


def _transform(
    spec: FieldSpec,
    kind: TransformKind,
    argument: str,
    flags: Mapping[str, exp.Expression],
    reference: date,
    share: _Shared,
) -> tuple[exp.Expression | None, str]:
    column = quoted(spec.name)
    if kind is TransformKind.KEEP:
        return column, ""
    if kind is TransformKind.DROP:
        return None, ""
    if kind is TransformKind.PSEUDONYMISE:
        normalised = transforms.normalise_identifier(column, spec.semantic_type, share)
        return share.reuse(normalised), argument
    if kind is TransformKind.GENERALISE:
        return transforms.generalise(column, argument, spec.data_type, reference, share), ""
    if kind is TransformKind.FLAG:
        if spec.name not in flags:
            raise ValidationError(f"flag({argument}) on {spec.name} has no compiled condition")
        return transforms.flag(flags[spec.name]), ""
    if kind is TransformKind.BAND:
        if spec.data_type not in (DataType.BIGINT, DataType.DOUBLE):
            raise ValidationError(f"band() needs a number; {spec.name} is {spec.data_type.value}")
        return transforms.band(column, argument), ""
    if kind is TransformKind.REDACT:
        return transforms.redact(column), ""
    return transforms.truncate(column, argument), ""


def compile_plan(
    policy: AgreementPolicy,
    dataset: Dataset,
    dataset_version: int,
    *,
    source: exp.Table,
    reference_date: date,
    cohort: exp.Expression | None = None,
    flags: Mapping[str, exp.Expression] | None = None,
    opt_out: OptOutFilter | None = None,
    erasure: ErasureFilter | None = None,
) -> Plan:
    """The SELECT that releases exactly what ``policy`` allows from ``dataset``.

    ``cohort`` and ``flags`` are already-checked boolean expressions (see
    :mod:`accord.core.expressions`); ``source`` is where the dataset version's rows are.
    ``erasure`` leaves out the people erased under the agreement (given only when
    there are some: the keyed reference is a hash per row).
    """
    try:
        agreed = policy.dataset(dataset.id)
    except KeyError:
        raise ValidationError(
            f"agreement {policy.id} v{policy.version} does not cover {dataset.id}"
        ) from None
    outputs: list[OutputColumn] = []
    projections: list[exp.Expression] = []
    shared = _Shared()
    not_opted_out: exp.Condition | None = None
    if opt_out is not None:
        # Normalised once for both the filter and, when it is released, the pseudonym.
        not_opted_out = opt_out.kept(shared)
    not_erased: exp.Condition | None = None
    erased_cell: dict[str, exp.Exists] = {}
    if erasure is not None:
        # Each reference is computed once per row, in the inner SELECT.
        not_erased = exp.Not(this=erasure.erased(shared(erasure.reference(erasure.subject))))
        erased_cell = {
            name: erasure.erased(shared(erasure.reference(name))) for name in erasure.others
        }
    for field_policy in agreed.fields:
        try:
            spec = dataset.field(field_policy.name)
        except KeyError:
            raise ValidationError(
                f"agreement {policy.id} names {dataset.id}.{field_policy.name}, which version "
                f"{dataset_version} of the dataset lacks: the schema changed; amend the agreement"
            ) from None
        expression, domain = _transform(
            spec,
            field_policy.transform.kind,
            field_policy.transform.argument,
            flags or {},
            reference_date,
            shared,
        )
        if expression is None:
            continue
        if spec.name in erased_cell:
            expression = exp.Case(
                ifs=[exp.If(this=erased_cell[spec.name], true=exp.Null())], default=expression
            )
        projections.append(
            exp.Alias(this=expression, alias=exp.to_identifier(spec.name, quoted=True))
        )
        outputs.append(OutputColumn(spec.name, spec.name, field_policy.transform.label(), domain))
    if not projections:
        raise ValidationError(f"agreement {policy.id} releases no field of {dataset.id}")
    query = exp.select(*projections).from_(shared.source(source))
    conditions: list[exp.Expr] = []
    if cohort is not None:
        conditions.append(exp.Paren(this=cohort.copy()))
    if not_opted_out is not None:
        conditions.append(not_opted_out)
    if not_erased is not None:
        conditions.append(not_erased)
    for condition in conditions:
        query = query.where(condition, copy=False)
    opted_out_query = None
    if opt_out is not None:
        opted_out_query = exp.select(exp.Count(this=exp.Star())).from_(shared.source(source))
        if cohort is not None:
            opted_out_query = opted_out_query.where(exp.Paren(this=cohort.copy()), copy=False)
        opted_out_query = opted_out_query.where(opt_out.excluded(shared.reuse), copy=False)
    erased_query = None
    if erasure is not None:
        erased_query = exp.select(exp.Count(this=exp.Star())).from_(shared.source(source))
        if cohort is not None:
            erased_query = erased_query.where(exp.Paren(this=cohort.copy()), copy=False)
        erased_query = erased_query.where(
            erasure.erased(shared.reuse(erasure.reference(erasure.subject))), copy=False
        )
    return Plan(
        agreement_id=policy.id,
        agreement_version=policy.version,
        policy_sha256=policy.sha256(),
        dataset_id=dataset.id,
        dataset_version=dataset_version,
        query=query,
        outputs=tuple(outputs),
        cohort=agreed.cohort,
        opt_out=opt_out is not None,
        opt_out_fields=opt_out.fields if opt_out is not None else (),
        opted_out_query=opted_out_query,
        erasure_fields=(erasure.subject, *erasure.others) if erasure is not None else (),
        erased_query=erased_query,
    )
