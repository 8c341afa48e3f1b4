"""The words every field of every dataset is described with.

A field's *category* says how much it identifies a person, and drives the
shareability tier of any request for it; its *semantic type* says what it is, and
drives validation at ingest, the transforms an agreement may apply (generalise a date
of birth, truncate a postcode) and the comparisons linkage uses.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Category", "DataType", "SemanticType"]


class Category(StrEnum):
    DIRECT_IDENTIFIER = "direct_identifier"
    QUASI_IDENTIFIER = "quasi_identifier"
    SPECIAL_CATEGORY = "special_category"
    PERSONAL = "personal"
    NON_PERSONAL = "non_personal"


class SemanticType(StrEnum):
    NINO = "nino"
    NHS_NUMBER = "nhs_number"
    GIVEN_NAME = "given_name"
    FAMILY_NAME = "family_name"
    FULL_NAME = "full_name"
    TITLE = "title"
    DATE_OF_BIRTH = "date_of_birth"
    SEX = "sex"
    POSTCODE = "postcode"
    ADDRESS = "address"
    PHONE = "phone"
    EMAIL = "email"
    DATE = "date"
    FLAG = "flag"
    CODE = "code"
    AMOUNT = "amount"
    FREE_TEXT = "free_text"
    OTHER = "other"


class DataType(StrEnum):
    """Physical types, named as in DuckDB so plans and Parquet agree."""

    BOOLEAN = "BOOLEAN"
    BIGINT = "BIGINT"
    DOUBLE = "DOUBLE"
    DATE = "DATE"
    TIMESTAMP = "TIMESTAMP"
    VARCHAR = "VARCHAR"
