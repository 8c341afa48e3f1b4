"""The Fellegi-Sunter model's shape, decided from the features: comparisons and blocking.

Nobody tunes these by hand. Each feature brings the comparison its kind of value
deserves (names tolerate typing errors, dates of birth tolerate swapped day and
month, postcodes agree by degrees from unit to district), and blocking is chosen
by *measuring*: each candidate rule's number of pairs is counted on the actual data
(a group-by per side, no join), and a rule that would propose too many pairs is
replaced by its refinements. The same code therefore blocks on date of birth alone
for 5,000 records and on date of birth plus a surname initial for a million.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.linkage.engine import Engine
from accord.linkage.standardise import Features

__all__ = [
    "CANDIDATES",
    "BlockingRule",
    "ModelPlan",
    "choose_blocking",
    "comparisons_for",
    "count_pairs",
]


@dataclass(frozen=True, slots=True)
class BlockingRule:
    """Pairs are proposed when every column in ``columns`` is equal and filled."""

    columns: tuple[str, ...]

    def sql(self) -> str:
        return " AND ".join(f"l.{c} = r.{c}" for c in self.columns)

    def __str__(self) -> str:
        return " + ".join(self.columns)


@dataclass(frozen=True, slots=True)
class ModelPlan:
    """Comparisons (Splink specs) and blocking rules, with each rule's measured pairs."""

    comparisons: tuple[Any, ...]
    blocking: tuple[BlockingRule, ...]
    pairs: dict[str, int] = field(default_factory=dict)


# Coarse rules, each followed by the refinements used when it proposes too many pairs.
Candidates = tuple[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]], ...]

CANDIDATES: Candidates = (
    (("dob",), (("dob", "family_initial"), ("dob", "given_initial"), ("dob", "postcode_district"))),
    (("given_name", "family_name"), (("given_name", "family_name", "dob_year"),)),
    (("postcode",), (("postcode", "given_initial"), ("postcode", "dob_year"))),
    (("family_name",), (("family_name", "dob_year"),)),
    (("given_name",), (("given_name", "dob_year"), ("given_name", "postcode_district"))),
    (("address",), (("address", "given_initial"),)),
    (("phone",), (("phone", "given_initial"),)),
    (("email",), ()),
)


def count_pairs(engine: Engine, left: str, right: str, columns: Sequence[str]) -> int:
    """Pairs an equi-join blocking rule proposes: sum over shared keys of left x right."""
    keys = ", ".join(columns)
    filled = " AND ".join(f"{c} IS NOT NULL" for c in columns)
    sql = (
        f"SELECT coalesce(sum(a.n * b.n), 0) FROM "
        f"(SELECT {keys}, count(*) AS n FROM {left} WHERE {filled} GROUP BY ALL) a JOIN "
        f"(SELECT {keys}, count(*) AS n FROM {right} WHERE {filled} GROUP BY ALL) b "
        f"USING ({keys})"
    )
    return int(engine.fetch(sql, step=f"count pairs for {'+'.join(columns)}")[0][0])


def choose_blocking(
    engine: Engine,
    left: str,
    right: str,
    available: Sequence[str],
    *,
    pairs_per_record: int,
    min_pairs: int,
    candidates: Candidates = CANDIDATES,
) -> tuple[tuple[BlockingRule, ...], dict[str, int]]:
    """Blocking rules whose pairs fit the budget, coarse where affordable, refined where not.

    A rule fits when it proposes at most ``pairs_per_record`` pairs per record of the
    larger side (never less than ``min_pairs``); a coarse rule that does not fit is
    replaced by those of its refinements that do.
    """
    sizes = engine.fetch(
        f"SELECT (SELECT count(*) FROM {left}), (SELECT count(*) FROM {right})", step="sizes"
    )[0]
    budget = max(min_pairs, pairs_per_record * max(int(sizes[0]), int(sizes[1])))
    have = set(available)
    chosen: list[BlockingRule] = []
    counts: dict[str, int] = {}
    for coarse, refinements in candidates:
        if not have.issuperset(coarse):
            continue
        pairs = count_pairs(engine, left, right, coarse)
        counts["+".join(coarse)] = pairs
        if pairs <= budget:
            if pairs:
                chosen.append(BlockingRule(coarse))
            continue
        for refined in refinements:
            if not have.issuperset(refined):
                continue
            pairs = count_pairs(engine, left, right, refined)
            counts["+".join(refined)] = pairs
            if 0 < pairs <= budget:
                chosen.append(BlockingRule(refined))
    return tuple(chosen), counts


PLACE_FEATURES = ("postcode", "address", "house_number")
"""Features describing where someone lives, compared together as one ``place`` when
postcodes are British.

A UK postcode unit holds about fifteen households, so postcode, address and house
number all say one thing, "same household", which household members share.
Compared separately they would count that fact three times and outvote a different
date of birth. Where postcodes are coarse (an Australian postcode covers suburbs)
the address is independent evidence and keeps its own comparison.
"""


def _level(sql: str, label: str) -> Any:
    """A custom comparison level in portable SQL, its similarity functions named per engine.

    ``{jaro_winkler}`` and ``{damerau_levenshtein}`` in ``sql`` become the function
    names of the engine Splink runs on (DuckDB's built-ins, or the UDFs Splink
    registers on Spark); the rest of the condition is SQL both engines read alike.
    """
    return _portable_level()(sql, label)


@functools.cache
def _portable_level() -> type[Any]:
    from splink.comparison_level_library import CustomLevel

    class PortableLevel(CustomLevel):
        def create_sql(self, sql_dialect: Any) -> str:
            return str(self.sql_condition).format(
                jaro_winkler=sql_dialect.jaro_winkler_function_name,
                damerau_levenshtein=sql_dialect.damerau_levenshtein_function_name,
            )

    return PortableLevel


def comparisons_for(features: Features, *, exclude: Sequence[str] = ()) -> tuple[Any, ...]:
    """One Splink comparison per feature, levels from exact to different, nulls apart.

    Exact agreement on names carries a term-frequency adjustment: two records agreeing
    on a rare surname is stronger evidence than two Smiths.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def custom(name: str, levels: list[Any], null: Any = None) -> Any:
        return cl.CustomComparison(
            comparison_levels=[null or cll.NullLevel(name), *levels, cll.ElseLevel()],
            output_column_name=name,
        )

    def name_levels(name: str) -> list[Any]:
        levels = [
            cll.ExactMatchLevel(name, term_frequency_adjustments=True),
            cll.JaroWinklerLevel(name, 0.92),
            cll.JaroWinklerLevel(name, 0.80),
        ]
        if name == "given_name" and "family_name" in features:
            swapped = (
                "{jaro_winkler}(given_name_l, family_name_r) >= 0.92 AND "
                "{jaro_winkler}(family_name_l, given_name_r) >= 0.92"
            )
            levels.insert(1, _level(swapped, "given and family names swapped"))
        return levels

    built: list[Any] = []
    place = []
    if features.uk_postcodes:
        place = [f for f in PLACE_FEATURES if f in features.names and f not in exclude]
    if place:
        built.append(_place_comparison(place, uk=features.uk_postcodes))
    for feature in features.names:
        if feature in exclude or feature in place:
            continue
        if feature in ("given_name", "family_name"):
            built.append(custom(feature, name_levels(feature)))
        elif feature == "dob":
            swapped = (
                "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND substr(dob_l, 6, 2) = "
                "substr(dob_r, 9, 2) AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)"
            )
            built.append(
                custom(
                    "dob",
                    [
                        cll.ExactMatchLevel("dob"),
                        _level(swapped, "day and month swapped"),
                        cll.DamerauLevenshteinLevel("dob", 1),
                        _level("substr(dob_l, 1, 7) = substr(dob_r, 1, 7)", "same month"),
                    ],
                )
            )
        elif feature == "postcode" and features.uk_postcodes:
            built.append(
                custom(
                    "postcode",
                    [
                        cll.ExactMatchLevel("postcode"),
                        _level("postcode_sector_l = postcode_sector_r", "same sector"),
                        _level("postcode_district_l = postcode_district_r", "same district"),
                    ],
                )
            )
        elif feature == "postcode":
            built.append(
                custom(
                    "postcode",
                    [cll.ExactMatchLevel("postcode"), cll.DamerauLevenshteinLevel("postcode", 1)],
                )
            )
        elif feature in ("address", "locality"):
            built.append(
                custom(feature, [cll.ExactMatchLevel(feature), cll.JaroWinklerLevel(feature, 0.9)])
            )
        elif feature in ("nino", "nhs_number"):
            built.append(
                custom(
                    feature,
                    [cll.ExactMatchLevel(feature), cll.DamerauLevenshteinLevel(feature, 1)],
                )
            )
        else:
            built.append(custom(feature, [cll.ExactMatchLevel(feature)]))
    return tuple(built)


def _place_comparison(place: Sequence[str], *, uk: bool) -> Any:
    """Postcode, address and house number as one comparison, most to least specific."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def both(name: str) -> str:
        return f"{name}_l IS NOT NULL AND {name}_r IS NOT NULL"

    def equal(name: str) -> str:
        return f"{name}_l = {name}_r"

    null = " AND ".join(f"({name}_l IS NULL OR {name}_r IS NULL)" for name in place)
    levels: list[Any] = [_level(null, "no place on one side").configure(is_null_level=True)]
    has_postcode = "postcode" in place
    has_address = "address" in place
    has_number = "house_number" in place
    near_address = "{jaro_winkler}(address_l, address_r) >= 0.9"
    if has_postcode and has_address:
        levels.append(_level(f"{equal('postcode')} AND {equal('address')}", "same address"))
        near = [near_address]
        if has_number:
            near.append(equal("house_number"))
        levels.append(
            _level(
                f"{equal('postcode')} AND ({' OR '.join(near)})", "same postcode, similar address"
            )
        )
        levels.append(_level(f"{both('address')} AND {near_address}", "similar address"))
    elif has_address:
        levels.append(_level(equal("address"), "same address"))
        levels.append(_level(near_address, "similar address"))
    elif has_number and has_postcode:
        levels.append(_level(f"{equal('postcode')} AND {equal('house_number')}", "same number"))
    if has_postcode:
        levels.append(_level(equal("postcode"), "same postcode"))
        if uk:
            levels.append(_level(equal("postcode_sector"), "same sector"))
            levels.append(_level(equal("postcode_district"), "same district"))
        else:
            levels.append(
                _level("{damerau_levenshtein}(postcode_l, postcode_r) <= 1", "postcode typo")
            )
    elif has_number and has_address:
        levels.append(_level(equal("house_number"), "same number"))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(comparison_levels=levels, output_column_name="place")
