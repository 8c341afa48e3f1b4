"""A governed view's Arrow schema as the Spark struct JSON Delta Sharing's metadata carries.

Clients build their readers and empty results from ``schemaString``, so each Arrow type
must map to the Spark type its values read back as. Timestamps map to ``timestamp``
(every client reads it; ``timestamp_ntz`` is a reader feature not all have).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.types as pat

from accord.errors import ValidationError

__all__ = ["spark_schema", "spark_type"]

_SIMPLE: tuple[tuple[Any, str], ...] = (
    (pat.is_boolean, "boolean"),
    (pat.is_int8, "byte"),
    (pat.is_int16, "short"),
    (pat.is_int32, "integer"),
    (pat.is_int64, "long"),
    (pat.is_uint8, "short"),
    (pat.is_uint16, "integer"),
    (pat.is_uint32, "long"),
    (pat.is_float16, "float"),
    (pat.is_float32, "float"),
    (pat.is_float64, "double"),
    (pat.is_string, "string"),
    (pat.is_large_string, "string"),
    (pat.is_binary, "binary"),
    (pat.is_large_binary, "binary"),
    (pat.is_date, "date"),
    (pat.is_timestamp, "timestamp"),
    (pat.is_null, "string"),
)


def spark_type(arrow: pa.DataType, column: str) -> Any:
    for test, name in _SIMPLE:
        if test(arrow):
            return name
    if pat.is_decimal(arrow):
        return f"decimal({arrow.precision},{arrow.scale})"
    if pat.is_list(arrow) or pat.is_large_list(arrow):
        return {
            "type": "array",
            "elementType": spark_type(arrow.value_type, column),
            "containsNull": True,
        }
    if pat.is_struct(arrow):
        return {
            "type": "struct",
            "fields": [_field(arrow.field(i), {}) for i in range(arrow.num_fields)],
        }
    if pat.is_dictionary(arrow):
        return spark_type(arrow.value_type, column)
    raise ValidationError(
        f"column {column!r} has Arrow type {arrow}, which Delta Sharing cannot describe"
    )


def _field(field: pa.Field, descriptions: Mapping[str, str]) -> dict[str, Any]:
    comment = descriptions.get(field.name, "")
    return {
        "name": field.name,
        "type": spark_type(field.type, field.name),
        "nullable": bool(field.nullable),
        "metadata": {"comment": comment} if comment else {},
    }


def spark_schema(schema: pa.Schema, descriptions: Mapping[str, str] | None = None) -> str:
    """``schemaString``: a Spark ``struct`` of the columns, with field descriptions as comments."""
    fields = [_field(field, descriptions or {}) for field in schema]
    return json.dumps({"type": "struct", "fields": fields}, separators=(",", ":"))
