"""Vectorised generation of NINOs, NHS numbers and contact details, unique by construction.

Uniqueness comes from bijections, not from checking: person ``i`` maps through a keyed
Feistel permutation (:func:`accord.synth.streams.feistel_permute`) to a slot in the
space of valid identifiers, and the slot is decoded to the identifier. Ten million
identifiers cost a few vectorised passes and no set of those already issued.

NHS numbers all begin with 9. Numbers in use in England begin 4 or 6-7 (Scotland's CHI
0-3; 999 is NHS Digital's test range), so no synthetic NHS number can be a real
patient's. NINO prefixes follow HMRC's allocation rules as encoded in
:mod:`accord.core.identifiers`; with 373 allowed prefixes a real NINO may coincide with
a synthetic one, which is harmless as nothing else about the person is real.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.core.identifiers import NHS_WEIGHTS, NINO_DISALLOWED_PREFIXES
from accord.synth.streams import IntArray, Streams, feistel_permute

__all__ = [
    "NHS_CAPACITY",
    "NINO_CAPACITY",
    "NINO_PREFIXES",
    "landline_numbers",
    "mobile_numbers",
    "nhs_numbers",
    "ninos",
]

_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
NINO_PREFIXES: tuple[str, ...] = tuple(
    a + b for a in _NINO_FIRST for b in _NINO_SECOND if a + b not in NINO_DISALLOWED_PREFIXES
)
NINO_CAPACITY = len(NINO_PREFIXES) * 1_000_000
_NHS_PREFIXES = 10_000_000
"""Eight-digit prefixes 90000000-99999999."""
NHS_CAPACITY = _NHS_PREFIXES * 9
"""Each prefix has at least nine ninth digits with a valid check digit."""


def ninos(streams: Streams, person: IntArray) -> pa.Array:
    """The NINO of each person: two-letter prefix, six digits, suffix A-D."""
    slot = feistel_permute(person, NINO_CAPACITY, streams.key("id.nino"))
    prefix = pa.array(NINO_PREFIXES).take(pa.array(slot // 1_000_000))
    digits = pc.utf8_lpad(pc.cast(pa.array(slot % 1_000_000), pa.string()), 6, padding="0")
    suffix = pa.array(list("ABCD")).take(pa.array(streams.below("id.nino.suffix", person, 4)))
    return pc.binary_join_element_wise(prefix, digits, suffix, "")


def nhs_numbers(streams: Streams, person: IntArray) -> pa.Array:
    """The NHS number of each person: ten digits, the last a modulus 11 check digit."""
    slot = feistel_permute(person, NHS_CAPACITY, streams.key("id.nhs"))
    prefix = 90_000_000 + slot // 9
    choice = slot % 9
    partial = np.zeros(len(prefix), dtype=np.int64)
    rest = prefix.copy()
    for weight in reversed(NHS_WEIGHTS[:8]):
        partial += (rest % 10) * weight
        rest //= 10
    # The ninth digit (weight 2) whose total leaves remainder 1 would need check digit 10.
    bad = ((1 - partial) * 6) % 11
    ninth = choice + (choice >= bad)
    total = partial + 2 * ninth
    check = (11 - total % 11) % 11
    number = (prefix * 10 + ninth) * 10 + check
    return pc.cast(pa.array(number), pa.string())


def mobile_numbers(streams: Streams, person: IntArray) -> pa.Array:
    """UK mobile numbers, 07400 000000-07999 999999 (random: never dial them)."""
    n = 7_400_000_000 + streams.below("id.mobile", person, 600_000_000)
    return pc.binary_join_element_wise("0", pc.cast(pa.array(n), pa.string()), "")


def landline_numbers(streams: Streams, household: IntArray, la: IntArray) -> pa.Array:
    """Geographic numbers: an area code per local authority, six digits per household."""
    area = 1200 + (streams.below("id.landline.area", la, 790))
    local = 200_000 + streams.below("id.landline", household, 800_000)
    return pc.binary_join_element_wise(
        "0",
        pc.cast(pa.array(area), pa.string()),
        " ",
        pc.cast(pa.array(local), pa.string()),
        "",
    )
