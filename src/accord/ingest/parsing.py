"""Text to typed Arrow arrays, and the inference that picks the type.

Inference follows DuckDB's sniffer: the narrowest of BOOLEAN, BIGINT, DOUBLE, DATE,
TIMESTAMP that every value of a leading sample fits, else VARCHAR. Two rules are
stricter than DuckDB's, because Accord's data is full of identifiers whose text matters:

- a number is only a number if its text survives the round trip, so ``007`` (a code
  or a phone number with its leading zero) stays text, and so does a 19-digit
  reference that BIGINT cannot hold and DOUBLE would round;
- a date must be a real calendar date: Arrow's ``strptime`` turns 2023-02-30 into
  2 March, which would silently change a date of birth.

Everything is vectorised: regular expressions and casts in Arrow, calendar arithmetic
in numpy, so checking a million values costs a handful of kernel calls.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.core.vocabulary import DataType

__all__ = [
    "ARROW_TYPES",
    "INFERENCE_ORDER",
    "TYPE_HINTS",
    "infer_data_type",
    "null_empty",
    "parse",
]

ARROW_TYPES: dict[DataType, pa.DataType] = {
    DataType.BOOLEAN: pa.bool_(),
    DataType.BIGINT: pa.int64(),
    DataType.DOUBLE: pa.float64(),
    DataType.DATE: pa.date32(),
    DataType.TIMESTAMP: pa.timestamp("us"),
    DataType.VARCHAR: pa.string(),
}

INFERENCE_ORDER = (
    DataType.BOOLEAN,
    DataType.BIGINT,
    DataType.DOUBLE,
    DataType.DATE,
    DataType.TIMESTAMP,
)

TYPE_HINTS: dict[DataType, str] = {
    DataType.BOOLEAN: "true or false",
    DataType.BIGINT: "a whole number without leading zeros",
    DataType.DOUBLE: "a number",
    DataType.DATE: "a date as yyyy-mm-dd or dd/mm/yyyy",
    DataType.TIMESTAMP: "a date and time as yyyy-mm-dd hh:mm[:ss[.ffffff]]",
    DataType.VARCHAR: "text",
}

_BIGINT = r"^-?(?:0|[1-9][0-9]{0,17})$"
_DOUBLE = r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$"
_TOO_LONG_INTEGER = r"^-?[0-9]{19,}$"
_ISO_DATE = r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})$"
_UK_DATE = r"^(?P<d>[0-9]{2})/(?P<m>[0-9]{2})/(?P<y>[0-9]{4})$"
_TIMESTAMP = (
    r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})[T ]"
    r"(?P<H>[0-9]{2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:\.(?P<f>[0-9]{1,6}))?)?Z?$"
)

Parsed = tuple[pa.Array, np.ndarray]
"""The typed array (null where the text was null or did not parse) and the mask of
values that were present but did not parse."""


def null_empty(raw: pa.Array) -> pa.Array:
    """Empty strings become null: in CSV an empty field is a missing value."""
    return pc.if_else(pc.equal(raw, ""), pa.scalar(None, pa.string()), raw)


def parse(raw: pa.Array, data_type: DataType) -> Parsed:
    """Parse text (nulls for missing values) as ``data_type``."""
    if data_type is DataType.VARCHAR:
        return raw, np.zeros(len(raw), dtype=bool)
    text = pc.ascii_trim_whitespace(raw)
    present = _mask(pc.is_valid(text))
    return _PARSERS[data_type](text, present)


def infer_data_type(sample: pa.Array) -> DataType:
    """The narrowest type every non-null value of ``sample`` parses as; VARCHAR if none."""
    sample = pc.drop_null(sample)
    if len(sample) == 0:
        return DataType.VARCHAR
    for data_type in INFERENCE_ORDER:
        _, bad = parse(sample, data_type)
        if not bad.any():
            return data_type
    return DataType.VARCHAR


def _mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as numpy, null counted as False."""
    return np.asarray(values.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _typed(values: np.ndarray, ok: np.ndarray, arrow_type: pa.DataType) -> pa.Array:
    return pa.array(values, type=arrow_type, mask=~ok)


def _parse_boolean(text: pa.Array, present: np.ndarray) -> Parsed:
    lower = pc.ascii_lower(text)
    true = _mask(pc.equal(lower, "true"))
    false = _mask(pc.equal(lower, "false"))
    ok = true | false
    return _typed(true, ok, pa.bool_()), present & ~ok


def _parse_bigint(text: pa.Array, present: np.ndarray) -> Parsed:
    ok = _mask(pc.match_substring_regex(text, _BIGINT))
    values = np.zeros(len(text), dtype=np.int64)
    if ok.any():
        values[ok] = pc.cast(pc.filter(text, pa.array(ok)), pa.int64()).to_numpy()
    return _typed(values, ok, pa.int64()), present & ~ok


def _parse_double(text: pa.Array, present: np.ndarray) -> Parsed:
    ok = _mask(pc.match_substring_regex(text, _DOUBLE))
    ok &= ~_mask(pc.match_substring_regex(text, _TOO_LONG_INTEGER))
    values = np.zeros(len(text), dtype=np.float64)
    if ok.any():
        values[ok] = pc.cast(pc.filter(text, pa.array(ok)), pa.float64()).to_numpy()
        ok &= np.isfinite(values)
    return _typed(values, ok, pa.float64()), present & ~ok


def _extract(text: pa.Array, pattern: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Rows matching ``pattern`` and, for those rows, each named group as integers.

    A group that took no part in the match (an optional seconds field) reads as 0;
    ``f`` (fractional seconds) is returned in microseconds.
    """
    matched = _mask(pc.match_substring_regex(text, pattern))
    groups: dict[str, np.ndarray] = {}
    if not matched.any():
        return matched, groups
    struct = pc.extract_regex(pc.filter(text, pa.array(matched)), pattern)
    for index in range(struct.type.num_fields):
        name = struct.type.field(index).name
        part = pc.struct_field(struct, [index])
        digits = pc.if_else(pc.equal(part, ""), "0", part)
        number = pc.cast(digits, pa.int64()).to_numpy()
        if name == "f":
            width = pc.utf8_length(part).to_numpy()
            number = number * np.power(10, 6 - np.maximum(width, 1)) * (width > 0)
        groups[name] = number
    return matched, groups


def _days(groups: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 and whether y-m-d is a real calendar date (years 1-9999)."""
    year, month, day = groups["y"], groups["m"], groups["d"]
    months = (year - 1970) * 12 + (month - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    following = (months + 1).astype("datetime64[M]").astype("datetime64[D]")
    length = (following - first).astype(np.int64)
    ok = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= length)
    return first.astype(np.int64) + day - 1, ok


def _parse_date(text: pa.Array, present: np.ndarray) -> Parsed:
    values = np.zeros(len(text), dtype=np.int64)
    ok = np.zeros(len(text), dtype=bool)
    for pattern in (_ISO_DATE, _UK_DATE):
        matched, groups = _extract(text, pattern)
        if matched.any():
            days, real = _days(groups)
            values[matched] = days
            ok[matched] = real
    return _typed(values.astype(np.int32), ok, pa.date32()), present & ~ok


def _parse_timestamp(text: pa.Array, present: np.ndarray) -> Parsed:
    values = np.zeros(len(text), dtype=np.int64)
    ok = np.zeros(len(text), dtype=bool)
    matched, groups = _extract(text, _TIMESTAMP)
    if matched.any():
        days, real = _days(groups)
        hour, minute, second = groups["H"], groups["M"], groups["S"]
        real &= (hour <= 23) & (minute <= 59) & (second <= 59)
        seconds = days * 86_400 + hour * 3_600 + minute * 60 + second
        values[matched] = seconds * 1_000_000 + groups["f"]
        ok[matched] = real
    return _typed(values, ok, pa.timestamp("us")), present & ~ok


_PARSERS: dict[DataType, Callable[[pa.Array, np.ndarray], Parsed]] = {
    DataType.BOOLEAN: _parse_boolean,
    DataType.BIGINT: _parse_bigint,
    DataType.DOUBLE: _parse_double,
    DataType.DATE: _parse_date,
    DataType.TIMESTAMP: _parse_timestamp,
}
