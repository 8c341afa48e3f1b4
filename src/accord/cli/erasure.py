"""``accord erasure``: participants' requests to erase their information (seed 003).

Thin commands over :class:`accord.services.erasure.ErasureService`, as the API and the
web pages are. Every step is taken ``--as`` the person who answers for it: the
provider's DPO or admin receives, refers, decides and issues the letters; the
department's DPO assigns the reference; each holder's admin or DPO erases its copies.
``remind`` is the local operator's daily sweep (run it from cron).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import console, handles_errors, open_app, print_json, table
from accord.core.lifecycle.erasure import ParticipationFacts, Programme, ReferralKind
from accord.core.permissions import Caller
from accord.errors import ValidationError
from accord.fsutil import write_atomic
from accord.services.app import Accord
from accord.services.erasure import ErasureService, request_dict

__all__ = ["erasure_app"]

erasure_app = typer.Typer(
    help="Erasure requests: receive, refer, reference, decide, letter, erase, status, remind.",
    no_args_is_help=True,
)

AsOption = Annotated[str, typer.Option("--as", help="Act for this principal.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Write the letter to this file to send it.")
]


def _service(app: Accord) -> ErasureService:
    return ErasureService.of(app)


def _show(app: Accord, request_id: str, as_json: bool, caller: Caller) -> None:
    request = _service(app).get(caller, request_id)
    view = request_dict(request, app.store.clock().date())
    if as_json:
        print_json(view)
        return
    decision = view["decision"]
    console.print(
        f"{view['subject']} ({view['reference'] or 'no reference yet'}): {view['state']}; "
        f"person {view['person']}; due {view['due_on']} ({view['deadline']}, "
        f"{view['days_left']} days)",
        highlight=False,
    )
    if decision:
        console.print(
            f"  {decision['outcome']} under paragraph {decision['paragraph']}: "
            f"{decision['reason']}; keep until "
            f"{decision['keep_until'] or decision['keep_until_pending'] or '-'}",
            highlight=False,
        )
    for h in view["holders"]:
        done = f"certified ({h['certificate']})" if h["certified"] else "erasure required"
        console.print(f"  holder {h['holder']}: {done}", highlight=False)


def _letter(letter: str, out: Path | None) -> None:
    if out is not None:
        write_atomic(out, letter.encode())
        console.print(f"letter written to {out}", highlight=False)
    else:
        console.print(letter, highlight=False, markup=False)


@erasure_app.command("receive")
@handles_errors
def erasure_receive(
    agreement: Annotated[str, typer.Argument(help="The agreement the person was referred under.")],
    nino: Annotated[str, typer.Option(help="The participant's National Insurance number.")],
    name: Annotated[str, typer.Option(help="The participant's name, for the letters only.")],
    as_: AsOption,
    address: Annotated[
        list[str] | None, typer.Option(help="An address line for the letters (repeat).")
    ] = None,
    received_on: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD the request arrived; default today.")
    ] = None,
    out: OutOption = None,
) -> None:
    """Record a participant's request and issue the holding response at once (para 23)."""
    app = open_app()
    day = _date("received_on", received_on)
    request, letter = _service(app).receive(
        app.acting_as(as_),
        agreement,
        nino=nino,
        name=name,
        address=address or (),
        received_on=day,
    )
    console.print(f"erasure:{request.id} received; respond by {request.due_on}", highlight=False)
    _letter(letter, out)


@erasure_app.command("refer")
@handles_errors
def erasure_refer(request_id: str, as_: AsOption) -> None:
    """Refer the request to the department's Data Protection Office (para 24)."""
    app = open_app()
    request = _service(app).refer(app.acting_as(as_), request_id)
    console.print(f"erasure:{request.id} referred to {request.department}", highlight=False)


@erasure_app.command("reference")
@handles_errors
def erasure_reference(
    request_id: str,
    reference: Annotated[str, typer.Argument(help="The DPO's reference number.")],
    as_: AsOption,
) -> None:
    """The department's DPO assigns the reference every response carries (para 25)."""
    app = open_app()
    request = _service(app).assign_reference(app.acting_as(as_), request_id, reference)
    console.print(f"erasure:{request.id} is {request.reference}", highlight=False)


@erasure_app.command("decide")
@handles_errors
def erasure_decide(
    request_id: str,
    as_: AsOption,
    programme: Annotated[Programme, typer.Option(help="WHP (Core) or JETS.")],
    referral: Annotated[ReferralKind, typer.Option(help="voluntary or mandated (LTU).")],
    started: Annotated[bool, typer.Option("--started/--not-started")],
    mandated_to_interview: Annotated[bool, typer.Option("--mandated-to-interview")] = False,
    did_not_attend: Annotated[bool, typer.Option("--did-not-attend")] = False,
    decision_notified_on: Annotated[str | None, typer.Option()] = None,
    programme_ended_on: Annotated[str | None, typer.Option()] = None,
    final_claim_paid_on: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOption = False,
) -> None:
    """Decide by the seed's rules (paras 26-39) from the participant's facts."""
    app = open_app()
    facts = ParticipationFacts(
        programme,
        referral,
        started,
        mandated_to_interview,
        did_not_attend,
        _date("decision_notified_on", decision_notified_on),
        _date("programme_ended_on", programme_ended_on),
        _date("final_claim_paid_on", final_claim_paid_on),
    )
    caller = app.acting_as(as_)
    request = _service(app).decide(caller, request_id, facts)
    _show(app, request.id, as_json, caller)


@erasure_app.command("letter")
@handles_errors
def erasure_letter(request_id: str, as_: AsOption, out: OutOption = None) -> None:
    """Issue WHP RTE Acc or WHP RTE REJ; an acceptance goes to every holder to erase."""
    app = open_app()
    request, letter = _service(app).issue_letter(app.acting_as(as_), request_id)
    console.print(f"erasure:{request.id} is {request.state.value}", highlight=False)
    _letter(letter, out)


@erasure_app.command("withdraw")
@handles_errors
def erasure_withdraw(request_id: str, as_: AsOption) -> None:
    """The participant withdrew the request before a decision: close it, forgetting them."""
    app = open_app()
    request = _service(app).withdraw(app.acting_as(as_), request_id)
    console.print(f"erasure:{request.id} is {request.state.value}", highlight=False)


@erasure_app.command("erase")
@handles_errors
def erasure_erase(
    request_id: str,
    holder: Annotated[str, typer.Option(help="The organisation erasing its copies.")],
    as_: AsOption,
) -> None:
    """A holder erases the person from every copy it holds, and certifies it."""
    app = open_app()
    request = _service(app).erase_holdings(app.acting_as(as_), request_id, holder)
    console.print(
        f"{holder} erased and certified; erasure:{request.id} is {request.state.value}",
        highlight=False,
    )


@erasure_app.command("hold")
@handles_errors
def erasure_hold(
    agreement: str,
    path: Annotated[Path, typer.Argument(help="A Parquet file of the agreement's data.")],
    holder: Annotated[str, typer.Option(help="The organisation that holds it.")],
    as_: AsOption,
) -> None:
    """Register a file held downstream (a forward to a sub-contractor) so erasure reaches it."""
    app = open_app()
    copy_id = _service(app).register_copy(app.acting_as(as_), agreement, holder, path)
    console.print(f"{copy_id}: {path} held by {holder}", highlight=False)


@erasure_app.command("status")
@handles_errors
def erasure_status(
    request_id: Annotated[str | None, typer.Argument()] = None,
    org: Annotated[str | None, typer.Option(help="List this organisation's requests.")] = None,
    as_: Annotated[str | None, typer.Option("--as")] = None,
    as_json: JsonOption = False,
) -> None:
    """One request (the facts, the decision, the holders), or an organisation's list."""
    app = open_app()
    caller = app.acting_as(as_) if as_ else app.operator()
    if request_id:
        _show(app, request_id, as_json, caller)
        return
    if not org:
        raise ValidationError("name a request, or --org to list an organisation's requests")
    today = app.store.clock().date()
    views = [request_dict(r, today) for r in _service(app).list_requests(caller, org)]
    if as_json:
        print_json(views)
        return
    table(
        "Erasure requests",
        ["request", "reference", "state", "due", "deadline", "outcome"],
        [
            (
                v["id"],
                v["reference"],
                v["state"],
                v["due_on"],
                v["deadline"],
                (v["decision"] or {}).get("outcome", ""),
            )
            for v in views
        ],
    )


@erasure_app.command("remind")
@handles_errors
def erasure_remind() -> None:
    """Queue a deadline reminder for every unanswered request due within a week or overdue."""
    app = open_app()
    reminded = _service(app).remind(app.operator())
    console.print(f"{len(reminded)} reminder(s) queued", highlight=False)


def _date(field: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{field} {value!r} is not a date: write it as YYYY-MM-DD",
            problems=[{"field": field, "error": "not a date"}],
        ) from None
