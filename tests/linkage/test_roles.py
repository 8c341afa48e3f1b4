"""Columns are recognised by name and content, as the linkage needs them."""

from __future__ import annotations

import pytest

from accord.core.vocabulary import DataType
from accord.errors import ValidationError
from accord.linkage.roles import Role, parse_role, recognise_column


@pytest.mark.parametrize(
    ("name", "values", "data_type", "role"),
    [
        ("forename", ["John", "Mary"], DataType.VARCHAR, Role.GIVEN_NAME),
        ("middle_names", ["Anne", "James Paul"], DataType.VARCHAR, Role.MIDDLE_NAMES),
        ("Surname", ["Smith", "O'Brien"], DataType.VARCHAR, Role.FAMILY_NAME),
        ("dob", ["1980-01-02"], DataType.DATE, Role.DATE_OF_BIRTH),
        ("date_of_birth", ["19560909", "20011231"], DataType.VARCHAR, Role.DATE_OF_BIRTH),
        ("postcode", ["SW1A 1AA", "LS1 4AP"], DataType.VARCHAR, Role.POSTCODE),
        ("postcode", ["2600", "3000"], DataType.VARCHAR, Role.POSTCODE),
        ("street_number", ["12", "4a"], DataType.VARCHAR, Role.HOUSE_NUMBER),
        ("address_line_1", ["12 High Street"], DataType.VARCHAR, Role.ADDRESS),
        ("suburb", ["lakemba", "ryde"], DataType.VARCHAR, Role.LOCALITY),
        ("nino", ["AB123456C", "CE654321A"], DataType.VARCHAR, Role.NINO),
        ("ref", ["AB123456C", "CE654321A"], DataType.VARCHAR, Role.NINO),
        ("weekly_amount", ["67.25"], DataType.DOUBLE, None),
        ("soc_sec_id", ["5304218"], DataType.VARCHAR, None),
    ],
)
def test_recognise_column(
    name: str, values: list[str], data_type: DataType, role: Role | None
) -> None:
    assert recognise_column(name, values, data_type) is role


def test_parse_role_accepts_aliases_and_ignore() -> None:
    assert parse_role("dob", parameter="--field") is Role.DATE_OF_BIRTH
    assert parse_role("Given-Name", parameter="--field") is Role.GIVEN_NAME
    assert parse_role("ignore", parameter="--field") is None
    with pytest.raises(ValidationError, match="--field: unknown role"):
        parse_role("wizard", parameter="--field")
