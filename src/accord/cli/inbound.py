"""``accord inbound``: forms sent back to the data owners, and their inbox.

``send`` is the provider's designated sender's (``--as``); ``list``, ``show``,
``action`` and ``delete`` are the department's readers'. Each calls
:class:`accord.services.inbound.InboundService`, the same service as the API and pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import console, fail, handles_errors, open_app, print_json, table
from accord.core.lifecycle.inbound import MessageState
from accord.core.lifecycle.inbound_forms import InboundForm
from accord.services.inbound import inbound_service, message_dict

__all__ = ["inbound_app"]

inbound_app = typer.Typer(
    help="Forms a recipient sends back under an agreement (WHP07, employment business, "
    "exit reports), and the data owner's inbox.",
    no_args_is_help=True,
)

AsOption = Annotated[str, typer.Option("--as", help="Act for this principal.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@inbound_app.command("send")
@handles_errors
def send(
    agreement: Annotated[str, typer.Argument(help="The agreement the form is sent under.")],
    form: Annotated[InboundForm, typer.Option("--form", help="Which form.")],
    file: Annotated[
        Path, typer.Option("--file", help="One record as a JSON object of the form's fields.")
    ],
    as_: AsOption,
    as_json: JsonOption = False,
) -> None:
    """Send one record of a form to the agreement's data owner."""
    app = open_app()
    service = inbound_service(app)
    if not file.is_file():
        fail(f"--file: no file {file}")
    if file.stat().st_size > service.rules.max_message_bytes:
        fail(
            f"--file: {file.stat().st_size} bytes; a message may hold at most "
            f"{service.rules.max_message_bytes} bytes (one record)"
        )
    message = service.send(app.acting_as(as_), agreement, form.value, file.read_bytes())
    if as_json:
        print_json(message_dict(message))
    else:
        console.print(
            f"sent {message.id}: {message.template} about referral {message.referral_id} "
            f"to {message.organisation}'s inbox",
            highlight=False,
        )


@inbound_app.command("list")
@handles_errors
def list_messages(
    as_: AsOption,
    org: Annotated[str, typer.Option("--org", help="Whose inbox.")],
    state: Annotated[MessageState | None, typer.Option("--state")] = None,
    as_json: JsonOption = False,
) -> None:
    """List an organisation's inbox: form, referral, received, state (no personal data)."""
    app = open_app()
    inbox = inbound_service(app).inbox(app.acting_as(as_), org, state=state)
    rows = [message_dict(m) for m in inbox.messages]
    if as_json:
        print_json({"total": inbox.total, "messages": rows})
        return
    table(
        f"{org}'s inbox ({inbox.total})",
        ("id", "form", "referral", "from", "received", "state"),
        [(r["id"], r["template"], r["referral_id"], r["from"], r["received_at"][:16], r["state"])
         for r in rows],
    )  # fmt: skip


@inbound_app.command("show")
@handles_errors
def show(
    message_id: Annotated[str, typer.Argument()],
    as_: AsOption,
    as_json: JsonOption = False,
) -> None:
    """Show one message with its record (the read is audited)."""
    app = open_app()
    shown = message_dict(inbound_service(app).show(app.acting_as(as_), message_id), record=True)
    if as_json:
        print_json(shown)
        return
    for key, value in shown.items():
        if key != "record":
            console.print(f"{key}: {value}", highlight=False)
    for key, value in shown["record"].items():
        console.print(f"  {key}: {value}", highlight=False)


@inbound_app.command("action")
@handles_errors
def action(message_id: Annotated[str, typer.Argument()], as_: AsOption) -> None:
    """Mark a message actioned."""
    app = open_app()
    message = inbound_service(app).mark_actioned(app.acting_as(as_), message_id)
    console.print(f"{message.id} actioned", highlight=False)


@inbound_app.command("delete")
@handles_errors
def delete(message_id: Annotated[str, typer.Argument()], as_: AsOption) -> None:
    """Delete an actioned message from the inbox (seed 003 paragraph 57)."""
    app = open_app()
    inbound_service(app).delete(app.acting_as(as_), message_id)
    console.print(f"{message_id} deleted", highlight=False)
