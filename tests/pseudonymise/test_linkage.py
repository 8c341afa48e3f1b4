"""Same domain => same pseudonym across datasets; different domains => none in common.

The two datasets are pseudonymised by different paths (DuckDB SQL for one, the Arrow
path for the other), as two organisations' engines might, and still link.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from accord.pseudonymise.domain_keys import DomainKeyStore
from accord.pseudonymise.hmac_sql import hmac_sha256_sql
from accord.pseudonymise.vectorised import hmac_hex

NINO = st.from_regex(r"[A-CEGHJ-PR-TW-Z]{2}[0-9]{6}[A-D]", fullmatch=True)


def _benefits(ninos: list[str]) -> pa.Table:
    return pa.table({"nino": ninos, "claim": list(range(len(ninos)))})


def _sql_pseudonyms(table: pa.Table, key: bytes) -> set[str]:
    expression = hmac_sha256_sql(exp.column("nino"), key, "duckdb").sql("duckdb")
    with duckdb.connect() as conn:
        conn.register("benefits", table)
        return {row[0] for row in conn.execute(f"SELECT {expression} FROM benefits").fetchall()}


def _arrow_pseudonyms(table: pa.Table, key: bytes) -> set[str]:
    return set(hmac_hex(table.column("nino"), key).to_pylist())


@settings(max_examples=25, deadline=None)
@given(
    shared=st.sets(NINO, max_size=30),
    only_a=st.sets(NINO, max_size=30),
    only_b=st.sets(NINO, max_size=30),
)
def test_same_domain_links_and_different_domains_do_not(
    shared: set[str], only_a: set[str], only_b: set[str]
) -> None:
    only_a, only_b = only_a - shared - only_b, only_b - shared - only_a
    a = _benefits(sorted(shared | only_a))
    b = _benefits(sorted(shared | only_b))
    key_one, key_two = b"1" * 32, b"2" * 32

    same = _sql_pseudonyms(a, key_one) & _arrow_pseudonyms(b, key_one)
    assert len(same) == len(shared)
    assert same == _arrow_pseudonyms(_benefits(sorted(shared)), key_one)

    assert not _sql_pseudonyms(a, key_one) & _arrow_pseudonyms(b, key_two)
    assert not _arrow_pseudonyms(a, key_one) & _arrow_pseudonyms(a, key_two)


def test_domains_from_the_store_link_within_and_not_across(domains: DomainKeyStore) -> None:
    domains.create("carers-vaccination")
    domains.create("employment-research")
    ninos = [f"AB{i:06d}C" for i in range(2_000)]
    carers = domains.key("carers-vaccination").material
    research = domains.key("employment-research").material

    health_side = _sql_pseudonyms(_benefits(ninos[:1500]), carers)
    benefits_side = _arrow_pseudonyms(_benefits(ninos[500:]), carers)
    assert len(health_side & benefits_side) == 1000

    assert not health_side & _arrow_pseudonyms(_benefits(ninos), research)


def test_a_rotated_key_makes_new_pseudonyms_and_the_old_version_reproduces(
    domains: DomainKeyStore,
) -> None:
    domains.create("alpha")
    table = _benefits([f"AB{i:06d}C" for i in range(100)])
    before = _arrow_pseudonyms(table, domains.key("alpha").material)
    domains.rotate("alpha")
    assert not before & _arrow_pseudonyms(table, domains.key("alpha").material)
    assert before == _sql_pseudonyms(table, domains.key("alpha", 1).material)
