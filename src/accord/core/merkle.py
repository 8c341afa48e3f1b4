"""A Merkle tree over the audit log's event hashes, as RFC 9162 §2.1 defines it.

The hash chain proves that the log is internally consistent, and a signed
checkpoint of its head that it once ended there. Neither lets a third party check,
cheaply, that a later head *extends* an earlier one: with a chain that takes every
event between the two. A Merkle tree does it in O(log n) hashes (a consistency
proof), which is what lets a witness that remembers only one (size, root) pair
refuse a log that was rolled back or forked, as Certificate Transparency's and
Sigsum's witnesses do.

The leaves are the events' hashes (the 32 raw bytes of each SHA-256), in ``seq``
order, so the tree of the first ``n`` events is fixed once they are written.

* leaf hash ``SHA-256(0x00 || leaf)``, node hash ``SHA-256(0x01 || left || right)``;
* the tree of ``n > 1`` leaves splits at ``k``, the largest power of two below ``n``.

Appending stays cheap through the *frontier*: the roots of the perfect subtrees the
tree's leaves fall into, one per set bit of the size, largest first. An append
changes O(log n) of them (amortised O(1)), and the root folds from them, so the
store keeps the frontier beside the chain's head and a checkpoint gets its root
without reading the log. Proofs are the tree hashes of O(log n) ranges of leaves
(:func:`consistency_ranges`, :func:`inclusion_ranges`): computing them reads the
leaves of those ranges once, O(n) hashes for a proof over the whole log.

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "EMPTY_ROOT",
    "Frontier",
    "consistency_proof",
    "consistency_ranges",
    "inclusion_proof",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "root_of",
    "verify_consistency",
    "verify_inclusion",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}): the hash of the empty string."""


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n > 1``)."""
    return 1 << ((n - 1).bit_length() - 1)


@dataclass(frozen=True, slots=True)
class Frontier:
    """The roots of the perfect subtrees of a tree of ``size`` leaves, largest first."""

    size: int = 0
    roots: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if len(self.roots) != self.size.bit_count():
            raise ValueError(
                f"a tree of {self.size} leaves has {self.size.bit_count()} frontier roots, "
                f"not {len(self.roots)}"
            )

    def extend(self, leaves: Iterable[bytes]) -> Frontier:
        """The frontier after appending ``leaves`` (raw leaf data, not yet hashed)."""
        roots = list(self.roots)
        size = self.size
        for leaf in leaves:
            new = leaf_hash(leaf)
            bits = size
            while bits & 1:
                new = node_hash(roots.pop(), new)
                bits >>= 1
            roots.append(new)
            size += 1
        return Frontier(size, tuple(roots))

    def root(self) -> bytes:
        """MTH of the tree: the frontier folded from the smallest subtree up."""
        if not self.roots:
            return EMPTY_ROOT
        root = self.roots[-1]
        for left in reversed(self.roots[:-1]):
            root = node_hash(left, root)
        return root

    def encode(self) -> str:
        """As stored: the roots' hex, concatenated."""
        return "".join(r.hex() for r in self.roots)

    @classmethod
    def decode(cls, size: int, text: str) -> Frontier:
        raw = bytes.fromhex(text)
        return cls(size, tuple(raw[i : i + 32] for i in range(0, len(raw), 32)))


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of raw ``leaves``, by the recursive definition (RFC 9162 §2.1.1)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hash(leaves[0])
    k = _split(n)
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges ``[start, end)`` whose tree hashes make PATH(index, D[size]),
    in proof order (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    out: list[tuple[int, int]] = []
    low, high = 0, size
    while high - low > 1:
        k = _split(high - low)
        if index - low < k:
            out.append((low + k, high))
            high = low + k
        else:
            out.append((low, low + k))
            low += k
    out.reverse()
    return out


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """The leaf ranges whose tree hashes make PROOF(old, D[new]) (RFC 9162 §2.1.4.1).

    Empty when ``old`` is 0 or equals ``new``: there is nothing to prove.
    """
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from {old} leaves to {new}")
    if old in (0, new):
        return []
    out: list[tuple[int, int]] = []
    low, high, whole = 0, new, True
    while True:
        m = old - low
        n = high - low
        if m == n:
            if not whole:
                out.append((low, high))
            break
        k = _split(n)
        if m <= k:
            out.append((low + k, high))
            high = low + k
        else:
            out.append((low, low + k))
            low += k
            whole = False
    out.reverse()
    return out


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    return [root_of(leaves[a:b]) for a, b in inclusion_ranges(index, len(leaves))]


def consistency_proof(leaves: Sequence[bytes], old: int) -> list[bytes]:
    return [root_of(leaves[a:b]) for a, b in consistency_ranges(old, len(leaves))]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` put raw ``leaf`` at ``index`` in the tree ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf_hash(leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: does ``proof`` show that tree ``new_root`` extends ``old_root``?

    The degenerate cases the RFC leaves out: equal sizes need equal roots and an empty
    proof; an empty old tree is extended by any tree (with an empty proof).
    """
    if not 0 <= old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof and old_root == EMPTY_ROOT
    path = list(proof)
    if not path:
        return False
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
