"""``accord subcontractor``: a data owner's approved sub-contractors (seed 003).

Approving speaks for the data-owning organisation, so every command needs ``--as`` a
data owner, DPO or admin of ``--owner``. The rules and the audit are in
:class:`accord.services.subcontractors.SubcontractorService`, which the API and the web
page call too.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from accord.cli.common import console, fail, handles_errors, open_app, print_json, table
from accord.core.governance.subcontractors import ApprovalForm
from accord.services.subcontractors import SubcontractorService, approval_view

__all__ = ["subcontractor_app"]

subcontractor_app = typer.Typer(
    help="Sub-contractors a data owner approved for its prime providers: approve, withdraw, list.",
    no_args_is_help=True,
)

AsOption = Annotated[
    str, typer.Option("--as", help="Act as this principal: a data owner, DPO or admin of --owner.")
]
OwnerOption = Annotated[
    str, typer.Option("--owner", help="The data-owning organisation whose list this is (dwp).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
_ANSWERS = {"yes": True, "no": False}


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: give a date as YYYY-MM-DD, not {value!r}")


@subcontractor_app.command("approve")
@handles_errors
def approve(
    subcontractor: Annotated[str, typer.Argument(help="The sub-contractor's organisation id.")],
    as_: AsOption,
    owner: OwnerOption,
    prime: Annotated[str, typer.Option(help="The prime provider it works for.")],
    approved_to: Annotated[str, typer.Option("--to", help="Last day of the approval.")],
    due_diligence: Annotated[str, typer.Option(help="What was checked (five words or more).")],
    no_offshore: Annotated[
        str,
        typer.Option(
            help="yes: confirmed that it uses no product or service with offshore elements "
            "or links; no: an offshore element was found (the approval is refused)."
        ),
    ],
    approved_from: Annotated[
        str | None, typer.Option("--from", help="First day (default today).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Approve a sub-contractor for one prime provider, after due diligence."""
    if no_offshore.lower() not in _ANSWERS:
        fail("--no-offshore: answer yes or no")
    app = open_app()
    today = app.store.clock().date()
    form = ApprovalForm(
        subcontractor=subcontractor,
        prime=prime,
        approved_from=_date(approved_from, "--from") if approved_from else today,
        approved_to=_date(approved_to, "--to"),
        due_diligence=due_diligence,
        no_offshore=_ANSWERS[no_offshore.lower()],
    )
    approval = SubcontractorService(app.store).approve(app.acting_as(as_), owner, form)
    if as_json:
        print_json(approval_view(approval, today))
    else:
        console.print(
            f"Approved {approval.subcontractor} for {approval.prime} on {owner}'s list "
            f"until {approval.approved_to.isoformat()}: {approval.id}",
            highlight=False,
        )


@subcontractor_app.command("withdraw")
@handles_errors
def withdraw(
    approval_id: Annotated[str, typer.Argument(help="The approval's id (sca-…).")],
    as_: AsOption,
    owner: OwnerOption,
    reason: Annotated[str, typer.Option(help="Why the approval is withdrawn.")],
) -> None:
    """Withdraw an approval: sharing under agreements naming the sub-contractor stops."""
    app = open_app()
    approval = SubcontractorService(app.store).withdraw(
        app.acting_as(as_), owner, approval_id, reason
    )
    console.print(
        f"Withdrew {approval.id} ({approval.subcontractor} for {approval.prime}); the prime "
        "provider is notified",
        highlight=False,
    )


@subcontractor_app.command("list")
@handles_errors
def list_approvals(as_: AsOption, owner: OwnerOption, as_json: JsonOption = False) -> None:
    """The owner's approved sub-contractors, with each approval's state today."""
    app = open_app()
    today = app.store.clock().date()
    views = [
        approval_view(a, today)
        for a in SubcontractorService(app.store).approvals(app.acting_as(as_), owner)
    ]
    if as_json:
        print_json(views)
        return
    table(
        f"{owner}'s approved sub-contractors",
        ["id", "sub-contractor", "prime", "from", "to", "state", "approved by"],
        [
            (v["id"], v["subcontractor"], v["prime"], v["approved_from"], v["approved_to"],
             v["state"], v["approved_by"])
            for v in views
        ],
    )  # fmt: skip
