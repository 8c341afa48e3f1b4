"""No log record and no error message ever holds linkage key material.

Every linkage and pseudonymisation path runs with every logger at DEBUG, on success
and on failure (where the engines log the failing statement), and each record and
each error text is searched for the key in every form it could take: raw bytes, hex
in either case, and the two HMAC pads that token SQL carries.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from sqlglot import exp

from accord.keys import KeyStore
from accord.linkage.engine import DuckDBEngine, LinkageError
from accord.linkage.redact import REDACTED, redact
from accord.linkage.tokens import hmac_sql, link_tokens, tokenise
from accord.pseudonymise.domain_keys import DomainKeyStore
from accord.pseudonymise.hmac_sql import (
    hmac_sha256_sql,
    hmac_sha256_sql_parameterised,
    pad_parameters,
)
from accord.pseudonymise.vectorised import hmac_hex


def _forms(key: bytes) -> list[str]:
    """Every text form of ``key`` a log line could hold, the pads included."""
    block = key.ljust(64, b"\0")
    pads = [bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)]
    forms = []
    for material in (key, *pads):
        forms += [material.hex(), material.hex().upper(), repr(material)[2:-1]]
        forms.append(material.decode("latin-1"))
    return [f for f in forms if len(f) >= 16]


def _assert_clean(texts: list[str], key: bytes) -> None:
    assert texts, "nothing was captured: the test would prove nothing"
    for text in texts:
        for form in _forms(key):
            assert form not in text, f"key material in: {text[:200]}"


def _records(caplog: pytest.LogCaptureFixture) -> list[str]:
    texts = []
    for record in caplog.records:
        texts.append(record.getMessage())
        if record.exc_text:
            texts.append(record.exc_text)
    return texts


PEOPLE = pa.table(
    {
        "id": ["a1", "a2", "a3", "a4"],
        "given_name": ["Ann", "Bob", "Cat", "Dan"],
        "family_name": ["Lee", "Ray", "Moss", "Hart"],
        "dob": ["1980-01-02", "1975-05-06", "1990-09-10", "1960-12-31"],
        "postcode": ["LS1 4AP", "M1 1AE", "B1 1BB", "NE1 4ST"],
    }
)


@pytest.fixture
def domain_key(tmp_path: Path) -> bytes:
    store = DomainKeyStore(KeyStore.open(tmp_path / "home", create=True))
    store.create("carers-vaccination")
    return store.key("carers-vaccination").material


def test_failing_token_sql_is_logged_and_raised_without_the_pads(
    caplog: pytest.LogCaptureFixture, domain_key: bytes
) -> None:
    caplog.set_level(logging.DEBUG)
    engine = DuckDBEngine(memory_limit=None)
    errors = []
    try:
        for sql in (
            f"SELECT {hmac_sql('name', domain_key)} FROM no_such_table",
            f"SELECT {hmac_sql('name', domain_key)} FROM",  # DuckDB quotes the line back
            f"SELECT {hmac_sql('CAST(1 AS INTEGER) + name', domain_key)} FROM (SELECT 'x' AS name)",
        ):
            with pytest.raises(LinkageError) as failure:
                engine.execute(sql, step="tokens")
            errors.append(str(failure.value))
            cause = failure.value.__cause__
            assert cause is not None
    finally:
        engine.close()
    logged = _records(caplog)
    assert any("linkage step tokens failed" in t and REDACTED in t for t in logged)
    assert all(REDACTED in e or "tokens" in e for e in errors)
    _assert_clean(logged + errors, domain_key)


def test_tokenising_and_linking_at_debug_log_no_key(
    caplog: pytest.LogCaptureFixture, domain_key: bytes
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("accord.linkage").debug("linkage at debug: captured")
    left = tokenise(PEOPLE, id_column="id", key=domain_key)
    right = tokenise(PEOPLE, id_column="id", key=domain_key)
    result = link_tokens(left, right, left_id="id", right_id="id")
    assert result.matches.num_rows == PEOPLE.num_rows
    _assert_clean(_records(caplog), domain_key)


def test_pseudonymisation_paths_at_debug_log_no_key(
    caplog: pytest.LogCaptureFixture, domain_key: bytes
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("accord.pseudonymise").debug("pseudonymisation at debug: captured")
    values = pa.array(["AB123456C", "ab 12 34 56 c", None])
    arrow = hmac_hex(values, domain_key).to_pylist()
    parameterised = hmac_sha256_sql_parameterised(exp.column("v"), "duckdb").sql("duckdb")
    assert all(form not in parameterised for form in _forms(domain_key))
    with duckdb.connect() as conn:
        conn.register("t", pa.table({"v": values}))
        literal = hmac_sha256_sql(exp.column("v"), domain_key, "duckdb").sql("duckdb")
        by_literal = [r[0] for r in conn.execute(f"SELECT {literal} FROM t").fetchall()]
        bound = conn.execute(
            f"SELECT {parameterised} FROM t", pad_parameters(domain_key)
        ).fetchall()
    assert arrow == by_literal == [r[0] for r in bound]
    _assert_clean(_records(caplog), domain_key)


def test_redact_removes_pads_and_keeps_the_shape_of_the_statement() -> None:
    key = bytes(range(32))
    sql = hmac_sql("name", key)
    scrubbed = redact(sql)
    assert REDACTED in scrubbed
    assert "SHA256" in scrubbed.upper()
    _assert_clean([scrubbed], key)
    assert redact("step 7 of 12, row 1024") == "step 7 of 12, row 1024"
