"""The scalar reference validators: valid values pass, each single-rule violation fails."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.identifiers import (
    NINO_DISALLOWED_PREFIXES,
    is_valid_nhs_number,
    is_valid_nino,
    is_valid_postcode,
    nhs_check_digit,
    normalise_nhs_number,
    normalise_nino,
    normalise_postcode,
    postcode_area,
    postcode_district,
    postcode_sector,
)

# ---------------------------------------------------------------------------- NINO

NINO_FIRST = sorted(set(string.ascii_uppercase) - set("DFIQUV"))
NINO_SECOND = sorted(set(string.ascii_uppercase) - set("DFIQUVO"))
digits6 = st.text(alphabet=string.digits, min_size=6, max_size=6)
suffixes = st.sampled_from("ABCD")


@st.composite
def valid_ninos(draw: st.DrawFn) -> str:
    first = draw(st.sampled_from(NINO_FIRST))
    second = draw(st.sampled_from(NINO_SECOND))
    if first + second in NINO_DISALLOWED_PREFIXES:
        second = "A"
    return first + second + draw(digits6) + draw(suffixes)


def spaced_nino(nino: str) -> str:
    return f"{nino[:2]} {nino[2:4]} {nino[4:6]} {nino[6:8]} {nino[8]}"


@given(valid_ninos())
def test_valid_ninos_pass_in_any_case_and_spacing(nino: str) -> None:
    assert is_valid_nino(nino)
    assert is_valid_nino(nino.lower())
    assert is_valid_nino(spaced_nino(nino))
    assert is_valid_nino(f"\t{nino}\n")
    assert normalise_nino(spaced_nino(nino.lower())) == nino


@given(valid_ninos(), st.sampled_from("DFIQUV"))
def test_barred_first_letter_fails(nino: str, letter: str) -> None:
    assert not is_valid_nino(letter + nino[1:])


@given(valid_ninos(), st.sampled_from("DFIQUVO"))
def test_barred_second_letter_fails(nino: str, letter: str) -> None:
    assert not is_valid_nino(nino[0] + letter + nino[2:])


@given(valid_ninos(), st.sampled_from(sorted(NINO_DISALLOWED_PREFIXES)))
def test_unallocated_prefix_fails(nino: str, prefix: str) -> None:
    assert not is_valid_nino(prefix + nino[2:])


@given(valid_ninos(), st.sampled_from(sorted(set(string.ascii_uppercase) - set("ABCD"))))
def test_suffix_outside_a_to_d_fails(nino: str, suffix: str) -> None:
    assert not is_valid_nino(nino[:8] + suffix)


@given(valid_ninos(), st.integers(min_value=2, max_value=7), st.sampled_from(["", "12"]))
def test_wrong_digit_count_fails(nino: str, at: int, change: str) -> None:
    shortened = nino[:at] + nino[at + 1 :] if not change else nino[:at] + change + nino[at:]
    assert not is_valid_nino(shortened)


@given(valid_ninos(), st.integers(min_value=2, max_value=7), st.sampled_from("AZ/-\u0661"))
def test_non_digit_in_number_fails(nino: str, at: int, intruder: str) -> None:
    assert not is_valid_nino(nino[:at] + intruder + nino[at + 1 :])


@pytest.mark.parametrize(
    "lookalike",
    [
        "\ufb06123456A",  # the ligature "st" upper-cases to "ST" in Python
        "\u017fT123456A",  # long s upper-cases to "S"
        "AB\u2003123456C",  # an em space is not forgiven
        "AB12345\uff16C",  # a full-width digit
    ],
)
def test_non_ascii_lookalikes_fail(lookalike: str) -> None:
    assert not is_valid_nino(lookalike)


# ---------------------------------------------------------------------- NHS number

nine_digits = st.text(alphabet=string.digits, min_size=9, max_size=9)


@st.composite
def valid_nhs_numbers(draw: st.DrawFn) -> str:
    first = draw(nine_digits.filter(lambda d: nhs_check_digit(d) is not None))
    return first + str(nhs_check_digit(first))


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "943-476-5919", "4010232137"])
def test_known_nhs_numbers(number: str) -> None:
    assert is_valid_nhs_number(number)


@given(valid_nhs_numbers())
def test_valid_nhs_numbers_pass_with_spacing(number: str) -> None:
    assert is_valid_nhs_number(number)
    assert is_valid_nhs_number(f"{number[:3]} {number[3:6]} {number[6:]}")
    assert is_valid_nhs_number(f"{number[:3]}-{number[3:6]}-{number[6:]}")
    assert normalise_nhs_number(f"{number[:3]} {number[3:6]}-{number[6:]}") == number


@given(valid_nhs_numbers(), st.integers(min_value=0, max_value=9), st.integers(1, 9))
def test_any_single_digit_change_fails(number: str, at: int, delta: int) -> None:
    changed = str((int(number[at]) + delta) % 10)
    assert not is_valid_nhs_number(number[:at] + changed + number[at + 1 :])


@given(valid_nhs_numbers(), st.integers(min_value=0, max_value=8))
def test_adjacent_transposition_fails(number: str, at: int) -> None:
    if number[at] == number[at + 1]:
        return
    swapped = number[:at] + number[at + 1] + number[at] + number[at + 2 :]
    assert not is_valid_nhs_number(swapped)


def _remainder_ten(eight: str) -> str | None:
    """Eight digits and the ninth that makes the weighted sum leave 1 modulo 11 (so the
    check digit would be 10), when one exists: built rather than filtered, as only one
    nine-digit string in eleven qualifies."""
    total = sum(int(c) * w for c, w in zip(eight, range(10, 2, -1), strict=True))
    ninth = ((1 - total) * 6) % 11  # 2 * 6 = 12, which is 1 modulo 11
    return eight + str(ninth) if ninth < 10 else None


@given(
    st.text("0123456789", min_size=8, max_size=8)
    .map(_remainder_ten)
    .filter(lambda d: d is not None)
)
def test_remainder_ten_has_no_valid_number(first: str) -> None:
    assert nhs_check_digit(first) is None
    assert all(not is_valid_nhs_number(first + str(last)) for last in range(10))


@given(valid_nhs_numbers(), st.sampled_from(["", "0"]))
def test_wrong_length_fails(number: str, extra: str) -> None:
    assert not is_valid_nhs_number(number[:-1] if not extra else number + extra)


def test_non_ascii_digits_fail() -> None:
    arabic = "".join(chr(0x0660 + int(d)) for d in "9434765919")
    assert not is_valid_nhs_number(arabic)
    assert not is_valid_nhs_number("943\u00a0476\u00a05919")


# ------------------------------------------------------------------------ postcode

AREA_1 = sorted(set(string.ascii_uppercase) - set("QVX"))
AREA_2 = sorted(set(string.ascii_uppercase) - set("IJZ"))
THIRD_A9A = "ABCDEFGHJKPSTUW"
FOURTH_AA9A = "ABEHMNPRVWXY"
INWARD = sorted(set(string.ascii_uppercase) - set("CIKMOV"))
digit = st.sampled_from(string.digits)


@st.composite
def outward_codes(draw: st.DrawFn) -> str:
    shape = draw(st.sampled_from(["A9", "A99", "AA9", "AA99", "A9A", "AA9A"]))
    first = draw(st.sampled_from(AREA_1))
    if shape == "A9":
        return first + draw(digit)
    if shape == "A99":
        return first + draw(digit) + draw(digit)
    second = draw(st.sampled_from(AREA_2))
    if shape == "AA9":
        return first + second + draw(digit)
    if shape == "AA99":
        return first + second + draw(digit) + draw(digit)
    if shape == "A9A":
        return first + draw(digit) + draw(st.sampled_from(THIRD_A9A))
    return first + second + draw(digit) + draw(st.sampled_from(FOURTH_AA9A))


@st.composite
def valid_postcodes(draw: st.DrawFn) -> str:
    inward = draw(digit) + draw(st.sampled_from(INWARD)) + draw(st.sampled_from(INWARD))
    return f"{draw(outward_codes())} {inward}"


@given(valid_postcodes())
def test_valid_postcodes_pass_in_any_case_and_spacing(postcode: str) -> None:
    assert is_valid_postcode(postcode)
    assert is_valid_postcode(postcode.lower())
    assert is_valid_postcode(postcode.replace(" ", ""))
    assert is_valid_postcode(postcode.replace(" ", "  \t"))
    assert normalise_postcode(postcode.replace(" ", "").lower()) == postcode


def test_girobank_and_known_postcodes() -> None:
    for postcode in ["GIR 0AA", "SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX"]:
        assert is_valid_postcode(postcode)


@given(valid_postcodes(), st.sampled_from("QVX"))
def test_barred_first_letter_fails_postcode(postcode: str, letter: str) -> None:
    assert not is_valid_postcode(letter + postcode[1:])


@given(valid_postcodes(), st.sampled_from("IJZ"))
def test_barred_second_letter_fails_postcode(postcode: str, letter: str) -> None:
    if not postcode[1].isalpha():
        return
    assert not is_valid_postcode(postcode[0] + letter + postcode[2:])


@given(valid_postcodes(), st.sampled_from("CIKMOV"), st.sampled_from([-1, -2]))
def test_barred_inward_letter_fails(postcode: str, letter: str, at: int) -> None:
    chars = list(postcode)
    chars[at] = letter
    assert not is_valid_postcode("".join(chars))


@given(valid_postcodes(), st.sampled_from("A/"))
def test_inward_must_start_with_a_digit(postcode: str, intruder: str) -> None:
    assert not is_valid_postcode(postcode[:-3] + intruder + postcode[-2:])


@given(st.sampled_from(AREA_1), digit, st.sampled_from(sorted(set("ILMNOQRVXYZ"))))
def test_barred_third_letter_of_a9a_fails(first: str, number: str, third: str) -> None:
    assert not is_valid_postcode(f"{first}{number}{third} 1AA")


@given(valid_postcodes())
def test_missing_inward_code_fails(postcode: str) -> None:
    assert not is_valid_postcode(postcode.split(" ", maxsplit=1)[0])
    assert not is_valid_postcode(postcode[:-1])


def test_non_ascii_postcode_fails() -> None:
    assert not is_valid_postcode("\u017fW1A 1AA")  # long s upper-cases to S in Python
    assert not is_valid_postcode("SW1A\u20031AA")


def test_postcode_parts() -> None:
    assert postcode_area("sw1a1aa") == "SW"
    assert postcode_district("sw1a1aa") == "SW1A"
    assert postcode_sector("sw1a1aa") == "SW1A 1"
    assert postcode_area("M1 1AE") == "M"
