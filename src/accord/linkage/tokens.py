"""Privacy-preserving linkage: both parties share keyed tokens, never names or dates.

Each party standardises its own records exactly as plain linkage does, builds
several *linkage keys* from them, and replaces each key by its HMAC-SHA256 under
the linkage domain's secret key. Only the token tables travel. A party without the
key cannot reverse a token or test a guess; parties pseudonymising for different
domains produce tokens that never meet (DESIGN: pseudonymisation is keyed per
linkage domain).

One exact key would lose every record with a typo, so the keys are chosen to
survive the common errors, each in a different field:

==========================  ====================================================
key                         survives
==========================  ====================================================
``name_dob_postcode``       nothing: the exact match key of plain linkage
``name_dob``                a move, a missing postcode
``names_unordered_dob``     forename and surname swapped
``swapped_dob``             day and month swapped in the date of birth
``phonetic_dob``            spelling and keying errors in names (Soundex codes)
``initial_phonetic_dob``    nicknames (Dave, David) and surname misspellings
``given_dob``               a changed surname
``name_year``               a wrong day or month of birth
``dob_postcode``            any change of name, if the person has not moved
``name_postcode``           a wrong or missing date of birth
``initials_dob_district``   nicknames, changed surnames, a move within a district
``nino``, ``nhs_number``    (shared identifiers, when both parties hold them)
==========================  ====================================================

The tokens are computed in SQL where the data is (HMAC written out as
``sha256(opad || unhex(sha256(ipad || value)))``), and the same pipeline as plain
linkage links them: deterministic passes on the identifier tokens and the exact key,
then a Fellegi-Sunter model over token agreement with two comparisons, *person*
and *place*, each a ladder of keys (see :func:`_model`), whose chance agreement
(u) is measured on the tokens themselves (see :func:`_chance`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from accord.errors import ValidationError
from accord.linkage.deterministic import (
    MATCHES_TABLE,
    create_matches_table,
    deterministic_pass,
)
from accord.linkage.engine import Engine, open_engine
from accord.linkage.inputs import LinkSource, check_ids, load_side, register_source
from accord.linkage.model import fit_and_score
from accord.linkage.plan import choose_blocking
from accord.linkage.resolve import REVIEW_TABLE, resolve
from accord.linkage.roles import ColumnRoles, Role
from accord.linkage.service import (
    MATCH_COLUMNS,
    LinkageOptions,
    LinkageResult,
    LinkSummary,
    _Clock,
)
from accord.linkage.standardise import (
    plan_features,
    soundex_sql,
    standardise_sql,
    uk_postcode_share_sql,
)
from accord.pseudonymise.hmac_sql import hmac_sha256_sql

__all__ = ["TOKEN_KEYS", "hmac_sql", "link_tokens", "tokenise"]

_SEPARATOR = "chr(31)"

TOKEN_KEYS: dict[str, tuple[str, ...]] = {
    "nino": ("nino",),
    "nhs_number": ("nhs_number",),
    "name_dob_postcode": ("given_name", "family_name", "dob", "postcode"),
    "name_dob": ("given_name", "family_name", "dob"),
    "names_unordered_dob": ("name_low", "name_high", "dob"),
    "swapped_dob": ("given_name", "family_name", "dob_unordered"),
    "phonetic_dob": ("given_soundex", "family_soundex", "dob"),
    "initial_phonetic_dob": ("given_initial", "family_soundex", "dob"),
    "given_dob": ("given_name", "dob"),
    "name_year": ("given_name", "family_name", "dob_year"),
    "dob_postcode": ("dob", "postcode"),
    "name_postcode": ("given_name", "family_name", "postcode"),
    "initials_dob_district": ("given_initial", "family_initial", "dob", "district"),
}
"""Each linkage key and the standard values it joins (see the module docstring)."""

# Each comparison is a ladder of rungs; a pair stands on the first rung any of whose keys
# agree. m (how often a true pair stands there) is set from the kinds of error each rung
# survives; u (how often two different people do) is measured on the data, see _chance.
Rung = tuple[str, tuple[str, ...], float]

PERSON_LADDER: tuple[Rung, ...] = (
    ("name and date of birth", ("name_dob", "names_unordered_dob", "swapped_dob"), 0.85),
    ("similar name and date of birth", ("phonetic_dob", "initial_phonetic_dob"), 0.07),
    ("forename and date of birth, or name and year", ("given_dob", "name_year"), 0.05),
)
"""Who the person is: name and date of birth, from exact to partial (else: 0.03)."""
PLACE_LADDER: tuple[Rung, ...] = (
    ("same postcode with date of birth or name", ("dob_postcode", "name_postcode"), 0.75),
    ("initials and date of birth in the district", ("initials_dob_district",), 0.05),
)
"""Where the person lives: postcode, then district, with a name or date of birth (else: 0.2)."""

_IDENTIFIER_KEYS = ("nino", "nhs_number")
_EXACT_KEY = "name_dob_postcode"


def hmac_sql(expression: str, key: bytes) -> str:
    """SQL for the lower-case hex HMAC-SHA256 of a VARCHAR ``expression`` under ``key``.

    Equal to ``hmac.new(key, value.encode(), hashlib.sha256).hexdigest()``. The key
    appears in the SQL text as its two padded forms, so the statement is key material:
    the engines log failing SQL at debug level and quote driver errors only through
    :func:`accord.linkage.redact.redact`, which removes the pads.
    """
    if not isinstance(key, bytes) or not key:
        raise ValidationError("the linkage-domain key must be non-empty bytes")
    # The one HMAC construction Accord has (see accord.pseudonymise.hmac_sql); the
    # expression is linkage's own SQL over its standard columns, never caller text.
    value = sqlglot.parse_one(expression, read="duckdb")
    if not isinstance(value, exp.Expression):
        raise ValidationError(f"not an SQL expression: {expression!r}")
    return hmac_sha256_sql(value, key, "duckdb").sql(dialect="duckdb")


def _components(available: set[str], uk_postcodes: bool) -> dict[str, str]:
    """SQL for each key component the standard columns can supply."""
    parts: dict[str, str] = {}
    for name in ("nino", "nhs_number", "given_name", "family_name", "dob", "postcode"):
        if name in available:
            parts[name] = name
    if "given_name" in available:
        parts["given_initial"] = "left(given_name, 1)"
        parts["given_soundex"] = soundex_sql("given_name")
    if "family_name" in available:
        parts["family_initial"] = "left(family_name, 1)"
        parts["family_soundex"] = soundex_sql("family_name")
    if {"given_name", "family_name"} <= available:
        parts["name_low"] = "least(given_name, family_name)"
        parts["name_high"] = "greatest(given_name, family_name)"
    if "dob" in available:
        parts["dob_year"] = "left(dob, 4)"
        day, month = "substr(dob, 9, 2)", "substr(dob, 6, 2)"
        parts["dob_unordered"] = (
            f"left(dob, 4) || '-' || least({day}, {month}) || '-' || greatest({day}, {month})"
        )
    if "postcode" in available:
        parts["district"] = "postcode_district" if uk_postcodes else "postcode"
    return parts


def _token_select(available: set[str], uk_postcodes: bool, key: bytes) -> tuple[str, list[str]]:
    parts = _components(available, uk_postcodes)
    columns, names = ["unique_id"], []
    for name, needed in TOKEN_KEYS.items():
        if not all(part in parts for part in needed):
            continue
        values = [f"CAST({parts[part]} AS VARCHAR)" for part in needed]
        filled = " AND ".join(f"({value}) IS NOT NULL" for value in values)
        joined = f" || {_SEPARATOR} || ".join(values)
        message = f"'{name}' || {_SEPARATOR} || {joined}"
        columns.append(f"CASE WHEN {filled} THEN {hmac_sql(message, key)} END AS tok_{name}")
        names.append(name)
    return ", ".join(columns), names


def tokenise(
    source: LinkSource,
    *,
    id_column: str,
    key: bytes,
    roles: Mapping[str, Role | None] | None = None,
    memory_limit: str | None = "2GB",
    engine: str = "duckdb",
) -> pa.Table:
    """One party's token table: its id column and a ``tok_<key>`` column per key it can make.

    A key is null for a record missing one of its parts. Only this table leaves the
    party; ``key`` is the linkage domain's secret and stays with the key store.
    ``engine`` is where the standardising and hashing run (``duckdb`` or ``spark``).
    """
    runner = open_engine(engine, memory_limit=memory_limit)
    try:
        return _tokenise(runner, source, id_column, key, roles)
    finally:
        runner.close()


def _tokenise(
    engine: Engine,
    source: LinkSource,
    id_column: str,
    key: bytes,
    roles: Mapping[str, Role | None] | None,
) -> pa.Table:
    side = load_side(engine, source, label="left", id_column=id_column, overrides=roles)
    share = 0.0
    if side.roles.has(Role.POSTCODE):
        column = side.roles.columns(Role.POSTCODE)[0]
        share = float(engine.fetch(uk_postcode_share_sql(side.table, column), step="pc")[0][0])
    features = plan_features(side, side, uk_postcodes=share >= 0.5)
    engine.execute(
        f"CREATE TABLE std AS {standardise_sql(side, features, index=0)}", step="standardise"
    )
    select, names = _token_select(set(features.names), features.uk_postcodes, key)
    if not names:
        raise ValidationError(
            "no linkage key can be built: the input needs names with a date of birth "
            "or postcode, or a NINO or NHS number"
        )
    table = engine.arrow(f"SELECT {select} FROM std", step="tokens")
    return table.rename_columns([id_column, *table.column_names[1:]])


def link_tokens(
    left: LinkSource,
    right: LinkSource,
    *,
    left_id: str,
    right_id: str,
    options: LinkageOptions | None = None,
) -> LinkageResult:
    """Link two token tables (from :func:`tokenise` under the same key) on tokens alone."""
    options = options or LinkageOptions()
    options.check()
    engine = open_engine(options.engine, memory_limit=options.memory_limit, threads=options.threads)
    try:
        return _link(engine, left, right, left_id, right_id, options)
    finally:
        engine.close()


def _link(
    engine: Engine,
    left_source: LinkSource,
    right_source: LinkSource,
    left_id: str,
    right_id: str,
    options: LinkageOptions,
) -> LinkageResult:
    clock = _Clock()
    rows: dict[str, int] = {}
    shared: list[str] | None = None
    with clock.step("load"):
        for label, source, id_column in (
            ("left", left_source, left_id),
            ("right", right_source, right_id),
        ):
            register_source(engine, source, f"raw_{label}", label)
            types = dict(engine.columns(f"raw_{label}"))
            rows[label] = check_ids(engine, f"raw_{label}", types, id_column, label)
            keys = [name for name in TOKEN_KEYS if f"tok_{name}" in types]
            shared = keys if shared is None else [k for k in shared if k in keys]
            quoted = '"' + id_column.replace('"', '""') + '"'
            columns = ", ".join(f"tok_{k}" for k in TOKEN_KEYS if f"tok_{k}" in types)
            engine.execute(
                f"CREATE TABLE std_{label} AS SELECT {quoted} AS unique_id, {columns} "
                f"FROM raw_{label}",
                step=f"load {label} tokens",
            )
        if not shared:
            raise ValidationError("the two token tables share no token columns (tok_<key>)")
        id_types = [engine.columns(f"std_{label}")[0][1] for label in ("left", "right")]
        create_matches_table(engine, id_types[0] if id_types[0] == id_types[1] else "VARCHAR")
    by_pass: dict[str, int] = {}
    with clock.step("deterministic"):
        for name in (*_IDENTIFIER_KEYS, _EXACT_KEY):
            if name in shared and (options.identifier_passes or name == _EXACT_KEY):
                by_pass[name] = deterministic_pass(
                    engine, "std_left", "std_right", (f"tok_{name}",), name
                )
        for label in ("left", "right"):
            engine.execute(
                f"CREATE TABLE rem_{label} AS SELECT * FROM std_{label} WHERE unique_id NOT IN "
                f"(SELECT {label}_id FROM {MATCHES_TABLE})",
                step="remainder",
            )
    probabilistic, to_review, accepted, candidates, prior, blocking = _model(
        engine, shared, options, clock
    )
    by_pass["probabilistic"] = probabilistic
    matches = engine.arrow(
        f"SELECT {', '.join(MATCH_COLUMNS)} FROM {MATCHES_TABLE} ORDER BY match_pass, left_id",
        step="collect",
    )
    review = (
        engine.arrow(f"SELECT * FROM {REVIEW_TABLE}", step="review")
        if to_review
        else matches.slice(0, 0)
    )
    deterministic = sum(v for k, v in by_pass.items() if k != "probabilistic")
    matched = deterministic + probabilistic
    expected = deterministic + candidates
    summary = LinkSummary(
        left_records=rows["left"],
        right_records=rows["right"],
        matched=matched,
        matched_by_pass=by_pass,
        unmatched_left=rows["left"] - matched,
        unmatched_right=rows["right"] - matched,
        to_review=to_review,
        estimated_precision=(deterministic + accepted) / matched if matched else 1.0,
        estimated_recall=min(1.0, (deterministic + accepted) / expected) if expected else 1.0,
        prior=prior,
    )
    empty = ColumnRoles(by_role={}, date_formats={})
    return LinkageResult(
        matches=matches,
        review=review,
        summary=summary,
        left_roles=empty,
        right_roles=empty,
        features=tuple(f"tok_{k}" for k in shared),
        blocking=blocking,
        model=None,
        timings=clock.timings,
    )


def _chance(engine: Engine, keys: list[str]) -> dict[str, float]:
    """How often two *different* people share each key's token, measured within each side.

    Pairs drawn across the two sides include the true matches, which on a dense
    overlap inflate the chance rate to the match rate itself. Two records on one
    side are always two people, so the share of within-side pairs agreeing on a
    key is its chance agreement, untouched by the overlap. None seen counts as half
    a pair, so a rare key is never certain.
    """
    rates: dict[str, float] = {}
    for key in keys:
        agreeing, pairs = 0.0, 0.0
        for label in ("left", "right"):
            found, rows = engine.fetch(
                f"SELECT coalesce(sum(n * (n - 1)), 0), coalesce(sum(n), 0) FROM (SELECT "
                f"tok_{key}, count(*) AS n FROM std_{label} WHERE tok_{key} IS NOT NULL "
                f"GROUP BY tok_{key}) AS groups",
                step=f"chance agreement on {key}",
            )[0]
            agreeing += float(found)
            pairs += float(rows) * (float(rows) - 1)
        rates[key] = max(agreeing, 0.5) / max(pairs, 1.0)
    return rates


def _ladder(
    name: str, rungs: tuple[Rung, ...], shared: list[str], chance: dict[str, float], other: float
) -> Any | None:
    """One comparison: the first rung on which any of its (shared) keys' tokens agree."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    present = [(label, [k for k in keys if k in shared], m) for label, keys, m in rungs]
    present = [rung for rung in present if rung[1]]
    if not present:
        return None
    keys = [k for _, ks, _ in present for k in ks]
    none = " AND ".join(f"(tok_{k}_l IS NULL OR tok_{k}_r IS NULL)" for k in keys)
    levels: list[Any] = [cll.CustomLevel(none, "no token to compare").configure(is_null_level=True)]
    total_u = 0.0
    for label, ks, m in present:
        agree = " OR ".join(f"tok_{k}_l = tok_{k}_r" for k in ks)
        u = min(sum(chance[k] for k in ks), 0.5)
        total_u += u
        levels.append(cll.CustomLevel(agree, label).configure(m_probability=m, u_probability=u))
    levels.append(
        cll.ElseLevel().configure(m_probability=other, u_probability=max(1.0 - total_u, 0.5))
    )
    return cl.CustomComparison(comparison_levels=levels, output_column_name=name)


def _model(
    engine: Engine, shared: list[str], options: LinkageOptions, clock: _Clock
) -> tuple[int, int, float, float, float, tuple[str, ...]]:
    """Fellegi-Sunter on token agreement for the records the exact passes left.

    The tolerant keys overlap (agreeing on name and date of birth implies agreeing
    on their phonetic codes), so one comparison per key would count one typo
    several times over. Instead there are two comparisons, each an ordered ladder
    of keys whose level is the strongest key that agrees: *person* (who, by name and
    date of birth) and *place* (where, by postcode or district with a name or date
    of birth). There is no EM here: on the hard remainder left after the exact
    passes, true pairs are too dense and too few for it (it learnt that movers are
    non-matches). u is measured exactly from within-side pairs, m is set per rung,
    and :func:`resolve` still re-estimates the prior from the scored pairs.
    """
    sizes = [
        int(engine.fetch(f"SELECT count(*) FROM rem_{label}", step="remainder")[0][0])
        for label in ("left", "right")
    ]
    person = [k for _, ks, _ in PERSON_LADDER for k in ks if k in shared]
    place = [k for _, ks, _ in PLACE_LADDER for k in ks if k in shared]
    chance = _chance(engine, person + place)
    built = [
        _ladder("person", PERSON_LADDER, shared, chance, 0.03),
        _ladder("place", PLACE_LADDER, shared, chance, 0.2),
    ]
    comparisons = tuple(c for c in built if c is not None)
    if not (sizes[0] and sizes[1] and comparisons):
        return 0, 0, 0.0, 0.0, 0.0, ()
    order = [k for pair in itertools.zip_longest(person, place) for k in pair if k]
    keys = [f"tok_{k}" for k in order]
    with clock.step("blocking"):
        blocking, counts = choose_blocking(
            engine,
            "rem_left",
            "rem_right",
            keys,
            pairs_per_record=options.pairs_per_record,
            min_pairs=options.min_blocking_pairs,
            candidates=tuple(((key,), ()) for key in keys),
        )
    if not blocking:
        return 0, 0, 0.0, 0.0, 0.0, ()
    with clock.step("train_and_score"):
        fitted = fit_and_score(
            engine,
            "rem_left",
            "rem_right",
            comparisons=comparisons,
            blocking=blocking,
            pair_counts=counts,
            left_rows=sizes[0],
            right_rows=sizes[1],
            u_max_pairs=options.u_max_pairs,
            em_max_pairs=options.em_max_pairs,
            seed=options.seed,
            train=False,
        )
    with clock.step("resolve"):
        result = resolve(
            engine,
            left_rows=sizes[0],
            right_rows=sizes[1],
            start_prior=fitted.prior,
            threshold=options.threshold,
            review_threshold=options.review_threshold,
            one_to_one=options.one_to_one,
        )
    return (
        result.matched,
        result.to_review,
        result.accepted_probability,
        result.candidate_probability,
        result.prior,
        tuple(str(rule) for rule in blocking),
    )
