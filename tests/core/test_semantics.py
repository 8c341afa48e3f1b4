"""Suggestions of category and semantic type from column names and values."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.identifiers import NINO_DISALLOWED_PREFIXES, nhs_check_digit
from accord.core.semantics import category_for, normalise_name, suggest_field
from accord.core.vocabulary import Category, DataType, SemanticType

C = Category
S = SemanticType
D = DataType


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("DOB", ("date", "of", "birth")),
        ("dateOfBirth", ("date", "of", "birth")),
        ("NHS_No", ("nhs", "number")),
        ("nhsNumber", ("nhs", "number")),
        ("post_code", ("postcode",)),
        ("addrLine1", ("address", "line", "1")),
        ("addr_line_1", ("address", "line", "1")),
        ("Customer Forename", ("customer", "given", "name")),
        ("National Insurance Number", ("nino", "number")),
        ("tel", ("phone",)),
        ("  E-mail  ", ("email",)),
    ],
)
def test_normalise_name(name: str, words: tuple[str, ...]) -> None:
    assert normalise_name(name) == words


NINOS = ["AB123456C", "CE654321D", "JK111111A"]
NHS = ["9434765919", "4010232137"]
POSTCODES = ["SW1A 1AA", "M1 1AE", "B33 8TH"]


@pytest.mark.parametrize(
    ("name", "values", "data_type", "category", "semantic"),
    [
        ("nino", NINOS, D.VARCHAR, C.DIRECT_IDENTIFIER, S.NINO),
        ("National Insurance Number", ["AB 12 34 56 C"], D.VARCHAR, C.DIRECT_IDENTIFIER, S.NINO),
        ("claimant_ref", NINOS, D.VARCHAR, C.DIRECT_IDENTIFIER, S.NINO),
        ("nhs_no", NHS, D.BIGINT, C.DIRECT_IDENTIFIER, S.NHS_NUMBER),
        ("NHSNumber", ["943 476 5919"], D.VARCHAR, C.DIRECT_IDENTIFIER, S.NHS_NUMBER),
        ("DOB", ["1980-01-02"], D.DATE, C.QUASI_IDENTIFIER, S.DATE_OF_BIRTH),
        ("date_of_birth", ["02/01/1980"], D.VARCHAR, C.QUASI_IDENTIFIER, S.DATE_OF_BIRTH),
        ("yob", ["1980", "1975"], D.BIGINT, C.QUASI_IDENTIFIER, S.DATE_OF_BIRTH),
        ("post_code", POSTCODES, D.VARCHAR, C.QUASI_IDENTIFIER, S.POSTCODE),
        ("postcode_district", ["SW1A", "M1", "B33"], D.VARCHAR, C.QUASI_IDENTIFIER, S.CODE),
        ("tel", ["07700 900123", "+44 20 7946 0018"], D.VARCHAR, C.DIRECT_IDENTIFIER, S.PHONE),
        ("addr_line_1", ["1 High Street", "Flat 2"], D.VARCHAR, C.DIRECT_IDENTIFIER, S.ADDRESS),
        ("forename", ["Ann", "Bob"], D.VARCHAR, C.DIRECT_IDENTIFIER, S.GIVEN_NAME),
        ("surname", ["Smith", "O'Neil"], D.VARCHAR, C.DIRECT_IDENTIFIER, S.FAMILY_NAME),
        ("name", ["Ann Smith", "Bob Jones"], D.VARCHAR, C.DIRECT_IDENTIFIER, S.FULL_NAME),
        ("email", ["a@example.org"], D.VARCHAR, C.DIRECT_IDENTIFIER, S.EMAIL),
        ("Customer Title", ["Mr", "Mrs", "Dr"], D.VARCHAR, C.QUASI_IDENTIFIER, S.TITLE),
        ("gender", ["M", "F", "F"], D.VARCHAR, C.QUASI_IDENTIFIER, S.SEX),
        (
            "notes",
            ["Called on Tuesday, no answer at the door"],
            D.VARCHAR,
            C.PERSONAL,
            S.FREE_TEXT,
        ),
        ("Disability Status", ["Y", "N", "N"], D.VARCHAR, C.SPECIAL_CATEGORY, S.CODE),
        ("ethnicity", ["A1", "B2", "A1"], D.VARCHAR, C.SPECIAL_CATEGORY, S.CODE),
        ("vaccination_date", ["2024-01-01"], D.DATE, C.SPECIAL_CATEGORY, S.DATE),
        ("religion", ["None", "Christian"], D.VARCHAR, C.SPECIAL_CATEGORY, S.CODE),
        ("is_carer", ["true", "false"], D.BOOLEAN, C.PERSONAL, S.FLAG),
        ("award_amount", ["12.5", "80.25"], D.DOUBLE, C.PERSONAL, S.AMOUNT),
        ("count", ["12", "40"], D.BIGINT, C.NON_PERSONAL, S.OTHER),
        ("number_of_claimants", ["12", "40"], D.BIGINT, C.NON_PERSONAL, S.OTHER),
        ("referral_date", ["2024-01-01"], D.DATE, C.PERSONAL, S.DATE),
        ("age", ["45", "61"], D.BIGINT, C.QUASI_IDENTIFIER, S.OTHER),
        ("job_title", ["Engineer", "Nurse"], D.VARCHAR, C.PERSONAL, S.CODE),
        ("org_name", ["Acme Ltd", "Beta plc"], D.VARCHAR, C.PERSONAL, S.CODE),
    ],
)
def test_suggestions(
    name: str, values: list[str], data_type: DataType, category: Category, semantic: SemanticType
) -> None:
    assert suggest_field(name, values, data_type) == (category, semantic)


@pytest.mark.parametrize(
    ("name", "semantic"),
    [
        ("nino", S.NINO),
        ("nhs_number", S.NHS_NUMBER),
        ("postcode", S.POSTCODE),
        ("dob", S.DATE_OF_BIRTH),
        ("email", S.EMAIL),
        ("surname", S.FAMILY_NAME),
    ],
)
def test_name_decides_when_there_are_no_values(name: str, semantic: SemanticType) -> None:
    assert suggest_field(name, [None, "", "  "], DataType.VARCHAR)[1] is semantic


def test_shape_not_validity_decides_a_named_column() -> None:
    # A NINO column with some unallocated prefixes is still a NINO column, so ingest
    # validates it and reports the bad ones rather than treating the column as text.
    values = ["BG123456A", "AB123456C", "ZZ123456D"]
    assert suggest_field("nino", values, DataType.VARCHAR)[1] is S.NINO


NINO_NAMES = st.sampled_from(
    ["nino", "NINO", "ni_no", "National Insurance Number", "claimant_nino"]
)
digests = st.binary(min_size=1, max_size=8).map(lambda b: hashlib.sha256(b).hexdigest())


@given(NINO_NAMES, st.lists(digests, min_size=1, max_size=20))
def test_names_do_not_win_against_contradicting_values(name: str, values: list[str]) -> None:
    # Pseudonymised NINOs are not NINOs: validating them as such would refuse every row.
    category, semantic = suggest_field(name, values, DataType.VARCHAR)
    assert semantic is not S.NINO
    assert category is not Category.NON_PERSONAL


@given(
    st.sampled_from(["dob", "date_of_birth", "postcode", "email", "nhs_no", "tel"]),
    st.lists(st.integers(min_value=-5, max_value=5).map(str), min_size=1, max_size=20),
)
def test_small_integers_contradict_identifier_names(name: str, values: list[str]) -> None:
    semantic = suggest_field(name, values, DataType.BIGINT)[1]
    assert semantic not in {S.DATE_OF_BIRTH, S.POSTCODE, S.EMAIL, S.NHS_NUMBER, S.PHONE}


valid_ninos = st.from_regex(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]", fullmatch=True)
valid_ninos = valid_ninos.filter(lambda n: n[:2] not in NINO_DISALLOWED_PREFIXES)
valid_nhs = (
    st.from_regex(r"[0-9]{9}", fullmatch=True)
    .filter(lambda d: nhs_check_digit(d) is not None)
    .map(lambda d: d + str(nhs_check_digit(d)))
)


@given(st.text(max_size=30), st.lists(valid_ninos, min_size=1, max_size=30))
def test_values_that_are_all_valid_ninos_are_ninos_whatever_the_name(
    name: str, values: list[str]
) -> None:
    assert suggest_field(name, values, DataType.VARCHAR) == (C.DIRECT_IDENTIFIER, S.NINO)


@given(st.text(max_size=30), st.lists(valid_nhs, min_size=1, max_size=30))
def test_values_that_are_all_valid_nhs_numbers_are_nhs_numbers(
    name: str, values: list[str]
) -> None:
    assert suggest_field(name, values, DataType.VARCHAR) == (C.DIRECT_IDENTIFIER, S.NHS_NUMBER)


@given(st.text(max_size=40), st.lists(st.none() | st.text(max_size=20), max_size=20))
def test_any_input_gets_a_suggestion(name: str, values: list[str | None]) -> None:
    for data_type in DataType:
        category, semantic = suggest_field(name, values, data_type)
        assert isinstance(category, Category)
        assert isinstance(semantic, SemanticType)


@pytest.mark.parametrize("semantic", list(SemanticType))
def test_every_semantic_type_has_a_category(semantic: SemanticType) -> None:
    category = category_for(semantic, "x")
    direct = {S.NINO, S.NHS_NUMBER, S.FULL_NAME, S.GIVEN_NAME, S.FAMILY_NAME}
    direct |= {S.ADDRESS, S.PHONE, S.EMAIL}
    quasi = {S.DATE_OF_BIRTH, S.POSTCODE, S.SEX, S.TITLE}
    if semantic in direct:
        assert category is C.DIRECT_IDENTIFIER
    elif semantic in quasi:
        assert category is C.QUASI_IDENTIFIER
    else:
        assert category is C.PERSONAL


def test_special_category_names_outrank_personal_but_not_identifiers() -> None:
    assert category_for(S.FLAG, "mental_health_flag") is C.SPECIAL_CATEGORY
    assert category_for(S.FREE_TEXT, "diagnosis_notes") is C.SPECIAL_CATEGORY
    assert category_for(S.NHS_NUMBER, "health_nhs_number") is C.DIRECT_IDENTIFIER
