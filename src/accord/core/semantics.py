"""Suggest what a column is (semantic type) and how much it identifies a person (category).

The suggestion is a first draft for the data owner, who confirms or overrides it; it is
pure (no I/O) so the catalogue, the CLI and tests all get the same answer.

Two sources of evidence are combined:

- **the column name**, normalised (case, underscores, camelCase, digits split off) and
  with the abbreviations public-sector extracts use (``dob``, ``nino``, ``nhs_no``,
  ``post_code``, ``tel``, ``addr_line_1``, ``forename``...) read as what they mean;
- **the values**, as the share of a leading sample that looks like each kind of value.

A name is only a hint: it wins only when at least half the sampled values are of the
shape the name promises (``NAME_AGREEMENT``). A column called ``nino`` that holds
hex digests is a pseudonym, not a NINO, and validating it as one would refuse every
row. The shape test for a named column is deliberately looser than the validator
(a NINO-*shaped* value with a barred prefix still agrees with the name), so that a
column with some bad NINOs is still recognised as a NINO column and its bad values
are reported at ingest rather than hidden. Without a usable name, the values must
be strongly and strictly valid on their own (``VALUES_ALONE``) before a type is
suggested, because a coincidence across 90% of a sample is unlikely.

The category follows from the semantic type (see ``category_for``), except that a
name about health, ethnicity, religion, disability and the other UK GDPR Article 9
(and Article 10, criminal offence) subjects makes a field special category, because
those are the fields whose disclosure does most harm and needs an extra condition.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from accord.core.identifiers import is_valid_nhs_number, is_valid_nino, is_valid_postcode
from accord.core.vocabulary import Category, DataType, SemanticType

__all__ = [
    "NAME_AGREEMENT",
    "SAMPLE_LIMIT",
    "VALUES_ALONE",
    "category_for",
    "normalise_name",
    "suggest_field",
]

NAME_AGREEMENT = 0.5
"""Share of sampled values that must fit a name's promise for the name to count."""
VALUES_ALONE = 0.9
"""Share of sampled values that must be strictly valid to suggest a type from values alone."""
SAMPLE_LIMIT = 2_000
"""Non-empty values examined: plenty to tell a NINO from a postcode, cheap for wide files."""

_DIRECT = frozenset(
    {
        SemanticType.NINO,
        SemanticType.NHS_NUMBER,
        SemanticType.FULL_NAME,
        SemanticType.GIVEN_NAME,
        SemanticType.FAMILY_NAME,
        SemanticType.ADDRESS,
        SemanticType.PHONE,
        SemanticType.EMAIL,
    }
)
_QUASI = frozenset(
    {SemanticType.DATE_OF_BIRTH, SemanticType.POSTCODE, SemanticType.SEX, SemanticType.TITLE}
)

# Words in a column name that mark UK GDPR Article 9 (and Article 10) data.
_SPECIAL_WORDS = frozenset(
    {
        "health",
        "medical",
        "medication",
        "medicine",
        "diagnosis",
        "condition",
        "conditions",
        "disability",
        "disabled",
        "illness",
        "impairment",
        "vaccination",
        "vaccinated",
        "vaccine",
        "immunisation",
        "immunization",
        "hospital",
        "clinical",
        "mental",
        "pregnancy",
        "pregnant",
        "prescription",
        "treatment",
        "symptoms",
        "ethnicity",
        "ethnic",
        "race",
        "religion",
        "religious",
        "belief",
        "faith",
        "sexual",
        "sexuality",
        "orientation",
        "union",
        "political",
        "genetic",
        "biometric",
        "criminal",
        "conviction",
        "convictions",
        "offence",
        "offences",
        "offense",
    }
)
# Words that place a person within a small area or age group: not identifying alone,
# identifying in combination, which is what a quasi-identifier is.
_QUASI_WORDS = frozenset(
    {
        "age",
        "ageband",
        "birth",
        "town",
        "city",
        "county",
        "locality",
        "village",
        "ward",
        "lsoa",
        "msoa",
    }
)
# Words that say the field describes many people or a period, not one person.
_AGGREGATE_WORDS = frozenset(
    {
        "count",
        "counts",
        "total",
        "percent",
        "percentage",
        "pct",
        "proportion",
        "rate",
        "ratio",
        "mean",
        "median",
        "average",
        "year",
        "quarter",
        "period",
        "month",
    }
)
# Qualifiers that make "name" the name of something other than a person.
_NOT_A_PERSON = frozenset(
    {
        "file",
        "user",
        "username",
        "org",
        "organisation",
        "organization",
        "company",
        "employer",
        "business",
        "trading",
        "practice",
        "surgery",
        "school",
        "provider",
        "street",
        "road",
        "town",
        "city",
        "place",
        "building",
        "product",
        "scheme",
        "benefit",
        "programme",
        "program",
        "dataset",
        "table",
        "column",
        "field",
        "team",
        "office",
        "site",
        "trust",
        "department",
        "hospital",
        "region",
        "area",
        "ward",
        "district",
        "county",
        "country",
        "host",
        "domain",
        "course",
    }
)
_NOT_A_PERSONAL_TITLE = frozenset(
    {"job", "role", "post", "position", "document", "book", "course", "programme", "report"}
)

_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "dob": ("date", "of", "birth"),
    "dateofbirth": ("date", "of", "birth"),
    "birthdate": ("birth", "date"),
    "yob": ("year", "of", "birth"),
    "nino": ("nino",),
    "nin": ("nino",),
    "ninumber": ("nino",),
    "nhsno": ("nhs", "number"),
    "nhsnum": ("nhs", "number"),
    "nhsnumber": ("nhs", "number"),
    "postcode": ("postcode",),
    "pcode": ("postcode",),
    "zipcode": ("postcode",),
    "zip": ("postcode",),
    "tel": ("phone",),
    "telno": ("phone",),
    "telephone": ("phone",),
    "mobile": ("phone",),
    "landline": ("phone",),
    "phoneno": ("phone",),
    "addr": ("address",),
    "add": ("address",),
    "forename": ("given", "name"),
    "forenames": ("given", "name"),
    "firstname": ("given", "name"),
    "fname": ("given", "name"),
    "givenname": ("given", "name"),
    "surname": ("family", "name"),
    "lastname": ("family", "name"),
    "lname": ("family", "name"),
    "familyname": ("family", "name"),
    "fullname": ("full", "name"),
    "emailaddress": ("email",),
    "email": ("email",),
    "amt": ("amount",),
    "no": ("number",),
    "num": ("number",),
    "ref": ("reference",),
    "dt": ("date",),
    "ind": ("indicator",),
    "yn": ("indicator",),
    "gender": ("sex",),
}
# Two-word phrases read as one concept once the abbreviations are expanded.
_PHRASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("national", "insurance"): ("nino",),
    ("ni", "number"): ("nino",),
    ("post", "code"): ("postcode",),
    ("postal", "code"): ("postcode",),
    ("e", "mail"): ("email",),
    ("first", "name"): ("given", "name"),
    ("first", "names"): ("given", "name"),
    ("given", "names"): ("given", "name"),
    ("christian", "name"): ("given", "name"),
    ("middle", "name"): ("given", "name"),
    ("middle", "names"): ("given", "name"),
    ("last", "name"): ("family", "name"),
    ("family", "names"): ("family", "name"),
    ("free", "text"): ("notes",),
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalise_name(name: str) -> tuple[str, ...]:
    """A column name as canonical lower-case words, abbreviations and phrases expanded.

    ``DOB`` -> ``("date", "of", "birth")``; ``NHS_No`` -> ``("nhs", "number")``;
    ``addrLine1`` -> ``("address", "line", "1")``; ``Customer Forename`` ->
    ``("customer", "given", "name")``.
    """
    spaced = _CAMEL.sub(" ", name.strip())
    raw = [word for word in _NON_WORD.split(spaced.lower()) if word]
    words: list[str] = []
    for word in raw:
        words.extend(_ABBREVIATIONS.get(word, (word,)))
    merged: list[str] = []
    index = 0
    while index < len(words):
        pair = (words[index], words[index + 1]) if index + 1 < len(words) else None
        if pair is not None and pair in _PHRASES:
            merged.extend(_PHRASES[pair])
            index += 2
        else:
            merged.append(words[index])
            index += 1
    return tuple(merged)


# ----------------------------------------------------------------------------- values

_NINO_SHAPE = re.compile(r"[A-Za-z]{2}\s*\d{2}\s*\d{2}\s*\d{2}\s*[A-Za-z]?")
_NHS_SHAPE = re.compile(r"\d{10}")
_POSTCODE_SHAPE = re.compile(r"[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}")
_OUTWARD_SHAPE = re.compile(r"[A-Za-z]{1,2}\d[A-Za-z\d]?(\s*\d)?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_SHAPE = re.compile(r"\+?\d{7,15}")
_UK_PHONE = re.compile(r"(?:\+44|0044|0)\d{9,10}")
_PHONE_NOISE = re.compile(r"[\s()\-.]")
_DATE_LIKE = re.compile(
    r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}.*)?"
    r"|\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{2,4}"
)
_PERSON_NAME = re.compile(r"[^\W\d_]+(?:[ '\u2019\-.]+[^\W\d_]+)*\.?")
_CURRENCY = re.compile(r"-?£\s?\d{1,3}(?:,?\d{3})*(?:\.\d{1,2})?")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_FLAG_VALUES = frozenset({"y", "n", "yes", "no", "true", "false", "t", "f", "0", "1"})
_TITLE_VALUES = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "professor",
        "rev",
        "revd",
        "sir",
        "dame",
        "lady",
        "lord",
        "master",
        "fr",
        "capt",
    }
)
_SEX_VALUES = frozenset(
    {
        "m",
        "f",
        "male",
        "female",
        "u",
        "x",
        "i",
        "unknown",
        "not known",
        "not specified",
        "indeterminate",
        "other",
        "0",
        "1",
        "2",
        "9",
    }
)


def _fits(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda value: pattern.fullmatch(value) is not None


def _nhs_shaped(value: str) -> bool:
    return _NHS_SHAPE.fullmatch(value.replace(" ", "").replace("-", "")) is not None


def _phone_shaped(value: str) -> bool:
    return _PHONE_SHAPE.fullmatch(_PHONE_NOISE.sub("", value)) is not None


def _uk_phone(value: str) -> bool:
    return _UK_PHONE.fullmatch(_PHONE_NOISE.sub("", value)) is not None


def _is_flag(value: str) -> bool:
    return value.lower() in _FLAG_VALUES


def _is_title(value: str) -> bool:
    return value.lower().rstrip(".") in _TITLE_VALUES


def _is_sex(value: str) -> bool:
    return value.lower() in _SEX_VALUES


def _is_prose(value: str) -> bool:
    return len(value.split()) >= 3


def _is_person_name(value: str) -> bool:
    return _PERSON_NAME.fullmatch(value) is not None


def _has_letter(value: str) -> bool:
    return _HAS_LETTER.search(value) is not None


def _is_year_of_birth(value: str) -> bool:
    return value.isdigit() and 1850 <= int(value) <= 2100


@dataclass(frozen=True, slots=True)
class _Sample:
    """The non-empty values of a column, stripped, and how the column is typed."""

    values: tuple[str, ...]
    data_type: DataType

    def share(self, test: Callable[[str], bool]) -> float:
        """Share of values passing ``test``; 1.0 for an empty sample (nothing contradicts)."""
        if not self.values:
            return 1.0
        return sum(1 for value in self.values if test(value)) / len(self.values)

    def agrees(self, test: Callable[[str], bool]) -> bool:
        return self.share(test) >= NAME_AGREEMENT

    def strongly(self, test: Callable[[str], bool]) -> bool:
        return bool(self.values) and self.share(test) >= VALUES_ALONE

    @property
    def distinct(self) -> int:
        return len(set(self.values))

    @property
    def temporal(self) -> bool:
        return self.data_type in (DataType.DATE, DataType.TIMESTAMP)

    @property
    def numeric(self) -> bool:
        return self.data_type in (DataType.BIGINT, DataType.DOUBLE)

    def looks_like_codes(self) -> bool:
        """A small, repeating set of short values: a code list, not identifiers or prose."""
        if not self.values or self.data_type is not DataType.VARCHAR:
            return False
        short = max(len(value) for value in self.values) <= 12
        few = self.distinct <= 20 and (
            len(self.values) < 10 or self.distinct <= len(self.values) / 2
        )
        return short and few

    def looks_like_prose(self) -> bool:
        """Most values have three or more words and they are long: notes, not names."""
        if not self.values or self.data_type is not DataType.VARCHAR:
            return False
        mean_length = sum(len(value) for value in self.values) / len(self.values)
        return self.share(_is_prose) >= NAME_AGREEMENT and mean_length >= 20


# ----------------------------------------------------------------------------- rules


def _has(words: Iterable[str], *wanted: str) -> bool:
    return not set(wanted).isdisjoint(words)


def _from_name(words: tuple[str, ...], sample: _Sample) -> SemanticType | None:
    """The type the name promises, if the values agree with it; else None.

    Rules are tried most specific first, so ``NHS number`` is an NHS number and not a
    generic ``number``, and ``customer given name`` is a given name and not a full name.
    """
    word_set = set(words)
    if "nino" in word_set:
        return SemanticType.NINO if sample.agrees(_fits(_NINO_SHAPE)) else None
    if "nhs" in word_set and (_has(words, "number", "id") or words == ("nhs",)):
        return SemanticType.NHS_NUMBER if sample.agrees(_nhs_shaped) else None
    if "postcode" in word_set:
        return SemanticType.POSTCODE if sample.agrees(_fits(_POSTCODE_SHAPE)) else None
    if "birth" in word_set:
        if sample.temporal or sample.agrees(_fits(_DATE_LIKE)):
            return SemanticType.DATE_OF_BIRTH
        if "year" in word_set and sample.agrees(_is_year_of_birth):
            return SemanticType.DATE_OF_BIRTH
        return None
    if "email" in word_set:
        return SemanticType.EMAIL if sample.agrees(_fits(_EMAIL)) else None
    if _has(words, "phone", "fax"):
        return SemanticType.PHONE if sample.agrees(_phone_shaped) else None
    if "name" in word_set and (
        _has(words, "given", "family", "full") or word_set.isdisjoint(_NOT_A_PERSON)
    ):
        if not sample.agrees(_is_person_name):
            return None
        if "given" in word_set:
            return SemanticType.GIVEN_NAME
        if "family" in word_set:
            return SemanticType.FAMILY_NAME
        return SemanticType.FULL_NAME
    if _has(words, "title", "salutation", "honorific") and word_set.isdisjoint(
        _NOT_A_PERSONAL_TITLE
    ):
        return SemanticType.TITLE if sample.agrees(_is_title) else None
    if "sex" in word_set:
        return SemanticType.SEX if sample.agrees(_is_sex) else None
    if _has(words, "address", "street", "premises") or (
        "house" in word_set and _has(words, "number", "name")
    ):
        return SemanticType.ADDRESS if sample.agrees(_has_letter) else None
    if _has(words, "notes", "note", "comments", "comment", "narrative", "remarks") or (
        _has(words, "description", "details", "information", "text", "reason")
        and not sample.looks_like_codes()
    ):
        return SemanticType.FREE_TEXT
    if _has(words, "amount", "cost", "price", "payment", "salary", "income", "award") or _has(
        words, "balance", "earnings", "pay", "wage", "wages", "fee", "fees"
    ):
        if sample.numeric or sample.agrees(_fits(_CURRENCY)):
            return SemanticType.AMOUNT
        return None
    if (words and words[0] in ("is", "has")) or _has(words, "flag", "indicator", "marker"):
        if sample.data_type is DataType.BOOLEAN or sample.agrees(_is_flag):
            return SemanticType.FLAG
        return None
    if _has(words, "date", "day", "time", "timestamp") or (
        len(words) > 1 and words[-1] in ("on", "at")
    ):
        return SemanticType.DATE if sample.temporal or sample.agrees(_fits(_DATE_LIKE)) else None
    if _has(words, "code", "type", "status", "category", "class", "band", "group", "level"):
        return SemanticType.CODE if sample.looks_like_codes() or sample.numeric else None
    return None


def _from_values(sample: _Sample) -> SemanticType:
    """The type the values show on their own, strict validators first."""
    if sample.data_type is DataType.BOOLEAN:
        return SemanticType.FLAG
    if sample.temporal:
        return SemanticType.DATE
    if sample.strongly(is_valid_nino):
        return SemanticType.NINO
    if sample.strongly(is_valid_nhs_number):
        return SemanticType.NHS_NUMBER
    if sample.data_type is not DataType.VARCHAR:
        return SemanticType.OTHER
    if sample.strongly(is_valid_postcode):
        return SemanticType.POSTCODE
    if sample.strongly(_fits(_EMAIL)):
        return SemanticType.EMAIL
    if sample.strongly(_uk_phone):
        return SemanticType.PHONE
    if sample.strongly(_fits(_CURRENCY)):
        return SemanticType.AMOUNT
    if sample.strongly(_is_flag) and len({value.lower() for value in sample.values}) <= 2:
        return SemanticType.FLAG
    if sample.strongly(_is_title) and sample.distinct >= 2:
        return SemanticType.TITLE
    if sample.looks_like_prose():
        return SemanticType.FREE_TEXT
    if sample.looks_like_codes():
        return SemanticType.CODE
    return SemanticType.OTHER


def category_for(semantic_type: SemanticType, name: str = "") -> Category:
    """How much a field identifies a person, from what it is and what it is called.

    - Direct identifiers (NINO, NHS number, names, address, phone, email) single a
      person out alone; a given name and a family name are classed together with the
      full name, since a dataset that holds one almost always holds the other.
    - Quasi-identifiers (date of birth, postcode, sex, title, and names about age or
      small areas) single a person out in combination: the classic re-identification
      triple is date of birth, sex and postcode.
    - A name about an Article 9 or 10 subject makes any other field special category.
    - A name about counts, rates or periods describes many people: non-personal.
    - Everything else in a dataset about people is personal: free text especially,
      since notes routinely name people and their circumstances.
    """
    if semantic_type in _DIRECT:
        return Category.DIRECT_IDENTIFIER
    if semantic_type in _QUASI:
        return Category.QUASI_IDENTIFIER
    words = set(normalise_name(name))
    if not words.isdisjoint(_SPECIAL_WORDS):
        return Category.SPECIAL_CATEGORY
    if not words.isdisjoint(_QUASI_WORDS):
        return Category.QUASI_IDENTIFIER
    if semantic_type is SemanticType.FREE_TEXT:
        return Category.PERSONAL
    if not words.isdisjoint(_AGGREGATE_WORDS) or (
        _has(words, "number") and _has(words, "of") and words - {"number", "of"}
    ):
        return Category.NON_PERSONAL
    return Category.PERSONAL


def suggest_field(
    name: str, values: Sequence[str | None], data_type: DataType
) -> tuple[Category, SemanticType]:
    """Suggest the category and semantic type of a column from its name and sample values.

    The name is tried first but must be borne out by the values (see the module
    docstring); otherwise the values decide alone. A column named ``postcode`` whose
    values are outward codes (``SW1A``) is a coarsened postcode: a code, and still a
    quasi-identifier.
    """
    cleaned = tuple(
        stripped for value in values[: SAMPLE_LIMIT * 4] if value and (stripped := value.strip())
    )[:SAMPLE_LIMIT]
    sample = _Sample(cleaned, data_type)
    words = normalise_name(name)
    proven = _proven_identifier(sample)
    semantic = _from_name(words, sample)
    if proven is not None and semantic is not proven:
        semantic = proven
    if semantic is None and "postcode" in words and sample.agrees(_fits(_OUTWARD_SHAPE)):
        return Category.QUASI_IDENTIFIER, SemanticType.CODE
    if semantic is None:
        semantic = _from_values(sample)
    return category_for(semantic, name), semantic


def _proven_identifier(sample: _Sample) -> SemanticType | None:
    """An identifier the values prove beyond a name's say-so.

    When nine in ten values pass a strict validator (NINO, NHS number, postcode,
    email), the column holds those identifiers whatever it is called: a column
    named ``notes`` or ``ref`` full of valid NINOs must be protected as NINOs.
    """
    for semantic, test in (
        (SemanticType.NINO, is_valid_nino),
        (SemanticType.NHS_NUMBER, is_valid_nhs_number),
        (SemanticType.POSTCODE, is_valid_postcode),
        (SemanticType.EMAIL, _fits(_EMAIL)),
    ):
        if sample.strongly(test):
            return semantic
    return None
