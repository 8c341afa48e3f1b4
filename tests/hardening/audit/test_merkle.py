"""The Merkle tree against RFC 9162's definitions, its published test vectors, and
Hypothesis: every consistency and inclusion proof verifies; a changed leaf or a
truncated tree does not."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# The leaves and roots of the Certificate Transparency test vectors (RFC 6962's
# reference implementation, unchanged in RFC 9162): root of the first n leaves.
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_the_ct_test_vectors() -> None:
    for n, expected in enumerate(CT_ROOTS, start=1):
        assert root_of(CT_LEAVES[:n]).hex() == expected
        assert Frontier().extend(CT_LEAVES[:n]).root().hex() == expected
    assert root_of([]) == EMPTY_ROOT == _sha(b"")


def test_hand_computed_trees_of_three_and_five_leaves() -> None:
    a, b, c, d, e = (bytes([i]) * 32 for i in range(5))
    la, lb, lc, ld, le = (_sha(b"\x00" + x) for x in (a, b, c, d, e))
    ab = _sha(b"\x01" + la + lb)
    three = _sha(b"\x01" + ab + lc)
    assert root_of([a, b, c]) == three
    abcd = _sha(b"\x01" + ab + _sha(b"\x01" + lc + ld))
    assert root_of([a, b, c, d, e]) == _sha(b"\x01" + abcd + le)
    # PROOF(3, D[5]) by RFC 9162 §2.1.4.1: [lc, ld, ab, le]
    assert consistency_proof([a, b, c, d, e], 3) == [lc, ld, ab, le]
    assert verify_consistency(3, 5, three, root_of([a, b, c, d, e]), [lc, ld, ab, le])
    # PATH(2, D[5]): [ld, ab, le]
    assert inclusion_proof([a, b, c, d, e], 2) == [ld, ab, le]


def test_the_frontier_round_trips_through_its_stored_form() -> None:
    frontier = Frontier().extend(CT_LEAVES[:7])
    assert len(frontier.roots) == 3
    again = Frontier.decode(7, frontier.encode())
    assert again == frontier
    assert again.extend(CT_LEAVES[7:]).root().hex() == CT_ROOTS[7]


leaves_st = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=70)


@settings(max_examples=150, deadline=None)
@given(leaves=leaves_st, data=st.data())
def test_every_consistency_proof_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    m = data.draw(st.integers(0, n))
    old, new = root_of(leaves[:m]), root_of(leaves)
    assert Frontier().extend(leaves).root() == new
    assert Frontier().extend(leaves[:m]).extend(leaves[m:]).root() == new
    proof = consistency_proof(leaves, m)
    assert verify_consistency(m, n, old, new, proof)
    if 0 < m < n:
        # history rewritten: a leaf the old tree saw has changed
        i = data.draw(st.integers(0, m - 1))
        forged = [*leaves]
        forged[i] = bytes(32) if forged[i] != bytes(32) else b"\x01" * 32
        assert not verify_consistency(m, n, old, root_of(forged), consistency_proof(forged, m))
        # a truncated tree does not extend the longer one
        assert not verify_consistency(n, m, new, old, proof)
        assert not verify_consistency(m, n, old, root_of(leaves[:-1]), proof)
        # a tampered proof fails
        bad = [*proof]
        j = data.draw(st.integers(0, len(bad) - 1))
        bad[j] = node_hash(bad[j], bad[j])
        assert not verify_consistency(m, n, old, new, bad)


@settings(max_examples=150, deadline=None)
@given(leaves=leaves_st, data=st.data())
def test_every_inclusion_proof_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    i = data.draw(st.integers(0, n - 1))
    root = root_of(leaves)
    proof = inclusion_proof(leaves, i)
    assert verify_inclusion(leaves[i], i, n, proof, root)
    assert not verify_inclusion(leaves[i] + b"x", i, n, proof, root)
    assert not verify_inclusion(leaves[i], i, n, proof, root_of([*leaves, leaves[0]]))
    assert not verify_inclusion(leaves[i], n, n, proof, root)


def test_equal_and_empty_sizes() -> None:
    root = root_of(CT_LEAVES)
    assert verify_consistency(8, 8, root, root, [])
    assert not verify_consistency(8, 8, root, leaf_hash(b""), [])
    assert verify_consistency(0, 8, EMPTY_ROOT, root, [])
    assert not verify_consistency(5, 8, root_of(CT_LEAVES[:5]), root, [])
