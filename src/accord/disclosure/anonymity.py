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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["AnonymityReport", "anonymise", "measure"]


@dataclass(frozen=True, slots=True)
class AnonymityReport:
    k: int
    """The smallest group's size (0 for an empty extract)."""
    l: int  # noqa: E741 - the name the literature uses
    """The fewest distinct sensitive values in a group (0 when no sensitive attribute)."""
    suppressed: dict[str, int]
    removed_records: int = 0


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
