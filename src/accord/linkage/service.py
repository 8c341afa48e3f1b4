"""The linkage use case: two datasets in, a match table and a summary out.

The caller (the CLI, a data trust, the governed data plane) hands over two sides
as paths, DuckDB relations or Arrow tables and gets back Arrow tables, so nothing
about the engine leaks out and the results can be released through whatever
governed channel the caller is bound by. The steps:

1. load and check both sides; recognise columns by name and content
   (:mod:`accord.linkage.inputs`), overrides first;
2. standardise both into shared features (:mod:`accord.linkage.standardise`);
3. deterministic passes on shared identifiers, then on the all-quasi-identifier
   match key (:mod:`accord.linkage.deterministic`);
4. on the remainder, a Fellegi-Sunter model configured from the features, trained
   with capped EM, scoring the pairs measured blocking proposes
   (:mod:`accord.linkage.plan`, :mod:`accord.linkage.model`);
5. prior re-estimation, one-to-one, thresholds and review band
   (:mod:`accord.linkage.resolve`);
6. the summary, with the model's own estimate of its precision and recall.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from accord.errors import ValidationError
from accord.linkage.deterministic import (
    MATCHES_TABLE,
    create_matches_table,
    deterministic_pass,
    match_key,
)
from accord.linkage.engine import Engine, open_engine
from accord.linkage.inputs import LinkSource, Side, load_side
from accord.linkage.model import fit_and_score
from accord.linkage.plan import choose_blocking, comparisons_for
from accord.linkage.resolve import REVIEW_TABLE, resolve
from accord.linkage.roles import IDENTIFIER_ROLES, ColumnRoles, Role
from accord.linkage.standardise import (
    Features,
    plan_features,
    standardise_sql,
    uk_postcode_share_sql,
)

__all__ = [
    "DEFAULT_REVIEW_THRESHOLD",
    "DEFAULT_THRESHOLD",
    "MATCH_COLUMNS",
    "LinkSummary",
    "LinkageOptions",
    "LinkageResult",
    "link",
]

MATCH_COLUMNS = ("left_id", "right_id", "match_probability", "match_pass")
DEFAULT_THRESHOLD = 0.9
DEFAULT_REVIEW_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class LinkageOptions:
    """How a linkage runs. The defaults are the tested configuration; none need tuning."""

    threshold: float = DEFAULT_THRESHOLD
    """Match probability at or above which a pair is a match."""
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD
    """Lower edge of the clerical-review band [review_threshold, threshold)."""
    one_to_one: bool = True
    """Link each record to at most one record on the other side."""
    identifier_passes: bool = True
    """Link exactly on shared identifiers (NINO, NHS number) first."""
    match_key_pass: bool = True
    """Link exactly on the all-quasi-identifier match key before the model."""
    em_max_pairs: int = 750_000
    """Cap on the pairs each EM session trains on: this is what bounds memory."""
    u_max_pairs: int = 300_000
    """Random pairs sampled to estimate the u probabilities."""
    pairs_per_record: int = 5
    """Blocking budget: pairs a rule may propose per record of the larger side."""
    min_blocking_pairs: int = 250_000
    """Blocking budget floor, so small linkages block generously."""
    seed: int = 42
    memory_limit: str | None = "2GB"
    """DuckDB's memory limit; it spills to disk beyond it."""
    threads: int | None = None
    engine: str = "duckdb"

    def check(self) -> None:
        """Refuse inconsistent options with a message naming the option."""
        for name in ("threshold", "review_threshold"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValidationError(f"{name} must be in (0, 1]; got {value}")
        if self.review_threshold > self.threshold:
            raise ValidationError(
                f"review_threshold ({self.review_threshold}) must not exceed "
                f"threshold ({self.threshold})"
            )
        for name in ("em_max_pairs", "u_max_pairs", "pairs_per_record", "min_blocking_pairs"):
            if getattr(self, name) <= 0:
                raise ValidationError(f"{name} must be positive")


@dataclass(frozen=True, slots=True)
class LinkSummary:
    """Counts and the model's own estimates of how well it did."""

    left_records: int
    right_records: int
    matched: int
    matched_by_pass: dict[str, int]
    unmatched_left: int
    unmatched_right: int
    to_review: int
    estimated_precision: float
    """Expected share of the matches that are true, by the model's probabilities
    (deterministic matches count as certain)."""
    estimated_recall: float
    """Expected share of true matches found, among those blocking could propose."""
    prior: float
    """Estimated share of remaining pairs that match."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "left_records": self.left_records,
            "right_records": self.right_records,
            "matched": self.matched,
            "matched_by_pass": dict(self.matched_by_pass),
            "unmatched_left": self.unmatched_left,
            "unmatched_right": self.unmatched_right,
            "to_review": self.to_review,
            "estimated_precision": round(self.estimated_precision, 6),
            "estimated_recall": round(self.estimated_recall, 6),
            "prior": self.prior,
        }


@dataclass(frozen=True, slots=True)
class LinkageResult:
    """The match table, the review band, the summary, and how they were reached."""

    matches: pa.Table
    """``left_id, right_id, match_probability, match_pass``."""
    review: pa.Table
    """Pairs for clerical review, same columns, ``match_pass`` is ``review``."""
    summary: LinkSummary
    left_roles: ColumnRoles
    right_roles: ColumnRoles
    features: tuple[str, ...]
    blocking: tuple[str, ...]
    model: dict[str, Any] | None
    timings: dict[str, float] = field(default_factory=dict)


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start


def link(
    left: LinkSource,
    right: LinkSource,
    *,
    left_id: str,
    right_id: str,
    options: LinkageOptions | None = None,
    left_roles: Mapping[str, Role | None] | None = None,
    right_roles: Mapping[str, Role | None] | None = None,
) -> LinkageResult:
    """Link ``left`` to ``right``; see the module docstring for the steps.

    ``left_roles``/``right_roles`` override recognition per column (None leaves a
    column out). Raises :class:`ValidationError` for bad input, naming the parameter.
    """
    options = options or LinkageOptions()
    options.check()
    engine = open_engine(options.engine, memory_limit=options.memory_limit, threads=options.threads)
    try:
        return _run(engine, left, right, left_id, right_id, options, left_roles, right_roles)
    finally:
        engine.close()


@dataclass
class _Probabilistic:
    """What the model stage contributes to the result."""

    matched: int = 0
    to_review: int = 0
    accepted_probability: float = 0.0
    candidate_probability: float = 0.0
    prior: float = 0.0
    blocking: tuple[str, ...] = ()
    model: dict[str, Any] | None = None


def _run(
    engine: Engine,
    left_source: LinkSource,
    right_source: LinkSource,
    left_id: str,
    right_id: str,
    options: LinkageOptions,
    left_roles: Mapping[str, Role | None] | None,
    right_roles: Mapping[str, Role | None] | None,
) -> LinkageResult:
    clock = _Clock()
    with clock.step("load"):
        left = load_side(engine, left_source, label="left", id_column=left_id, overrides=left_roles)
        right = load_side(
            engine, right_source, label="right", id_column=right_id, overrides=right_roles
        )
        features = plan_features(left, right, uk_postcodes=_uk_postcodes(engine, left, right))
        if not features.names:
            raise ValidationError(
                "the two inputs share no recognised linkage columns (names, date of birth, "
                "postcode, address, identifiers); name them with role overrides"
            )
    with clock.step("standardise"):
        for index, side in enumerate((left, right)):
            select = standardise_sql(side, features, index=index)
            engine.execute(
                f"CREATE OR REPLACE TABLE std_{side.label} AS {select}",
                step=f"standardise {side.label}",
            )
        create_matches_table(engine, _common_id_type(engine, left, right))
    with clock.step("deterministic"):
        by_pass = _deterministic(engine, features, options)
    stage = _model_stage(engine, features, options, clock)
    by_pass["probabilistic"] = stage.matched
    with clock.step("collect"):
        matches = engine.arrow(
            f"SELECT {', '.join(MATCH_COLUMNS)} FROM {MATCHES_TABLE} ORDER BY match_pass, left_id",
            step="collect matches",
        )
        review = (
            engine.arrow(f"SELECT * FROM {REVIEW_TABLE} ORDER BY left_id", step="collect review")
            if stage.to_review
            else matches.slice(0, 0)
        )
    return LinkageResult(
        matches=matches,
        review=review,
        summary=_summary(left, right, by_pass, stage, matches, options),
        left_roles=left.roles,
        right_roles=right.roles,
        features=features.names,
        blocking=stage.blocking,
        model=stage.model,
        timings=clock.timings,
    )


def _deterministic(engine: Engine, features: Features, options: LinkageOptions) -> dict[str, int]:
    """Run the deterministic passes and leave the unmatched records in ``rem_*``."""
    by_pass: dict[str, int] = {}
    if options.identifier_passes:
        for role in IDENTIFIER_ROLES:
            if role.value in features:
                by_pass[role.value] = deterministic_pass(
                    engine, "std_left", "std_right", (role.value,), role.value
                )
    key = match_key(features.names)
    if options.match_key_pass and key is not None:
        by_pass["match_key"] = deterministic_pass(engine, "std_left", "std_right", key, "match_key")
    for label in ("left", "right"):
        engine.execute(
            f"CREATE OR REPLACE TABLE rem_{label} AS SELECT * FROM std_{label} WHERE unique_id "
            f"NOT IN (SELECT {label}_id FROM {MATCHES_TABLE})",
            step=f"remainder {label}",
        )
    return by_pass


def _model_stage(
    engine: Engine, features: Features, options: LinkageOptions, clock: _Clock
) -> _Probabilistic:
    """Block, train, score and resolve the records the deterministic passes left."""
    rem_left, rem_right = (
        int(engine.fetch(f"SELECT count(*) FROM rem_{label}", step="count remainder")[0][0])
        for label in ("left", "right")
    )
    stage = _Probabilistic()
    if not (rem_left and rem_right):
        return stage
    with clock.step("blocking"):
        blocking, counts = choose_blocking(
            engine,
            "rem_left",
            "rem_right",
            [*features.names, *_derived(features)],
            pairs_per_record=options.pairs_per_record,
            min_pairs=options.min_blocking_pairs,
        )
    stage.blocking = tuple(str(rule) for rule in blocking)
    if not blocking:
        return stage
    with clock.step("train_and_score"):
        fitted = fit_and_score(
            engine,
            "rem_left",
            "rem_right",
            comparisons=comparisons_for(features),
            blocking=blocking,
            pair_counts=counts,
            left_rows=rem_left,
            right_rows=rem_right,
            u_max_pairs=options.u_max_pairs,
            em_max_pairs=options.em_max_pairs,
            seed=options.seed,
        )
    stage.model = fitted.settings
    with clock.step("resolve"):
        resolution = resolve(
            engine,
            left_rows=rem_left,
            right_rows=rem_right,
            start_prior=fitted.prior,
            threshold=options.threshold,
            review_threshold=options.review_threshold,
            one_to_one=options.one_to_one,
        )
    stage.matched = resolution.matched
    stage.to_review = resolution.to_review
    stage.accepted_probability = resolution.accepted_probability
    stage.candidate_probability = resolution.candidate_probability
    stage.prior = resolution.prior
    return stage


def _summary(
    left: Side,
    right: Side,
    by_pass: dict[str, int],
    stage: _Probabilistic,
    matches: pa.Table,
    options: LinkageOptions,
) -> LinkSummary:
    deterministic = sum(count for name, count in by_pass.items() if name != "probabilistic")
    matched = deterministic + stage.matched
    expected_true = deterministic + stage.accepted_probability
    expected_all = deterministic + stage.candidate_probability
    matched_right = matched
    if not options.one_to_one:
        matched_right = len(set(matches.column("right_id").to_pylist()))
    return LinkSummary(
        left_records=left.rows,
        right_records=right.rows,
        matched=matched,
        matched_by_pass=by_pass,
        unmatched_left=left.rows - len(set(matches.column("left_id").to_pylist()))
        if not options.one_to_one
        else left.rows - matched,
        unmatched_right=right.rows - matched_right,
        to_review=stage.to_review,
        estimated_precision=expected_true / matched if matched else 1.0,
        estimated_recall=min(1.0, expected_true / expected_all) if expected_all else 1.0,
        prior=stage.prior,
    )


def _derived(features: Features) -> list[str]:
    derived = []
    if "given_name" in features:
        derived.append("given_initial")
    if "family_name" in features:
        derived.append("family_initial")
    if "dob" in features:
        derived.append("dob_year")
    if "postcode" in features and features.uk_postcodes:
        derived += ["postcode_sector", "postcode_district"]
    return derived


def _uk_postcodes(engine: Engine, left: Side, right: Side) -> bool:
    shares = []
    for side in (left, right):
        columns = side.roles.columns(Role.POSTCODE)
        if not columns:
            return False
        share = engine.fetch(uk_postcode_share_sql(side.table, columns[0]), step="postcode shape")
        shares.append(float(share[0][0] or 0.0))
    return min(shares) >= 0.5


def _common_id_type(engine: Engine, left: Side, right: Side) -> str:
    """Both sides' id type if it is the same, else VARCHAR for both (Splink needs one)."""
    if left.id_type == right.id_type:
        return left.id_type
    for side in ("left", "right"):
        others = [name for name, _ in engine.columns(f"std_{side}") if name != "unique_id"]
        engine.execute(
            f"CREATE OR REPLACE TABLE std_{side}_aligned AS SELECT CAST(unique_id AS VARCHAR) "
            f"AS unique_id, {', '.join(others)} FROM std_{side}",
            step="align id types",
        )
        engine.execute(
            f"CREATE OR REPLACE TABLE std_{side} AS SELECT * FROM std_{side}_aligned",
            step="align id types",
        )
    return "VARCHAR"
