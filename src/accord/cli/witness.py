"""``accord witness``: run a witness that countersigns another deployment's checkpoints.

The witness is its own small service, with its own home and key, meant to run on
another machine under another operator; it needs no Accord store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import console, handles_errors
from accord.witness.state import WitnessState

witness_app = typer.Typer(
    help="A witness that countersigns audit checkpoints and refuses rolled-back logs.",
    no_args_is_help=True,
)

HomeOption = Annotated[
    Path, typer.Option(help="The witness's own directory: its key and the head it signed.")
]


@witness_app.command("init")
@handles_errors
def witness_init(
    home: HomeOption,
    audit_public_key: Annotated[
        str,
        typer.Option(
            help="The deployment's audit public key, 64 hex digits: the content of its "
            "ACCORD_HOME/keys/audit-checkpoint.ed25519.pub."
        ),
    ],
) -> None:
    """Create a witness home (a new key; an existing one is kept) trusting one audit key."""
    state = WitnessState.init(home, audit_public_key)
    console.print(
        f"Witness ready in {home}. Its public key (ACCORD_WITNESS_PUBLIC_KEY):\n"
        f"{state.public_key_hex()}",
        highlight=False,
    )


@witness_app.command("key")
@handles_errors
def witness_key(home: HomeOption) -> None:
    """Print the witness's public key (hex), for the deployment's ACCORD_WITNESS_PUBLIC_KEY."""
    console.print(WitnessState.open(home).public_key_hex(), highlight=False)


@witness_app.command("serve")
@handles_errors
def witness_serve(
    home: HomeOption,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8470,
) -> None:
    """Answer GET /head and POST /checkpoint until stopped."""
    import uvicorn

    from accord.witness.server import create_witness_app

    uvicorn.run(create_witness_app(home), host=host, port=port, log_level="info")
