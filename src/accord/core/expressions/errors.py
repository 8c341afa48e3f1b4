"""Errors in a filter, located in its text.

Both kinds subclass :class:`accord.errors.ValidationError`, so the API answers them
with the usual 422 envelope. The message names the line (when the filter spans
several) and the 1-based column, because a requester fixing a filter in a form
needs to know where to look; ``problems`` carries the same in structured form.
"""

from __future__ import annotations

from accord.errors import ValidationError

__all__ = ["ExpressionError", "FilterSyntaxError", "FilterTypeError", "locate"]


def locate(text: str, offset: int) -> tuple[int, int]:
    """The 1-based (line, column) of a 0-based ``offset`` into ``text``."""
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return line, column


def _where(text: str, offset: int) -> str:
    if offset < 0:
        return ""
    line, column = locate(text, offset)
    if "\n" in text:
        return f" at line {line}, column {column}"
    return f" at column {column}"


class ExpressionError(ValidationError):
    """A filter that cannot be accepted; ``offset`` is -1 when no position is known."""

    def __init__(self, reason: str, *, text: str = "", offset: int = -1) -> None:
        line, column = locate(text, offset) if offset >= 0 else (0, 0)
        problem = {"message": reason, "offset": offset, "line": line, "column": column}
        super().__init__(f"cohort filter{_where(text, offset)}: {reason}", problems=[problem])
        self.reason = reason
        self.text = text
        self.offset = offset
        self.line = line
        self.column = column


class FilterSyntaxError(ExpressionError):
    """The text is not a filter in the language at all."""


class FilterTypeError(ExpressionError):
    """A well-formed filter that does not fit the dataset's schema."""
