"""Why one value failed: the sentence a data owner reads next to the row and column.

These run only for the problems that are listed (at most a hundred per column), so
they can afford to be scalar and specific; the bulk decision of *whether* a value is
valid is made by the vectorised checks in ``identifier_checks``.
"""

from __future__ import annotations

from accord.core.identifiers import (
    NINO_DISALLOWED_PREFIXES,
    is_valid_postcode,
    nhs_check_digit,
    normalise_nhs_number,
    normalise_nino,
)

__all__ = ["explain_nhs_number", "explain_nino", "explain_postcode", "shorten"]

_NINO_NEVER_IN_PREFIX = frozenset("DFIQUV")
_MAX_SHOWN = 60


def shorten(value: str) -> str:
    """A value as quoted in a message: long values are cut so messages stay readable."""
    return value if len(value) <= _MAX_SHOWN else value[: _MAX_SHOWN - 1] + "\u2026"


def explain_nino(value: str) -> str:
    nino = normalise_nino(value)
    shown = repr(shorten(value))
    if not (len(nino) == 9 and nino.isascii()):
        return f"{shown} is not a NINO: expected two letters, six digits and a letter A-D"
    prefix, digits, suffix = nino[:2], nino[2:8], nino[8]
    if not (prefix.isalpha() and digits.isdigit() and suffix.isalpha()):
        return f"{shown} is not a NINO: expected two letters, six digits and a letter A-D"
    if bad := sorted(set(prefix) & _NINO_NEVER_IN_PREFIX):
        return f"{shown} is not a valid NINO: {', '.join(bad)} never appear in the prefix"
    if prefix[1] == "O":
        return f"{shown} is not a valid NINO: O is never the second prefix letter"
    if prefix in NINO_DISALLOWED_PREFIXES:
        return f"{shown} is not a valid NINO: prefix {prefix} is never allocated"
    if suffix not in "ABCD":
        return f"{shown} is not a valid NINO: the suffix must be A, B, C or D"
    return f"{shown} is not a valid NINO"


def explain_nhs_number(value: str) -> str:
    digits = normalise_nhs_number(value)
    shown = repr(shorten(value))
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        return f"{shown} is not an NHS number: expected ten digits"
    check = nhs_check_digit(digits[:9])
    if check is None:
        return f"{shown} is not a valid NHS number: its first nine digits have no check digit"
    return (
        f"{shown} is not a valid NHS number: the check digit is {digits[9]}, "
        f"modulus 11 gives {check}"
    )


def explain_postcode(value: str) -> str:
    shown = repr(shorten(value))
    if is_valid_postcode(value):  # pragma: no cover - only called for invalid values
        return f"{shown} is a valid postcode"
    return f"{shown} is not a UK postcode: expected a shape such as A9 9AA, AA9A 9AA or GIR 0AA"
