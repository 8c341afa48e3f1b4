"""How much one ingested file may hold, and the refusals that name what was crossed.

A file's size on disk says little about what it decodes to: an 821-byte Parquet file
whose dictionary holds one 1 MiB string, repeated by index, decodes to gigabytes. So
the readers check what a file *declares* before decoding any of it (a Parquet
footer's row and column counts and uncompressed sizes) and then what it *holds* as
they read it in bounded batches (each value, the rows, the columns and the running
total of decoded bytes), stopping at the first limit crossed. Memory then stays
bounded whatever the file claims.

Every refusal is a file-level problem (the whole file is refused, in lenient mode
too) whose message names the limit, the setting that sets it and, where the crossing
was found while reading, the row and column.

Control characters: NUL and the other C0 controls (and DEL) have no place in the
text of a dataset; they truncate values in C code downstream, hide text in a
spreadsheet and split log lines. Tab, carriage return and line feed are allowed in
values (a quoted CSV field may hold them); header names may hold none of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from accord.core.catalogue import Problem
from accord.ingest.outcome import ProblemCode

if TYPE_CHECKING:
    from accord.settings import Settings

__all__ = [
    "CONTROL_IN_NAME",
    "CONTROL_IN_VALUE",
    "ReadLimits",
    "control_problem",
    "first_control",
    "over_limit",
]

CONTROL_IN_VALUE = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]"
"""Characters refused in a value: C0 controls and DEL, except tab, LF and CR."""
CONTROL_IN_NAME = "[\\x00-\\x1f\\x7f]"
"""Characters refused in a column name: every C0 control, and DEL."""


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """The bounds one file is read within; the defaults are the settings' defaults."""

    max_decoded_bytes: int = 2 * 1024**3
    max_value_bytes: int = 64 * 1024
    max_rows: int = 100_000_000
    max_columns: int = 2000

    @classmethod
    def of(cls, settings: Settings) -> ReadLimits:
        """The limits configured in the settings."""
        return cls(
            max_decoded_bytes=settings.max_decoded_bytes,
            max_value_bytes=settings.max_value_bytes,
            max_rows=settings.max_rows,
            max_columns=settings.max_columns,
        )


_SETTING = {
    "max_decoded_bytes": "ACCORD_MAX_DECODED_BYTES",
    "max_value_bytes": "ACCORD_MAX_VALUE_BYTES",
    "max_rows": "ACCORD_MAX_ROWS",
    "max_columns": "ACCORD_MAX_COLUMNS",
}
_WHAT = {
    "max_decoded_bytes": "bytes of decoded values in one file",
    "max_value_bytes": "bytes in one value",
    "max_rows": "rows in one file",
    "max_columns": "columns in one file",
}


def over_limit(
    limits: ReadLimits,
    limit: str,
    found: str,
    *,
    row: int | None = None,
    column: str | None = None,
) -> Problem:
    """The refusal for crossing ``limit`` (a field of :class:`ReadLimits`).

    ``found`` says what was found, as a clause: "the footer declares 3,000,000 rows".
    """
    value = getattr(limits, limit)
    return Problem(
        ProblemCode.OVER_LIMIT,
        f"{found}: over the limit of {value:,} {_WHAT[limit]} ({_SETTING[limit]}); "
        "nothing was read past it",
        row=row,
        column=column,
    )


def first_control(values: pa.Array, pattern: str = CONTROL_IN_VALUE) -> int | None:
    """The position of the first string in ``values`` holding a refused character."""
    hits = pc.match_substring_regex(values, pattern).fill_null(False)
    if not pc.any(hits).as_py():
        return None
    return int(pc.index(hits, True).as_py())


def control_problem(
    value: str,
    *,
    row: int | None,
    column: str | None,
    where: str,
    pattern: str = CONTROL_IN_VALUE,
) -> Problem:
    """The refusal of a control character, naming the character by its code point
    (never quoting the value, which may be personal data)."""
    found = re.search(pattern, value)
    code = ord(found.group()) if found else 0
    return Problem(
        ProblemCode.CONTROL_CHARACTER,
        f"{where} holds the control character U+{code:04X}, which a dataset may not hold; "
        "remove it at source",
        row=row,
        column=column,
    )
