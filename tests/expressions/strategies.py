"""Hypothesis strategies: any tree the parser can produce, and well-typed trees with rows.

``expressions()`` ignores types (for round trips); ``filters()`` builds only trees
that pass ``check`` against ``SCHEMA``, and ``rows()`` builds rows for that schema,
NULLs included, with values chosen to collide often so comparisons are sometimes
true.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from hypothesis import strategies as st

from accord.core.expressions.areas import AreaLookup, lookup_from_rows
from accord.core.expressions.nodes import (
    Age,
    And,
    Between,
    BooleanLiteral,
    Column,
    CompareOp,
    Comparison,
    DateLiteral,
    DateShift,
    DecimalLiteral,
    Expr,
    InArea,
    InList,
    IntegerLiteral,
    IsNull,
    Like,
    Lower,
    Not,
    NullLiteral,
    Or,
    StartsWith,
    StringLiteral,
    Today,
    Unit,
    Upper,
)
from accord.core.expressions.parser import BIGINT_MAX, BIGINT_MIN, MAX_INTERVAL
from accord.core.vocabulary import DataType

# ---------------------------------------------------------------- any parseable tree

text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\0"))
names = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True),
    text.filter(bool),
)
decimals = st.decimals(
    min_value=-(10**12), max_value=10**12, places=4, allow_nan=False, allow_infinity=False
)


@st.composite
def _shifts(draw: st.DrawFn, operand: st.SearchStrategy[Expr]) -> DateShift:
    unit = draw(st.sampled_from(Unit))
    amount = draw(st.integers(0, MAX_INTERVAL[unit]))
    return DateShift(draw(operand), draw(st.booleans()), amount, unit)


leaves: st.SearchStrategy[Expr] = st.one_of(
    text.map(StringLiteral),
    st.integers(BIGINT_MIN, BIGINT_MAX).map(IntegerLiteral),
    decimals.map(DecimalLiteral),
    st.booleans().map(BooleanLiteral),
    st.just(NullLiteral()),
    st.dates().map(DateLiteral),
    names.map(Column),
    st.just(Today()),
)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.one_of(
        children.map(Age),
        _shifts(children),
        st.builds(Comparison, st.sampled_from(CompareOp), children, children),
        st.builds(
            InList, children, st.lists(children, min_size=1, max_size=3).map(tuple), st.booleans()
        ),
        st.builds(Between, children, children, children, st.booleans()),
        st.builds(IsNull, children, st.booleans()),
        children.map(Not),
        st.builds(And, children, children),
        st.builds(Or, children, children),
        st.builds(Like, children, text.map(StringLiteral), st.booleans()),
        st.builds(StartsWith, children, text.map(StringLiteral)),
        children.map(Lower),
        children.map(Upper),
        st.builds(InArea, children, st.lists(text, max_size=3).map(tuple)),
    )


def expressions() -> st.SearchStrategy[Expr]:
    """Syntactically valid trees of any shape, typed or not."""
    return st.recursive(leaves, _extend, max_leaves=12)


# ---------------------------------------------------------- well-typed filters + rows

SCHEMA = {
    "b": DataType.BOOLEAN,
    "n": DataType.BIGINT,
    "x": DataType.DOUBLE,
    "d": DataType.DATE,
    "t": DataType.TIMESTAMP,
    "s": DataType.VARCHAR,
    "odd name": DataType.VARCHAR,
}
_BY_TYPE = {kind: [name for name, k in SCHEMA.items() if k is kind] for kind in DataType}

dates_ = st.one_of(
    st.dates(date(1900, 1, 1), date(2100, 12, 31)),
    st.sampled_from(
        [
            date(2000, 2, 29),
            date(2024, 2, 29),
            date(2023, 2, 28),
            date(2023, 3, 1),
            date(1990, 12, 31),
            date(1960, 2, 28),
            date(1960, 3, 1),
            date(1980, 2, 29),
        ]
    ),
)
reference_dates = st.one_of(
    st.sampled_from([date(2025, 2, 28), date(2025, 3, 1), date(2024, 2, 29), date(2024, 2, 28)]),
    st.dates(date(1950, 1, 1), date(2050, 12, 31)),
)
timestamps = st.builds(datetime.combine, dates_, st.times(time(0), time(23, 59, 59, 999999)))
strings = st.text("aAb'\" ;é\\%_", max_size=3)
ints = st.integers(-3, 3) | st.integers(0, 130) | st.integers(-(10**6), 10**6)
floats = st.sampled_from([-1.5, -0.0, 0.0, 0.1, 1.0, 2.5]) | st.floats(-100, 100, width=32)
small_decimals = st.sampled_from(
    [Decimal("0.1"), Decimal("-1.5"), Decimal("2.50"), Decimal("1.0")]
) | st.decimals(-100, 100, places=2, allow_nan=False, allow_infinity=False)

AREAS: AreaLookup = lookup_from_rows(
    [
        {
            "postcode": "LS1 1AA",
            "oa_code": "E00000001",
            "lsoa_code": "E01000001",
            "la_code": "E08000035",
        },
        {
            "postcode": "ab",
            "oa_code": "E00000002",
            "lsoa_code": "E01000002",
            "la_code": "E06000001",
        },
        {
            "postcode": "A b",
            "oa_code": "E00000003",
            "lsoa_code": "E01000002",
            "la_code": "E06000001",
        },
        {
            "postcode": "b'",
            "oa_code": "E00000004",
            "lsoa_code": "E01000003",
            "la_code": "E06000002",
        },
    ],
    served=("E06000001",),
)
"""The geography ``in_area`` is compiled and evaluated with in the semantic tests: the
generated strings ``ab``, ``AB``, ``a b``, ``A b``, ``b'`` are places in it."""
DISTRICTS = ("E08000035", "E06000001", "E06000002", "E07000001")

VALUES = {
    DataType.BOOLEAN: st.booleans(),
    DataType.BIGINT: ints,
    DataType.DOUBLE: floats,
    DataType.DATE: dates_,
    DataType.TIMESTAMP: timestamps,
    DataType.VARCHAR: strings,
}


def _nullable(values: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """NULL about a quarter of the time: often enough to matter, rarely enough to select."""
    return st.one_of(st.none(), values, values, values)


def rows() -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries({name: _nullable(VALUES[kind]) for name, kind in SCHEMA.items()})


def _columns(kind: DataType) -> st.SearchStrategy[Expr]:
    return st.sampled_from(_BY_TYPE[kind]).map(Column)


def _small_shift(operand: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.builds(DateShift, operand, st.booleans(), st.integers(0, 400), st.sampled_from(Unit))


_numbers: st.SearchStrategy[Expr] = st.deferred(
    lambda: st.one_of(
        _columns(DataType.BIGINT),
        _columns(DataType.DOUBLE),
        ints.map(IntegerLiteral),
        small_decimals.map(DecimalLiteral),
        _dates.map(Age),
        _timestamps.map(Age),
    )
)
_dates: st.SearchStrategy[Expr] = st.deferred(
    lambda: st.one_of(
        _columns(DataType.DATE),
        dates_.map(DateLiteral),
        st.just(Today()),
        _small_shift(_dates),
    )
)
_timestamps: st.SearchStrategy[Expr] = st.deferred(
    lambda: _columns(DataType.TIMESTAMP) | _small_shift(_columns(DataType.TIMESTAMP))
)
_plain_texts: st.SearchStrategy[Expr] = _columns(DataType.VARCHAR) | strings.map(StringLiteral)
_text_values: st.SearchStrategy[Expr] = st.one_of(
    _plain_texts, _plain_texts.map(Lower), _plain_texts.map(Upper)
)
_texts: st.SearchStrategy[Expr] = _text_values
_date_strings = dates_.map(lambda d: StringLiteral(d.isoformat()))

_ORDERED = st.sampled_from(CompareOp)
_EQUALITY = st.sampled_from([CompareOp.EQ, CompareOp.NE])


def _predicates(booleans: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    temporal = _dates | _timestamps
    families: list[tuple[st.SearchStrategy[Expr], st.SearchStrategy[Expr]]] = [
        (_numbers, _numbers),
        (_texts, _texts),
        (temporal, temporal | _date_strings),
    ]
    options: list[st.SearchStrategy[Expr]] = []
    for left, right in families:
        options += [
            st.builds(Comparison, _ORDERED, left, right),
            st.builds(
                InList, left, st.lists(right, min_size=1, max_size=4).map(tuple), st.booleans()
            ),
            st.builds(Between, left, right, right, st.booleans()),
        ]
    patterns = st.text("aAb%_ é'", max_size=4).map(StringLiteral)
    options += [
        st.builds(Like, _text_values, patterns, st.booleans()),
        st.builds(StartsWith, _text_values, strings.map(StringLiteral)),
        st.builds(
            InArea, _text_values, st.lists(st.sampled_from(DISTRICTS), max_size=2).map(tuple)
        ),
        st.builds(Comparison, _EQUALITY, booleans, booleans),
        st.builds(IsNull, _numbers | _texts | temporal | booleans, st.booleans()),
    ]
    return st.one_of(options)


def _boolean_leaves() -> st.SearchStrategy[Expr]:
    return _columns(DataType.BOOLEAN) | st.booleans().map(BooleanLiteral)


def filters() -> st.SearchStrategy[Expr]:
    """Trees that pass ``check(tree, SCHEMA)``."""
    base = _boolean_leaves() | _predicates(_boolean_leaves())
    return st.recursive(
        base,
        lambda inner: st.one_of(
            inner.map(Not),
            st.builds(And, inner, inner),
            st.builds(Or, inner, inner),
            _predicates(inner),
        ),
        max_leaves=8,
    )
