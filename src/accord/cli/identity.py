"""``accord org``, ``accord principal`` and ``accord token``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from accord.cli.common import console, handles_errors, open_app, print_json, table
from accord.core.identity import (
    Assurance,
    AssuranceScheme,
    Membership,
    OrgKind,
    PrincipalKind,
    Role,
)
from accord.errors import ValidationError

org_app = typer.Typer(help="Organisations and their security assurance.", no_args_is_help=True)
principal_app = typer.Typer(help="People and services, and their roles.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: shown once, stored only as a hash.", no_args_is_help=True)


def parse_assurance(text: str) -> Assurance:
    """``SCHEME:REFERENCE:YYYY-MM-DD``, e.g. ``iso_27001:IS-123456:2027-03-31``."""
    parts = text.split(":")
    if len(parts) != 3:
        raise ValidationError(
            f"--assurance {text!r} must be SCHEME:REFERENCE:EXPIRES (YYYY-MM-DD), "
            f"with SCHEME one of {', '.join(s.value for s in AssuranceScheme)}"
        )
    scheme, reference, expires = parts
    try:
        kind = AssuranceScheme(scheme)
    except ValueError:
        raise ValidationError(
            f"--assurance scheme {scheme!r} is not one of "
            + ", ".join(s.value for s in AssuranceScheme)
        ) from None
    try:
        expires_on = date.fromisoformat(expires)
    except ValueError:
        raise ValidationError(f"--assurance expiry {expires!r} is not a YYYY-MM-DD date") from None
    return Assurance(kind, reference, expires_on)


AreasOption = Annotated[
    list[str] | None,
    typer.Option(
        "--areas",
        help="Local authority district codes it serves, comma-separated or repeated, "
        "e.g. E06000001,E06000002.",
    ),
]


def parse_areas(values: list[str] | None) -> tuple[str, ...]:
    """``--areas E06000001,E06000002`` (or repeated): the codes, not yet validated."""
    return tuple(code for value in values or () for code in value.split(",") if code.strip())


def parse_membership(text: str) -> Membership:
    """``ORG:ROLE``, e.g. ``dwp:data_owner``."""
    org, _, role = text.partition(":")
    try:
        return Membership(org, Role(role))
    except ValueError:
        raise ValidationError(
            f"--role {text!r} must be ORG:ROLE with ROLE one of {', '.join(r.value for r in Role)}"
        ) from None


@org_app.command("create")
@handles_errors
def org_create(
    org_id: Annotated[str, typer.Argument(help="Short id, e.g. dwp.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    kind: Annotated[OrgKind, typer.Option(help="What kind of organisation.")],
    assurance: Annotated[
        list[str] | None,
        typer.Option(help="SCHEME:REFERENCE:EXPIRES, repeatable, e.g. iso_27001:IS-1:2027-03-31."),
    ] = None,
    areas: AreasOption = None,
) -> None:
    """Register an organisation."""
    app = open_app()
    assurances = tuple(parse_assurance(a) for a in assurance or ())
    org = app.identity.create_organisation(
        app.operator(), org_id, name, kind, assurances, parse_areas(areas)
    )
    console.print(f"Created organisation [bold]{org.id}[/] ({org.kind.value}): {org.name}")
    if org.areas:
        console.print(f"Serves {', '.join(org.areas)}", highlight=False)


@org_app.command("update")
@handles_errors
def org_update(
    org_id: Annotated[str, typer.Argument(help="Organisation id.")],
    areas: AreasOption = None,
) -> None:
    """Change what an organisation declares: the local authority districts it serves."""
    if areas is None:
        raise ValidationError("--areas: give the districts it serves (an empty string for none)")
    app = open_app()
    org = app.identity.set_areas(app.operator(), org_id, parse_areas(areas))
    console.print(f"{org.id} serves {', '.join(org.areas) or 'no declared areas'}", highlight=False)


@org_app.command("assure")
@handles_errors
def org_assure(
    org_id: Annotated[str, typer.Argument(help="Organisation id.")],
    assurance: Annotated[str, typer.Argument(help="SCHEME:REFERENCE:EXPIRES")],
) -> None:
    """Record a security certification or assured plan, with its expiry."""
    app = open_app()
    org = app.identity.add_assurance(app.operator(), org_id, parse_assurance(assurance))
    console.print(f"{org.id} now holds {len(org.assurances)} assurance(s)")


@org_app.command("list")
@handles_errors
def org_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List organisations with their current security assurance."""
    app = open_app()
    today = date.today()
    orgs = app.store.list_organisations()
    if as_json:
        print_json(
            [
                {
                    "id": o.id,
                    "name": o.name,
                    "kind": o.kind.value,
                    "areas": list(o.areas),
                    "assurances": [
                        {
                            "scheme": a.scheme.value,
                            "reference": a.reference,
                            "expires_on": a.expires_on,
                        }
                        for a in o.assurances
                    ],
                }
                for o in orgs
            ]
        )
        return
    table(
        "Organisations",
        ["id", "name", "kind", "areas", "valid assurance"],
        [
            (
                o.id,
                o.name,
                o.kind.value,
                ", ".join(o.areas),
                ", ".join(f"{a.scheme.value} to {a.expires_on}" for a in o.valid_assurances(today))
                or "none",
            )
            for o in orgs
        ],
    )


@principal_app.command("create")
@handles_errors
def principal_create(
    principal_id: Annotated[str, typer.Argument(help="Short id, e.g. alice.smith.")],
    role: Annotated[list[str], typer.Option(help="ORG:ROLE, repeatable.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    kind: Annotated[
        PrincipalKind, typer.Option(help="A person or a service.")
    ] = PrincipalKind.PERSON,
    email: Annotated[str, typer.Option(help="Contact address.")] = "",
) -> None:
    """Create a person or service with roles in organisations."""
    app = open_app()
    memberships = tuple(parse_membership(r) for r in role)
    principal = app.identity.create_principal(
        app.operator(), principal_id, name, kind, memberships, email
    )
    roles = ", ".join(sorted(f"{m.organisation_id}:{m.role.value}" for m in principal.memberships))
    console.print(f"Created {principal.kind.value} [bold]{principal.id}[/] with {roles}")


@principal_app.command("grant")
@handles_errors
def principal_grant(
    principal_id: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Argument(help="ORG:ROLE")],
) -> None:
    """Give a principal a role in an organisation."""
    app = open_app()
    app.identity.grant_role(app.operator(), principal_id, parse_membership(role))
    console.print(f"Granted {role} to {principal_id}")


@principal_app.command("revoke")
@handles_errors
def principal_revoke(
    principal_id: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Argument(help="ORG:ROLE")],
) -> None:
    """Take a role away."""
    app = open_app()
    app.identity.revoke_role(app.operator(), principal_id, parse_membership(role))
    console.print(f"Revoked {role} from {principal_id}")


@principal_app.command("list")
@handles_errors
def principal_list(
    org: Annotated[str | None, typer.Option(help="Only this organisation's.")] = None,
) -> None:
    """List principals and their roles."""
    app = open_app()
    table(
        "Principals",
        ["id", "name", "kind", "roles"],
        [
            (
                p.id,
                p.name,
                p.kind.value,
                ", ".join(sorted(f"{m.organisation_id}:{m.role.value}" for m in p.memberships)),
            )
            for p in app.store.list_principals(org)
        ],
    )


@token_app.command("issue")
@handles_errors
def token_issue(
    principal_id: Annotated[str, typer.Argument()],
    ttl_days: Annotated[
        int | None, typer.Option(help="Lifetime in days (default ACCORD_TOKEN_TTL_DAYS).")
    ] = None,
    description: Annotated[str, typer.Option(help="What the token is for.")] = "",
) -> None:
    """Issue an API token. The secret is printed once and cannot be shown again."""
    app = open_app()
    token, secret = app.identity.issue_token(
        app.operator(), principal_id, ttl_days=ttl_days, description=description
    )
    console.print(
        f"Token {token.id} for {principal_id}, expires {token.expires_at:%Y-%m-%d %H:%M} UTC"
    )
    console.print("Secret (shown once; store it now):", style="bold")
    typer.echo(secret)


@token_app.command("list")
@handles_errors
def token_list(
    principal_id: Annotated[str, typer.Argument()],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List a principal's tokens: never their secrets."""
    app = open_app()
    tokens = app.identity.list_tokens(app.operator(), principal_id)
    if as_json:
        print_json(
            [
                {
                    "id": t.id,
                    "prefix": t.prefix,
                    "created_at": t.created_at.isoformat(),
                    "expires_at": t.expires_at.isoformat(),
                    "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                    "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                    "description": t.description,
                }
                for t in tokens
            ]
        )
        return
    table(
        f"Tokens of {principal_id}",
        ["id", "prefix", "created", "expires", "revoked", "last used", "description"],
        [
            (
                t.id,
                t.prefix + "…",
                f"{t.created_at:%Y-%m-%d %H:%M}",
                f"{t.expires_at:%Y-%m-%d %H:%M}",
                f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "",
                f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never",
                t.description,
            )
            for t in tokens
        ],
    )


@token_app.command("revoke")
@handles_errors
def token_revoke(token_id: Annotated[str, typer.Argument()]) -> None:
    """Revoke a token at once."""
    app = open_app()
    app.identity.revoke_token(app.operator(), token_id)
    console.print(f"Revoked {token_id}")
