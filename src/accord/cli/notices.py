"""``accord notices``: where an organisation's notices go, and delivering them.

An organisation's admin manages its subscriptions (``--as`` the admin; the local
operator may too). ``deliver`` and ``remind`` are the operator's: run them from cron or
a systemd timer (``deliver`` every minute or so, ``remind`` daily); both are safe to run
again at any time.
"""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.common import console, handles_errors, open_app, print_json, table
from accord.core.permissions import Caller
from accord.services.app import Accord
from accord.services.notify import Deliverer, DeliverySettings
from accord.services.outbox import Outbox, status_dict, subscription_dict

__all__ = ["notices_app"]

notices_app = typer.Typer(
    help="Notifications: subscriptions by email and signed webhook, delivery and reminders.",
    no_args_is_help=True,
)

AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Act for this principal (the organisation's admin); default the local operator.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
OrgArgument = Annotated[str, typer.Argument(help="The organisation whose notices these are.")]
KindOption = Annotated[
    list[str] | None,
    typer.Option("--kind", help="A kind of notice to receive (repeat it); default every kind."),
]


def _caller(app: Accord, as_: str | None) -> Caller:
    return app.acting_as(as_) if as_ else app.operator()


def _outbox(app: Accord) -> Outbox:
    settings = DeliverySettings.from_env()
    return Outbox(app.store, allow_loopback_http=settings.allow_loopback_http)


@notices_app.command("subscriptions")
@handles_errors
def notices_subscriptions(
    org: OrgArgument, as_: AsOption = None, as_json: JsonOption = False
) -> None:
    """The organisation's email and webhook subscriptions (secrets are never shown again)."""
    app = open_app()
    shown = [subscription_dict(s) for s in _outbox(app).subscriptions(_caller(app, as_), org)]
    if as_json:
        print_json(shown)
        return
    table(
        f"Subscriptions of {org}",
        ("id", "channel", "address", "kinds"),
        [(s["id"], s["channel"], s["address"], ", ".join(s["kinds"])) for s in shown],  # type: ignore[arg-type]
    )


@notices_app.command("subscribe-email")
@handles_errors
def notices_subscribe_email(
    org: OrgArgument,
    address: Annotated[str, typer.Argument(help="One email address, like dpo@example.gov.uk.")],
    kind: KindOption = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Email the organisation's notices (of the kinds given, or all) to an address."""
    app = open_app()
    made = _outbox(app).subscribe_email(_caller(app, as_), org, address, kind or ())
    if as_json:
        print_json(subscription_dict(made))
    else:
        console.print(
            f"subscribed {made.id}: notices for {org} go to {made.address}", highlight=False
        )


@notices_app.command("subscribe-webhook")
@handles_errors
def notices_subscribe_webhook(
    org: OrgArgument,
    url: Annotated[str, typer.Argument(help="An https URL that accepts a signed JSON POST.")],
    kind: KindOption = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """POST the organisation's notices, signed, to a webhook; prints its secret once."""
    app = open_app()
    made = _outbox(app).subscribe_webhook(_caller(app, as_), org, url, kind or ())
    if as_json:
        print_json(subscription_dict(made))
        return
    console.print(
        f"subscribed {made.id}: notices for {org} are posted to {made.address}", highlight=False
    )
    console.print(
        f"signing secret (shown this once; keep it in your receiver's secret store):\n"
        f"{made.secret}",
        highlight=False,
    )


@notices_app.command("unsubscribe")
@handles_errors
def notices_unsubscribe(
    org: OrgArgument,
    subscription: Annotated[str, typer.Argument(help="The subscription id (sub-…).")],
    as_: AsOption = None,
) -> None:
    """Stop sending the organisation's notices to one destination."""
    app = open_app()
    _outbox(app).unsubscribe(_caller(app, as_), org, subscription)
    console.print(f"removed {subscription}", highlight=False)


@notices_app.command("list")
@handles_errors
def notices_list(org: OrgArgument, as_: AsOption = None, as_json: JsonOption = False) -> None:
    """The organisation's recent notices, newest first, with their delivery state."""
    app = open_app()
    shown = [status_dict(s) for s in _outbox(app).recent(_caller(app, as_), org)]
    if as_json:
        print_json(shown)
        return
    table(
        f"Notices for {org}",
        ("id", "kind", "subject", "state", "attempts", "last error"),
        [
            (s["id"], s["kind"], s["subject"], s["state"], s["attempts"], s["last_error"])
            for s in shown
        ],
    )


@notices_app.command("deliver")
@handles_errors
def notices_deliver(
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most this many notices (and the setting).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Send every notice that is due, by email and webhook; retries what failed before."""
    app = open_app()
    report = Deliverer(app.store, DeliverySettings.from_env()).deliver(app.operator(), limit=limit)
    if as_json:
        print_json(report.as_dict())
    else:
        console.print(
            ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.as_dict().items()),
            highlight=False,
        )


@notices_app.command("remind")
@handles_errors
def notices_remind(as_json: JsonOption = False) -> None:
    """Queue today's reminders of overdue destruction certificates (once a day each)."""
    app = open_app()
    queued = Deliverer(app.store, DeliverySettings.from_env()).remind(app.operator())
    if as_json:
        print_json({"queued": len(queued), "references": [n.reference for n in queued]})
    else:
        console.print(f"queued {len(queued)} reminder(s)", highlight=False)
