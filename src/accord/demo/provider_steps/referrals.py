"""The demo's referral steps: Northfield reads its referrals in place and receives them
as a package, and accepts each package with its signed receipt.

In place, by SQL query and by the official Delta Sharing client over real HTTP; as a
package, signed by DWP and encrypted to Northfield's key. The acceptance is the receipt
Northfield signs on receiving a package, which DWP verifies against Northfield's key:
the referrals it carries count as accepted.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from accord.demo.provider_world import DEPARTMENT, PROVIDER, ProviderWorld
from accord.demo.steps import Step, timed

__all__ = ["run"]

REFERRALS = f"{DEPARTMENT}/referrals"


def run(world: ProviderWorld, steps: list[Step]) -> dict[str, Any]:
    app, agreement = world.app, world.agreement
    caseworker, owner = world.caller("northfield.caseworker"), world.caller("dwp.data")
    summary: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="accord-referrals-") as scratch:
        work = Path(scratch)
        with timed(steps, "referrals in place (query and Delta Sharing)") as counts:
            result = app.plane.query(
                caseworker, agreement.id, "select count(*) as n from dwp_referrals"
            )
            counts["queried"] = summary["in_place"] = int(result.table.column("n")[0].as_py())
            counts["delta_sharing"] = summary["delta_sharing"] = _delta_sharing(world, work)
            counts["fields"] = len(agreement.policy.dataset(REFERRALS).fields)
        with timed(steps, "referrals by package") as counts:
            sent = app.transfer.send(
                owner, agreement.id, PROVIDER, work / "outbox", dataset_id=REFERRALS
            )
            counts.update(rows=sent.manifest.rows, bytes=sent.manifest.ciphertext_bytes)
            summary["packaged"] = sent.manifest.rows
        with timed(steps, "referrals accepted (signed receipt)") as counts:
            received = app.transfer.receive(caseworker, sent.path, work / "inbox")
            signed, _ = app.transfer.acknowledge(owner, received.receipt_path)
            counts.update(accepted=signed.receipt.rows, receipt=signed.receipt.transfer_id)
            summary["accepted"] = signed.receipt.rows
    return summary


def _delta_sharing(world: ProviderWorld, work: Path) -> int:
    """Rows the official Delta Sharing client reads from the server over real HTTP."""
    import delta_sharing  # type: ignore[import-untyped]

    from accord.api.local_server import running_server

    app = world.app
    with running_server(app) as base:
        token, document = app.sharing.profile(
            world.operator, world.agreement.id, "northfield.caseworker", f"{base}/delta-sharing"
        )
        profile = work / f"{token.id}.share"
        profile.write_text(json.dumps(document), encoding="utf-8")
        frame = delta_sharing.load_as_pandas(
            f"{profile}#{world.agreement.id}.governed.dwp_referrals"
        )
    return len(frame)
