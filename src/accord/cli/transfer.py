"""``accord package`` and ``accord org keys`` / ``rotate-keys``: packages between
organisations, and the keys they are signed with and encrypted to."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import console, handles_errors, open_app, print_json, table
from accord.core.plan.release import Declared

AsOption = Annotated[str, typer.Option("--as", help="The principal who acts.")]

package_app = typer.Typer(
    help="Signed, encrypted packages under an agreement, and their receipts.",
    no_args_is_help=True,
)


@handles_errors
def org_keys_command(
    org_id: Annotated[str, typer.Argument(help="The organisation.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List an organisation's public keys, their fingerprints and whether each is current."""
    app = open_app()
    keys = app.org_keys.list(app.operator(), org_id)
    now = app.store.clock()
    rows = [
        {
            "purpose": k.purpose.value,
            "state": k.state(now).value,
            "fingerprint": k.fingerprint,
            "public_key": k.public_key,
            "created_at": k.created_at.isoformat(),
            "valid_until": k.valid_until.isoformat() if k.valid_until else None,
        }
        for k in keys
    ]
    if as_json:
        print_json(rows)
        return
    table(
        f"Keys of {org_id}",
        ["purpose", "state", "fingerprint", "valid until"],
        [(r["purpose"], r["state"], r["fingerprint"], r["valid_until"] or "") for r in rows],
    )


@handles_errors
def org_rotate_keys_command(
    org_id: Annotated[str, typer.Argument(help="The organisation.")],
    overlap_days: Annotated[
        int, typer.Option(help="Days the replaced keys still verify and decrypt.")
    ] = 30,
) -> None:
    """Issue new signing and encryption keys (the first ones, or replacing the current)."""
    app = open_app()
    keys = app.org_keys.rotate(app.operator(), org_id, overlap=timedelta(days=overlap_days))
    for key in keys:
        until = f" until {key.valid_until.isoformat()}" if key.valid_until else ""
        state = "replaced, accepted" + until if key.superseded_at else "current"
        console.print(f"{key.purpose.value:10} {key.fingerprint[:16]}…  {state}")


@package_app.command("send")
@handles_errors
def package_send(
    agreement: Annotated[str, typer.Argument(help="The agreement id.")],
    to: Annotated[str, typer.Option("--to", help="The recipient organisation.")],
    as_: AsOption,
    dataset: Annotated[
        str | None, typer.Option(help="ORG/NAME; needed when the agreement covers several.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Directory to write the package into.")] = Path("."),
    test: Annotated[
        bool, typer.Option("--test", help="A test package: synthetic rows in the agreed schema.")
    ] = False,
    test_rows: Annotated[int, typer.Option(help="Rows in a test package.")] = 100,
    expires_days: Annotated[int, typer.Option(help="Days until the package expires.")] = 14,
    territory: Annotated[
        str | None,
        typer.Option(help="Where the recipient will process it: uk, eea, adequate or other."),
    ] = None,
    processor: Annotated[
        str | None, typer.Option(help="The organisation processing it for the recipient.")
    ] = None,
) -> None:
    """Write a package: the governed extract, encrypted to the recipient, signed by you."""
    app = open_app()
    result = app.transfer.send(
        app.acting_as(as_),
        agreement,
        to,
        out,
        dataset_id=dataset,
        test=test,
        test_rows=test_rows,
        expires_in=timedelta(days=expires_days),
        declared=Declared(territory, processor),
    )
    m = result.manifest
    kind = "test package" if m.test else "package"
    console.print(
        f"Wrote {kind} {result.path} ({m.rows:,} rows of {m.dataset_id}, "
        f"{m.ciphertext_bytes:,} bytes encrypted to {m.recipient})"
    )


@package_app.command("receive")
@handles_errors
def package_receive(
    package: Annotated[Path, typer.Argument(help="The package directory (or its manifest.json).")],
    as_: AsOption,
    out: Annotated[Path, typer.Option(help="Directory to load the data into.")] = Path("."),
) -> None:
    """Verify, decrypt and load a package all or nothing, and write its signed receipt."""
    app = open_app()
    result = app.transfer.receive(app.acting_as(as_), package, out)
    m = result.manifest
    console.print(
        f"Loaded {m.rows:,} rows of {m.dataset_id} from {m.sender} into {result.path}; "
        f"receipt {result.receipt_path} (return it to {m.sender})"
    )


@package_app.command("acknowledge")
@handles_errors
def package_acknowledge(
    receipt: Annotated[Path, typer.Argument(help="A receipt file returned by the recipient.")],
    as_: AsOption,
) -> None:
    """Take a receipt back: verify the recipient's signature and match it to the package sent."""
    app = open_app()
    signed, new = app.transfer.acknowledge(app.acting_as(as_), receipt)
    r = signed.receipt
    state = "recorded" if new else "already recorded"
    console.print(f"Receipt for {r.transfer_id} from {r.recipient} verified and {state}")


@package_app.command("receipts")
@handles_errors
def package_receipts(
    org: Annotated[str | None, typer.Option(help="Only packages this organisation sent.")] = None,
    agreement: Annotated[str | None, typer.Option(help="Only under this agreement.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List signed receipts: which package, to whom, whether a test, what was loaded."""
    app = open_app()
    receipts = app.transfer.receipts(app.operator(), organisation=org, agreement_id=agreement)
    if as_json:
        print_json([r.summary() for r in receipts])
        return
    table(
        "Receipts",
        ["transfer", "agreement", "dataset", "from", "to", "test", "rows", "received"],
        [
            (
                r.receipt.transfer_id,
                r.receipt.agreement_id,
                r.receipt.dataset_id,
                r.receipt.sender,
                r.receipt.recipient,
                "yes" if r.receipt.test else "no",
                f"{r.receipt.rows:,}",
                r.receipt.received_at.isoformat(timespec="seconds"),
            )
            for r in receipts
        ],
    )
