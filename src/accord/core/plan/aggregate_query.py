"""Aggregate-only queries: the shape an output-controlled query must have, and its rewrite.

Where an agreement releases data only as aggregates (its form is ``aggregate`` or
``anonymised``, e.g. an analyst querying in place in a data trust), a recipient's query
leaves only as a table of groups, and every group is checked on its *true* count: the
number of records of the view behind it, counted by the engine whatever the query asked
for. That is only knowable for a query of a simple shape, so this module accepts
exactly that shape and refuses everything else with a reason:

    [WITH row-level CTEs] SELECT <grouping expressions and aggregates>
    FROM <one view, CTE or row-level subquery> [WHERE <row condition>]
    [GROUP BY <expressions | positions | aliases>] [ORDER BY <result columns>] [LIMIT n]

- a *row-level* source keeps one row per record: no joins (which multiply records, so
  a group of one person could look like ten), no set operations, aggregates, DISTINCT,
  LIMIT, windows or subqueries outside FROM;
- each result column is a grouping expression or one aggregate: COUNT(*), COUNT(x),
  COUNT(DISTINCT x), COUNT_IF(c), COUNT(*) FILTER (WHERE c) (all *counts*), SUM(x) or
  AVG(x) (*magnitudes*). MIN, MAX, MEDIAN, quantiles and the like reveal one record's
  value and are refused, as are expressions over aggregates, HAVING and QUALIFY (a
  filter on an exact count reveals it), window functions and ROLLUP/CUBE.

The rewrite keeps the query's FROM, WHERE and GROUP BY and asks the engine, per group,
for the true count and, per magnitude, what the dominance rules need (non-zero
contributors, total, the two largest contributions, negatives). ORDER BY and LIMIT are
applied after protection, over released values only. :mod:`accord.disclosure.query_controls`
does the protecting.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sqlglot
from sqlglot import exp

from accord.core.governance.agreement import AgreementPolicy
from accord.core.governance.request import RequestedForm
from accord.core.plan.query import CheckedQuery
from accord.errors import ValidationError

__all__ = [
    "CELL_KEY",
    "TRUE_COUNT",
    "AggregateQuery",
    "ResultColumn",
    "ResultKind",
    "aggregate_query",
    "aggregates_only",
    "release_form",
]

TRUE_COUNT = "accord_n"
CELL_KEY = "accord_ckey"
"""The group's cell key: the sum of its records' keys mod 256 (see disclosure.cellkey)."""
_RECORD_KEY = "accord_rk"
_ROW = "accord_r"
AGGREGATE_TIERS = frozenset({1, 2})


def release_form(policy: AgreementPolicy) -> RequestedForm | None:
    """The form the agreement's data leaves in, or None where it was never recorded.

    Agreements approved before the form was recorded count as aggregate at tiers 1 and 2
    (published and unpublished aggregate data in the hierarchy of shareability).
    """
    form = policy.output_controls.form
    if form is None and policy.tier in AGGREGATE_TIERS:
        return RequestedForm.AGGREGATE
    return form


def aggregates_only(policy: AgreementPolicy) -> bool:
    """Whether only aggregate results may leave through queries under this agreement."""
    return release_form(policy) in (RequestedForm.AGGREGATE, RequestedForm.ANONYMISED)


class ResultKind(StrEnum):
    KEY = "key"
    """A grouping expression: released as it is, for groups that pass."""
    COUNT = "count"
    """A count: suppressed under the threshold, then rounded."""
    SUM = "sum"
    """A magnitude total: suppressed by threshold and dominance, then rounded."""
    MEAN = "mean"
    """A mean: suppressed as its total would be."""


@dataclass(frozen=True, slots=True)
class ResultColumn:
    name: str
    """What the recipient sees."""
    column: str
    """The column of the rewritten query holding it (``accord_c0``…)."""
    kind: ResultKind

    def helper(self, part: str) -> str:
        """Dominance inputs of a magnitude: ``nz`` contributors, ``total``, ``top``, ``neg``."""
        return f"{self.column}_{part}"


@dataclass(frozen=True, slots=True)
class AggregateQuery:
    tree: exp.Select
    """The rewritten query: result columns, the true count, dominance inputs."""
    columns: tuple[ResultColumn, ...]
    order: tuple[tuple[str, bool], ...] = ()
    """(result column, descending) pairs, applied after protection; without ORDER BY,
    groups come in the order of their keys, so a repeated query repeats its answer."""
    limit: int | None = None
    offset: int = 0
    cell_keys: bool = False
    """Whether the query reports each group's cell key (``CELL_KEY``)."""

    def sql(self, dialect: str = "duckdb") -> str:
        return self.tree.sql(dialect=dialect)


def _refuse(reason: str) -> ValidationError:
    return ValidationError(f"query refused: under this agreement only aggregates leave: {reason}")


_SET_OPERATIONS = (exp.Union, exp.Except, exp.Intersect)


def _check_row_level(top: exp.Select) -> None:
    for node in top.walk():
        if isinstance(node, _SET_OPERATIONS):
            raise _refuse("UNION, EXCEPT and INTERSECT are not allowed; send one query per table")
        if isinstance(node, exp.Join):
            raise _refuse("joins are not allowed: they can multiply records, so a group's count")
        if isinstance(node, exp.Window):
            raise _refuse("window functions are not allowed; they release per-record values")
        if isinstance(node, exp.Having | exp.Qualify):
            raise _refuse(
                f"{type(node).__name__.upper()} is not allowed (a filter on an exact count "
                "reveals it); filter records with WHERE"
            )
        if isinstance(node, exp.Exists) or (
            isinstance(node, exp.Subquery) and not isinstance(node.parent, exp.From)
        ):
            raise _refuse("subqueries are allowed only in FROM")
        if isinstance(node, exp.Select) and node is not top:
            for clause in ("group", "limit", "offset", "distinct"):
                if node.args.get(clause):
                    raise _refuse(
                        f"{clause.upper()} is allowed only in the outer query; a subquery or "
                        "CTE must keep one row per record"
                    )
        if isinstance(node, exp.AggFunc) and node.find_ancestor(exp.Select) is not top:
            raise _refuse("aggregates are allowed only in the outer query")
        if isinstance(node, exp.Limit | exp.Offset) and node.parent is not top:
            raise _refuse("LIMIT is allowed only in the outer query")
    if top.args.get("distinct"):
        raise _refuse("SELECT DISTINCT is not allowed; GROUP BY the columns instead")


def _kind(expression: exp.Expr) -> ResultKind | None:
    """The kind of an aggregate result column, or None when it is not one we can check."""
    inner = expression
    filtered = isinstance(inner, exp.Filter)
    if filtered:
        inner = inner.this
    if isinstance(inner, exp.Count | exp.CountIf):
        return ResultKind.COUNT
    if filtered:
        return None
    if isinstance(inner, exp.Sum | exp.Avg) and not isinstance(inner.this, exp.Distinct):
        return ResultKind.SUM if isinstance(inner, exp.Sum) else ResultKind.MEAN
    return None


def _contains_aggregate(expression: exp.Expr) -> bool:
    return any(isinstance(n, exp.AggFunc) for n in expression.walk())


def _items(top: exp.Select) -> list[tuple[str, exp.Expr]]:
    items = []
    for item in top.expressions:
        if isinstance(item, exp.Star) or (
            isinstance(item, exp.Column) and isinstance(item.this, exp.Star)
        ):
            raise _refuse("SELECT * is not allowed; name the grouping columns and aggregates")
        expression = item.this if isinstance(item, exp.Alias) else item
        name = item.alias_or_name if isinstance(item, exp.Alias | exp.Column) else item.sql()
        items.append((name, expression))
    return items


def _group_keys(top: exp.Select, items: list[tuple[str, exp.Expr]]) -> list[exp.Expr]:
    group = top.args.get("group")
    if group is None:
        return []
    for clause in ("rollup", "cube", "grouping_sets"):
        if group.args.get(clause):
            raise _refuse(f"{clause.upper().replace('_', ' ')} is not allowed")
    if group.args.get("all"):
        return [e.copy() for _, e in items if not _contains_aggregate(e)]
    aliases = {name.lower(): e for name, e in items}
    keys = []
    for written in group.expressions:
        key = written
        if isinstance(written, exp.Literal) and not written.is_string:
            position = int(written.name)
            if not 1 <= position <= len(items):
                raise _refuse(f"GROUP BY {position} is not a result column")
            key = items[position - 1][1]
        elif (
            isinstance(written, exp.Column)
            and not written.table
            and written.name.lower() in aliases
        ):
            key = aliases[written.name.lower()]
        if _contains_aggregate(key):
            raise _refuse("GROUP BY an aggregate is not allowed")
        keys.append(key.copy())
    return keys


def _order(
    top: exp.Select, items: list[tuple[str, exp.Expr]], columns: list[ResultColumn]
) -> tuple[tuple[str, bool], ...]:
    order = top.args.get("order")
    if order is None:
        return ()
    by_name = {c.name.lower(): c.column for c in columns}
    by_sql = {e.sql(): c.column for (_, e), c in zip(items, columns, strict=True)}
    out = []
    for ordered in order.expressions:
        key = ordered.this
        if isinstance(key, exp.Literal) and not key.is_string:
            position = int(key.name)
            if not 1 <= position <= len(columns):
                raise _refuse(f"ORDER BY {position} is not a result column")
            column = columns[position - 1].column
        elif isinstance(key, exp.Column) and not key.table and key.name.lower() in by_name:
            column = by_name[key.name.lower()]
        elif key.sql() in by_sql:
            column = by_sql[key.sql()]
        else:
            raise _refuse(f"ORDER BY {key.sql()}: order by result columns only")
        out.append((column, bool(ordered.args.get("desc"))))
    return tuple(out)


def _literal_int(node: exp.Expr | None, clause: str) -> int | None:
    if node is None:
        return None
    value = node.args.get("expression") or node.this
    if not isinstance(value, exp.Literal) or value.is_string or not value.name.isdigit():
        raise _refuse(f"{clause} must be a whole number")
    return int(value.name)


EXACT = "DECIMAL(38, 6)"
"""Magnitudes are summed in decimal, so the same query always gives the same total
(floating-point sums depend on the order parallel threads add them in)."""


def _exact(expression: exp.Expr) -> exp.Expr:
    """SUM(x) or AVG(x) over ``CAST(x AS DECIMAL)``."""
    exact = expression.copy()
    argument = sqlglot.parse_one(
        f"CAST({expression.this.sql(dialect='duckdb')} AS {EXACT})", read="duckdb"
    )
    exact.set("this", argument)
    return exact


def _helpers(column: ResultColumn, expression: exp.Expr) -> list[exp.Expr]:
    value = f"CAST({expression.this.sql(dialect='duckdb')} AS {EXACT})"
    parts = {
        "nz": f"count(*) FILTER (WHERE {value} <> 0)",
        "total": f"coalesce(sum({value}), 0)",
        "top": f"max({value}, 2)",
        "neg": f"count(*) FILTER (WHERE {value} < 0)",
    }
    return [
        exp.alias_(sqlglot.parse_one(sql, read="duckdb"), column.helper(part))
        for part, sql in parts.items()
    ]


def _with_record_keys(tree: exp.Select) -> None:
    """Read the source through a row-level subquery that adds each record's key.

    A record's key is DuckDB's hash of the whole row mod 256, so it depends only on the
    record, and a group's key (their sum mod 256) only on who is in the group: the same
    group gets the same perturbation in every query.
    """
    source = tree.args["from_"].this
    alias = source.args.get("alias")
    name = alias.name if alias is not None and alias.name else source.alias_or_name
    inner_source = source.copy()
    renamed = exp.TableAlias(this=exp.to_identifier(_ROW))
    if alias is not None and alias.columns:
        renamed.set("columns", [c.copy() for c in alias.columns])
    inner_source.set("alias", renamed)
    keyed = exp.select(
        "*", exp.alias_(sqlglot.parse_one(f"hash({_ROW}) % 256", read="duckdb"), _RECORD_KEY)
    ).from_(inner_source)
    tree.set("from_", exp.From(this=keyed.subquery(name or "accord_source")))


def aggregate_query(checked: CheckedQuery, *, cell_keys: bool = False) -> AggregateQuery:
    """The controlled form of ``checked``, or a refusal saying what cannot be controlled.

    With ``cell_keys``, the engine also reports each group's cell key for perturbation.
    """
    top = checked.tree
    if not isinstance(top, exp.Select):
        raise _refuse("UNION, EXCEPT and INTERSECT are not allowed; send one query per table")
    _check_row_level(top)
    items = _items(top)
    keys = _group_keys(top, items)
    key_sql = {k.sql() for k in keys}
    columns: list[ResultColumn] = []
    selected: list[exp.Expr] = []
    for index, (name, expression) in enumerate(items):
        column = f"accord_c{index}"
        if not _contains_aggregate(expression):
            if expression.sql() not in key_sql:
                raise _refuse(f"{name} is neither in GROUP BY nor an aggregate")
            kind = ResultKind.KEY
        else:
            found = _kind(expression)
            if found is None:
                raise _refuse(
                    f"{expression.sql()} is not an aggregate Accord can check: use COUNT, SUM "
                    "or AVG, each on its own (MIN, MAX, MEDIAN and the like reveal one "
                    "record's value)"
                )
            kind = found
        result = ResultColumn(name, column, kind)
        columns.append(result)
        if kind in (ResultKind.SUM, ResultKind.MEAN):
            selected.append(exp.alias_(_exact(expression), column))
            selected.extend(_helpers(result, expression))
        else:
            selected.append(exp.alias_(expression.copy(), column))
    selected.append(exp.alias_(exp.Count(this=exp.Star()), TRUE_COUNT))
    if cell_keys:
        key_sum = sqlglot.parse_one(f"CAST(sum({_RECORD_KEY}) % 256 AS BIGINT)", read="duckdb")
        selected.append(exp.alias_(key_sum, CELL_KEY))
    order = _order(top, items, columns) or tuple(
        (c.column, False) for c in columns if c.kind is ResultKind.KEY
    )
    limit = _literal_int(top.args.get("limit"), "LIMIT")
    offset = _literal_int(top.args.get("offset"), "OFFSET") or 0
    tree = top.copy()
    for clause in ("order", "limit", "offset", "group"):
        tree.set(clause, None)
    tree.set("expressions", selected)
    if keys:
        tree.set("group", exp.Group(expressions=keys))
    if cell_keys:
        _with_record_keys(tree)
    return AggregateQuery(tree, tuple(columns), order, limit, offset, cell_keys)
