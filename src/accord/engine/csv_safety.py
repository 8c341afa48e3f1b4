"""The formula-cell rule of :mod:`accord.core.csv_safety`, applied to Arrow data.

Vectorised: each text column is matched and prefixed by Arrow's compute kernels, a
dictionary column through its dictionary only, so an extract of millions of rows pays
a few passes over its text columns and no Python per cell. Column names are cells of
the header row and are neutralised too. Numeric, date and boolean columns are
returned untouched.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from accord.core.csv_safety import FORMULA_START, PLAIN_NUMBER, QUOTE, safe_cell

__all__ = ["safe_array", "safe_batch", "safe_table"]


def _is_text(data_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(data_type)
        or pa.types.is_large_string(data_type)
        or pa.types.is_string_view(data_type)
    )


def safe_array(array: pa.Array, *, keep_numbers: bool = False) -> pa.Array:
    """A text array with its formula cells quoted; any other array as it is."""
    if pa.types.is_dictionary(array.type):
        if not _is_text(array.type.value_type):
            return array
        dictionary = safe_array(array.dictionary, keep_numbers=keep_numbers)
        return pa.DictionaryArray.from_arrays(array.indices, dictionary)
    if not _is_text(array.type):
        return array
    risky = pc.match_substring_regex(array, FORMULA_START)
    if keep_numbers:
        risky = pc.and_(risky, pc.invert(pc.match_substring_regex(array, PLAIN_NUMBER)))
    if not pc.any(risky).as_py():
        return array
    quoted = pc.binary_join_element_wise(pa.scalar(QUOTE, array.type), array, "")
    return pc.if_else(risky, quoted, array)


def _names(names: list[str]) -> list[str]:
    return [str(safe_cell(name)) for name in names]


def safe_batch(batch: pa.RecordBatch, *, keep_numbers: bool = False) -> pa.RecordBatch:
    """The batch as a CSV writer should write it (names and text columns neutralised)."""
    columns = [safe_array(column, keep_numbers=keep_numbers) for column in batch.columns]
    return pa.RecordBatch.from_arrays(columns, names=_names(batch.schema.names))


def safe_table(table: pa.Table, *, keep_numbers: bool = False) -> pa.Table:
    """The table as a CSV writer should write it, batch by batch."""
    batches = [safe_batch(b, keep_numbers=keep_numbers) for b in table.to_batches()]
    if not batches:
        return table.rename_columns(_names(table.column_names))
    return pa.Table.from_batches(batches)
