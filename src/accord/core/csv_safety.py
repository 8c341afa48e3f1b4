"""Formula cells neutralised in every CSV Accord writes (OWASP "CSV injection").

A spreadsheet opening a CSV runs a cell that begins with ``=``, ``+``, ``-`` or ``@``
as a formula (``=HYPERLINK(...)`` leaks data to a URL when clicked; DDE payloads run
commands), and a leading tab or carriage return can hide such a prefix. Data reaching
a recipient came from someone else's system, so Accord prefixes each such text cell
with a single quote, which spreadsheet software shows as text and does not run.

What is *text* is decided by type, not by guessing: numeric columns are written as
numbers and never touched, so ``-12.5`` in a numeric column stays a number. In a text
column every cell with a leading trigger is neutralised, ``+44 20…`` and ``-1``
included, because a text column's values are text. Where every value is text
(a quarantine of rejected rows, whose numbers failed to parse), ``keep_numbers``
leaves a cell that is wholly a plain decimal number as it is: no formula fits in one.

This module is the rule; :mod:`accord.engine.csv_safety` applies the same rule to
Arrow columns, vectorised, for the extract and table writers.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["FORMULA_START", "PLAIN_NUMBER", "QUOTE", "safe_cell", "safe_row"]

FORMULA_START = "^[=+\\-@\\t\\r]"
"""A cell spreadsheet software may run as a formula: one starting with these."""
PLAIN_NUMBER = "^[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
"""A plain decimal number, which no formula can hide in."""
QUOTE = "'"

_FORMULA = re.compile(FORMULA_START)
_NUMBER = re.compile(PLAIN_NUMBER)


def safe_cell(value: Any, *, keep_numbers: bool = False) -> Any:
    """``value`` as a CSV writer should write it: text that could run as a formula gets a
    leading single quote; anything that is not text is returned as it is."""
    if not isinstance(value, str) or not _FORMULA.match(value):
        return value
    if keep_numbers and _NUMBER.match(value):
        return value
    return QUOTE + value


def safe_row(values: Any, *, keep_numbers: bool = False) -> list[Any]:
    """Every cell of a row through :func:`safe_cell`."""
    return [safe_cell(value, keep_numbers=keep_numbers) for value in values]
