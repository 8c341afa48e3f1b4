"""Cell-key perturbation: consistent noise on counts, the alternative to suppression.

Each record gets a key in 0..255. For a dataset that identifies people (a NINO or
NHS number field), the key is the first byte of an HMAC-SHA256, under a key the data
owner holds (its perturbation domain), of the person's normalised identifier: the same
person has the same key in every version of the dataset, so republishing unchanged
counts reproduces exactly the same noise and averaging quarterly releases learns
nothing a single release did not show. A dataset without a person identifier falls
back to an HMAC of the whole row's canonical text (a row unchanged between versions
keeps its key). :func:`draw_record_keys` (CSPRNG keys, fresh per call) remains for
data that is never republished. A cell's key is the sum of its
records' keys mod 256, so it depends only on *who* is in the cell: the same cell
gets the same key, and so the same perturbation, in every table and every query,
which is what defeats averaging repeated queries. The perturbation is looked up in a
table (the "ptable", after Marley and Leaver's method used by ONS for the 2021 Census
and the ABS TableBuilder) whose rows, one per small count, give the share of the 256
keys that move a count by each d in [-D, D]: every row has mean exactly 0 (counts are
unbiased), variance as close to V as whole shares of 256 allow, never makes a count
negative, and leaves 0 at 0 (an empty cell stays empty, a populated one never empties
unless ``js`` asks for small counts to be pushed to 0 or js and above).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from accord.core.identifiers import normalise_identifier

__all__ = [
    "PTable",
    "RecordKeysRef",
    "cell_keys",
    "draw_record_keys",
    "normalise_person_identifier",
    "person_record_keys",
    "row_record_keys",
]

KEYS = 256
PERSON_CONTEXT = b"accord/cell-key/person\0"
"""Prefix of every keyed hash of an identifier, so a record key is never a pseudonym:
even were the perturbation domain's key used for linkage, the two HMACs would differ."""
ROW_CONTEXT = b"accord/cell-key/row\0"


def normalise_person_identifier(value: str) -> str:
    """The form an identifier is keyed from: the platform's one identifier normalisation
    (:func:`accord.core.identifiers.normalise_identifier`), so a NINO stored with a tab or
    a trailing ``\r`` has the same record key as the clean one, exactly as it has the same
    pseudonym and meets the same opt-out."""
    return normalise_identifier(value)


def _keyed_bytes(key: bytes, context: bytes, texts: Iterable[str]) -> npt.NDArray[np.uint8]:
    base = hmac.new(key, context, hashlib.sha256)
    out = bytearray()
    for text in texts:
        mac = base.copy()
        mac.update(text.encode("utf-8", "surrogatepass"))
        out.append(mac.digest()[0])
    return np.frombuffer(bytes(out), dtype=np.uint8).copy()


def person_record_keys(identifiers: Iterable[str | None], key: bytes) -> npt.NDArray[np.uint8]:
    """One key per record: the first byte of HMAC-SHA256(key, context || identifier).

    The identifier is normalised first (:func:`normalise_person_identifier`), so the key
    depends on the person, not on how a version happened to write them. A record with
    no identifier gets the key of the empty identifier; callers that can should pass
    the row's text instead (:func:`row_record_keys`).
    """
    if len(key) < 32:
        raise ValueError("a perturbation key must be at least 32 bytes")
    return _keyed_bytes(
        key, PERSON_CONTEXT, (normalise_person_identifier(i or "") for i in identifiers)
    )


def row_record_keys(rows: Iterable[Iterable[object]], key: bytes) -> npt.NDArray[np.uint8]:
    """One key per record from the row's canonical text, for data with no person field.

    The same row in another version gets the same key; a changed row gets a new one.
    Two identical rows share a key (their cell's key is then 2k mod 256), which is
    still a function of the data only, not of the release.
    """
    if len(key) < 32:
        raise ValueError("a perturbation key must be at least 32 bytes")
    texts = ("\x1f".join("\x00" if v is None else str(v) for v in row) for row in rows)
    return _keyed_bytes(key, ROW_CONTEXT, texts)


def draw_record_keys(rows: int) -> npt.NDArray[np.uint8]:
    """One key per record from the CSPRNG (``secrets``), never from a seeded generator.

    Fresh on every call: use it only for data that is published once. Keys drawn per
    release let an attacker average the noise away (see ``benchmarks/attacks/averaging.py``).
    """
    return np.frombuffer(secrets.token_bytes(rows), dtype=np.uint8).copy()


def cell_keys(
    record_keys: npt.ArrayLike, cell_of_record: npt.ArrayLike, cells: int
) -> npt.NDArray[np.int64]:
    """Sum of the record keys in each cell, mod 256 (exact: sums stay below 2**53)."""
    sums = np.bincount(
        np.asarray(cell_of_record),
        weights=np.asarray(record_keys, dtype=np.float64),
        minlength=cells,
    )
    return (sums.astype(np.int64)) % KEYS


def _target(moves: npt.NDArray[np.float64], v: float) -> npt.NDArray[np.float64]:
    """A discretised normal on the allowed moves, tilted to mean 0 and variance V."""
    from scipy.optimize import least_squares

    def shape(params: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        tilt, spread = params
        logits = -(moves**2) * np.exp(spread) + tilt * moves
        p = np.exp(logits - logits.max())
        return np.asarray(p / p.sum())

    def error(params: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        p = shape(params)
        return np.asarray([p @ moves, p @ moves**2 - v])

    return shape(least_squares(error, np.asarray([0.0, np.log(0.5 / v)])).x)


def _row(count: int, d: int, v: float, js: int) -> npt.NDArray[np.int64]:
    """Whole numbers of keys per move for one count: mean exactly 0, variance near V.

    A small MILP (HiGHS) rounds a smooth target distribution to shares of 256 keys,
    keeping the sum at 256 and the mean at exactly 0, and the variance as close to V
    as whole keys allow.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    if count == 0:
        shares = np.zeros(2 * d + 1, dtype=np.int64)
        shares[d] = KEYS
        return shares
    moves = np.asarray(
        [m for m in range(-d, d + 1) if count + m >= 0 and not (0 < count + m < js)],
        dtype=np.float64,
    )
    k = len(moves)
    want = KEYS * _target(moves, v)
    # variables: n (k integers), e (k: |n - want|), slack above and below V
    zeros, ones, eye = np.zeros(k), np.ones(k), np.eye(k)
    c = np.concatenate([zeros, ones, [50.0, 50.0]])
    a = np.vstack(
        [
            np.concatenate([ones, zeros, [0.0, 0.0]]),
            np.concatenate([moves, zeros, [0.0, 0.0]]),
            np.concatenate([moves**2, zeros, [-1.0, 1.0]]),
        ]
    )
    above = np.hstack([eye, -eye, np.zeros((k, 2))])  # n - e <= want
    below = np.hstack([-eye, -eye, np.zeros((k, 2))])  # -n - e <= -want
    result = milp(
        c,
        constraints=[
            LinearConstraint(a, [KEYS, 0.0, KEYS * v], [KEYS, 0.0, KEYS * v]),
            LinearConstraint(np.vstack([above, below]), -np.inf, np.concatenate([want, -want])),
        ],
        integrality=np.concatenate([ones, zeros, [0, 0]]),
        bounds=Bounds(
            np.zeros(2 * k + 2), np.concatenate([np.full(k, KEYS), np.full(k + 2, np.inf)])
        ),
    )
    if not result.success:
        raise ValueError(f"no perturbation row for count {count} with D={d}, V={v}, js={js}")
    shares = np.zeros(2 * d + 1, dtype=np.int64)
    for move, n in zip(
        moves.astype(np.int64), np.round(result.x[:k]).astype(np.int64), strict=True
    ):
        shares[move + d] = n
    return shares


@dataclass(frozen=True, slots=True)
class PTable:
    """The perturbation for each (count, cell key); counts above the last row use it."""

    d: int
    v: float
    js: int
    perturbation: npt.NDArray[np.int64]
    """Shape (rows, 256): the change to a count of ``min(count, rows - 1)`` per key."""

    @classmethod
    def build(cls, d: int = 3, v: float = 1.0, js: int = 0) -> PTable:
        if d < 1 or v <= 0 or js < 0:
            raise ValueError("a ptable needs D >= 1, V > 0 and js >= 0")
        table = []
        for count in range(d + js + 1):
            shares = _row(count, d, v, js)
            table.append(np.repeat(np.arange(-d, d + 1), shares))
        return cls(d, v, js, np.vstack(table))

    def shares(self, count: int) -> dict[int, float]:
        """The distribution of the perturbation of ``count``: move -> probability."""
        row = self.perturbation[min(count, len(self.perturbation) - 1)]
        moves, n = np.unique(row, return_counts=True)
        return {int(m): float(c) / KEYS for m, c in zip(moves, n, strict=True)}

    def apply(self, counts: npt.ArrayLike, keys: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Perturbed counts: the same (count, key) always gives the same answer."""
        count = np.asarray(counts, dtype=np.int64)
        row = np.minimum(count, len(self.perturbation) - 1)
        return count + self.perturbation[row, np.asarray(keys, dtype=np.int64) % KEYS]


@dataclass(frozen=True, slots=True)
class RecordKeysRef:
    """Where a dataset version's record keys are kept, and their digest.

    The keys are derived, not drawn (see the module docstring); the file is a cache
    so that tables of a large version do not rehash every identifier, and its digest
    is checked on every use.
    """

    dataset_id: str
    version: int
    rows: int
    path: str
    sha256: str
    created_at: Any
