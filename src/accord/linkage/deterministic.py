"""Deterministic passes: exact agreement on a key that is unique on both sides.

They run before the probabilistic model, in order, each on the records no earlier
pass has matched:

1. every shared identifier (NINO, NHS number): two records carrying the same one
   are the same person, which is why the identifiers exist;
2. a *match key* of every quasi-identifier both sides hold (given name, family name,
   date of birth, and postcode or address): the first rung of the match-key
   hierarchy the ONS and NHS tracing services use. Two different people agreeing
   on all of them at once, with neither value repeated on either side, is rarer
   than any error the probabilistic model makes.

A key value held by two records on one side proves nothing about which one is
meant, so such values are left to the model. Records matched here leave the pool,
which is what lets the probabilistic model train and predict on the hard remainder
only: on a typical extract most records agree exactly, so the remainder is small.
"""

from __future__ import annotations

from collections.abc import Sequence

from accord.linkage.engine import Engine

__all__ = ["MATCHES_TABLE", "create_matches_table", "deterministic_pass", "match_key"]

MATCHES_TABLE = "linkage_matches"


def create_matches_table(engine: Engine, id_type: str) -> None:
    engine.execute(
        f"CREATE OR REPLACE TABLE {MATCHES_TABLE} (left_id {id_type}, right_id {id_type}, "
        "match_probability DOUBLE, match_pass VARCHAR)",
        step="create match table",
    )


def match_key(features: Sequence[str]) -> tuple[str, ...] | None:
    """The all-quasi-identifier match key, or None when the sides share too little.

    Names and date of birth are required, and a place (postcode, else address):
    without a place, namesakes born the same day in different towns would collide.
    """
    if not {"given_name", "family_name", "dob"}.issubset(features):
        return None
    place = next((f for f in ("postcode", "address") if f in features), None)
    if place is None:
        return None
    return ("given_name", "family_name", "dob", place)


def deterministic_pass(
    engine: Engine, left: str, right: str, keys: Sequence[str], name: str
) -> int:
    """Match unmatched records agreeing exactly on ``keys`` (unique on both sides)."""

    def unique(table: str, side: str) -> str:
        filled = " AND ".join(f"{k} IS NOT NULL" for k in keys)
        return (
            f"SELECT unique_id, {', '.join(keys)} FROM {table} "
            f"WHERE {filled} AND unique_id NOT IN (SELECT {side}_id FROM {MATCHES_TABLE}) "
            f"QUALIFY count(*) OVER (PARTITION BY {', '.join(keys)}) = 1"
        )

    before = _count(engine)
    engine.execute(
        f"INSERT INTO {MATCHES_TABLE} SELECT l.unique_id, r.unique_id, 1.0, '{name}' "
        f"FROM ({unique(left, 'left')}) l JOIN ({unique(right, 'right')}) r "
        f"USING ({', '.join(keys)})",
        step=f"deterministic pass {name}",
    )
    return _count(engine) - before


def _count(engine: Engine) -> int:
    return int(engine.fetch(f"SELECT count(*) FROM {MATCHES_TABLE}", step="count matches")[0][0])
