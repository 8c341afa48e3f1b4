"""The ingest checks as SQL, so in-place tables are validated where they live.

The same three steps as the scalar validators (drop ASCII whitespace, upper-case ASCII
letters, match the pattern) written once for DuckDB (RE2) and PostgreSQL (its own
regular expressions); ``translate`` upper-cases only a-z, where ``upper`` would follow
the database's locale. Tests hold each predicate to the scalar validator value for
value, in both databases.

Caller text never reaches SQL unquoted: table and column names go through
``quote_identifier`` after being looked up in the catalogue with bound parameters,
and the only literals are Accord's own patterns, escaped by ``literal``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from accord.core.identifiers import (
    NHS_WEIGHTS,
    NINO_DISALLOWED_PREFIXES,
    NINO_PATTERN,
    POSTCODE_COMPACT_PATTERN,
    normalise_identifier_sql,
)
from accord.core.vocabulary import SemanticType
from accord.errors import ValidationError
from accord.ingest.identifier_checks import SPACE_CLASS

__all__ = [
    "DUCKDB",
    "POSTGRES",
    "Dialect",
    "TableName",
    "cleaned_sql",
    "invalid_sql",
    "literal",
    "parse_table_name",
    "quote_identifier",
]


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between the databases Accord validates in place."""

    name: str
    text_type: str
    full_match_template: str
    """Format string with ``{expr}`` and ``{pattern}`` (a SQL literal) for a whole-string match."""

    def full_match(self, expr: str, pattern: str) -> str:
        return self.full_match_template.format(expr=expr, pattern=literal(pattern))

    def as_text(self, expr: str) -> str:
        return f"CAST({expr} AS {self.text_type})"


DUCKDB = Dialect("duckdb", "VARCHAR", "regexp_full_match({expr}, {pattern})")
POSTGRES = Dialect("postgres", "TEXT", "({expr} ~ {pattern})")


def _anchored(dialect: Dialect, pattern: str) -> str:
    """RE2's ``regexp_full_match`` anchors for us; PostgreSQL's ``~`` searches."""
    return pattern if dialect is DUCKDB else f"^(?:{pattern})$"


@dataclass(frozen=True, slots=True)
class TableName:
    schema: str | None
    name: str

    def __str__(self) -> str:
        return self.name if self.schema is None else f"{self.schema}.{self.name}"


def parse_table_name(text: str) -> TableName:
    """``table`` or ``schema.table``; each part non-empty, without NUL or surrounding spaces.

    Parts are matched exactly (case and all) against the database's catalogue, so what
    the owner sees in their database is what they type.
    """
    parts = text.split(".")
    if len(parts) > 2 or any(not part or part != part.strip() or "\x00" in part for part in parts):
        raise ValidationError(
            f"{text!r} is not a table name: use 'table' or 'schema.table'",
        )
    if len(parts) == 2:
        return TableName(parts[0], parts[1])
    return TableName(None, parts[0])


def quote_identifier(name: str) -> str:
    """A SQL identifier, double-quoted with embedded quotes doubled (both dialects)."""
    if "\x00" in name:
        raise ValidationError(f"{name!r} cannot be an identifier")
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal for Accord's own constants (patterns, prefixes)."""
    return "'" + text.replace("'", "''") + "'"


_LOWER = literal(string.ascii_lowercase)
_UPPER = literal(string.ascii_uppercase)


def cleaned_sql(semantic: SemanticType, text_expr: str) -> str:
    """The value as the validator sees it after normalising, for ``semantic``."""
    if semantic in (SemanticType.NINO, SemanticType.NHS_NUMBER):
        return normalise_identifier_sql(text_expr)
    spaceless = f"regexp_replace({text_expr}, {literal(SPACE_CLASS)}, '', 'g')"
    return f"translate({spaceless}, {_LOWER}, {_UPPER})"


def invalid_sql(semantic: SemanticType, text: str, cleaned: str, dialect: Dialect) -> str:
    """True where ``text`` is present and not a valid ``semantic`` value.

    ``cleaned`` is ``cleaned_sql`` of the same value, computed once by the caller
    (PostgreSQL would otherwise run the regular expression once per use).
    """
    if semantic is SemanticType.NINO:
        barred = ", ".join(literal(prefix) for prefix in sorted(NINO_DISALLOWED_PREFIXES))
        valid = (
            f"{dialect.full_match(cleaned, _anchored(dialect, NINO_PATTERN))}"
            f" AND substr({cleaned}, 1, 2) NOT IN ({barred})"
        )
    elif semantic is SemanticType.POSTCODE:
        valid = dialect.full_match(cleaned, _anchored(dialect, POSTCODE_COMPACT_PATTERN))
    elif semantic is SemanticType.NHS_NUMBER:
        shaped = dialect.full_match(cleaned, _anchored(dialect, "[0-9]{10}"))
        digit = [f"(ascii(substr({cleaned}, {i}, 1)) - 48)" for i in range(1, 11)]
        total = " + ".join(f"{d} * {w}" for d, w in zip(digit, NHS_WEIGHTS, strict=False))
        check = f"((11 - ({total}) % 11) % 11)"
        valid = f"CASE WHEN {shaped} THEN {check} <> 10 AND {check} = {digit[9]} ELSE false END"
    else:
        raise ValueError(f"no SQL check for {semantic}")
    return f"({text} IS NOT NULL AND NOT coalesce({valid}, false))"
