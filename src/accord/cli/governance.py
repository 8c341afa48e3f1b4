"""``accord request``, ``accord review``, ``accord agreement``, ``accord register`` and
``accord governance``: the workflow from a request to an executable agreement.

Governance actions are taken by named people: ``--as PRINCIPAL`` acts for one, and the
audit log records both the principal and the operator who acted for them.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError as PydanticValidationError

from accord.cli.common import console, handles_errors, open_app, print_json, table
from accord.core.governance.decision import SignatureCheck
from accord.core.governance.diagram import workflow_markdown
from accord.core.governance.gateways import GATEWAYS
from accord.core.governance.presentation import (
    decision_text,
    decision_view,
    request_view,
    request_view_text,
)
from accord.core.governance.records import AgreementRecord, RequestRecord
from accord.core.governance.report import assessment_dict, assessment_text
from accord.core.governance.request import SharingRequest
from accord.core.governance.workflow import RequestState
from accord.core.identity import Role
from accord.core.problems import problem_location, problem_message
from accord.errors import ValidationError
from accord.fsutil import write_atomic
from accord.services.agreements import SharedDomain
from accord.services.decisions import verify_agreement

request_app = typer.Typer(help="Data-sharing requests and their assessment.", no_args_is_help=True)
review_app = typer.Typer(
    help="Review a request: approve, reject, ask for changes.", no_args_is_help=True
)
agreement_app = typer.Typer(help="Executable agreements.", no_args_is_help=True)
governance_app = typer.Typer(
    help="Gateways, metrics and the workflow diagram.", no_args_is_help=True
)

AsOption = Annotated[str, typer.Option("--as", help="The principal who acts (a person).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def load_request(path: Path) -> SharingRequest:
    """A request from YAML or JSON, with every problem named by its field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValidationError(
            f"{path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"
        ) from exc
    if not isinstance(document, dict):
        raise ValidationError(f"{path} must hold one request (a mapping of fields)")
    try:
        return SharingRequest.parse(document)
    except PydanticValidationError as exc:
        problems = [f"{problem_location(e)}: {problem_message(e)}" for e in exc.errors()]
        raise ValidationError(
            f"{path} is not a valid request:\n  " + "\n  ".join(problems)
        ) from exc


def request_json(record: RequestRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "revision": record.revision,
        "state": record.state.value,
        "tier": record.tier,
        "requester": record.requester,
        "created_at": record.created_at.isoformat(),
        "submitted_at": record.submitted_at.isoformat() if record.submitted_at else None,
        "decided_at": record.decided_at.isoformat() if record.decided_at else None,
        "request": record.document.model_dump(mode="json"),
    }


def agreement_json(
    record: AgreementRecord, check: SignatureCheck, shared: tuple[SharedDomain, ...] = ()
) -> dict[str, Any]:
    return {
        "id": record.id,
        "version": record.version,
        "state": record.state.value,
        "request": record.request_id,
        "signed_by": record.signed_by,
        "signatures": [
            {"organisation": s.organisation, "key_fingerprint": s.key_fingerprint}
            for s in record.signatures
        ],
        "signature_valid": check.valid,
        "verification": list(check.reasons),
        "policy_sha256": record.policy.sha256(),
        "policy": record.policy.model_dump(mode="json"),
        "decision_record": json.loads(record.decision_record),
        "linkage_domains": [asdict(d) for d in shared],
    }


def shared_domains_text(shared: tuple[SharedDomain, ...]) -> str:
    """``carers-link (owner agr-1; shared with agr-2)`` for each domain, or ""."""
    return "; ".join(
        f"{d.domain} (owner {d.owner_agreement}"
        + (
            "; shared with " + ", ".join(a for a in d.agreements if a != d.owner_agreement)
            if len(d.agreements) > 1
            else ""
        )
        + ")"
        for d in shared
    )


@request_app.command("new")
@handles_errors
def request_new(
    file: Annotated[Path, typer.Argument(help="The request, as YAML or JSON.")],
    as_: AsOption,
    submit: Annotated[bool, typer.Option(help="Submit it at once.")] = False,
) -> None:
    """Create a draft request from a file (and optionally submit it)."""
    app = open_app()
    caller = app.acting_as(as_)
    record = app.requests.create(caller, load_request(file))
    console.print(f"Created request [bold]{record.id}[/] (draft): {record.document.title}")
    if submit:
        record, assessment = app.requests.submit(caller, record.id)
        console.print(f"Submitted {record.id}.\n", highlight=False)
        console.print(assessment_text(assessment), highlight=False, markup=False)


@request_app.command("edit")
@handles_errors
def request_edit(
    request_id: Annotated[str, typer.Argument()],
    file: Annotated[Path, typer.Argument(help="The changed request, as YAML or JSON.")],
    as_: AsOption,
) -> None:
    """Change a draft, or a request sent back for changes."""
    app = open_app()
    record = app.requests.edit(app.acting_as(as_), request_id, load_request(file))
    console.print(f"{record.id} is at revision {record.revision} ({record.state.value})")


@request_app.command("submit")
@handles_errors
def request_submit(request_id: Annotated[str, typer.Argument()], as_: AsOption) -> None:
    """Submit a request for review; prints its assessment."""
    app = open_app()
    record, assessment = app.requests.submit(app.acting_as(as_), request_id)
    console.print(f"Submitted {record.id} (revision {record.revision}).\n")
    console.print(assessment_text(assessment), highlight=False, markup=False)


@request_app.command("withdraw")
@handles_errors
def request_withdraw(
    request_id: Annotated[str, typer.Argument()],
    as_: AsOption,
    note: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Withdraw a request that is not yet decided."""
    app = open_app()
    record = app.requests.withdraw(app.acting_as(as_), request_id, note)
    console.print(f"{record.id} withdrawn")


@request_app.command("show")
@handles_errors
def request_show(request_id: Annotated[str, typer.Argument()], as_json: JsonOption = False) -> None:
    """Show a request as its reviewers see it: purpose, lawful basis, fields with their
    transforms and justifications, cohorts, the stored findings, the changes since the
    previous revision, reviews, overrides and decisions."""
    app = open_app()
    view = request_view(*app.requests.history(app.operator(), request_id))
    if as_json:
        print_json(view)
        return
    typer.echo(request_view_text(view))


@request_app.command("decisions")
@handles_errors
def request_decisions(
    request_id: Annotated[
        str | None, typer.Option("--request", help="Only this request's decisions.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List decision records of every outcome: share, share with conditions, do not share."""
    app = open_app()
    entries = app.requests.decisions.list(app.operator(), request_id)
    views = [decision_view(e, app.requests.decisions.verify(e)) for e in entries]
    if as_json:
        print_json(views)
        return
    table(
        "Decision records",
        ["id", "request", "outcome", "decided", "signed by", "signatures"],
        [
            (
                v["id"],
                f"{v['request']} r{v['revision']}",
                v["outcome"],
                v["decided_at"][:16],
                ", ".join(s["organisation"] for s in v["signatures"]),
                "valid" if v["signatures_valid"] else "INVALID",
            )
            for v in views
        ],
    )


@request_app.command("decision")
@handles_errors
def request_decision(
    decision_id: Annotated[str, typer.Argument()], as_json: JsonOption = False
) -> None:
    """Show a signed decision record, as the ICO decision form, and whether it verifies."""
    app = open_app()
    entry = app.requests.decisions.get(app.operator(), decision_id)
    view = decision_view(entry, app.requests.decisions.verify(entry))
    if as_json:
        print_json(view)
        return
    typer.echo(decision_text(view))


@request_app.command("list")
@handles_errors
def request_list(
    state: Annotated[RequestState | None, typer.Option(help="Only requests in this state.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List requests."""
    app = open_app()
    records = app.requests.list_visible(app.operator(), state)
    if as_json:
        print_json([request_json(r) for r in records])
        return
    table(
        "Requests",
        ["id", "state", "tier", "from", "to", "title"],
        [
            (
                r.id,
                r.state.value,
                r.tier or "",
                r.document.requesting_organisation,
                ", ".join(r.document.owner_organisations()),
                r.document.title,
            )
            for r in records
        ],
    )


@request_app.command("assess")
@handles_errors
def request_assess(
    request_id: Annotated[str | None, typer.Argument(help="A stored request.")] = None,
    file: Annotated[
        Path | None, typer.Option(help="Or a request file, assessed without storing it.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The automated assessment: tier, findings with fixes, approvers and the ICO checklist."""
    if (request_id is None) == (file is None):
        raise ValidationError("name a stored request, or give --file, but not both")
    app = open_app()
    document = (
        load_request(file) if file else app.requests.get(app.operator(), str(request_id)).document
    )
    assessment = app.requests.assess(document)
    if as_json:
        print_json(assessment_dict(assessment))
    else:
        console.print(assessment_text(assessment), highlight=False, markup=False)


def _review(
    action: str,
    request_id: str,
    who: str,
    note: str,
    role: Role | None = None,
    conditions: tuple[str, ...] = (),
    charge_pence: int | None = None,
    charge_basis: str = "",
) -> None:
    app = open_app()
    caller = app.acting_as(who)
    if action == "start":
        record = app.requests.start_review(caller, request_id, note)
    elif action == "changes":
        record = app.requests.request_changes(caller, request_id, note)
    elif action == "reject":
        record = app.requests.reject(caller, request_id, note)
    else:
        outcome = app.requests.approve(
            caller,
            request_id,
            note,
            role,
            conditions=conditions,
            charge_pence=charge_pence,
            charge_basis=charge_basis,
        )
        given = f"{outcome.role.value} of {outcome.organisation}"
        if outcome.agreement is not None:
            console.print(
                f"Approved as {given}: request {request_id} is approved and agreement "
                f"[bold]{outcome.agreement.id}[/] v{outcome.agreement.version} is active "
                f"(policy sha256 {outcome.agreement.policy.sha256()[:16]}…, signed by "
                f"{outcome.agreement.signed_by})",
                highlight=False,
            )
        else:
            needed = ", ".join(f"{r.value} of {o}" for o, r in outcome.outstanding)
            console.print(f"Approved as {given}; still needed: {needed}", highlight=False)
        return
    console.print(f"{record.id} is now {record.state.value}")


@review_app.command("start")
@handles_errors
def review_start(
    request_id: Annotated[str, typer.Argument()],
    as_: AsOption,
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Take a submitted request into review."""
    _review("start", request_id, as_, note)


@review_app.command("approve")
@handles_errors
def review_approve(
    request_id: Annotated[str, typer.Argument()],
    as_: AsOption,
    note: Annotated[str, typer.Option(help="Remarks.")] = "",
    role: Annotated[Role | None, typer.Option(help="The role this approval is given as.")] = None,
    condition: Annotated[
        list[str] | None,
        typer.Option(help="A condition of approval (repeat for several); joins the agreement."),
    ] = None,
    charge_pence: Annotated[
        int | None, typer.Option(help="What your organisation charges for the share, in pence.")
    ] = None,
    charge_basis: Annotated[str, typer.Option(help="The basis of the charge.")] = "",
) -> None:
    """Approve for your organisation; the approval completing every owner's set activates
    the agreement, signed by every data owner."""
    _review(
        "approve", request_id, as_, note, role, tuple(condition or ()), charge_pence, charge_basis
    )


@review_app.command("reject")
@handles_errors
def review_reject(
    request_id: Annotated[str, typer.Argument()],
    as_: AsOption,
    note: Annotated[str, typer.Option(help="The reasons.")] = "",
) -> None:
    """Reject, with reasons: a signed do-not-share decision record."""
    _review("reject", request_id, as_, note)


@review_app.command("request-changes")
@handles_errors
def review_request_changes(
    request_id: Annotated[str, typer.Argument()],
    as_: AsOption,
    note: Annotated[str, typer.Option(help="What must change.")] = "",
) -> None:
    """Send a request back to its requester for changes."""
    _review("changes", request_id, as_, note)


@review_app.command("override")
@handles_errors
def review_override(
    request_id: Annotated[str, typer.Argument()],
    finding: Annotated[
        str, typer.Argument(help="The blocking finding's ref, as the assessment prints it.")
    ],
    as_: AsOption,
    reason: Annotated[str, typer.Option(help="Why it is acceptable (recorded).")] = "",
) -> None:
    """Legal of a data owner (or whom the finding names) accepts a blocking finding for
    its data, with the reason on the record; it is resolved once every seat has."""
    app = open_app()
    override = app.requests.override(app.acting_as(as_), request_id, finding, reason)
    console.print(
        f"{override.finding} overridden on {request_id} by {override.principal_id} "
        f"({override.role} of {override.organisation_id})",
        highlight=False,
    )


@agreement_app.command("show")
@handles_errors
def agreement_show(
    agreement_id: Annotated[str, typer.Argument()],
    version: Annotated[int | None, typer.Option(help="A version; default the latest.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Show an agreement's policy, state and signed decision record."""
    app = open_app()
    record = app.agreements.show(app.operator(), agreement_id, version)
    check = verify_agreement(app.keys, record)
    shared = app.agreements.shared_domains().get(record.id, ())
    if as_json:
        print_json(agreement_json(record, check, shared))
        return
    p = record.policy
    console.print(
        f"[bold]{record.id}[/] v{record.version} — {record.state.value} — {p.title}",
        highlight=False,
    )
    console.print(
        f"{', '.join(p.data_owners)} → {p.recipient}; tier {p.tier}; {p.purpose_category.value}; "
        f"gateway {p.gateway or 'none'}; valid {p.valid_from} to {p.valid_to}; "
        f"channels {', '.join(c.value for c in p.channels)}; test exchange "
        f"{'required' if p.test_exchange_required else 'not required'}; retention "
        f"{p.retention.describe() if p.retention else 'until the agreement ends'}",
        highlight=False,
    )
    table(
        "Fields",
        ["dataset", "field", "transform"],
        [(d.dataset, f.name, f.transform.label()) for d in p.datasets for f in d.fields],
    )
    if shared:
        console.print(f"Linkage domains: {shared_domains_text(shared)}", highlight=False)
    status = "[green]valid[/]" if check.valid else "[red]INVALID[/]"
    console.print(f"Decision record signed by {record.signed_by}: {status}", highlight=False)
    for reason in check.reasons:
        console.print(f"  {reason}", highlight=False, markup=False)


@agreement_app.command("export")
@handles_errors
def agreement_export(
    agreement_id: Annotated[str, typer.Argument()],
    odrl: Annotated[bool, typer.Option("--odrl", help="ODRL 2.2 JSON-LD with DPV terms.")] = False,
    version: Annotated[int | None, typer.Option()] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write to this file instead of printing.")
    ] = None,
) -> None:
    """Export an agreement: its JSON policy, or ODRL JSON-LD with --odrl."""
    app = open_app()
    if odrl:
        document: Any = app.agreements.export_odrl(agreement_id, version)
    else:
        document = app.agreements.get(agreement_id, version).policy.model_dump(mode="json")
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(out, text.encode())
        console.print(f"Wrote {out}")


def _steward(action: str, agreement_id: str, who: str, reason: str) -> None:
    app = open_app()
    caller = app.acting_as(who)
    do = {
        "suspend": app.agreements.suspend,
        "reinstate": app.agreements.reinstate,
        "revoke": app.agreements.revoke,
    }[action]
    record = do(caller, agreement_id, reason)
    console.print(f"{record.id} v{record.version} is now {record.state.value}")


@agreement_app.command("suspend")
@handles_errors
def agreement_suspend(
    agreement_id: Annotated[str, typer.Argument()],
    as_: AsOption,
    reason: Annotated[str, typer.Option()] = "",
) -> None:
    """Suspend an active agreement: nothing flows until it is reinstated."""
    _steward("suspend", agreement_id, as_, reason)


@agreement_app.command("reinstate")
@handles_errors
def agreement_reinstate(
    agreement_id: Annotated[str, typer.Argument()],
    as_: AsOption,
    reason: Annotated[str, typer.Option()] = "",
) -> None:
    """Reinstate a suspended agreement."""
    _steward("reinstate", agreement_id, as_, reason)


@agreement_app.command("revoke")
@handles_errors
def agreement_revoke(
    agreement_id: Annotated[str, typer.Argument()],
    as_: AsOption,
    reason: Annotated[str, typer.Option()] = "",
) -> None:
    """Revoke an agreement for good."""
    _steward("revoke", agreement_id, as_, reason)


@handles_errors
def register_command(as_json: JsonOption = False) -> None:
    """The public register of data-sharing agreements."""
    app = open_app()
    entries = app.agreements.register()
    if as_json:
        print_json([asdict(e) for e in entries])
        return
    table(
        "Register of data-sharing agreements",
        [
            "agreement",
            "state",
            "from",
            "to",
            "purpose",
            "legal power",
            "valid",
            "expected benefits",
            "linkage domains",
        ],
        [
            (
                f"{e.agreement} v{e.version}",
                e.state,
                ", ".join(e.data_owners),
                e.recipient,
                e.purpose,
                e.legal_power,
                f"{e.valid_from} to {e.valid_to}",
                e.expected_benefits,
                shared_domains_text(e.linkage_domains),
            )
            for e in entries
        ],
    )


@governance_app.command("metrics")
@handles_errors
def governance_metrics(as_json: JsonOption = False) -> None:
    """Time from submission to decision, and the open queue by state and role."""
    app = open_app()
    metrics = app.agreements.metrics()
    if as_json:
        print_json(metrics)
        return
    hours = metrics["hours_to_decision"]
    console.print(
        f"{metrics['requests']} requests, {metrics['decided']} decided; hours to decision: "
        f"median {hours['median']}, mean {hours['mean']}, max {hours['max']}; "
        f"destruction confirmations overdue: {metrics['destruction_overdue']}"
    )
    table(
        "Open queue",
        ["state", "requests", "waiting on"],
        [
            (state, q["count"], ", ".join(q["owner_roles"]))
            for state, q in metrics["open_queue"].items()
        ],
    )


@governance_app.command("gateways")
@handles_errors
def governance_gateways(as_json: JsonOption = False) -> None:
    """The legal gateways Accord knows, and the purposes each serves."""
    if as_json:
        print_json([g.as_dict() for g in GATEWAYS])
        return
    table(
        "Legal gateways",
        ["id", "gateway", "provision", "purposes", "note"],
        [
            (g.id, g.title, g.provision, ", ".join(sorted(p.value for p in g.purposes)), g.note)
            for g in GATEWAYS
        ],
    )


@governance_app.command("diagram")
@handles_errors
def governance_diagram(
    write: Annotated[bool, typer.Option(help="Rewrite docs/workflow.md.")] = False,
    path: Annotated[Path, typer.Option(help="Where the workflow doc is.")] = Path(
        "docs/workflow.md"
    ),
) -> None:
    """The request and agreement state diagrams, generated from the transition tables."""
    text = workflow_markdown()
    if write:
        write_atomic(path, text.encode())
        console.print(f"Wrote {path}")
    else:
        typer.echo(text, nl=False)
