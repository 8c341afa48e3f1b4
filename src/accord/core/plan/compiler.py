"""The policy compiler: an agreement version and a dataset version in, a plan out.

The plan is a sqlglot AST (never SQL text glued together), so one agreement renders
for DuckDB, PostgreSQL and Spark, and the SQL can be snapshot-tested per dialect.
Default deny: only the fields the agreement names leave, each as its transform says;
only the rows its cohort selects; never an opted-out person, unless the output is
statistical.
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
from accord.core.vocabulary import DataType, SemanticType
from accord.errors import ValidationError

__all__ = ["OptOutFilter", "OutputColumn", "Plan", "compile_plan", "quoted"]

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
    """Exclude rows whose identifier is in the owner's opt-out register."""

    column: str
    semantic_type: SemanticType
    table: exp.Table
    """A one-column table (``identifier``) of normalised identifiers."""


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

    def sql(self, dialect: str = "duckdb") -> str:
        return self.query.sql(dialect=dialect)

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
) -> Plan:
    """The SELECT that releases exactly what ``policy`` allows from ``dataset``.

    ``cohort`` and ``flags`` are already-checked boolean expressions (see
    :mod:`accord.core.expressions`); ``source`` is where the dataset version's rows are.
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
    not_opted_out: exp.Expression | None = None
    if opt_out is not None:
        # Normalised once for both the filter and, when it is released, the pseudonym.
        identifier = shared(
            transforms.normalise_identifier(quoted(opt_out.column), opt_out.semantic_type)
        )
        opted = (
            exp.select(exp.Literal.number(1))
            .from_(opt_out.table.copy())
            .where(exp.EQ(this=exp.column("identifier", quoted=True), expression=identifier))
        )
        not_opted_out = exp.Not(this=exp.Exists(this=opted))
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
        projections.append(
            exp.Alias(this=expression, alias=exp.to_identifier(spec.name, quoted=True))
        )
        outputs.append(OutputColumn(spec.name, spec.name, field_policy.transform.label(), domain))
    if not projections:
        raise ValidationError(f"agreement {policy.id} releases no field of {dataset.id}")
    query = exp.select(*projections).from_(shared.source(source))
    conditions: list[exp.Expression] = []
    if cohort is not None:
        conditions.append(exp.Paren(this=cohort.copy()))
    if not_opted_out is not None:
        conditions.append(not_opted_out)
    for condition in conditions:
        query = query.where(condition, copy=False)
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
    )
