"""``accord client-key``: the Ed25519 keys machine clients sign API requests with."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import console, handles_errors, open_app, print_json, table
from accord.errors import ValidationError
from accord.services.client_keys import ClientKeyService

__all__ = ["client_key_app"]

client_key_app = typer.Typer(
    help="Machine clients' public keys: requests signed with one act as its principal "
    "(RFC 9421 HTTP Message Signatures; docs/tls.md).",
    no_args_is_help=True,
)


@client_key_app.command("register")
@handles_errors
def register(
    principal: Annotated[str, typer.Option("--principal", help="Whose requests it signs.")],
    public_key: Annotated[
        Path,
        typer.Option(
            "--public-key",
            help="The Ed25519 public key: a PEM file (openssl pkey -pubout) or an OpenSSH "
            ".pub file.",
        ),
    ],
    description: Annotated[str, typer.Option(help="What it is for.")] = "",
) -> None:
    """Register a public key; prints the keyid the client signs with."""
    try:
        data = public_key.read_bytes()
    except OSError as exc:
        raise ValidationError(f"--public-key {public_key} cannot be read: {exc.strerror}") from exc
    app = open_app()
    key = ClientKeyService(app.store).register(
        app.operator(), principal, data, description=description
    )
    console.print(
        f"Registered client key {key.id} for {principal} (fingerprint {key.fingerprint}). "
        f"Sign requests with keyid={key.id}.",
        highlight=False,
    )


@client_key_app.command("list")
@handles_errors
def list_keys(
    principal: Annotated[str, typer.Option("--principal", help="Whose keys.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A principal's client keys: ids, fingerprints, and which are revoked."""
    app = open_app()
    keys = ClientKeyService(app.store).list_keys(app.operator(), principal)
    if as_json:
        print_json(
            [
                {
                    "id": k.id,
                    "fingerprint": k.fingerprint,
                    "created_at": k.created_at.isoformat(),
                    "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
                    "description": k.description,
                }
                for k in keys
            ]
        )
        return
    table(
        f"Client keys of {principal}",
        ["id", "fingerprint", "created", "revoked", "description"],
        [
            (
                k.id,
                k.fingerprint,
                f"{k.created_at:%Y-%m-%d %H:%M}",
                f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "",
                k.description,
            )
            for k in keys
        ],
    )


@client_key_app.command("revoke")
@handles_errors
def revoke(key_id: Annotated[str, typer.Argument(help="The keyid.")]) -> None:
    """Revoke a client key at once: requests it signs are refused from now on."""
    app = open_app()
    ClientKeyService(app.store).revoke(app.operator(), key_id)
    console.print(f"Revoked client key {key_id}")
