"""Why one value failed: the sentence a data owner reads next to the row and column.

Messages name the rule broken, never the value itself: problems travel into refusal
messages and the audit log (kept for years), and an invalid NINO is usually a real
person's NINO mistyped. The value goes only in ``Problem.value``, for the owner's own
screen. These run only for the problems that are listed (at most a hundred per
column), so they can afford to be scalar; the bulk decision of *whether* a value is
valid is made by the vectorised checks in ``identifier_checks``.
"""

from __future__ import annotations

from accord.core.identifiers import (
    NINO_DISALLOWED_PREFIXES,
    nhs_check_digit,
    normalise_nhs_number,
    normalise_nino,
)

__all__ = ["explain_nhs_number", "explain_nino", "explain_postcode", "shorten"]

_NINO_NEVER_IN_PREFIX = frozenset("DFIQUV")
_MAX_SHOWN = 60
_NINO_SHAPE = "not a NINO: expected two letters, six digits and a letter A-D"


def shorten(value: str) -> str:
    """A value as kept in ``Problem.value``: long values are cut to stay readable."""
    return value if len(value) <= _MAX_SHOWN else value[: _MAX_SHOWN - 1] + "\u2026"


def explain_nino(value: str) -> str:
    nino = normalise_nino(value)
    if not (len(nino) == 9 and nino.isascii()):
        return _NINO_SHAPE
    prefix, digits, suffix = nino[:2], nino[2:8], nino[8]
    if not (prefix.isalpha() and digits.isdigit() and suffix.isalpha()):
        return _NINO_SHAPE
    if set(prefix) & _NINO_NEVER_IN_PREFIX:
        return "not a valid NINO: D, F, I, Q, U and V never appear in the prefix"
    if prefix[1] == "O":
        return "not a valid NINO: O is never the second prefix letter"
    if prefix in NINO_DISALLOWED_PREFIXES:
        barred = ", ".join(sorted(NINO_DISALLOWED_PREFIXES))
        return f"not a valid NINO: the prefix is one never allocated ({barred})"
    return "not a valid NINO: the suffix must be A, B, C or D"


def explain_nhs_number(value: str) -> str:
    digits = normalise_nhs_number(value)
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        return "not an NHS number: expected ten digits"
    if nhs_check_digit(digits[:9]) is None:
        return "not a valid NHS number: no check digit exists for its first nine digits"
    return "not a valid NHS number: the check digit does not match (modulus 11)"


def explain_postcode(_: str) -> str:
    return "not a UK postcode: expected a shape such as A9 9AA, AA9A 9AA or GIR 0AA"
