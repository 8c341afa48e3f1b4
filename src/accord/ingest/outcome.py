"""What an inspection found: the schema, the good rows, the bad ones and why.

An ``IngestOutcome`` is a report, not a commit. The caller decides with it: in strict
mode any problem at all means nothing is committed; in lenient mode ``table`` (the good
rows) is committed and ``quarantine`` (the bad rows) is kept apart; a ``fatal`` outcome
is refused in either mode because the file itself cannot be trusted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa

from accord.core.catalogue import FieldSpec, Problem

__all__ = [
    "MAX_PROBLEMS_PER_COLUMN",
    "IngestOutcome",
    "ProblemCode",
    "ProblemLog",
]

MAX_PROBLEMS_PER_COLUMN = 100
"""Problems listed per column; the rest are counted. A million bad values would
otherwise be a million objects nobody reads; the quarantine still holds every row."""


class ProblemCode(StrEnum):
    """The ``code`` of every problem ingest reports. ``FILE_LEVEL`` ones are fatal."""

    UNREADABLE = "unreadable"
    MISSING_HEADER = "missing_header"
    EMPTY_HEADER = "empty_header"
    DUPLICATE_HEADER = "duplicate_header"
    MISSING_COLUMN = "missing_column"
    EXTRA_COLUMN = "extra_column"
    UNSUPPORTED_TYPE = "unsupported_type"
    TYPE_MISMATCH = "type_mismatch"
    BAD_ENCODING = "bad_encoding"
    RAGGED_ROW = "ragged_row"
    TYPE_ERROR = "type_error"
    MISSING_VALUE = "missing_value"
    INVALID_NINO = "invalid_nino"
    INVALID_NHS_NUMBER = "invalid_nhs_number"
    INVALID_POSTCODE = "invalid_postcode"
    MORE_PROBLEMS = "more_problems"
    OVER_LIMIT = "over_limit"
    CONTROL_CHARACTER = "control_character"


FILE_LEVEL = frozenset(
    {
        ProblemCode.UNREADABLE,
        ProblemCode.MISSING_HEADER,
        ProblemCode.EMPTY_HEADER,
        ProblemCode.DUPLICATE_HEADER,
        ProblemCode.MISSING_COLUMN,
        ProblemCode.EXTRA_COLUMN,
        ProblemCode.UNSUPPORTED_TYPE,
        ProblemCode.TYPE_MISMATCH,
        ProblemCode.OVER_LIMIT,
        ProblemCode.CONTROL_CHARACTER,
    }
)


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """The result of inspecting one source.

    ``table`` holds the good rows typed per ``fields`` (None for in-place sources, whose
    rows stay where they are, and for fatal outcomes). ``row_count`` counts the good rows
    and ``bad_rows`` the bad ones, so ``row_count + bad_rows`` is every data row read.
    ``problems`` is capped per column (see ``MAX_PROBLEMS_PER_COLUMN``), with one
    ``more_problems`` entry per column saying how many were not listed; ``bad_rows``
    and ``quarantine`` are always complete.
    """

    fields: tuple[FieldSpec, ...]
    table: pa.Table | None
    row_count: int
    content_hash: str
    problems: tuple[Problem, ...]
    fatal: bool
    quarantine: pa.Table | None
    bad_rows: int

    @property
    def ok(self) -> bool:
        """True when there is nothing to report: strict mode may commit."""
        return not self.problems

    @property
    def total_rows(self) -> int:
        return self.row_count + self.bad_rows


class ProblemLog:
    """Collects problems, listing the first ``cap`` per column and counting the rest.

    File-level problems (no column, no row) are never capped: there are few of them
    and each one alone refuses the file.
    """

    def __init__(self, cap: int = MAX_PROBLEMS_PER_COLUMN) -> None:
        self._cap = cap
        self._listed: list[Problem] = []
        self._per_column: Counter[str | None] = Counter()
        self._unlisted: Counter[str | None] = Counter()

    def room(self, column: str | None) -> int:
        """How many more problems in ``column`` will be listed."""
        return max(0, self._cap - self._per_column[column])

    def add(self, problem: Problem) -> None:
        if problem.code in FILE_LEVEL:
            self._listed.append(problem)
            return
        if self.room(problem.column) > 0:
            self._per_column[problem.column] += 1
            self._listed.append(problem)
        else:
            self._unlisted[problem.column] += 1

    def add_all(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def count_unlisted(self, column: str | None, count: int) -> None:
        """Record ``count`` problems in ``column`` that were found but not built."""
        if count > 0:
            self._unlisted[column] += count

    @property
    def fatal(self) -> bool:
        return any(problem.code in FILE_LEVEL for problem in self._listed)

    def __bool__(self) -> bool:
        return bool(self._listed) or bool(self._unlisted)

    def problems(self) -> tuple[Problem, ...]:
        """File-level problems, then by row (stable: columns keep schema order), then counts."""
        file_level = [p for p in self._listed if p.code in FILE_LEVEL]
        located = sorted(
            (p for p in self._listed if p.code not in FILE_LEVEL),
            key=lambda p: p.row if p.row is not None else 0,
        )
        more = [
            Problem(
                ProblemCode.MORE_PROBLEMS,
                f"{count:,} more problems not listed",
                column=column,
            )
            for column, count in self._unlisted.items()
            if count
        ]
        return (*file_level, *located, *more)
