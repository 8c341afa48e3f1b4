"""HMAC-SHA256 as a SQL expression, so a plan pseudonymises where the data lives.

The definition, identical on every path (see docs/pseudonymisation.md)::

    pseudonym(v) = lower_hex( SHA256( opad || SHA256( ipad || utf8(v) ) ) )

with ``ipad``/``opad`` the 64-byte RFC 2104 pads of the domain key. It hashes exactly
the UTF-8 bytes of the string it is given: normalising an identifier (upper-casing a
NINO, stripping spaces) is the policy compiler's job, done in the plan *before* this
expression, so that every path hashes the same bytes. ``NULL`` gives ``NULL``: every
operator used here propagates it (``||`` rather than ``concat``, which in DuckDB treats
NULL as empty). The value must already be a string: a date or a number would be
rendered to text differently by each engine, so casting is left to the compiler, where
it is explicit.

The expression is a sqlglot tree built per dialect, never text spliced with data:

- **DuckDB**: ``sha256(unhex(opad) || unhex(sha256(unhex(ipad) || encode(v))))``;
  ``sha256`` takes a BLOB and returns lowercase hex, ``unhex`` turns hex into a BLOB,
  ``encode`` gives a VARCHAR's UTF-8 bytes, and ``||`` concatenates BLOBs.
- **PostgreSQL** (>= 11, built-in ``sha256(bytea) -> bytea``, no pgcrypto):
  ``encode(sha256(decode(opad, 'hex') || sha256(decode(ipad, 'hex') ||
  convert_to(v, 'UTF8'))), 'hex')``. PostgreSQL text cannot hold U+0000, so such a
  value cannot reach it in the first place.
- **Spark SQL**: ``sha2(unhex(opad) || unhex(sha2(unhex(ipad) || encode(v, 'UTF-8'),
  256)), 256)``; ``sha2`` accepts BINARY and returns lowercase hex, ``||`` on two
  BINARY values is binary ``concat`` (NULL if either side is). So HMAC *is*
  expressible in pure Spark SQL. Besides its snapshot, this rendering is run on a
  local Spark session and compared with Python's ``hmac`` by
  ``tests/linkage/test_spark.py`` wherever Java is installed.

The pads are key material. With :func:`hmac_sha256_sql` they are hex literals in the
SQL, so that SQL text must be treated like the key: never logged, shown to a caller,
written to the audit log or cached on disk. :func:`hmac_sha256_sql_parameterised`
puts bind parameters in their place instead (``$name`` in DuckDB, ``%(name)s`` for
psycopg, ``:name`` for ``spark.sql(..., args=...)``), and :func:`pad_parameters` gives
the values to bind at execution; prefer it wherever the SQL text may be seen.
"""

from __future__ import annotations

from typing import Literal, get_args

from sqlglot import exp

from accord.errors import ValidationError
from accord.pseudonymise._kernel import pads

__all__ = [
    "DIALECTS",
    "Dialect",
    "hmac_sha256_sql",
    "hmac_sha256_sql_from_pads",
    "hmac_sha256_sql_parameterised",
    "pad_parameters",
]

Dialect = Literal["duckdb", "postgres", "spark"]
DIALECTS: tuple[Dialect, ...] = get_args(Dialect)


def hmac_sha256_sql(value: exp.Expression, key: bytes, dialect: Dialect) -> exp.Expression:
    """The pseudonym of ``value`` under ``key`` in ``dialect``, pads as hex literals."""
    ipad, opad = pads(key)
    return _hmac(value, exp.Literal.string(ipad.hex()), exp.Literal.string(opad.hex()), dialect)


def hmac_sha256_sql_parameterised(
    value: exp.Expression, dialect: Dialect, *, name: str = "accord_hmac"
) -> exp.Expression:
    """As :func:`hmac_sha256_sql` with the pads as named parameters ``<name>_ipad``/``_opad``.

    The SQL then holds no key material and can be cached, logged or snapshot; bind
    :func:`pad_parameters` when running it.
    """
    if not name.isidentifier() or not name.isascii():
        raise ValidationError(f"invalid parameter name {name!r}")
    return _hmac(
        value,
        exp.Placeholder(this=f"{name}_ipad"),
        exp.Placeholder(this=f"{name}_opad"),
        dialect,
    )


def hmac_sha256_sql_from_pads(
    value: exp.Expression, ipad_hex: exp.Expression, opad_hex: exp.Expression, dialect: Dialect
) -> exp.Expression:
    """As :func:`hmac_sha256_sql` with the hex pads given as expressions.

    For a plan that reads the pads as data (a scalar subquery over a one-row table the
    executor loads), so neither the SQL text nor the log ever holds key material, and no
    engine needs bind parameters.
    """
    return _hmac(value, ipad_hex, opad_hex, dialect)


def pad_parameters(key: bytes, *, name: str = "accord_hmac") -> dict[str, str]:
    """The hex pads to bind to :func:`hmac_sha256_sql_parameterised`'s parameters."""
    ipad, opad = pads(key)
    return {f"{name}_ipad": ipad.hex(), f"{name}_opad": opad.hex()}


def _hmac(
    value: exp.Expression, ipad_hex: exp.Expression, opad_hex: exp.Expression, dialect: Dialect
) -> exp.Expression:
    if dialect not in DIALECTS:
        raise ValidationError(
            f"no HMAC rendering for SQL dialect {dialect!r}; one of {', '.join(DIALECTS)}"
        )
    inner = _sha256_bytes(
        _concat(_from_hex(ipad_hex, dialect), _utf8(value.copy(), dialect)), dialect
    )
    return _sha256_hex(_concat(_from_hex(opad_hex, dialect), inner), dialect)


def _call(name: str, *args: exp.Expression) -> exp.Expression:
    # Anonymous: rendered verbatim in every dialect, so sqlglot cannot remap the
    # function to something with other semantics (e.g. a hex-returning SHA256).
    return exp.Anonymous(this=name, expressions=list(args))


def _concat(left: exp.Expression, right: exp.Expression) -> exp.Expression:
    return exp.DPipe(this=left, expression=right, safe=False)


def _from_hex(hex_text: exp.Expression, dialect: Dialect) -> exp.Expression:
    if dialect == "postgres":
        return _call("DECODE", hex_text, exp.Literal.string("hex"))
    return _call("UNHEX", hex_text)


def _utf8(value: exp.Expression, dialect: Dialect) -> exp.Expression:
    if dialect == "duckdb":
        return _call("ENCODE", value)
    if dialect == "postgres":
        return _call("CONVERT_TO", value, exp.Literal.string("UTF8"))
    return _call("ENCODE", value, exp.Literal.string("UTF-8"))


def _sha256_hex(data: exp.Expression, dialect: Dialect) -> exp.Expression:
    if dialect == "duckdb":
        return _call("SHA256", data)
    if dialect == "postgres":
        return _call("ENCODE", _call("SHA256", data), exp.Literal.string("hex"))
    return _call("SHA2", data, exp.Literal.number(256))


def _sha256_bytes(data: exp.Expression, dialect: Dialect) -> exp.Expression:
    if dialect == "postgres":
        return _call("SHA256", data)
    return _call("UNHEX", _sha256_hex(data, dialect))
