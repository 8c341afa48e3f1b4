"""Privacy-preserving mode: HMAC in SQL equals Python's, Soundex, and linking on tokens."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.errors import ValidationError
from accord.linkage.standardise import soundex_sql
from accord.linkage.tokens import hmac_sql, link_tokens, tokenise
from tests.linkage.conftest import Carers, pairs, precision_recall

KEY = b"carers-linkage-domain-test-key"


def _sql_hmac(key: bytes, value: str) -> str:
    with duckdb.connect() as connection:
        return str(connection.execute(f"SELECT {hmac_sql('?', key)}", [value]).fetchall()[0][0])


@pytest.mark.parametrize("key", [b"k", KEY, bytes(range(64)), bytes(range(200)) * 2])
@pytest.mark.parametrize("value", ["", "alice|smith|1980-01-02", "Zoë O'Brien", "x" * 300])
def test_hmac_in_sql_equals_python(key: bytes, value: str) -> None:
    assert _sql_hmac(key, value) == hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


@settings(max_examples=50, deadline=None)
@given(key=st.binary(min_size=1, max_size=100), value=st.text(max_size=40))
def test_hmac_in_sql_equals_python_for_any_input(key: bytes, value: str) -> None:
    assert _sql_hmac(key, value) == hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def test_a_key_must_be_bytes() -> None:
    with pytest.raises(ValidationError, match="bytes"):
        hmac_sql("x", b"")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("robert", "R163"),
        ("rupert", "R163"),
        ("rubin", "R150"),
        ("ashcraft", "A261"),
        ("tymczak", "T522"),
        ("pfister", "P236"),
        ("honeyman", "H555"),
        ("lee", "L000"),
    ],
)
def test_soundex(name: str, code: str) -> None:
    query = f"SELECT {soundex_sql('name')} FROM (SELECT ? AS name)"
    with duckdb.connect() as connection:
        assert connection.execute(query, [name]).fetchall()[0][0] == code


def test_tokens_link_the_carers_without_names_leaving_either_side(carers: Carers) -> None:
    left = tokenise(carers.carers, id_column="nino", key=KEY)
    right = tokenise(carers.register, id_column="nhs_number", key=KEY)
    assert left.column_names[0] == "nino"
    assert {"tok_name_dob", "tok_phonetic_dob", "tok_swapped_dob", "tok_dob_postcode"} <= set(
        left.column_names
    )
    tokens = left.column("tok_name_dob").drop_null().to_pylist()
    assert all(len(token) == 64 for token in tokens)
    result = link_tokens(left, right, left_id="nino", right_id="nhs_number")
    precision, recall = precision_recall(pairs(result.matches), carers.truth)
    assert precision >= 0.99
    assert recall >= 0.93
    # Close to plain linkage on the same records (0.97 or more, see test_link).
    assert result.summary.matched_by_pass["probabilistic"] > 0


def test_tokens_under_different_keys_never_meet(carers: Carers) -> None:
    ours = tokenise(carers.carers, id_column="nino", key=KEY)
    theirs = tokenise(carers.carers, id_column="nino", key=b"another linkage domain")
    a = set(ours.column("tok_name_dob").drop_null().to_pylist())
    b = set(theirs.column("tok_name_dob").drop_null().to_pylist())
    assert a
    assert b
    assert not a & b
