"""Synthetic rows in exactly a governed view's schema, for a test exchange.

A test package proves the route (keys, encryption, loading, the recipient's systems)
without moving a real person. Its rows are made from the Arrow schema of the governed
view, column by column: a column released as it is gets values that look like its
semantic type (NINOs and NHS numbers from the synthetic generators' safe ranges, names,
dates of birth, postcodes, addresses); a transformed column gets values of its type
(hex for pseudonyms, codes for generalised values). Nothing is read from the dataset.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa

from accord.core.vocabulary import SemanticType
from accord.errors import ValidationError
from accord.synth.identifiers import nhs_numbers, ninos
from accord.synth.names import name_vocabulary
from accord.synth.streams import Streams

__all__ = ["synthetic_table"]

_AREAS = ("B", "BS", "CF", "EH", "G", "L", "LS", "M", "NE", "NG", "S", "SW", "E", "N")
_STREETS = (
    "High Street",
    "Station Road",
    "Church Lane",
    "Mill Road",
    "Park Avenue",
    "Victoria Street",
)
_INWARD = "ABDEFGHJLNPQRSTUWXYZ"

Maker = Callable[[Streams, str, np.ndarray], list[object] | pa.Array]


def _pick(
    streams: Streams, name: str, index: np.ndarray, options: tuple[str, ...] | pa.Array
) -> list[object]:
    chosen = streams.below(name, index, len(options))
    if isinstance(options, pa.Array):
        return list(options.take(pa.array(chosen)).to_pylist())
    return [options[i] for i in chosen]


def _names(streams: Streams, name: str, index: np.ndarray) -> list[object]:
    return _pick(streams, name, index, name_vocabulary().forenames)


def _surnames(streams: Streams, name: str, index: np.ndarray) -> list[object]:
    return _pick(streams, name, index, name_vocabulary().surnames)


def _postcodes(streams: Streams, name: str, index: np.ndarray) -> list[object]:
    area = _pick(streams, f"{name}.area", index, _AREAS)
    district = streams.below(f"{name}.district", index, 20) + 1
    sector = streams.below(f"{name}.sector", index, 10)
    unit = [
        _INWARD[a] + _INWARD[b]
        for a, b in zip(
            streams.below(f"{name}.u1", index, len(_INWARD)),
            streams.below(f"{name}.u2", index, len(_INWARD)),
            strict=True,
        )
    ]
    return [f"{a}{d} {s}{u}" for a, d, s, u in zip(area, district, sector, unit, strict=True)]


def _addresses(streams: Streams, name: str, index: np.ndarray) -> list[object]:
    number = streams.below(f"{name}.number", index, 200) + 1
    street = _pick(streams, f"{name}.street", index, _STREETS)
    return [f"{n} {s}" for n, s in zip(number, street, strict=True)]


def _births(streams: Streams, name: str, index: np.ndarray) -> list[object]:
    days = streams.below(name, index, 365 * 75)
    return [date(1930, 1, 1) + timedelta(days=int(d)) for d in days]


_BY_MEANING: dict[SemanticType, Maker] = {
    SemanticType.NINO: lambda s, _n, i: ninos(s, i),
    SemanticType.NHS_NUMBER: lambda s, _n, i: nhs_numbers(s, i),
    SemanticType.GIVEN_NAME: _names,
    SemanticType.FAMILY_NAME: _surnames,
    SemanticType.POSTCODE: _postcodes,
    SemanticType.ADDRESS: _addresses,
    SemanticType.DATE_OF_BIRTH: _births,
    SemanticType.SEX: lambda s, n, i: _pick(s, n, i, ("F", "M")),
}


def _by_type(kind: pa.DataType, streams: Streams, name: str, index: np.ndarray) -> list[object]:
    if pa.types.is_boolean(kind):
        return [bool(b) for b in streams.below(name, index, 2)]
    if pa.types.is_integer(kind):
        return [int(v) for v in streams.below(name, index, 100)]
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return [round(float(v) * 500, 2) for v in streams.uniform(name, index)]
    if pa.types.is_date(kind):
        return _births(streams, name, index)
    if pa.types.is_timestamp(kind):
        seconds = streams.below(name, index, 86_400 * 365)
        return [datetime(2024, 1, 1) + timedelta(seconds=int(s)) for s in seconds]
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        bits = streams.bits(name, index)
        return [hashlib.sha256(int(b).to_bytes(8, "little")).hexdigest() for b in bits]
    raise ValidationError(f"cannot make synthetic values for column {name!r} of type {kind}")


def synthetic_table(
    schema: pa.Schema,
    rows: int,
    *,
    seed: int,
    meanings: Mapping[str, SemanticType],
) -> pa.Table:
    """``rows`` synthetic rows with exactly ``schema``.

    ``meanings`` maps the columns released unchanged to their semantic type; other
    columns get values of their Arrow type (strings as 64 hex digits, like pseudonyms).
    """
    streams = Streams(seed)
    index = np.arange(rows, dtype=np.int64)
    columns = []
    for field in schema:
        maker = _BY_MEANING.get(meanings.get(field.name, SemanticType.OTHER))
        values = (
            maker(streams, field.name, index)
            if maker is not None
            else _by_type(field.type, streams, field.name, index)
        )
        array = values if isinstance(values, pa.Array) else pa.array(values)
        try:
            columns.append(array.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            columns.append(pa.array(_by_type(field.type, streams, field.name, index), field.type))
    return pa.Table.from_arrays(columns, schema=schema)
