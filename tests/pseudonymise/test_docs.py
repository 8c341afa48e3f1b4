"""docs/pseudonymisation.md states what the code does: its vector, SQL and operations."""

from __future__ import annotations

import hmac
import re
from pathlib import Path

import pyarrow as pa
import pytest
from sqlglot import exp

from accord.pseudonymise.domain_keys import DomainKeyStore
from accord.pseudonymise.hmac_sql import DIALECTS, hmac_sha256_sql_parameterised
from accord.pseudonymise.vectorised import hmac_hex

DOC = (Path(__file__).resolve().parents[2] / "docs" / "pseudonymisation.md").read_text("utf-8")


def test_the_test_vector_holds() -> None:
    key, value = bytes(range(32)), "AB123456C"
    match = re.search(r"pseudonym = ([0-9a-f]{64})", DOC)
    assert match is not None
    assert hmac.new(key, value.encode(), "sha256").hexdigest() == match.group(1)
    assert hmac_hex(pa.array([value]), key).to_pylist() == [match.group(1)]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_sql_shown_is_the_sql_built(dialect: str) -> None:
    sql = hmac_sha256_sql_parameterised(exp.column("v"), dialect).sql(dialect)  # type: ignore[arg-type]
    placeholder = {"duckdb": "${}", "postgres": "%({})s", "spark": ":{}"}[dialect]
    for pad in ("ipad", "opad"):
        sql = sql.replace(placeholder.format(f"accord_hmac_{pad}"), pad)
    assert sql.replace("||", r"\|\|") in DOC


def test_every_public_operation_of_the_store_is_documented() -> None:
    for name in (n for n in vars(DomainKeyStore) if not n.startswith("_")):
        assert f"DomainKeyStore.{name}(" in DOC or f".{name}(" in DOC, name
