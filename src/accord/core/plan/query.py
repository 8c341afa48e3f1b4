"""Checking a recipient's SQL before it runs in place.

A query is one SELECT (or a set operation of SELECTs, with CTEs) over the views of the
agreement the caller holds. It is parsed with sqlglot, never pattern-matched, and then
checked against allow-lists, never deny-lists:

- every node of the tree is of a kind this module names (:data:`ALLOWED_NODES`): a
  SELECT's clauses, column references, literals, comparisons, AND/OR/NOT, IN, BETWEEN,
  LIKE, CASE, arithmetic, casts, window specifications. Anything else (DDL, DML,
  PRAGMA, ATTACH, COPY, VALUES, PIVOT, TABLESAMPLE, parameters…) refuses the query;
- every function is one of :data:`ALLOWED_FUNCTIONS` (sqlglot models AND and OR as
  functions too, so they are listed); unknown and engine-specific functions — which is
  where settings, environment variables, files and the network live — are refused;
- every table reference resolves, by SQL's scoping rules, either to a CTE defined in an
  enclosing WITH (earlier in the list, never itself: WITH RECURSIVE is refused) or to one
  of the agreement's views. An alias renames a source, it never makes one: ``FROM
  pg_settings AS pg_settings(n, s)`` names the engine's catalogue and is refused. Table
  functions, schema-qualified names, files (``FROM 'x.csv'``) and catalogue views all
  fail this rule. A CTE may not take the name of a view (shadowing) or of the engine's
  catalogue (``pg_…``, ``duckdb_…``, ``information_schema``…), and each name is defined
  once, so what a name means never depends on where it is read;
- every column resolves to a field the agreement releases (or to a name the query itself
  defines): a field outside the agreement is a refusal wherever it appears, never
  silently trimmed.

The engine runs with external access disabled as well (defence in depth).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from accord.errors import ValidationError

__all__ = [
    "AGGREGATE_FUNCTIONS",
    "ALLOWED_FUNCTIONS",
    "ALLOWED_NODES",
    "CheckedQuery",
    "check_query",
    "reserved_name",
]

AGGREGATE_FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(
    {
        exp.Count,
        exp.CountIf,
        exp.Sum,
        exp.Avg,
        exp.Min,
        exp.Max,
        exp.Stddev,
        exp.StddevPop,
        exp.StddevSamp,
        exp.Variance,
        exp.VariancePop,
        exp.Median,
        exp.Quantile,
        exp.ApproxDistinct,
    }
)
"""Aggregates a per-record query may use (output controls narrow them further)."""

ALLOWED_FUNCTIONS: frozenset[type[exp.Expr]] = AGGREGATE_FUNCTIONS | frozenset(
    {
        # Boolean connectives: sqlglot 30 models them as functions.
        exp.And,
        exp.Or,
        exp.Xor,
        exp.Exists,
        # Text
        exp.Upper,
        exp.Lower,
        exp.Length,
        exp.Substring,
        exp.Trim,
        exp.Concat,
        exp.Replace,
        exp.Left,
        exp.Right,
        exp.StartsWith,
        exp.StrPosition,
        exp.Initcap,
        # Numbers
        exp.Abs,
        exp.Round,
        exp.Floor,
        exp.Ceil,
        exp.Sign,
        exp.Sqrt,
        exp.Ln,
        exp.Exp,
        exp.Pow,
        # Dates
        exp.Extract,
        exp.DateTrunc,
        exp.DateDiff,
        exp.Year,
        exp.Quarter,
        exp.Month,
        exp.Week,
        exp.Day,
        exp.DayOfWeek,
        # Conditionals and types
        exp.Cast,
        exp.TryCast,
        exp.Coalesce,
        exp.Nullif,
        exp.Case,
        exp.If,
        exp.Greatest,
        exp.Least,
        # Window functions
        exp.RowNumber,
        exp.Rank,
        exp.DenseRank,
        exp.PercentRank,
        exp.CumeDist,
        exp.Ntile,
        exp.Lag,
        exp.Lead,
        exp.FirstValue,
        exp.LastValue,
    }
)

ALLOWED_NODES: frozenset[type[exp.Expr]] = frozenset(
    {
        # Query structure
        exp.Select,
        exp.Union,
        exp.Except,
        exp.Intersect,
        exp.With,
        exp.CTE,
        exp.Subquery,
        exp.From,
        exp.Join,
        exp.Where,
        exp.Group,
        exp.Having,
        exp.Qualify,
        exp.Order,
        exp.Ordered,
        exp.Limit,
        exp.Offset,
        exp.Distinct,
        exp.Table,
        exp.TableAlias,
        exp.Alias,
        exp.Column,
        exp.Identifier,
        exp.Star,
        exp.Window,
        exp.WindowSpec,
        exp.Filter,
        # Values
        exp.Literal,
        exp.Null,
        exp.Boolean,
        exp.DataType,
        exp.DataTypeParam,
        exp.Interval,
        exp.Var,
        exp.Tuple,
        exp.Paren,
        # Predicates and operators
        exp.EQ,
        exp.NEQ,
        exp.GT,
        exp.GTE,
        exp.LT,
        exp.LTE,
        exp.NullSafeEQ,
        exp.NullSafeNEQ,
        exp.Is,
        exp.Not,
        exp.In,
        exp.Between,
        exp.Like,
        exp.ILike,
        exp.Escape,
        exp.Add,
        exp.Sub,
        exp.Mul,
        exp.Div,
        exp.IntDiv,
        exp.Mod,
        exp.Neg,
        exp.DPipe,
    }
)
"""Every kind of node (other than a function) a query may contain."""

_RESERVED = re.compile(
    r"(pg_|duckdb_|sqlite_|pragma_|information_schema|main$|temp$|system$|memory$|accord_)",
    re.IGNORECASE,
)


def reserved_name(name: str) -> bool:
    """Whether ``name`` looks like the engine's catalogue (or Accord's own tables)."""
    return _RESERVED.match(name) is not None


@dataclass(frozen=True, slots=True)
class CheckedQuery:
    tree: exp.Query
    views: frozenset[str]
    ctes: frozenset[str] = frozenset()
    """Names the query defines with WITH (each defined once, none shadowing a view)."""

    def sql(self, dialect: str = "duckdb") -> str:
        return self.tree.sql(dialect=dialect)


def _refuse(reason: str) -> ValidationError:
    return ValidationError(f"query refused: {reason}")


def _describe(node: exp.Expr) -> str:
    if isinstance(node, exp.Anonymous):
        return f"function {node.name}"
    if isinstance(node, exp.Func):
        return f"function {node.sql_name()}"
    return type(node).__name__.upper()


def _check_kinds(tree: exp.Expr) -> None:
    for node in tree.walk():
        kind = type(node)
        if isinstance(node, exp.Func):
            if isinstance(node, exp.Anonymous) or kind not in ALLOWED_FUNCTIONS:
                raise _refuse(f"{_describe(node)} is not allowed")
        elif kind not in ALLOWED_NODES:
            raise _refuse(f"{_describe(node)} is not allowed")


class _Resolver:
    """Resolves every table reference by SQL's scoping rules (see the module docstring)."""

    def __init__(self, views: Mapping[str, frozenset[str]]) -> None:
        self.views = {name.lower(): name for name in views}
        self.used: set[str] = set()
        self.defined: set[str] = set()

    def visit(self, node: exp.Expr, ctes: frozenset[str]) -> None:
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With):
            if with_.args.get("recursive"):
                raise _refuse("WITH RECURSIVE is not allowed")
            names: list[str] = []
            for cte in with_.expressions:
                name = cte.alias_or_name
                self._define(name)
                # A CTE sees the ones before it, never itself or those after it.
                self.visit(cte.this, ctes | frozenset(names))
                names.append(name.lower())
            ctes = ctes | frozenset(names)
        for child in node.iter_expressions():
            if child is with_:
                continue
            if isinstance(child, exp.Table):
                self._table(child, ctes)
            if isinstance(child, exp.TableAlias) and reserved_name(child.name):
                raise _refuse(f"the alias {child.name} looks like the engine's catalogue")
            self.visit(child, ctes)

    def _define(self, name: str) -> None:
        lowered = name.lower()
        if lowered in self.views:
            raise _refuse(f"the CTE {name} has the name of a view; name it something else")
        if reserved_name(name):
            raise _refuse(f"the CTE {name} looks like the engine's catalogue; rename it")
        if lowered in self.defined:
            raise _refuse(f"the CTE {name} is defined twice; give each CTE its own name")
        self.defined.add(lowered)

    def _table(self, table: exp.Table, ctes: frozenset[str]) -> None:
        if not isinstance(table.this, exp.Identifier):
            raise _refuse(f"{table.this.sql()} reads outside the agreement's views")
        if table.args.get("db") or table.args.get("catalog"):
            raise _refuse(f"{table.sql()} names a schema; use the view names only")
        for arg in ("pivots", "laterals", "version", "when", "changes", "sample"):
            if table.args.get(arg):
                raise _refuse(f"{arg.upper()} on {table.name} is not allowed")
        name = table.name.lower()
        if name in ctes:
            return
        if name in self.views:
            self.used.add(name)
            return
        raise _refuse(
            f"{table.name} is not a view of this agreement; views: "
            + ", ".join(sorted(self.views.values()))
        )


def _defined_columns(tree: exp.Expr) -> set[str]:
    """Columns the query itself defines: CTE, subquery and column aliases."""
    columns: set[str] = set()
    for table_alias in tree.find_all(exp.TableAlias):
        columns.update(c.name.lower() for c in table_alias.columns)
    for alias in tree.find_all(exp.Alias):
        columns.add(alias.alias.lower())
    return columns


def _parse(sql: str) -> exp.Expr:
    try:
        statements = sqlglot.parse(sql, read="duckdb")
    except ParseError as exc:
        detail = exc.errors[0]["description"] if exc.errors else str(exc)
        raise _refuse(f"it does not parse: {detail}") from exc
    except (SqlglotError, ValueError, IndexError, RecursionError) as exc:
        # The tokenizer can fail in more ways than ParseError (an unterminated quote, a
        # stray '$'); whatever the parser cannot read is refused, never run.
        raise _refuse(f"it does not parse: {exc}") from exc
    found = [s for s in statements if s is not None]
    if len(found) != 1:
        raise _refuse("send exactly one statement")
    return found[0]


def check_query(sql: str, views: Mapping[str, frozenset[str]]) -> CheckedQuery:
    """Validate ``sql`` against ``views`` (view name to the fields it releases).

    A tree too deep for Python's recursion (a chain of thousands of operators parses,
    but walking it does not) is refused like anything else the checker cannot read."""
    try:
        return _check(sql, views)
    except RecursionError as exc:
        raise _refuse("it is nested too deeply to check") from exc


def _check(sql: str, views: Mapping[str, frozenset[str]]) -> CheckedQuery:
    tree = _parse(sql)
    if not isinstance(tree, exp.Query):
        raise _refuse(f"only SELECT is allowed, not {type(tree).__name__.upper()}")
    _check_kinds(tree)
    resolver = _Resolver(views)
    resolver.visit(tree, frozenset())
    known = {name.lower(): fields for name, fields in views.items()}
    allowed = {f.lower() for name in resolver.used for f in known[name]}
    allowed |= _defined_columns(tree)
    for column in tree.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            continue
        if column.name.lower() not in allowed:
            raise _refuse(
                f"{column.name} is not a field this agreement releases"
                + (f" from {column.table}" if column.table else "")
            )
    return CheckedQuery(tree, frozenset(resolver.used), frozenset(resolver.defined))
