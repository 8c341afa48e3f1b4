"""What each column is *for* in linkage, recognised by name and content.

The catalogue's semantic types say what a field is; linkage needs a little more:
which column holds the middle names rather than the forename, which holds a house
number or a town, and whether a date of birth arrives as ``19560909``. A
:class:`Role` is that finer reading. It starts from
:func:`accord.core.semantics.suggest_field` (so linkage and the catalogue agree on
what a column is) and adds only what linkage needs on top, from the column name and
a sample of its values.

Overrides always win: a caller who knows that ``fname`` is a forename, or that
``soc_sec_id`` must not be used, says so and the recogniser is not consulted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from accord.core.semantics import normalise_name, suggest_field
from accord.core.vocabulary import DataType, SemanticType
from accord.errors import ValidationError

__all__ = [
    "IDENTIFIER_ROLES",
    "ColumnRoles",
    "Role",
    "parse_role",
    "recognise_column",
]


class Role(StrEnum):
    """The part a column plays in linkage."""

    NINO = "nino"
    NHS_NUMBER = "nhs_number"
    GIVEN_NAME = "given_name"
    MIDDLE_NAMES = "middle_names"
    FAMILY_NAME = "family_name"
    FULL_NAME = "full_name"
    DATE_OF_BIRTH = "date_of_birth"
    SEX = "sex"
    POSTCODE = "postcode"
    ADDRESS = "address"
    HOUSE_NUMBER = "house_number"
    LOCALITY = "locality"
    PHONE = "phone"
    EMAIL = "email"


IDENTIFIER_ROLES = (Role.NINO, Role.NHS_NUMBER)
"""Roles that identify a person on their own: a shared one is linked deterministically."""

_FROM_SEMANTIC: dict[SemanticType, Role] = {
    SemanticType.NINO: Role.NINO,
    SemanticType.NHS_NUMBER: Role.NHS_NUMBER,
    SemanticType.GIVEN_NAME: Role.GIVEN_NAME,
    SemanticType.FAMILY_NAME: Role.FAMILY_NAME,
    SemanticType.FULL_NAME: Role.FULL_NAME,
    SemanticType.DATE_OF_BIRTH: Role.DATE_OF_BIRTH,
    SemanticType.SEX: Role.SEX,
    SemanticType.POSTCODE: Role.POSTCODE,
    SemanticType.ADDRESS: Role.ADDRESS,
    SemanticType.PHONE: Role.PHONE,
    SemanticType.EMAIL: Role.EMAIL,
}

_LOCALITY_WORDS = frozenset({"suburb", "town", "city", "locality", "village", "posttown"})
_COMPACT_DATE = re.compile(r"(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
_HOUSE_NUMBER = re.compile(r"\d{1,5}[A-Za-z]?")


def parse_role(value: str, *, parameter: str) -> Role | None:
    """A role named by a caller (``given_name``, ``dob``...), or None for ``ignore``.

    Raises :class:`ValidationError` naming ``parameter`` and the choices otherwise.
    """
    text = value.strip().lower().replace("-", "_")
    if text in ("ignore", "none", "skip", ""):
        return None
    aliases = {"dob": Role.DATE_OF_BIRTH, "forename": Role.GIVEN_NAME, "surname": Role.FAMILY_NAME}
    if text in aliases:
        return aliases[text]
    try:
        return Role(text)
    except ValueError:
        choices = ", ".join(role.value for role in Role)
        raise ValidationError(
            f"{parameter}: unknown role {value!r}; choose one of {choices}, or ignore"
        ) from None


def recognise_column(name: str, values: Sequence[str | None], data_type: DataType) -> Role | None:
    """The linkage role of a column from its name and a sample of its values, or None.

    The catalogue's suggestion decides first; then three cases it does not cover:
    middle names (a given name the linkage must not compare with the forename), dates
    of birth written as ``YYYYMMDD``, and house numbers and towns held apart from
    the address.
    """
    _, semantic = suggest_field(name, values, data_type)
    words = set(normalise_name(name))
    present = [value.strip() for value in values if value and value.strip()]
    role = _FROM_SEMANTIC.get(semantic)
    if role is Role.GIVEN_NAME and "middle" in name.lower():
        return Role.MIDDLE_NAMES
    house_number = _has_house_number_name(words) and _mostly(present, _HOUSE_NUMBER)
    if role in (None, Role.ADDRESS) and house_number:
        return Role.HOUSE_NUMBER
    if role is not None:
        return role
    if "birth" in words and _mostly(present, _COMPACT_DATE):
        return Role.DATE_OF_BIRTH
    if "postcode" in words:
        return Role.POSTCODE
    if not words.isdisjoint(_LOCALITY_WORDS) or ("post" in words and "town" in words):
        return Role.LOCALITY
    return None


def _has_house_number_name(words: set[str]) -> bool:
    return ("number" in words or "no" in words) and not words.isdisjoint(
        {"street", "house", "building", "premises"}
    )


def _mostly(values: Sequence[str], pattern: re.Pattern[str]) -> bool:
    if not values:
        return False
    return sum(1 for value in values if pattern.fullmatch(value)) >= 0.9 * len(values)


@dataclass(frozen=True, slots=True)
class ColumnRoles:
    """The columns of one side of a linkage, by role, in the order they appear.

    Several columns may share a role (three address lines, a landline and a mobile);
    their order is the dataset's column order, which is how address lines are joined.
    """

    by_role: Mapping[Role, tuple[str, ...]]
    date_formats: Mapping[str, str]
    """strptime format of each date-of-birth column held as text (``%Y%m%d``)."""

    def columns(self, role: Role) -> tuple[str, ...]:
        return self.by_role.get(role, ())

    def has(self, role: Role) -> bool:
        return bool(self.by_role.get(role))

    def describe(self) -> dict[str, list[str]]:
        """Role name to columns, for summaries and the CLI."""
        return {role.value: list(columns) for role, columns in self.by_role.items() if columns}
