"""k-anonymity and l-diversity for research extracts, with local suppression.

An extract is k-anonymous over its quasi-identifiers when every combination of their
values is shared by at least k records, and l-diverse when each such group holds at
least l distinct values of the sensitive attribute (else, knowing someone is in the
group reveals it). Local suppression blanks single values rather than whole columns
or records: each round, every record still in a too-small or too-uniform group loses
its rarest remaining quasi-identifier value (the one doing most to single it out, as
sdcMicro's ``localSuppression`` reasons). A blank is a category of its own, which is
conservative: it never makes a group look larger than it is. A record that is still
at risk with every quasi-identifier blank is removed, and counted.

Suppression alone can blank most of a detailed extract, so :func:`generalise_and_suppress`
first coarsens whole columns along a ladder (a date to its month, year, then decade; a number
to bands of 5, 10, then 20; a postcode to its district, then its area), one step at a
time, each time taking the step that leaves fewest records at risk, until at most a
small share of records is at risk; local suppression then finishes the job. This is what
an agreement whose form is ``anonymised`` applies to every extract
(:func:`anonymise_release`), reporting what was generalised, suppressed and removed in
the extract's manifest and its audit event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from accord.core.catalogue import Dataset
from accord.core.governance.agreement import OutputControls
from accord.core.plan.compiler import Plan
from accord.core.vocabulary import Category, SemanticType

__all__ = [
    "AnonymityReport",
    "Ladder",
    "anonymise",
    "anonymise_release",
    "generalise_and_suppress",
    "ladder_for",
    "measure",
]

MAX_AT_RISK = 0.05
"""Generalise until at most this share of records would need a value suppressed."""


@dataclass(frozen=True, slots=True)
class AnonymityReport:
    k: int
    """The smallest group's size (0 for an empty extract)."""
    l: int  # noqa: E741 - the name the literature uses
    """The fewest distinct sensitive values in a group (0 when no sensitive attribute)."""
    suppressed: dict[str, int]
    removed_records: int = 0
    generalised: dict[str, str] = field(default_factory=dict)
    """Each generalised quasi-identifier and the level it was coarsened to."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "l": self.l,
            "suppressed_values": dict(self.suppressed),
            "removed_records": self.removed_records,
            "generalised": dict(self.generalised),
        }


def _risk(frame: Any, quasi: list[str], k: int, sensitive: str | None, l: int) -> Any:  # noqa: E741
    keys = frame[quasi].astype("string").fillna("\x00")
    groups = keys.groupby(quasi, dropna=False, sort=False)
    size = groups[quasi[0]].transform("size")
    risky = size < k
    if sensitive is not None and l > 1:
        diverse = frame[sensitive].groupby([keys[q] for q in quasi], dropna=False, sort=False)
        risky = risky | (diverse.transform("nunique") < l)
    return risky


def measure(frame: Any, quasi: Sequence[str], sensitive: str | None = None) -> AnonymityReport:
    """The k and l an extract achieves as it stands."""
    if len(frame) == 0:
        return AnonymityReport(0, 0, {})
    keys = frame[list(quasi)].astype("string").fillna("\x00")
    grouped = keys.groupby(list(quasi), dropna=False, sort=False)
    k = int(grouped.size().min())
    l = 0  # noqa: E741
    if sensitive is not None:
        l = int(frame[sensitive].groupby([keys[q] for q in quasi], dropna=False).nunique().min())  # noqa: E741
    return AnonymityReport(k, l, {})


def anonymise(
    frame: Any,
    quasi: Sequence[str],
    k: int,
    *,
    sensitive: str | None = None,
    l: int = 1,  # noqa: E741
    max_rounds: int = 50,
) -> tuple[Any, AnonymityReport]:
    """A copy of ``frame`` (pandas) made k-anonymous (and l-diverse) by local suppression."""
    import pandas as pd

    if k < 1 or l < 1:
        raise ValueError("k and l must be at least 1")
    qi = list(quasi)
    out = frame.copy()
    for column in qi:
        out[column] = out[column].astype("object")
    suppressed = dict.fromkeys(qi, 0)
    for _ in range(max_rounds):
        risky = _risk(out, qi, k, sensitive, l)
        if not risky.any():
            break
        # how common each record's value is, per quasi-identifier; blanks never chosen
        freq = pd.DataFrame(
            {q: out[q].map(out[q].value_counts(dropna=True)).astype("float64") for q in qi},
            index=out.index,
        )
        freq = freq.where(out[qi].notna())
        at_risk = freq[risky]
        live = at_risk.notna().any(axis=1)
        if not live.any():
            break
        rarest = at_risk[live].idxmin(axis=1)
        for column, rows in rarest.groupby(rarest).groups.items():
            out.loc[rows, column] = None
            suppressed[str(column)] += len(rows)
    risky = _risk(out, qi, k, sensitive, l)
    removed = int(risky.sum())
    out = out[~risky]
    report = measure(out, qi, sensitive)
    return out, AnonymityReport(report.k, report.l, suppressed, removed)


Step = tuple[str, Callable[[Any], Any]]
Ladder = tuple[Step, ...]
"""Named steps, each a function from the original column (pandas) to a coarser one."""


def _as_text(values: Any, render: Callable[[Any], str]) -> Any:
    import pandas as pd

    return values.map(lambda v: None if pd.isna(v) else render(v)).astype("object")


def _bands(width: int) -> Step:
    def band(values: Any) -> Any:
        import pandas as pd

        numbers = pd.to_numeric(values, errors="coerce")
        return _as_text(
            numbers,
            lambda v: f"{int(v // width * width)}-{int(v // width * width + width - 1)}",
        )

    return (f"bands of {width}", band)


def _date_part(name: str, fmt: str) -> Step:
    def part(values: Any) -> Any:
        import pandas as pd

        dates = pd.to_datetime(values, errors="coerce")
        return _as_text(dates, lambda v: v.strftime(fmt))

    return (name, part)


def _to_decade(values: Any) -> Any:
    import pandas as pd

    dates = pd.to_datetime(values, errors="coerce")
    return _as_text(dates, lambda v: f"{v.year // 10 * 10}s")


_decade: Step = ("decade", _to_decade)


def _postcode_district(values: Any) -> Any:
    return _as_text(values, lambda v: str(v).strip().upper().split(" ")[0])


def _postcode_area(values: Any) -> Any:
    def area(v: Any) -> str:
        district = str(v).strip().upper().split(" ")[0]
        letters = "".join(c for c in district[:2] if c.isalpha())
        return letters or district

    return _as_text(values, area)


def ladder_for(values: Any, semantic_type: SemanticType | None = None) -> Ladder:
    """How a quasi-identifier column can be coarsened, finest step first."""
    import pandas as pd

    if semantic_type is SemanticType.POSTCODE:
        return (("postcode district", _postcode_district), ("postcode area", _postcode_area))
    if pd.api.types.is_bool_dtype(values):
        return ()
    if pd.api.types.is_numeric_dtype(values):
        return (_bands(5), _bands(10), _bands(20))
    if pd.api.types.is_datetime64_any_dtype(values) or (
        len(values.dropna()) > 0 and all(hasattr(v, "year") for v in values.dropna().head(50))
    ):
        return (_date_part("month", "%Y-%m"), _date_part("year", "%Y"), _decade)
    return ()


def generalise_and_suppress(
    frame: Any,
    ladders: Mapping[str, Ladder],
    k: int,
    *,
    sensitive: str | None = None,
    l: int = 1,  # noqa: E741
    max_at_risk: float = MAX_AT_RISK,
) -> tuple[Any, AnonymityReport]:
    """Coarsen quasi-identifiers along their ladders, then suppress locally (see above)."""
    quasi = list(ladders)
    if not quasi or len(frame) == 0:
        return frame, measure(frame, quasi, sensitive) if quasi else AnonymityReport(0, 0, {})
    original = frame
    current = frame.copy()
    levels = dict.fromkeys(quasi, 0)

    def at_risk(candidate: Any) -> int:
        return int(_risk(candidate, quasi, k, sensitive, l).sum())

    risky = at_risk(current)
    while risky > max_at_risk * len(current):
        best: tuple[int, str, Any] | None = None
        for column in quasi:
            ladder = ladders[column]
            if levels[column] >= len(ladder):
                continue
            trial = current.copy()
            trial[column] = ladder[levels[column]][1](original[column])
            count = at_risk(trial)
            if best is None or count < best[0]:
                best = (count, column, trial)
        if best is None:
            break
        risky, column, current = best
        levels[column] += 1
    out, report = anonymise(current, quasi, k, sensitive=sensitive, l=l)
    generalised = {c: ladders[c][n - 1][0] for c, n in levels.items() if n}
    return out, AnonymityReport(
        report.k, report.l, report.suppressed, report.removed_records, generalised
    )


def anonymise_release(
    batches: Iterator[pa.RecordBatch], plan: Plan, dataset: Dataset, controls: OutputControls
) -> tuple[Iterator[pa.RecordBatch], dict[str, Any]]:
    """An anonymised agreement's extract: k-anonymous (and l-diverse) over its
    quasi-identifiers, with a report of what was done for the manifest and the audit log.

    The quasi-identifiers are the released columns whose catalogue category is
    ``quasi_identifier``; the sensitive attribute for l-diversity is the first released
    ``special_category`` column.
    """
    specs = {f.name: f for f in dataset.fields}
    sources = {c.name: specs.get(c.source) for c in plan.outputs}
    quasi = [n for n, s in sources.items() if s and s.category is Category.QUASI_IDENTIFIER]
    special = [n for n, s in sources.items() if s and s.category is Category.SPECIAL_CATEGORY]
    sensitive = special[0] if special and controls.l_diversity > 1 else None
    schema: pa.Schema | None = None
    collected = []
    for batch in batches:
        schema = batch.schema
        collected.append(batch)
    if schema is None:
        return iter(()), {}
    table = pa.Table.from_batches(collected, schema)
    frame = table.to_pandas()
    ladders = {q: ladder_for(frame[q], sources[q].semantic_type) for q in quasi}  # type: ignore[union-attr]
    out, report = generalise_and_suppress(
        frame, ladders, controls.k_anonymity, sensitive=sensitive, l=controls.l_diversity
    )
    released = pa.Table.from_pandas(out, preserve_index=False)
    details = {
        "k_required": controls.k_anonymity,
        "l_required": controls.l_diversity,
        "quasi_identifiers": quasi,
        "sensitive": sensitive or "",
        "records_in": table.num_rows,
        **report.as_dict(),
    }
    batches_out = released.to_batches() or [pa.RecordBatch.from_pylist([], released.schema)]
    return iter(batches_out), details
