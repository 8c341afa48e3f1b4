"""Field transforms as sqlglot expressions that render on DuckDB, PostgreSQL and Spark.

Only portable constructs are used (CASE, SUBSTRING, EXTRACT, UPPER, REPLACE, TRANSLATE,
LENGTH),
so one agreement runs in place on any engine. Pseudonymisation is not here: the plan
hands out the *normalised* identifier and the engine hashes it with the domain key on
the data path, so key material never appears in SQL text or query logs.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Callable
from datetime import date

from sqlglot import exp

from accord.core.identifiers import IDENTIFIER_SEPARATORS
from accord.core.vocabulary import DataType, SemanticType
from accord.errors import ValidationError

__all__ = [
    "AGE_BANDS",
    "IDENTIFIER_SEMANTICS",
    "Share",
    "age_at",
    "band",
    "flag",
    "generalise",
    "normalise_identifier",
    "person_identifier",
    "person_identifier_sql",
    "redact",
    "truncate",
]

AGE_BANDS = ((0, 15), (16, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, None))
"""ONS-style age bands; the last is open."""


Share = Callable[[exp.Expression], exp.Expression]
"""Given a subexpression a transform needs more than once, returns what to use in its
place: the expression itself (:func:`inline`), or a reference to a column the compiler
computes once per row (see :mod:`accord.core.plan.compiler`)."""


def inline(expression: exp.Expression) -> exp.Expression:
    return expression


def _int(value: int) -> exp.Expression:
    return exp.Literal.number(value)


def _str(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _part(unit: str, column: exp.Expression) -> exp.Expression:
    return exp.cast(exp.Extract(this=exp.var(unit), expression=column), exp.DataType.build("INT"))


def _compact_upper(column: exp.Expression) -> exp.Expression:
    return exp.Upper(this=exp.Replace(this=column, expression=_str(" "), replacement=_str("")))


IDENTIFIER_SEMANTICS = (SemanticType.NINO, SemanticType.NHS_NUMBER)
"""The identifiers that name a person: the opt-out register and linkage key on these."""


_NON_ASCII = r"[^\x01-\x7F]"
"""Any character outside printable-and-control ASCII (NUL included, to be safe)."""


def _separator(character: str) -> exp.Expression:
    # chr(n), not the raw character: SQL text in logs and snapshots stays printable.
    if character.isprintable():
        return _str(character)
    return exp.Anonymous(this="CHR", expressions=[_int(ord(character))])


def person_identifier(text: exp.Expression) -> exp.Expression:
    """:func:`accord.core.identifiers.normalise_identifier` in SQL.

    The separators go with one REPLACE each. ``UPPER`` would also fold non-ASCII
    letters (DuckDB turns the long s into ``S``), which the Python rule leaves alone,
    and ``TRANSLATE`` of a-z is exact but five times slower than ``UPPER`` on DuckDB;
    so a value holding any non-ASCII character takes ``TRANSLATE`` and every other
    value (all real identifiers) takes ``UPPER``, which on ASCII is the same thing.
    """
    stripped: exp.Expression = text
    for character in IDENTIFIER_SEPARATORS:
        stripped = exp.Replace(
            this=stripped, expression=_separator(character), replacement=_str("")
        )
    exact = exp.Anonymous(
        this="TRANSLATE",
        expressions=[
            stripped.copy(),
            _str(string.ascii_lowercase),
            _str(string.ascii_uppercase),
        ],
    )
    return exp.Case(
        ifs=[
            exp.If(this=exp.RegexpLike(this=text.copy(), expression=_str(_NON_ASCII)), true=exact)
        ],
        default=exp.Upper(this=stripped),
    )


def person_identifier_sql(text_sql: str, dialect: str) -> str:
    """:func:`person_identifier` as SQL text over ``text_sql``, for code that writes SQL
    text (linkage's standardisation)."""
    placeholder = "accord__identifier_text"
    rendered = person_identifier(exp.column(placeholder)).sql(dialect=dialect)
    return rendered.replace(placeholder, f"({text_sql})")


def normalise_identifier(
    column: exp.Expression, semantic: SemanticType, share: Share = inline
) -> exp.Expression:
    """The canonical text an identifier is pseudonymised from, so that the same person
    gets the same pseudonym whichever way a dataset happened to write it."""
    text = exp.cast(column, exp.DataType.build("VARCHAR"))
    if semantic in (SemanticType.NINO, SemanticType.NHS_NUMBER):
        return person_identifier(text)
    if semantic is SemanticType.POSTCODE:
        return _postcode(text, "full", share)
    if semantic in (SemanticType.GIVEN_NAME, SemanticType.FAMILY_NAME, SemanticType.FULL_NAME):
        return exp.Upper(this=exp.Trim(this=text))
    return text


def _postcode(column: exp.Expression, level: str, share: Share) -> exp.Expression:
    compact = share(_compact_upper(column))
    length = exp.Length(this=compact)
    outward_length = exp.Sub(this=length, expression=_int(3))
    outward = exp.Substring(this=compact, start=_int(1), length=outward_length)
    if level == "district":
        result: exp.Expression = outward
    elif level == "sector":
        digit = exp.Substring(
            this=compact, start=exp.Sub(this=length, expression=_int(2)), length=_int(1)
        )
        result = exp.DPipe(this=exp.DPipe(this=outward, expression=_str(" ")), expression=digit)
    elif level == "area":
        second = exp.Substring(this=compact, start=_int(2), length=_int(1))
        letter = exp.Between(this=second, low=_str("A"), high=_str("Z"))
        result = exp.Case(
            ifs=[
                exp.If(this=letter, true=exp.Substring(this=compact, start=_int(1), length=_int(2)))
            ],
            default=exp.Substring(this=compact, start=_int(1), length=_int(1)),
        )
    else:  # full, normalised
        inward = exp.Substring(
            this=compact, start=exp.Sub(this=length, expression=_int(2)), length=_int(3)
        )
        result = exp.DPipe(this=exp.DPipe(this=outward, expression=_str(" ")), expression=inward)
    # Too short to be a postcode: nothing to generalise.
    return exp.Case(
        ifs=[exp.If(this=exp.LT(this=length, expression=_int(5)), true=exp.Null())],
        default=result,
    )


def age_at(column: exp.Expression, reference: date) -> exp.Expression:
    """Whole years at ``reference``: the year difference, less one before the birthday."""
    birthday_passed = exp.GT(
        this=exp.Add(
            this=exp.Mul(this=_part("MONTH", column), expression=_int(100)),
            expression=_part("DAY", column),
        ),
        expression=_int(reference.month * 100 + reference.day),
    )
    return exp.Sub(
        this=exp.Sub(this=_int(reference.year), expression=_part("YEAR", column)),
        expression=exp.Case(ifs=[exp.If(this=birthday_passed, true=_int(1))], default=_int(0)),
    )


def generalise(
    column: exp.Expression,
    level: str,
    data_type: DataType,
    reference: date,
    share: Share = inline,
) -> exp.Expression:
    """``year``, ``year_month`` or ``age_band`` for dates; ``area``, ``district`` or
    ``sector`` for postcodes."""
    if level in ("year", "year_month", "age_band"):
        if data_type not in (DataType.DATE, DataType.TIMESTAMP):
            raise ValidationError(f"generalise({level}) needs a date field, not {data_type.value}")
        if level == "year":
            return _part("YEAR", column)
        if level == "year_month":
            month = _part("MONTH", column)
            padded = exp.Case(
                ifs=[exp.If(this=exp.LT(this=month, expression=_int(10)), true=_str("0"))],
                default=_str(""),
            )
            year_text = exp.cast(_part("YEAR", column), exp.DataType.build("VARCHAR"))
            month_text = exp.cast(month, exp.DataType.build("VARCHAR"))
            return exp.DPipe(
                this=exp.DPipe(
                    this=exp.DPipe(this=year_text, expression=_str("-")), expression=padded
                ),
                expression=month_text,
            )
        age = share(age_at(column, reference))
        ifs = []
        for low, high in AGE_BANDS:
            label = f"{low}+" if high is None else f"{low}-{high}"
            test = (
                exp.GTE(this=age, expression=_int(low))
                if high is None
                else exp.Between(this=age, low=_int(low), high=_int(high))
            )
            ifs.append(exp.If(this=test, true=_str(label)))
        return exp.Case(ifs=ifs, default=exp.Null())
    if level in ("area", "district", "sector"):
        return _postcode(exp.cast(column, exp.DataType.build("VARCHAR")), level, share)
    raise ValidationError(
        f"generalise({level}) is not a generalisation Accord has: year, year_month, "
        "age_band, area, district or sector"
    )


def band(column: exp.Expression, edges_text: str) -> exp.Expression:
    """``band(10,20,50)``: labels ``<10``, ``10-20``, ``20-50``, ``50+``."""
    try:
        edges = [float(e) for e in edges_text.split(",") if e.strip()]
    except ValueError:
        raise ValidationError(f"band({edges_text}) needs comma-separated numbers") from None
    if not edges or edges != sorted(edges):
        raise ValidationError(f"band({edges_text}) needs increasing numbers")

    def label(value: float) -> str:
        return f"{value:g}"

    ifs = [
        exp.If(
            this=exp.LT(this=column, expression=exp.Literal.number(label(edges[0]))),
            true=_str(f"<{label(edges[0])}"),
        )
    ]
    for low, high in itertools.pairwise(edges):
        ifs.append(
            exp.If(
                this=exp.LT(this=column, expression=exp.Literal.number(label(high))),
                true=_str(f"{label(low)}-{label(high)}"),
            )
        )
    ifs.append(
        exp.If(
            this=exp.GTE(this=column, expression=exp.Literal.number(label(edges[-1]))),
            true=_str(f"{label(edges[-1])}+"),
        )
    )
    return exp.Case(ifs=ifs, default=exp.Null())


def flag(condition: exp.Expression) -> exp.Expression:
    """Yes/no: true where the condition holds, false otherwise (including unknown)."""
    return exp.Coalesce(this=condition, expressions=[exp.false()])


def redact(_: exp.Expression) -> exp.Expression:
    return _str("[redacted]")


def truncate(column: exp.Expression, length_text: str) -> exp.Expression:
    if not length_text.strip().isdigit() or int(length_text) < 1:
        raise ValidationError(f"truncate({length_text}) needs a positive whole number")
    return exp.Substring(
        this=exp.cast(column, exp.DataType.build("VARCHAR")),
        start=_int(1),
        length=_int(int(length_text)),
    )
