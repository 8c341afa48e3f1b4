"""Validators for the UK identifiers Accord meets in every dataset.

They are the reference implementations: the vectorised checks used at ingest are
tested against these, value for value.

- NINO: two prefix letters, six digits, a suffix A-D. D, F, I, Q, U and V never
  appear in the prefix, O never second, and the prefixes BG, GB, KN, NK, NT, TN and
  ZZ are not allocated (HMRC NIM39110).
- NHS number: ten digits, the last a modulus 11 check digit over the first nine
  with weights 10..2; a remainder giving 10 means the number is invalid.
- Postcode: the six shapes of the UK postcode (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA,
  A9A 9AA, AA9A 9AA) with the letter rules of each position, plus GIR 0AA.
"""

from __future__ import annotations

import re

__all__ = [
    "NINO_DISALLOWED_PREFIXES",
    "is_valid_nhs_number",
    "is_valid_nino",
    "is_valid_postcode",
    "nhs_check_digit",
    "normalise_nhs_number",
    "normalise_nino",
    "normalise_postcode",
    "postcode_area",
    "postcode_district",
    "postcode_sector",
]

NINO_DISALLOWED_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
NINO_PATTERN = r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]"
_NINO = re.compile(NINO_PATTERN)

NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)

# Outward code then inward code; letters barred from each position per Royal Mail's rules.
POSTCODE_PATTERN = (
    r"(GIR 0AA|"
    r"(?:[A-PR-UWYZ][0-9]{1,2}"
    r"|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
    r" [0-9][ABD-HJLNP-UW-Z]{2})"
)
_POSTCODE = re.compile(POSTCODE_PATTERN)


def normalise_nino(value: str) -> str:
    """Upper case with spaces removed: ``ab 12 34 56 c`` -> ``AB123456C``."""
    return "".join(value.split()).upper()


def is_valid_nino(value: str) -> bool:
    """True for a NINO of the allocated format (spaces and case are forgiven)."""
    nino = normalise_nino(value)
    return _NINO.fullmatch(nino) is not None and nino[:2] not in NINO_DISALLOWED_PREFIXES


def normalise_nhs_number(value: str) -> str:
    """Digits only: ``943 476 5919`` -> ``9434765919``."""
    return "".join(ch for ch in value if not (ch.isspace() or ch == "-"))


def nhs_check_digit(first_nine: str) -> int | None:
    """The modulus 11 check digit for nine digits, or None when none exists (remainder 10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid_nhs_number(value: str) -> bool:
    """True for ten ASCII digits whose last is the modulus 11 check digit of the rest."""
    digits = normalise_nhs_number(value)
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


def normalise_postcode(value: str) -> str:
    """Upper case, single space before the three-character inward code."""
    compact = "".join(value.split()).upper()
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def is_valid_postcode(value: str) -> bool:
    """True for a postcode of a valid UK shape (spacing and case are forgiven)."""
    return _POSTCODE.fullmatch(normalise_postcode(value)) is not None


def postcode_area(postcode: str) -> str:
    """The letters of the outward code: ``SW1A 1AA`` -> ``SW``."""
    outward = normalise_postcode(postcode).split(" ")[0]
    return "".join(ch for ch in outward[:2] if ch.isalpha())


def postcode_district(postcode: str) -> str:
    """The outward code: ``SW1A 1AA`` -> ``SW1A``."""
    return normalise_postcode(postcode).split(" ")[0]


def postcode_sector(postcode: str) -> str:
    """Outward code and the inward digit: ``SW1A 1AA`` -> ``SW1A 1``."""
    normal = normalise_postcode(postcode)
    return normal[:-2]
