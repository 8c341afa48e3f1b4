"""Where a place lies: what ``in_area(field)`` needs to become SQL.

A cohort written ``in_area(postcode)`` keeps the people whose postcode (or output
area, or LSOA, or local authority district code) lies in the districts the recipient
serves; ``in_area(postcode, 'E06000001')`` names the districts itself. The filter
language has no tables to join, so the geography is brought in when the filter is
compiled: an :class:`AreaLookup` maps each place code to its district, and the
compiler turns ``in_area`` into one ``IN`` list of the places inside the wanted
districts. The lookup is built by whoever holds the geography (the project's
synthetic one is :meth:`accord.synth.geography.Geography.area_lookup`, a real one is
the ONS postcode directory, read the same way with :func:`lookup_from_rows`).

Place codes are compared after :func:`normalise`: spaces removed and a to z upper-cased
(``ls1 1aa`` is ``LS11AA``), the same way in SQL, in Python and here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from accord.core.expressions.nodes import (
    And,
    Column,
    CompareOp,
    Comparison,
    Expr,
    InArea,
    InList,
    Or,
    StringLiteral,
    children,
)

__all__ = [
    "DISTRICT_CODE",
    "AreaLookup",
    "is_district",
    "keeps_to",
    "lookup_from_rows",
    "mentions_in_area",
    "normalise",
    "uses_recipient_areas",
]

DISTRICT_CODE = re.compile(r"(E0[6-9]|W06|S12|N09)[0-9]{6}")
"""A local authority district code (as :func:`accord.core.identity.area_codes` validates)."""

_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def normalise(code: str) -> str:
    """A place code as lookups hold it: no spaces, letters a to z upper-cased."""
    return code.replace(" ", "").translate(_ASCII_UPPER)


def is_district(code: str) -> bool:
    return DISTRICT_CODE.fullmatch(code) is not None


@dataclass(frozen=True, slots=True)
class AreaLookup:
    """Each place code's district, and the districts the recipient serves.

    ``district_of`` maps normalised postcodes, output area and LSOA codes to district
    codes; a district code always lies in itself and need not be listed. ``served`` is
    what ``in_area(field)`` without codes means: the requesting organisation's
    declared areas.
    """

    district_of: Mapping[str, str]
    served: tuple[str, ...] = ()
    _members: dict[tuple[str, ...], tuple[str, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def district(self, value: str) -> str | None:
        """The district ``value`` lies in, or None if the lookup does not know the place."""
        code = normalise(value)
        if is_district(code):
            return code
        return self.district_of.get(code)

    def members(self, districts: tuple[str, ...]) -> tuple[str, ...]:
        """Every normalised code lying in ``districts``, the districts included, sorted."""
        key = tuple(sorted(set(districts)))
        if key not in self._members:
            wanted = set(key)
            inside = {place for place, d in self.district_of.items() if d in wanted}
            self._members[key] = tuple(sorted(inside | wanted))
        return self._members[key]

    def serving(self, served: Iterable[str]) -> AreaLookup:
        """The same geography, for a recipient serving ``served``."""
        return AreaLookup(self.district_of, tuple(sorted(set(served))), self._members)


def lookup_from_rows(
    rows: Iterable[Mapping[str, object]],
    *,
    district: str = "la_code",
    places: tuple[str, ...] = ("postcode", "oa_code", "lsoa_code"),
    served: Iterable[str] = (),
) -> AreaLookup:
    """An :class:`AreaLookup` from rows of a postcode directory (one row per postcode).

    Each row's ``places`` columns (postcode, output area, LSOA) are mapped to its
    ``district`` column; empty values are skipped.
    """
    mapping: dict[str, str] = {}
    for row in rows:
        la = row.get(district)
        if not isinstance(la, str) or not la:
            continue
        for column in places:
            value = row.get(column)
            if isinstance(value, str) and value.strip():
                mapping[normalise(value)] = normalise(la)
    return AreaLookup(MappingProxyType(mapping), tuple(sorted(set(served))))


def keeps_to(expression: Expr, served: tuple[str, ...]) -> bool:
    """Whether a cohort keeps every row it selects inside the districts ``served``.

    True when one of the conditions the cohort is ``and``-ed from is ``in_area(field)``
    (the recipient's own areas), ``in_area(field, codes…)`` with codes among ``served``,
    or a column compared with (``=`` / ``in``) district codes among ``served``; an
    ``or`` keeps to them when both sides do. Anything else may select people anywhere.
    """
    if not served:
        return False
    allowed = set(served)
    match expression:
        case And(left, right):
            return keeps_to(left, served) or keeps_to(right, served)
        case Or(left, right):
            return keeps_to(left, served) and keeps_to(right, served)
        case InArea(_, codes):
            return set(codes) <= allowed
        case Comparison(CompareOp.EQ, Column(), StringLiteral(value)) | Comparison(
            CompareOp.EQ, StringLiteral(value), Column()
        ):
            return value in allowed
        case InList(Column(), items, False):
            values = [item.value for item in items if isinstance(item, StringLiteral)]
            return len(values) == len(items) and set(values) <= allowed
    return False


def _in_areas(expression: Expr) -> Iterator[InArea]:
    """Every ``in_area`` call in the filter."""
    stack = [expression]
    while stack:
        node = stack.pop()
        if isinstance(node, InArea):
            yield node
        stack.extend(children(node))


def uses_recipient_areas(expression: Expr) -> bool:
    """Whether any ``in_area`` in the filter names no districts (so means the recipient's)."""
    return any(not node.areas for node in _in_areas(expression))


def mentions_in_area(expression: Expr) -> bool:
    """Whether the filter uses ``in_area`` at all, so compiling it needs the geography."""
    return any(True for _ in _in_areas(expression))
