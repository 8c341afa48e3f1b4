"""Both sides rewritten into one standard shape, in SQL, before anything is compared.

Sources disagree about form as much as about fact: ``O'Brien`` and ``OBRIEN``,
``12 High St`` and ``12 HIGH STREET``, ``SW1A 1AA`` and ``sw1a1aa``, a date of
birth as a DATE or as ``19560909``. Standardising removes the differences of form
so that the model only has to weigh differences of fact. Each *feature* below is
one standard column; a feature is used only when both sides can supply it.

The rewriting is SQL (DuckDB dialect), so it runs where the data is and a
million-row side standardises in about a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from accord.core.plan.transforms import person_identifier_sql
from accord.linkage.inputs import Side
from accord.linkage.roles import Role

__all__ = [
    "UK_POSTCODE_SQL",
    "Features",
    "plan_features",
    "soundex_sql",
    "standardise_sql",
]

UK_POSTCODE_SQL = "^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$"
"""A compact UK postcode (spaces removed), anchored, for ``regexp_matches``."""

_STREET_WORDS = {
    "ST": "STREET",
    "RD": "ROAD",
    "AVE": "AVENUE",
    "AV": "AVENUE",
    "LN": "LANE",
    "DR": "DRIVE",
    "CL": "CLOSE",
    "CT": "COURT",
    "CRES": "CRESCENT",
    "GDNS": "GARDENS",
    "PL": "PLACE",
    "SQ": "SQUARE",
    "TER": "TERRACE",
    "TERR": "TERRACE",
    "GRN": "GREEN",
    "PK": "PARK",
    "WY": "WAY",
    "HSE": "HOUSE",
}

# Features and the roles that can supply each (in order of preference).
_SOURCES: dict[str, tuple[Role, ...]] = {
    "nino": (Role.NINO,),
    "nhs_number": (Role.NHS_NUMBER,),
    "given_name": (Role.GIVEN_NAME, Role.FULL_NAME),
    "family_name": (Role.FAMILY_NAME, Role.FULL_NAME),
    "middle_names": (Role.MIDDLE_NAMES,),
    "dob": (Role.DATE_OF_BIRTH,),
    "sex": (Role.SEX,),
    "postcode": (Role.POSTCODE,),
    "address": (Role.ADDRESS,),
    "house_number": (Role.HOUSE_NUMBER, Role.ADDRESS),
    "locality": (Role.LOCALITY,),
    "phone": (Role.PHONE,),
    "email": (Role.EMAIL,),
}


@dataclass(frozen=True, slots=True)
class Features:
    """The standard columns both sides supply, and how postcodes are read.

    ``uk_postcodes`` is True when both sides' postcodes are mostly UK-shaped, which
    makes the sector and district meaningful levels of agreement.
    """

    names: tuple[str, ...]
    uk_postcodes: bool
    phone_columns: tuple[str, str] | None = None

    def __contains__(self, feature: object) -> bool:
        return feature in self.names


def _supplies(side: Side, feature: str) -> bool:
    return any(side.roles.has(role) for role in _SOURCES[feature])


def plan_features(left: Side, right: Side, *, uk_postcodes: bool) -> Features:
    """The features both sides can supply, in a fixed order."""
    names = tuple(
        feature for feature in _SOURCES if _supplies(left, feature) and _supplies(right, feature)
    )
    phones = None
    if "phone" in names:
        phones = _pair(left.roles.columns(Role.PHONE), right.roles.columns(Role.PHONE))
    return Features(names=names, uk_postcodes=uk_postcodes, phone_columns=phones)


def _pair(left: Sequence[str], right: Sequence[str]) -> tuple[str, str]:
    """The same-named column on both sides if there is one, else each side's first."""
    for name in left:
        if name in right:
            return name, name
    return left[0], right[0]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(column: str) -> str:
    return f"CAST({_q(column)} AS VARCHAR)"


def _letters(expression: str, *, keep_spaces: bool) -> str:
    kept = "a-z " if keep_spaces else "a-z"
    return f"regexp_replace(lower(strip_accents({expression})), '[^{kept}]+', '', 'g')"


def _given(side: Side) -> str:
    columns = side.roles.columns(Role.GIVEN_NAME) or side.roles.columns(Role.FULL_NAME)
    words = f"trim({_letters(_text(columns[0]), keep_spaces=True)})"
    return f"nullif(split_part({words}, ' ', 1), '')"


def _family(side: Side) -> str:
    family = side.roles.columns(Role.FAMILY_NAME)
    if family:
        return f"nullif({_letters(_text(family[0]), keep_spaces=False)}, '')"
    full = side.roles.columns(Role.FULL_NAME)[0]
    words = f"trim({_letters(_text(full), keep_spaces=True)})"
    return f"nullif(regexp_extract({words}, '([a-z]+)$', 1), '')"


def _dob(side: Side) -> str:
    column = side.roles.columns(Role.DATE_OF_BIRTH)[0]
    engine_type = side.column_types[column].upper()
    if engine_type == "DATE" or engine_type.startswith("TIMESTAMP"):
        value = f"CAST({_q(column)} AS DATE)"
    else:
        fmt = side.roles.date_formats.get(column, "%Y-%m-%d")
        value = f"CAST(try_strptime({_text(column)}, '{fmt}') AS DATE)"
    return f"strftime({value}, '%Y-%m-%d')"


def _postcode(side: Side) -> str:
    column = side.roles.columns(Role.POSTCODE)[0]
    return f"nullif(upper(regexp_replace({_text(column)}, '[^A-Za-z0-9]+', '', 'g')), '')"


def _address_words(columns: Sequence[str]) -> str:
    """Address lines joined, upper case, punctuation to spaces (abbreviations come later)."""
    joined = "concat_ws(' ', " + ", ".join(_text(c) for c in columns) + ")"
    return (
        f"nullif(trim(regexp_replace(upper(strip_accents({joined})), '[^A-Z0-9]+', ' ', 'g')), '')"
    )


def _expand_street_words(column: str) -> str:
    """``HIGH ST`` -> ``HIGH STREET``; only rows holding an abbreviation pay for the rewrite.

    One whole-word replacement per abbreviation (no expansion is itself an
    abbreviation, so the order does not matter), which every engine's SQL can say.
    """
    abbreviations = "|".join(_STREET_WORDS)
    expanded = column
    for short, full in _STREET_WORDS.items():
        expanded = f"regexp_replace({expanded}, '\\b{short}\\b', '{full}', 'g')"
    return (
        f"CASE WHEN regexp_matches({column}, '\\b({abbreviations})\\b') "
        f"THEN {expanded} ELSE {column} END"
    )


def _house_number(side: Side) -> str:
    numbers = side.roles.columns(Role.HOUSE_NUMBER)
    if numbers:
        return f"nullif(upper(trim({_text(numbers[0])})), '')"
    return (
        "nullif(regexp_extract(regexp_replace(address, '^(FLAT|APARTMENT|APT|UNIT) \\S+ ', ''),"
        " '(\\d+[A-Z]?)', 1), '')"
    )


def _phone(column: str) -> str:
    digits = f"regexp_replace({_text(column)}, '[^0-9]+', '', 'g')"
    return f"nullif(regexp_replace({digits}, '^44', '0'), '')"


def _expression(side: Side, feature: str, features: Features, index: int) -> str:
    roles = side.roles
    if feature == "nino":
        nino = _text(roles.columns(Role.NINO)[0])
        return f"nullif({person_identifier_sql(nino, 'duckdb')}, '')"
    if feature == "nhs_number":
        column = roles.columns(Role.NHS_NUMBER)[0]
        return f"nullif({person_identifier_sql(_text(column), 'duckdb')}, '')"
    if feature == "given_name":
        return _given(side)
    if feature == "family_name":
        return _family(side)
    if feature == "middle_names":
        column = roles.columns(Role.MIDDLE_NAMES)[0]
        return f"nullif(trim({_letters(_text(column), keep_spaces=True)}), '')"
    if feature == "dob":
        return _dob(side)
    if feature == "sex":
        column = roles.columns(Role.SEX)[0]
        return f"CASE upper(left(trim({_text(column)}), 1)) WHEN 'M' THEN 'M' WHEN 'F' THEN 'F' END"
    if feature == "postcode":
        return _postcode(side)
    if feature == "address":
        return _address_words(roles.columns(Role.ADDRESS))
    if feature == "locality":
        columns = roles.columns(Role.LOCALITY)
        return _address_words(columns)
    if feature == "phone":
        assert features.phone_columns is not None
        return _phone(features.phone_columns[index])
    if feature == "email":
        return f"nullif(lower(trim({_text(roles.columns(Role.EMAIL)[0])})), '')"
    raise AssertionError(feature)


def soundex_sql(expression: str) -> str:
    """American Soundex of a lower-case name, in SQL (``robert`` and ``rupert`` -> R163).

    H and W are dropped before adjacent codes are merged (so they do not separate
    them), vowels are coded 0 and do separate them, and the first letter's own
    code is dropped unless that letter is H or W, as the standard specifies.
    """
    upper = f"upper({expression})"
    letters, digits_for = "AEIOUYBFPVCGJKQSXZDTLMNR", "000000111122222222334556"
    codes = f"translate({upper}, '{letters}', '{digits_for}')"
    codes = f"replace(replace(replace({codes}, 'H', ''), 'W', ''), ' ', '')"
    for digit in "0123456":
        codes = f"regexp_replace({codes}, '{digit}+', '{digit}', 'g')"
    first = f"left({upper}, 1)"
    rest = f"CASE WHEN {first} IN ('H', 'W') THEN {codes} ELSE substr({codes}, 2) END"
    digits = f"replace({rest}, '0', '')"
    return (
        f"CASE WHEN {expression} IS NULL OR {expression} = '' THEN NULL "
        f"ELSE {first} || left(rpad({digits}, 3, '0'), 3) END"
    )


def standardise_sql(side: Side, features: Features, *, index: int) -> str:
    """A SELECT turning ``side``'s raw table into the standard columns.

    ``index`` is 0 for the left side and 1 for the right (it picks the paired phone
    column). Derived columns for blocking (initials, year of birth, postcode sector
    and district) are added when their source feature is present.
    """
    core = [(_q(side.id_column), "unique_id")]
    for feature in features.names:
        if feature == "house_number":
            if side.roles.has(Role.HOUSE_NUMBER):
                core.append((_house_number(side), "house_number"))
            continue
        core.append((_expression(side, feature, features, index), feature))
    borrowed_address = (
        "house_number" in features
        and "address" not in features
        and not side.roles.has(Role.HOUSE_NUMBER)
    )
    if borrowed_address:
        core.append((_address_words(side.roles.columns(Role.ADDRESS)), "address"))
    # Column lists are spelled out (no ``* REPLACE``/``* EXCLUDE``) so Spark runs them too.
    names = [name for _, name in core]
    expanded_columns = [
        f"{_expand_street_words(name)} AS {name}" if name in ("address", "locality") else name
        for name in names
    ]
    inner = ", ".join(f"{expression} AS {name}" for expression, name in core)
    expanded = (
        f"SELECT {', '.join(expanded_columns)} FROM (SELECT {inner} FROM {side.table}) AS core"
    )
    derived = [name for name in names if not (borrowed_address and name == "address")]
    if "house_number" in features and not side.roles.has(Role.HOUSE_NUMBER):
        derived.append(f"{_house_number(side)} AS house_number")
    if "given_name" in features:
        derived.append("left(given_name, 1) AS given_initial")
    if "family_name" in features:
        derived.append("left(family_name, 1) AS family_initial")
    if "dob" in features:
        derived.append("left(dob, 4) AS dob_year")
    if "postcode" in features and features.uk_postcodes:
        guard = f"regexp_matches(postcode, '{UK_POSTCODE_SQL}')"
        derived.append(
            f"CASE WHEN {guard} THEN left(postcode, length(postcode) - 2) END AS postcode_sector"
        )
        derived.append(
            f"CASE WHEN {guard} THEN left(postcode, length(postcode) - 3) END AS postcode_district"
        )
    return f"SELECT {', '.join(derived)} FROM ({expanded}) AS expanded"


def uk_postcode_share_sql(table: str, column: str) -> str:
    """Share of a sample of ``column`` that is a compact UK postcode."""
    value = f"upper(regexp_replace(CAST({_q(column)} AS VARCHAR), '[^A-Za-z0-9]+', '', 'g'))"
    return (
        f"SELECT avg(CASE WHEN regexp_matches({value}, '{UK_POSTCODE_SQL}') THEN 1 ELSE 0 END) "
        f"FROM (SELECT * FROM {table} WHERE {_q(column)} IS NOT NULL LIMIT 2000) AS sample"
    )
