"""Checking a recipient's SQL before it runs in place.

A query is one SELECT (or a set operation of SELECTs) over the views of the agreement
the caller holds. It is parsed with sqlglot, never pattern-matched; anything else —
DDL, DML, PRAGMA, ATTACH, COPY, table functions that read files or reach the network,
unknown functions, tables that are not the agreement's views — refuses the whole query
with the reason. Every column must resolve to a field the agreement releases (or to a
name the query itself defines): a field outside the agreement is a refusal wherever it
appears, never silently trimmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from accord.errors import ValidationError

__all__ = ["ALLOWED_FUNCTIONS", "CheckedQuery", "check_query"]

ALLOWED_FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(
    {
        exp.Count,
        exp.Sum,
        exp.Avg,
        exp.Min,
        exp.Max,
        exp.Stddev,
        exp.Variance,
        exp.Median,
        exp.Quantile,
        exp.ApproxDistinct,
        exp.Upper,
        exp.Lower,
        exp.Length,
        exp.Substring,
        exp.Trim,
        exp.Concat,
        exp.Replace,
        exp.Abs,
        exp.Round,
        exp.Floor,
        exp.Ceil,
        exp.Extract,
        exp.DateTrunc,
        exp.Year,
        exp.Month,
        exp.Day,
        exp.Cast,
        exp.TryCast,
        exp.Coalesce,
        exp.Nullif,
        exp.Case,
        exp.If,
        exp.Greatest,
        exp.Least,
        exp.RowNumber,
        exp.Rank,
        exp.DenseRank,
        exp.CountIf,
        exp.Sqrt,
        exp.Ln,
        exp.Pow,
    }
)


_FORBIDDEN = (
    exp.Command,
    exp.Set,
    exp.Pragma,
    exp.Copy,
    exp.Attach,
    exp.Detach,
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Create,
    exp.Drop,
    exp.Alter,
)


@dataclass(frozen=True, slots=True)
class CheckedQuery:
    tree: exp.Query
    views: frozenset[str]

    def sql(self, dialect: str = "duckdb") -> str:
        return self.tree.sql(dialect=dialect)


def _refuse(reason: str) -> ValidationError:
    return ValidationError(f"query refused: {reason}")


def _defined_names(tree: exp.Expr) -> tuple[set[str], set[str]]:
    """Tables and columns the query itself defines: CTEs, subquery and column aliases."""
    tables: set[str] = set()
    columns: set[str] = set()
    for cte in tree.find_all(exp.CTE):
        tables.add(cte.alias_or_name.lower())
        columns.update(c.name.lower() for c in cte.args.get("alias", exp.TableAlias()).columns)
    for table_alias in tree.find_all(exp.TableAlias):
        tables.add(table_alias.name.lower())
        columns.update(c.name.lower() for c in table_alias.columns)
    for alias in tree.find_all(exp.Alias):
        columns.add(alias.alias.lower())
    return tables, columns


def check_query(sql: str, views: Mapping[str, frozenset[str]]) -> CheckedQuery:
    """Validate ``sql`` against ``views`` (view name to the fields it releases)."""
    try:
        statements = sqlglot.parse(sql, read="duckdb")
    except ParseError as exc:
        detail = exc.errors[0]["description"] if exc.errors else str(exc)
        raise _refuse(f"it does not parse: {detail}") from exc
    except (SqlglotError, ValueError, IndexError, RecursionError) as exc:
        # The tokenizer can fail in more ways than ParseError (an unterminated quote, a
        # stray '$'); whatever the parser cannot read is refused, never run.
        raise _refuse(f"it does not parse: {exc}") from exc
    statements = [s for s in statements if s is not None]
    if len(statements) != 1:
        raise _refuse("send exactly one statement")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise _refuse(f"only SELECT is allowed, not {type(tree).__name__.upper()}")
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN):
            raise _refuse(f"{type(node).__name__.upper()} is not allowed")
    defined_tables, defined_columns = _defined_names(tree)
    known = {name.lower(): fields for name, fields in views.items()}
    used: set[str] = set()
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise _refuse(f"{table.this.sql()} reads outside the agreement's views")
        if table.args.get("db") or table.args.get("catalog"):
            raise _refuse(f"{table.sql()} names a schema; use the view names only")
        name = table.name.lower()
        if name in known:
            used.add(name)
        elif name not in defined_tables:
            raise _refuse(
                f"{table.name} is not a view of this agreement; views: " + ", ".join(sorted(views))
            )
    for function in tree.find_all(exp.Func):
        kind: type[exp.Expr] = type(function)
        if isinstance(function, exp.Anonymous) or kind not in ALLOWED_FUNCTIONS:
            name = function.name if isinstance(function, exp.Anonymous) else function.sql_name()
            raise _refuse(f"function {name} is not allowed")
    allowed = {f.lower() for name in used for f in known[name]} | defined_columns
    for column in tree.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            continue
        if column.name.lower() not in allowed:
            raise _refuse(
                f"{column.name} is not a field this agreement releases"
                + (f" from {column.table}" if column.table else "")
            )
    return CheckedQuery(tree, frozenset(used))
