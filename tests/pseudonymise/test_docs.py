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


def test_the_identifier_normalisation_is_described_as_built() -> None:
    from accord.core.identifiers import IDENTIFIER_SEPARATORS, normalise_identifier

    assert IDENTIFIER_SEPARATORS == " \t\n\r\f\v-"
    section = DOC.split("## One identifier normalisation")[1].split("\n## ")[0]
    for named in ("space", "tab", "line feed", "carriage return", "form feed", "vertical tab"):
        assert named in section
    assert "the hyphen" in section
    for form in ("ab 12 34 56 c", "AB-123456-C", "AB123456C\\r"):
        assert f"`{form}`" in DOC
        assert normalise_identifier(form.replace("\\r", "\r")) == "AB123456C"
    assert normalise_identifier("RA-65-19-08-B") == "RA651908B"


def test_the_opt_out_summary_shown_has_the_keys_built() -> None:
    import json

    block = DOC.split('"opt_outs": ')[1].split("\n```")[0]
    documented = json.loads(block)
    assert set(documented) == {
        "applied",
        "fields",
        "identifier_types",
        "register_entries",
        "rows_removed",
    }
