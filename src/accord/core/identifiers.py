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

One normalisation serves every identifier that names a person (NINO and NHS number):
:func:`normalise_identifier` removes the forgiven separators (``IDENTIFIER_SEPARATORS``:
ASCII whitespace -- space, tab, LF, CR, form feed, vertical tab -- and the hyphen) and
upper-cases ASCII letters; nothing else is changed. Ingest validation, the opt-out
register, the opt-out filter, pseudonymisation and linkage all use it: in Python here,
in SQL text through :func:`normalise_identifier_sql` (one ``TRANSLATE``, the same on
DuckDB and PostgreSQL), and in the plan through
``accord.core.plan.transforms.person_identifier`` (DuckDB, PostgreSQL, Spark). Were
they to differ, a NINO stored as ``AB123456C\r`` would pass ingest, escape an opt-out
of ``AB123456C`` and get a second pseudonym.
Other punctuation (dots, slashes, underscores) is not forgiven: it is not how either
identifier is written, and a value carrying it is refused at ingest rather than guessed.

Only ASCII whitespace and the hyphen are forgiven and only ASCII letters are
upper-cased. Python's ``str.split`` and ``str.upper`` are Unicode-aware: they turned
the ligature ``\ufb06`` into ``ST`` and the long s ``\u017f`` into ``S``, so
``\ufb06123456A`` passed as a NINO. Keeping to ASCII also lets ingest apply exactly the
same rule in bulk with RE2 (Arrow, DuckDB) and PostgreSQL's regular expressions.
"""

from __future__ import annotations

import re

__all__ = [
    "ASCII_SPACES",
    "IDENTIFIER_SEPARATORS",
    "NHS_WEIGHTS",
    "NINO_DISALLOWED_PREFIXES",
    "NINO_PATTERN",
    "POSTCODE_COMPACT_PATTERN",
    "POSTCODE_PATTERN",
    "ascii_upper",
    "is_valid_nhs_number",
    "is_valid_nino",
    "is_valid_postcode",
    "nhs_check_digit",
    "normalise_identifier",
    "normalise_identifier_sql",
    "normalise_nhs_number",
    "normalise_nino",
    "normalise_postcode",
    "postcode_area",
    "postcode_district",
    "postcode_sector",
]

ASCII_SPACES = " \t\n\r\f\v"
"""The whitespace a validator forgives: space, tab, LF, CR, form feed and vertical tab."""

IDENTIFIER_SEPARATORS = ASCII_SPACES + "-"
"""What :func:`normalise_identifier` removes from a NINO or NHS number."""

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DROP_SPACES = str.maketrans("", "", ASCII_SPACES)
_ASCII_UPPER = str.maketrans(_LOWER, _UPPER)
_NORMALISE = str.maketrans(_LOWER, _UPPER, IDENTIFIER_SEPARATORS)

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
POSTCODE_COMPACT_PATTERN = POSTCODE_PATTERN.replace(" ", "")
"""The same shapes with the space removed: the inward code is always three characters,
so a compact value matches this exactly when its normalised form matches the spaced one."""


def ascii_upper(value: str) -> str:
    """Upper-case a-z only; every other character, ASCII or not, is left as it is."""
    return value.translate(_ASCII_UPPER)


def normalise_identifier(value: str) -> str:
    """The one canonical form of a NINO or NHS number: separators removed, ASCII upper
    case: ``ab-12 34\t56 c\r`` -> ``AB123456C``."""
    return value.translate(_NORMALISE)


def normalise_identifier_sql(text_sql: str) -> str:
    """:func:`normalise_identifier` as SQL over a text expression, for the places that
    write SQL text (ingest checks, linkage); the plan builds the same ``TRANSLATE`` as a
    sqlglot expression. Characters named in the second argument but absent from the
    third are deleted, on DuckDB, PostgreSQL and Spark alike. Control characters are
    written ``chr(n)``, so the SQL text (in logs, snapshots) holds none."""
    printable = "".join(c for c in _LOWER + IDENTIFIER_SEPARATORS if c.isprintable())
    controls = " || ".join(f"chr({ord(c)})" for c in IDENTIFIER_SEPARATORS if not c.isprintable())
    return f"translate({text_sql}, '{printable}' || {controls}, '{_UPPER}')"


def normalise_nino(value: str) -> str:
    """A NINO in its canonical form (:func:`normalise_identifier`)."""
    return normalise_identifier(value)


def is_valid_nino(value: str) -> bool:
    """True for a NINO of the allocated format (separators and case are forgiven)."""
    nino = normalise_nino(value)
    return _NINO.fullmatch(nino) is not None and nino[:2] not in NINO_DISALLOWED_PREFIXES


def normalise_nhs_number(value: str) -> str:
    """An NHS number in its canonical form: ``943 476-5919`` -> ``9434765919``."""
    return normalise_identifier(value)


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
    compact = ascii_upper(value.translate(_DROP_SPACES))
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
