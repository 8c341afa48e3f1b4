"""The HMAC SQL per dialect, snapshot: the exact text each engine is given.

With an all-zero key the pads are 0x36 and 0x5c repeated, which keeps the snapshots
readable. Spark's rendering is checked here only (no Spark runtime in the tests); its
functions are ``sha2(binary, 256) -> hex``, ``unhex(hex) -> binary``, ``encode(string,
'UTF-8') -> binary`` and binary ``||``.
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from accord.errors import ValidationError
from accord.pseudonymise.hmac_sql import (
    DIALECTS,
    hmac_sha256_sql,
    hmac_sha256_sql_parameterised,
    pad_parameters,
)

KEY = bytes(32)
IPAD, OPAD = "36" * 64, "5c" * 64

LITERAL = {
    "duckdb": f"SHA256(UNHEX('{OPAD}') || UNHEX(SHA256(UNHEX('{IPAD}') || ENCODE(p.nino))))",
    "postgres": (
        f"ENCODE(SHA256(DECODE('{OPAD}', 'hex') || SHA256(DECODE('{IPAD}', 'hex') || "
        "CONVERT_TO(p.nino, 'UTF8'))), 'hex')"
    ),
    "spark": (
        f"SHA2(UNHEX('{OPAD}') || UNHEX(SHA2(UNHEX('{IPAD}') || "
        "ENCODE(p.nino, 'UTF-8'), 256)), 256)"
    ),
}
PARAMETERISED = {
    "duckdb": (
        "SHA256(UNHEX($accord_hmac_opad) || UNHEX(SHA256(UNHEX($accord_hmac_ipad) || "
        "ENCODE(p.nino))))"
    ),
    "postgres": (
        "ENCODE(SHA256(DECODE(%(accord_hmac_opad)s, 'hex') || "
        "SHA256(DECODE(%(accord_hmac_ipad)s, 'hex') || CONVERT_TO(p.nino, 'UTF8'))), 'hex')"
    ),
    "spark": (
        "SHA2(UNHEX(:accord_hmac_opad) || UNHEX(SHA2(UNHEX(:accord_hmac_ipad) || "
        "ENCODE(p.nino, 'UTF-8'), 256)), 256)"
    ),
}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_literal_snapshot(dialect: str) -> None:
    sql = hmac_sha256_sql(exp.column("nino", table="p"), KEY, dialect).sql(dialect)  # type: ignore[arg-type]
    assert sql == LITERAL[dialect]
    # The rendering parses back in its own dialect to the same text.
    assert sqlglot.parse_one(sql, read=dialect).sql(dialect) == sql


@pytest.mark.parametrize("dialect", DIALECTS)
def test_parameterised_snapshot_holds_no_key(dialect: str) -> None:
    sql = hmac_sha256_sql_parameterised(exp.column("nino", table="p"), dialect).sql(dialect)  # type: ignore[arg-type]
    assert sql == PARAMETERISED[dialect]
    assert pad_parameters(KEY) == {"accord_hmac_ipad": IPAD, "accord_hmac_opad": OPAD}


def test_the_value_is_a_subtree_not_text() -> None:
    """A hostile string is a quoted literal inside the tree, never SQL."""
    hostile = "x') || (SELECT secret FROM keys) --"
    for dialect in DIALECTS:
        tree = hmac_sha256_sql(exp.Literal.string(hostile), KEY, dialect)
        literals = [n.this for n in tree.find_all(exp.Literal) if n.is_string]
        assert hostile in literals
        assert not list(sqlglot.parse_one(tree.sql(dialect), read=dialect).find_all(exp.Select))


def test_the_callers_tree_is_not_reused() -> None:
    value = exp.column("nino")
    tree = hmac_sha256_sql(value, KEY, "duckdb")
    assert value.parent is None
    assert all(node is not value for node in tree.walk())


def test_unknown_dialect_and_bad_parameter_name() -> None:
    with pytest.raises(ValidationError, match="no HMAC rendering"):
        hmac_sha256_sql(exp.column("v"), KEY, "mysql")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="parameter name"):
        hmac_sha256_sql_parameterised(exp.column("v"), "duckdb", name="x); DROP")
