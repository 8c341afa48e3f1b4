"""The steps a demo reports: what each did, how long it took, and what it counted.

Every scenario demo prints the same table and returns the same records in its JSON, so
a reader compares runs and scenarios by one shape.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table

__all__ = ["Step", "steps_table", "timed"]


@dataclass
class Step:
    name: str
    seconds: float
    counts: dict[str, Any] = field(default_factory=dict)


@contextmanager
def timed(steps: list[Step], name: str) -> Iterator[dict[str, Any]]:
    """Time the block; the counts it fills are recorded with it when it finishes."""
    counts: dict[str, Any] = {}
    started = time.perf_counter()
    yield counts
    steps.append(Step(name, round(time.perf_counter() - started, 3), counts))


def steps_table(steps: Sequence[Step]) -> Table:
    view = Table(header_style="bold")
    for column in ("step", "seconds", "counts"):
        view.add_column(column)
    for step in steps:
        view.add_row(
            step.name, f"{step.seconds:.2f}", ", ".join(f"{k} {v}" for k, v in step.counts.items())
        )
    return view
