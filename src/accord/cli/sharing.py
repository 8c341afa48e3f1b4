"""``accord share``: recipients' Delta Sharing credentials, as profile files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import console, handles_errors, open_app, print_json, table
from accord.core.sharing.endpoint import default_share_endpoint
from accord.fsutil import write_atomic

share_app = typer.Typer(
    help="Delta Sharing credentials for the recipients of agreements.", no_args_is_help=True
)


@share_app.command("profile")
@handles_errors
def profile(
    agreement: Annotated[str, typer.Argument(help="The agreement whose share to open.")],
    as_: Annotated[
        str, typer.Option("--as", help="The recipient principal the credential is for.")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the profile here (mode 600); default: stdout."),
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            help="The server's Delta Sharing URL (default: $ACCORD_PUBLIC_URL/delta-sharing, "
            "else https://127.0.0.1:8000/delta-sharing when ACCORD_TLS_CERT is set, else "
            "http://127.0.0.1:8000/delta-sharing). Plain http off loopback is refused.",
        ),
    ] = None,
    ttl_days: Annotated[int | None, typer.Option("--ttl-days", help="Days until it expires.")] = (
        None
    ),
) -> None:
    """A new share token for one recipient principal, as the standard profile file that
    Delta Sharing clients read (shareCredentialsVersion, endpoint, bearerToken,
    expirationTime). The token is shown once and stored only as a hash."""
    app = open_app()
    settings = app.settings
    url = endpoint or default_share_endpoint(
        public_url=settings.public_url, tls=bool(settings.tls_cert)
    )
    token, document = app.sharing.profile(
        app.acting_as(as_),
        agreement,
        as_,
        url,
        ttl_days=ttl_days,
        allow_http=settings.allow_http_endpoint,
    )
    text = json.dumps(document, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    write_atomic(out, text.encode(), mode=0o600)
    console.print(
        f"Wrote {out}: share token {token.id} for {as_}, expires "
        f"{token.expires_at:%Y-%m-%d %H:%M} UTC. Read with delta_sharing "
        f"'{out}#{agreement}.governed.<table>'."
    )


@share_app.command("tokens")
@handles_errors
def tokens(
    agreement: Annotated[str, typer.Argument(help="The agreement id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The share tokens issued for an agreement: who holds each, expiry and revocation."""
    app = open_app()
    found = app.sharing.list_tokens(app.operator(), agreement)
    rows = [(t.id, t.principal_id, t.prefix + "…", t.expires_at, t.revoked_at or "") for t in found]
    if as_json:
        print_json(
            [
                dict(zip(("id", "principal", "prefix", "expires", "revoked"), r, strict=True))
                for r in rows
            ]
        )
        return
    table(
        f"Share tokens for {agreement}", ["id", "principal", "prefix", "expires", "revoked"], rows
    )


@share_app.command("revoke")
@handles_errors
def revoke(token_id: Annotated[str, typer.Argument(help="The share token id (dst_…).")]) -> None:
    """Revoke a share token: its holder is refused from the next call on."""
    app = open_app()
    token = app.sharing.revoke_token(app.operator(), token_id)
    console.print(f"Revoked share token {token.id} ({token.principal_id}, {token.agreement_id}).")
