"""Agreements as their parties read them: the list, each agreement as a document, its
versions and what changed between them, its history, suspend / reinstate / revoke
with a reason, and the ODRL download.

The agreement service decides who may see and who may change an agreement (its
parties see it; a data owner's data owner or DPO suspends and reinstates, their legal
adviser too may revoke); another organisation's agreement answers as a missing one.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.core.governance.agreement import AgreementPolicy
from accord.core.governance.decision import DecisionRecord
from accord.core.governance.gateways import gateway as find_gateway
from accord.core.governance.presentation import cohort_in_words
from accord.core.governance.records import AgreementRecord
from accord.core.governance.report import TIER_NAMES
from accord.core.governance.workflow import AgreementState
from accord.core.identity import Role
from accord.core.plan.authorise import USE_ROLES
from accord.errors import AccordError, NotFoundError
from accord.services.app import Accord
from accord.services.decisions import verify_agreement
from accord.web.deps import CheckedForm, SignedInDep, accord_of
from accord.web.diff import model_changes
from accord.web.render import org_name, page
from accord.web.routes.extract import extract_allowed
from accord.web.routes.review import day, person_name
from accord.web.sessions import SignedIn

__all__ = ["AGREEMENT_STATES", "policy_rows", "router"]

router = APIRouter()

MAX_LIST = 200
"""The most agreements the list shows at once, newest first."""
MAX_REASON = 5_000

AGREEMENT_STATES = {
    AgreementState.ACTIVE: ("Active", "green"),
    AgreementState.SUSPENDED: ("Suspended", "yellow"),
    AgreementState.REVOKED: ("Revoked", "red"),
    AgreementState.EXPIRED: ("Expired", "grey"),
    AgreementState.SUPERSEDED: ("Replaced by a newer version", "grey"),
}
EVENT_NAMES = {
    "agreement.activate": "Made active, signed by each data owner",
    "agreement.suspend": "Suspended",
    "agreement.reinstate": "Reinstated",
    "agreement.revoke": "Revoked",
    "agreement.expire": "Expired at its end date",
    "agreement.supersede": "Replaced by a newer version",
}
ACTIONS = {
    "suspend": (
        "Suspend this agreement",
        "Suspend",
        "Nothing is released under a suspended agreement until it is reinstated.",
    ),
    "reinstate": (
        "Reinstate this agreement",
        "Reinstate",
        "Releases under the agreement can start again.",
    ),
    "revoke": (
        "Revoke this agreement",
        "Revoke",
        "A revoked agreement ends for good: nothing "
        "more is released under it, and it cannot be reinstated.",
    ),
}
SCHEME_NAMES = {
    "iso_27001": "ISO/IEC 27001",
    "assured_security_plan": "an assured security plan",
    "cyber_essentials_plus": "Cyber Essentials Plus",
    "dspt": "the Data Security and Protection Toolkit",
}
PAST = {"suspend": "suspended", "reinstate": "reinstated", "revoke": "revoked"}
DONE = {
    "suspend": "The agreement is suspended",
    "reinstate": "The agreement is active again",
    "revoke": "The agreement is revoked",
}


def version_number(text: str | None) -> int | None:
    """``?version=`` as a number; anything else is no such page (not a JSON error)."""
    if text is None or text == "":
        return None
    if not text.isdigit() or len(text) > 6:
        raise NotFoundError(f"no version {text[:20]!r}")
    return int(text)


def _words(value: object) -> str:
    return str(getattr(value, "value", value)).replace("_", " ")


def policy_rows(accord: Accord, policy: AgreementPolicy) -> dict[str, list[tuple[str, str]]]:
    """The agreement's terms, section by section, as its parties read them."""
    gw = find_gateway(policy.gateway) if policy.gateway else None
    controls = policy.output_controls
    yes = {True: "Yes", False: "No"}
    return {
        "Parties": [
            ("Data owners", ", ".join(org_name(accord, o) for o in policy.data_owners)),
            ("Recipient", org_name(accord, policy.recipient)),
            ("Processors", ", ".join(org_name(accord, p) for p in policy.processors) or "None"),
        ],
        "Purpose and legal basis": [
            ("Kind of purpose", _words(policy.purpose_category).capitalize()),
            ("Purpose", policy.purpose),
            ("Public benefit", policy.public_benefit or "Not given"),
            (
                "Lawful basis (UK GDPR Article 6)",
                _words(policy.lawful_basis) if policy.lawful_basis else "None given",
            ),
            *(
                [("Special-category condition (Article 9)", policy.art9_condition.value)]
                if policy.art9_condition
                else []
            ),
            *(
                [("DPA 2018 Schedule 1 condition", policy.schedule1_condition)]
                if policy.schedule1_condition
                else []
            ),
            (
                "Legal power",
                f"{gw.title} ({gw.provision})" if gw else (policy.gateway or "None given"),
            ),
            ("Tier", f"{policy.tier} ({TIER_NAMES.get(policy.tier, '')})"),
        ],
        "How the data is shared": [
            ("Form the data leaves in", _words(policy.form).capitalize()),
            ("Channels", ", ".join(_words(c) for c in policy.channels)),
            (
                "How often",
                _words(policy.frequency)
                + (f", every {policy.frequency_interval}" if policy.frequency_interval else ""),
            ),
            ("Test exchange before live data", yes[policy.test_exchange_required]),
            (
                "Security assurance the recipient must hold (any one)",
                ", ".join(SCHEME_NAMES.get(s.value, _words(s)) for s in policy.assurance_schemes),
            ),
        ],
        "Output controls": [
            ("Smallest count shown", str(controls.min_cell_count)),
            ("Counts rounded to", f"the nearest {controls.rounding_base}"),
            ("Counts perturbed by cell keys", yes[controls.cell_key_perturbation]),
            ("Answers about single records", yes[controls.per_record_answers]),
            ("Most rows one query returns", f"{controls.max_rows_per_query:,}"),
            ("k-anonymity of anonymised extracts", str(controls.k_anonymity)),
            ("l-diversity", str(controls.l_diversity)),
        ],
        "Keeping and deleting": [
            (
                "How long it is kept",
                policy.retention.describe() if policy.retention else "Until the agreement ends",
            ),
            ("How it is deleted", policy.deletion_method or "Not given"),
            ("Onward sharing", policy.onward_sharing or "None"),
            (
                "Where it is held",
                policy.territory.upper() if policy.territory in ("uk", "eea") else policy.territory,
            ),
        ],
        "Dates": [
            ("Valid from", day(policy.valid_from)),
            ("Valid to", day(policy.valid_to)),
        ],
    }


def _who(accord: Accord, actor: str) -> str:
    kind, _, name = actor.partition(":")
    if kind == "principal":
        return person_name(accord, name)
    if kind == "platform":
        return "Accord, automatically"
    return f"{name} (operator)"


def _history(accord: Accord, signed_in: SignedIn, agreement_id: str) -> list[dict[str, Any]]:
    rows = []
    for event in accord.agreements.history(signed_in.caller, agreement_id):
        details = event.details_dict
        version = event.object.rpartition(":v")[2]
        rows.append(
            {
                "at": datetime.fromisoformat(event.ts),
                "who": _who(accord, event.actor),
                "what": f"{EVENT_NAMES.get(event.action, event.action)} (version {version})",
                "why": details.get("note") or event.reason,
            }
        )
    return rows


def _document(
    accord: Accord, signed_in: SignedIn, agreement_id: str, version: int | None
) -> dict[str, Any]:
    record = accord.agreements.show(signed_in.caller, agreement_id, version)
    versions = accord.agreements.versions(signed_in.caller, agreement_id)
    previous = next((v for v in versions if v.version == record.version - 1), None)
    check = verify_agreement(accord.keys, record)
    decision = DecisionRecord.from_json(record.decision_record)
    owners = record.policy.data_owners
    principal = signed_in.principal
    steward = any(principal.has_role(o, Role.DATA_OWNER, Role.DPO, Role.LEGAL) for o in owners)
    latest = versions[-1].version if versions else record.version
    current = record.version == latest
    return {
        "record": record,
        "policy": record.policy,
        "state": AGREEMENT_STATES[record.state],
        "sections": policy_rows(accord, record.policy),
        "versions": [
            {"version": v.version, "state": AGREEMENT_STATES[v.state][0], "made": v.created_at}
            for v in versions
        ],
        "previous": previous.version if previous else None,
        "changes": model_changes(previous.policy if previous else None, record.policy),
        "history": _history(accord, signed_in, agreement_id),
        "valid": check.valid,
        "decision_id": decision.decision_id,
        "signed_by": ", ".join(org_name(accord, s.organisation) for s in record.signatures),
        "can_suspend": steward and current and record.state is AgreementState.ACTIVE,
        "can_reinstate": steward and current and record.state is AgreementState.SUSPENDED,
        "can_revoke": steward
        and current
        and record.state in (AgreementState.ACTIVE, AgreementState.SUSPENDED),
        "current": current,
        "can_extract": current
        and record.state is AgreementState.ACTIVE
        and extract_allowed(record.policy.channels)
        and record.policy.recipient in principal.organisations_with(*USE_ROLES),
        "cohorts": {d.dataset: cohort_in_words(d.cohort) for d in record.policy.datasets},
    }


@router.get("/our-agreements", response_class=HTMLResponse)
def our_agreements(request: Request, signed_in: SignedInDep) -> Response:
    accord = accord_of(request)
    agreements = accord.agreements.list_for(signed_in.caller)
    rows = [
        {
            "id": a.id,
            "title": a.policy.title,
            "version": a.version,
            "state": AGREEMENT_STATES[a.state],
            "owners": ", ".join(org_name(accord, o) for o in a.policy.data_owners),
            "recipient": org_name(accord, a.policy.recipient),
            "valid_to": day(a.policy.valid_to),
        }
        for a in agreements[:MAX_LIST]
    ]
    return page(
        request,
        "agreements/list.html",
        title="Agreements",
        rows=rows,
        total=len(agreements),
        limit=MAX_LIST,
    )


@router.get("/our-agreements/{agreement_id}", response_class=HTMLResponse)
def agreement(
    request: Request,
    agreement_id: str,
    signed_in: SignedInDep,
    version: str | None = None,
    done: str = "",
) -> Response:
    accord = accord_of(request)
    context = _document(accord, signed_in, agreement_id, version_number(version))
    return page(
        request,
        "agreements/agreement.html",
        title=context["policy"].title,
        done=DONE.get(done, ""),
        **context,
    )


@router.get("/our-agreements/{agreement_id}/odrl")
def agreement_odrl(
    request: Request, agreement_id: str, signed_in: SignedInDep, version: str | None = None
) -> Response:
    """The agreement as ODRL 2.2 JSON-LD, the same document the API serves, to download."""
    accord = accord_of(request)
    record: AgreementRecord = accord.agreements.show(
        signed_in.caller, agreement_id, version_number(version)
    )
    body = accord.agreements.export_odrl(record.id, record.version)
    return Response(
        json.dumps(body, indent=2, sort_keys=True),
        media_type="application/ld+json",
        headers={
            "Content-Disposition": (
                f'attachment; filename="agreement-{record.id}-v{record.version}.odrl.jsonld"'
            )
        },
    )


def _form(
    request: Request,
    signed_in: SignedIn,
    agreement_id: str,
    action: str,
    *,
    status_code: int = 200,
    errors: list[dict[str, str]] | None = None,
    reason: str = "",
) -> Response:
    accord = accord_of(request)
    context = _document(accord, signed_in, agreement_id, None)
    title, button, effect = ACTIONS[action]
    return page(
        request,
        "agreements/action.html",
        status_code=status_code,
        title=title,
        action=action,
        button_text=button,
        effect=effect,
        reason=reason,
        errors=errors or [],
        field_errors={e["field"]: e for e in errors or [] if e.get("field")},
        **context,
    )


@router.get("/our-agreements/{agreement_id}/{action}", response_class=HTMLResponse)
def action_form(
    request: Request, agreement_id: str, action: str, signed_in: SignedInDep
) -> Response:
    if action not in ACTIONS:
        raise NotFoundError("no such page")
    return _form(request, signed_in, agreement_id, action)


@router.post("/our-agreements/{agreement_id}/{action}")
def act(
    request: Request, agreement_id: str, action: str, signed_in: SignedInDep, form: CheckedForm
) -> Response:
    if action not in ACTIONS:
        raise NotFoundError("no such page")
    given = form.get("reason", "")
    reason = given.strip() if isinstance(given, str) else ""
    problem = ""
    if not reason:
        problem = f"Say why the agreement is to be {PAST[action]}"
    elif len(reason) > MAX_REASON:
        problem = f"The reason must be {MAX_REASON:,} characters or fewer"
    if problem:
        return _form(
            request,
            signed_in,
            agreement_id,
            action,
            status_code=422,
            errors=[{"field": "reason", "text": problem}],
            reason=reason,
        )
    service = accord_of(request).agreements
    do = {"suspend": service.suspend, "reinstate": service.reinstate, "revoke": service.revoke}
    try:
        do[action](signed_in.caller, agreement_id, reason)
    except NotFoundError:
        raise
    except AccordError as refused:
        text = refused.message
        return _form(
            request,
            signed_in,
            agreement_id,
            action,
            status_code=refused.status_code,
            errors=[{"field": "", "text": text[:1].upper() + text[1:]}],
            reason=reason,
        )
    return RedirectResponse(f"/our-agreements/{agreement_id}?done={action}", status_code=303)
