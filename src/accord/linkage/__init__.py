"""Record linkage: find the same people in two datasets that share no identifier.

    >>> from accord.linkage import link
    >>> result = link(  # doctest: +SKIP
    ...     "carers.parquet", "register.parquet", left_id="nino", right_id="nhs_number"
    ... )
    >>> result.summary.matched, result.matches.column_names  # doctest: +SKIP

Deterministic passes on shared identifiers and an exact match key run first; a
Fellegi-Sunter model (Splink), configured automatically from what the columns are,
handles the rest; results are a match table and a summary with the model's own
estimate of precision and recall. :mod:`accord.linkage.tokens` links on keyed
pseudonyms alone. See ``docs/linkage.md``.
"""

from __future__ import annotations

from accord.linkage.engine import DuckDBEngine, LinkageError, open_engine
from accord.linkage.inputs import LinkSource
from accord.linkage.roles import ColumnRoles, Role, parse_role, recognise_column
from accord.linkage.service import LinkageOptions, LinkageResult, LinkSummary, link

__all__ = [
    "ColumnRoles",
    "DuckDBEngine",
    "LinkSource",
    "LinkSummary",
    "LinkageError",
    "LinkageOptions",
    "LinkageResult",
    "Role",
    "link",
    "open_engine",
    "parse_role",
    "recognise_column",
]
