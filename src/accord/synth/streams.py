"""Counter-based randomness: every synthetic value is a pure function of (seed, stream, index).

Why not a sequential NumPy ``Generator``? Because the population is far larger than
memory (56.5 million people at scale 1) and every scenario looks at a different
subset of it. With a sequential generator, the attributes of person 40,000,000 would
depend on how many draws came before, so a dataset of 800,000 carers could only be
made by replaying the whole population. Hashing ``(stream key, index)`` instead gives
each person's attributes in O(1), in any order, in any chunk size, and identically in
every scenario: that is what makes one consistent population behind all of them, and
what makes output byte-identical for a seed however it is chunked.

The mixer is SplitMix64's finaliser, which passes BigCrush as a counter-based
generator; uniforms take its top 53 bits. All arithmetic is on ``uint64`` arrays,
where NumPy wraps silently (scalar NumPy integers would warn, so none are used).
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = [
    "BoolArray",
    "FloatArray",
    "IntArray",
    "Streams",
    "U64Array",
    "cumulative",
    "feistel_permute",
    "mix",
]

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
U64Array = npt.NDArray[np.uint64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_POW_53 = float(2**53)


def mix(index: npt.ArrayLike, key: int) -> U64Array:
    """64 well-mixed bits for each index under ``key`` (SplitMix64 finaliser)."""
    x = np.asarray(index).astype(np.uint64)
    x *= _GOLDEN
    x += np.uint64(key)
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


@lru_cache(maxsize=4096)
def _stream_key(seed: int, name: str) -> int:
    digest = hashlib.blake2b(f"{seed}\x1f{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class Streams:
    """Named, independent random streams under one seed.

    ``streams.uniform("person.sex", ids)`` is the same for the same seed, name and ids,
    whatever else was drawn before: names, not call order, keep streams apart.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def key(self, name: str) -> int:
        return _stream_key(self.seed, name)

    def bits(self, name: str, index: npt.ArrayLike) -> U64Array:
        return mix(index, self.key(name))

    def uniform(self, name: str, index: npt.ArrayLike) -> FloatArray:
        """Uniform floats in [0, 1)."""
        return (self.bits(name, index) >> _S11).astype(np.float64) / _TWO_POW_53

    def below(self, name: str, index: npt.ArrayLike, n: npt.ArrayLike) -> IntArray:
        """Uniform integers in [0, n); ``n`` may be an array (one bound per index)."""
        u = self.uniform(name, index)
        out = np.floor(u * np.asarray(n, dtype=np.float64)).astype(np.int64)
        # u < 1 so this only guards float rounding at the top of the range.
        return np.minimum(out, np.asarray(n, dtype=np.int64) - 1)

    def choice(self, name: str, index: npt.ArrayLike, cumulative: FloatArray) -> IntArray:
        """Indices drawn with the weights whose normalised running total is ``cumulative``."""
        u = self.uniform(name, index)
        return np.searchsorted(cumulative, u, side="right").astype(np.int64)

    def normal(self, name: str, index: npt.ArrayLike) -> FloatArray:
        """Standard normal deviates (Box-Muller over two sub-streams)."""
        u1 = self.uniform(f"{name}#1", index)
        u2 = self.uniform(f"{name}#2", index)
        radius = np.sqrt(-2.0 * np.log1p(-u1))
        return np.asarray(radius * np.cos(2.0 * math.pi * u2), dtype=np.float64)


def cumulative(weights: npt.ArrayLike) -> FloatArray:
    """Normalised running total of ``weights``, ending at exactly 1.0, for ``Streams.choice``."""
    w = np.asarray(weights, dtype=np.float64)
    cum = np.cumsum(w) / w.sum()
    cum[-1] = 1.0
    return np.asarray(cum, dtype=np.float64)


def feistel_permute(index: IntArray, domain: int, key: int, rounds: int = 4) -> IntArray:
    """A keyed bijection of [0, domain) onto itself, applied to ``index``.

    A balanced Feistel network permutes [0, 2**bits); cycle walking (re-encrypting
    values that land outside the domain) restricts it to [0, domain) while keeping it
    a bijection. This is how NINOs and NHS numbers are both random-looking and unique
    without a table of those already issued.
    """
    bits = max(2, math.ceil(math.log2(max(domain, 2))))
    bits += bits % 2
    half = bits // 2
    half_mask = np.uint64((1 << half) - 1)
    shift = np.uint64(half)
    round_keys = [_stream_key(key, f"feistel.{r}") for r in range(rounds)]

    def encrypt(values: U64Array) -> U64Array:
        left = values >> shift
        right = values & half_mask
        for rk in round_keys:
            left, right = right, left ^ (mix(right, rk) & half_mask)
        return (left << shift) | right

    out = encrypt(np.asarray(index).astype(np.uint64))
    outside = out >= np.uint64(domain)
    while outside.any():
        out[outside] = encrypt(out[outside])
        outside = out >= np.uint64(domain)
    return out.astype(np.int64)
