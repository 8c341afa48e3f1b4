"""``accord account``: local accounts for the web service (password and TOTP).

The password is asked for twice without echo at a terminal, or read as one line from
standard input when it is piped (``printf '%s\\n' "$PW" | accord account create …``),
so that it never appears in a command line or the shell's history. The TOTP secret is
printed once, as the ``otpauth://`` URI an authenticator app reads and as text; only
its sealed form is kept.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from accord.cli.common import console, handles_errors, open_app
from accord.services.accounts import AccountService, Enrolment

account_app = typer.Typer(
    help="Local accounts for signing in to the web service: an argon2id password and a "
    "TOTP authenticator.",
    no_args_is_help=True,
)

Principal = Annotated[str, typer.Argument(help="The principal the account belongs to.")]


def _password() -> str:
    if sys.stdin.isatty():
        value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return value
    return sys.stdin.readline().rstrip("\r\n")


def _show(principal: str, enrolment: Enrolment) -> None:
    console.print(f"TOTP for [bold]{principal}[/]: add it to an authenticator app now.")
    console.print("It is shown once; `accord account reset-totp` replaces it.")
    console.print(enrolment.uri, highlight=False, markup=False)
    console.print(f"secret: {enrolment.secret}", highlight=False, markup=False)


@account_app.command("create")
@handles_errors
def account_create(principal: Principal) -> None:
    """Create PRINCIPAL's account: read its password, print its new TOTP secret."""
    app = open_app()
    accounts = AccountService(app.store, app.keys, app.platform_org)
    enrolment = accounts.create(app.operator(), principal, _password())
    console.print(f"Account created for [bold]{principal}[/] (username: {principal}).")
    _show(principal, enrolment)


@account_app.command("password")
@handles_errors
def account_password(principal: Principal) -> None:
    """Set or replace PRINCIPAL's password (read as for create)."""
    app = open_app()
    AccountService(app.store, app.keys, app.platform_org).set_password(
        app.operator(), principal, _password()
    )
    console.print(f"Password replaced for [bold]{principal}[/].")


@account_app.command("reset-totp")
@handles_errors
def account_reset_totp(principal: Principal) -> None:
    """Give PRINCIPAL a new TOTP secret (the old codes stop working) and print it."""
    app = open_app()
    enrolment = AccountService(app.store, app.keys, app.platform_org).enrol_totp(
        app.operator(), principal
    )
    _show(principal, enrolment)
