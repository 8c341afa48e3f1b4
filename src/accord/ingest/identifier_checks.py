"""NINO, NHS number and postcode checks over whole Arrow arrays at once.

Each function returns a boolean array, null where the input is null, that agrees value
for value with the scalar reference validator in ``accord.core.identifiers`` (a
hypothesis test holds them to it). They apply the same three steps as the reference:
drop ASCII whitespace (and, for NINOs and NHS numbers, hyphens: the one identifier
normalisation of ``accord.core.identifiers``), upper-case ASCII letters, then
match the same pattern, so a million values cost a few kernel calls rather than a
million Python calls.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.core.identifiers import (
    NHS_WEIGHTS,
    NINO_DISALLOWED_PREFIXES,
    NINO_PATTERN,
    POSTCODE_COMPACT_PATTERN,
)

__all__ = [
    "SPACE_CLASS",
    "SPACE_OR_HYPHEN_CLASS",
    "nhs_number_valid",
    "nino_valid",
    "normalised_identifiers",
    "postcode_valid",
]

SPACE_CLASS = r"[ \t\n\r\f\v]"
"""``ASCII_SPACES`` as a regular-expression class understood alike by RE2 and PostgreSQL."""
SPACE_OR_HYPHEN_CLASS = r"[ \t\n\r\f\v-]"
"""``IDENTIFIER_SEPARATORS`` likewise: what a NINO or NHS number may carry and still match."""

_NINO_FULL = f"^(?:{NINO_PATTERN})$"
_POSTCODE_FULL = f"^(?:{POSTCODE_COMPACT_PATTERN})$"
_NHS_SHAPE = "^[0-9]{10}$"


def _as_string(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    if pa.types.is_string(values.type):
        return values
    return pc.cast(values, pa.string())


def _compact_upper(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    return pc.ascii_upper(pc.replace_substring_regex(_as_string(values), SPACE_CLASS, ""))


def normalised_identifiers(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``normalise_identifier`` over a whole array: separators dropped, ASCII upper case."""
    return pc.ascii_upper(pc.replace_substring_regex(_as_string(values), SPACE_OR_HYPHEN_CLASS, ""))


def nino_valid(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Allocated-format NINOs, as ``is_valid_nino`` decides."""
    compact = normalised_identifiers(values)
    shaped = pc.match_substring_regex(compact, _NINO_FULL)
    prefix = pc.utf8_slice_codeunits(compact, 0, 2)
    barred = pc.is_in(prefix, value_set=pa.array(sorted(NINO_DISALLOWED_PREFIXES)))
    return pc.and_(shaped, pc.invert(barred))


def postcode_valid(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Postcodes of a valid UK shape, as ``is_valid_postcode`` decides."""
    return pc.match_substring_regex(_compact_upper(values), _POSTCODE_FULL)


def nhs_number_valid(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Ten digits with a correct modulus 11 check digit, as ``is_valid_nhs_number`` decides."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    digits = pc.replace_substring_regex(_as_string(values), SPACE_OR_HYPHEN_CLASS, "")
    shaped = pc.match_substring_regex(digits, _NHS_SHAPE)
    shaped_np = shaped.fill_null(False).to_numpy(zero_copy_only=False)
    valid = np.zeros(len(values), dtype=bool)
    if shaped_np.any():
        tens = pc.filter(digits, shaped)
        matrix = _ten_digit_matrix(tens)
        total = matrix[:, :9] @ np.asarray(NHS_WEIGHTS, dtype=np.int64)
        check = (11 - total % 11) % 11
        valid[shaped_np] = (check != 10) & (check == matrix[:, 9])
    return pa.array(valid, mask=values.is_null().to_numpy(zero_copy_only=False))


def _ten_digit_matrix(tens: pa.Array) -> np.ndarray:
    """The digits of strings known to be exactly ten ASCII digits, as an n x 10 matrix.

    Every value is ten bytes, so the data buffer between the first and last offset is
    the values back to back; reading it directly avoids ten substring kernels.
    """
    all_offsets = np.frombuffer(tens.buffers()[1], dtype=np.int32)
    offsets = all_offsets[tens.offset : tens.offset + len(tens) + 1]
    data = np.frombuffer(tens.buffers()[2], dtype=np.uint8)
    start = int(offsets[0])
    block = data[start : start + 10 * len(tens)]
    return block.reshape(len(tens), 10).astype(np.int64) - ord("0")
