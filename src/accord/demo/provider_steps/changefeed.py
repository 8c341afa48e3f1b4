"""The change feed step of ``accord demo provider``: DWP publishes, Northfield reads.

DWP publishes the changes of circumstances it has learnt of since the referrals, as
two further versions of ``circumstance_events`` (:func:`event_slices`); each queues a
change notice to Northfield. Northfield's caseworker then reads, with the official
Delta Sharing client over a real local server, the changes between the two versions:
only its own participants' new events, only the agreed fields.

The world is best built with ``events_slices=3`` (the first slice as version 1). Built
with every event at once, the step publishes all three slices after it, and still
reads the changes between the last two: new events only.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from accord.api.local_server import running_server
from accord.core.sharing.protocol import table_version
from accord.demo.provider_world import DEPARTMENT, PROVIDER, ProviderWorld, event_slices
from accord.demo.steps import Step, timed
from accord.services.changefeed import ChangePublisher
from accord.services.plane import view_name

__all__ = ["run"]

EVENTS = f"{DEPARTMENT}/circumstance_events"
SLICES = 3
VIA = "demo"


def run(world: ProviderWorld, steps: list[Step]) -> dict[str, Any]:
    import delta_sharing  # type: ignore[import-untyped]

    app = world.app
    agreement = world.agreement
    slices = event_slices(world.synthetic, SLICES)
    with timed(steps, "DWP publishes new changes of circumstances") as counts:
        current = app.store.get_version(EVENTS)
        later = slices[1:] if current.row_count == pq.read_metadata(slices[0]).num_rows else slices
        publisher = ChangePublisher(app.store, app.catalogue)
        notices = 0
        for path in later:
            published = publisher.publish(world.caller("dwp.data", VIA), EVENTS, str(path))
            notices += len(published.notices)
        latest = app.store.get_version(EVENTS).number
        counts.update(versions=len(later), latest_version=latest, notices=notices)
    start, end = (table_version(agreement.version, n) for n in (latest - 1, latest))
    dataset = app.store.get_dataset(EVENTS)
    table = f"{agreement.id}.governed.{view_name(dataset)}"
    with (
        timed(steps, "Northfield reads the change feed between two versions") as counts,
        tempfile.TemporaryDirectory(prefix="accord-changefeed-") as scratch,
        running_server(app) as base,
    ):
        _, document = app.sharing.profile(
            world.caller(f"{PROVIDER}.caseworker", VIA),
            agreement.id,
            f"{PROVIDER}.caseworker",
            f"{base}/delta-sharing",
        )
        profile = Path(scratch) / "northfield.share"
        profile.write_text(json.dumps(document), encoding="utf-8")
        changes = delta_sharing.load_table_changes_as_pandas(
            f"{profile}#{table}", starting_version=start, ending_version=end
        )
        by_type = Counter(str(t) for t in changes["_change_type"])
        counts.update(
            rows=len(changes),
            **{f"rows_{kind}": n for kind, n in sorted(by_type.items())},
            columns=len(changes.columns),
        )
    return {
        "table": table,
        "starting_version": start,
        "ending_version": end,
        "versions_published": len(later),
        "notices": notices,
        "changes": dict(sorted(by_type.items())),
        "columns": [str(c) for c in changes.columns],
    }
