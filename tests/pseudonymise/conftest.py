"""Fixtures for pseudonymisation tests: a key store in a temporary home, a worker pool.

The pool is shared by the module's tests because starting ``spawn`` workers costs
a few hundred milliseconds; its small ``task_rows`` makes even short arrays cross
several tasks, so the splitting and reassembly are exercised on every example.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import strategies as st

from accord.keys import KeyStore
from accord.pseudonymise.domain_keys import DomainKeyStore
from accord.pseudonymise.vectorised import HmacPool

# Any Unicode text that has a UTF-8 encoding (lone surrogates have none).
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120)
VALUES = st.lists(st.none() | TEXT, max_size=40)
KEYS = st.binary(max_size=100)


def reference(key: bytes, values: list[str | None]) -> list[str | None]:
    """Python's own HMAC: what every path must return."""
    return [None if v is None else hmac.new(key, v.encode(), "sha256").hexdigest() for v in values]


@pytest.fixture
def key_store(tmp_path: Path) -> KeyStore:
    return KeyStore.open(tmp_path / "home", create=True)


@pytest.fixture
def domains(key_store: KeyStore) -> DomainKeyStore:
    return DomainKeyStore(key_store)


@pytest.fixture(scope="module")
def pool() -> Iterator[HmacPool]:
    with HmacPool(2, task_rows=3, max_pending=4, parallel_from=0) as shared:
        yield shared
