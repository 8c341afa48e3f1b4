"""One presentation of a request and of a decision record, shared by the CLI and the API.

``request_view`` is what a reviewer needs in front of them: the purpose and lawful
basis, each field with its transform and justification, the cohort, the stored
findings of the revision under review, and what changed since the previous revision.
``accord request show`` prints :func:`request_view_text` of it; ``--json`` and
``GET /requests/{id}/view`` return the dict itself, so the two never drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.core.expressions.describe import describe
from accord.core.expressions.nodes import (
    Age,
    And,
    Between,
    BooleanLiteral,
    Column,
    CompareOp,
    Comparison,
    DateLiteral,
    DateShift,
    DecimalLiteral,
    Expr,
    InArea,
    InList,
    IntegerLiteral,
    IsNull,
    Like,
    Lower,
    Not,
    NullLiteral,
    Or,
    StartsWith,
    StringLiteral,
    Today,
    Upper,
)
from accord.core.expressions.parser import parse, parse_date
from accord.core.governance.decision import SignatureCheck, considerations_entries
from accord.core.governance.records import (
    DecisionEntry,
    Override,
    RequestRecord,
    Review,
    RevisionRecord,
)
from accord.core.governance.request import SharingRequest
from accord.errors import ValidationError

__all__ = [
    "cohort_in_words",
    "decision_text",
    "decision_view",
    "document_diff",
    "request_view",
    "request_view_text",
]


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    """Dotted paths to leaves; list items named by their dataset, name or finding."""
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else key, out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, item in enumerate(value):
            label = item.get("dataset") or item.get("name") or item.get("finding") or index
            _flatten(item, f"{path}[{label}]", out)
    else:
        out[path] = value


def document_diff(before: SharingRequest | None, after: SharingRequest) -> tuple[str, ...]:
    """What changed from ``before`` to ``after``, one line per changed leaf."""
    if before is None:
        return ()
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    _flatten(before.model_dump(mode="json"), "", old)
    _flatten(after.model_dump(mode="json"), "", new)
    lines = []
    for path in sorted(set(old) | set(new)):
        if path not in new:
            lines.append(f"- {path}: {old[path]!r}")
        elif path not in old:
            lines.append(f"+ {path}: {new[path]!r}")
        elif old[path] != new[path]:
            lines.append(f"~ {path}: {old[path]!r} -> {new[path]!r}")
    return tuple(lines)


_COMPARE = {
    CompareOp.EQ: "is",
    CompareOp.NE: "is not",
    CompareOp.LT: "is less than",
    CompareOp.LE: "is at most",
    CompareOp.GT: "is more than",
    CompareOp.GE: "is at least",
}


def _words(node: Expr) -> str:
    """One node of a filter in plain English; anything unusual in its canonical text."""
    match node:
        case And(left, right):
            return f"{_words(left)}, and {_words(right)}"
        case Or(left, right):
            return f"either {_words(left)} or {_words(right)}"
        case Not(operand):
            return f"it is not the case that {_words(operand)}"
        case Comparison(op, left, right):
            return f"{_words(left)} {_COMPARE[op]} {_words(right)}"
        case InList(operand, items, negated):
            listed = ", ".join(_words(i) for i in items)
            return f"{_words(operand)} is {'not ' if negated else ''}one of {listed}"
        case Between(operand, low, high, negated):
            return (
                f"{_words(operand)} is {'not ' if negated else ''}between {_words(low)} "
                f"and {_words(high)}"
            )
        case IsNull(operand, negated):
            return f"{_words(operand)} is {'given' if negated else 'not given'}"
        case Like(operand, pattern, negated):
            verb = "does not match" if negated else "matches"
            return f"{_words(operand)} {verb} the pattern {_words(pattern)}"
        case StartsWith(operand, prefix):
            return f"{_words(operand)} starts with {_words(prefix)}"
        case InArea(operand, areas):
            where = (
                f"the local authority districts {', '.join(areas)}"
                if areas
                else "the areas the recipient serves"
            )
            return f"{_words(operand)} is in {where}"
        case Age(operand):
            return f"the age in whole years from {_words(operand)}"
        case DateShift(operand, subtract, amount, unit):
            units = unit.value + ("" if amount == 1 else "s")
            return f"{amount} {units} {'before' if subtract else 'after'} {_words(operand)}"
        case Today():
            return "the day the data is read"
        case Column(name):
            return name.replace("_", " ")
        case Lower(operand) | Upper(operand):
            return f"{_words(operand)} (in any case)"
        case StringLiteral(value):
            if (when := parse_date(value)) is not None:
                return f"{when.day} {when:%B %Y}"
            return f"\u201c{value}\u201d"
        case DateLiteral(value):
            return f"{value.day} {value:%B %Y}"
        case BooleanLiteral(value):
            return "true" if value else "false"
        case NullLiteral():
            return "nothing"
        case IntegerLiteral(value) | DecimalLiteral(value):
            return str(value)
    return describe(node)


def cohort_in_words(cohort: str) -> str:
    """Whose records a dataset's cohort keeps, as a reviewer reads it:
    ``weekly_amount > 50 and in_area(postcode)`` is "only records where weekly amount is
    more than 50, and postcode is in the areas the recipient serves"."""
    if not cohort.strip():
        return "every record in the dataset (no cohort)"
    try:
        tree = parse(cohort)
    except ValidationError:
        return f"only records matching the filter {cohort} (which does not parse)"
    return f"only records where {_words(tree)}"


def _previous(
    revisions: Sequence[RevisionRecord], current: int
) -> tuple[RevisionRecord | None, RevisionRecord | None]:
    """(the stored revision being shown, the one before it)."""
    shown = next((r for r in revisions if r.revision == current), None)
    earlier = [r for r in revisions if r.revision < current]
    return shown, (earlier[-1] if earlier else None)


def decision_view(entry: DecisionEntry, check: SignatureCheck) -> dict[str, Any]:
    record = entry.record
    return {
        "id": entry.id,
        "request": entry.request_id,
        "revision": entry.revision,
        "outcome": entry.outcome.value,
        "decided_at": entry.decided_at.isoformat(),
        "agreement": entry.agreement_id or None,
        "agreement_version": entry.agreement_version or None,
        "signatures": [
            {
                "organisation": s.organisation,
                "key_fingerprint": s.key_fingerprint,
                "signature": s.signature,
            }
            for s in entry.signatures
        ],
        "signatures_valid": check.valid,
        "verification": list(check.reasons),
        "record": record.as_dict(),
        "text": record.text(),
    }


def request_view(
    request: RequestRecord,
    revisions: Sequence[RevisionRecord],
    reviews: Sequence[Review],
    overrides: Sequence[Override],
    decisions: Sequence[DecisionEntry],
) -> dict[str, Any]:
    doc = request.document
    shown, previous = _previous(revisions, request.revision)
    if shown is None and revisions:  # edited since: compare with the last one submitted
        previous = revisions[-1]
    assessment = shown.assessment if shown else None
    return {
        "id": request.id,
        "revision": request.revision,
        "state": request.state.value,
        "tier": request.tier,
        "title": doc.title,
        "requesting_organisation": doc.requesting_organisation,
        "requester": request.requester,
        "data_owners": list(doc.owner_organisations()),
        "purpose_category": doc.purpose_category.value,
        "purpose": doc.purpose,
        "public_benefit": doc.public_benefit,
        "lawful_basis": doc.lawful_basis.value if doc.lawful_basis else None,
        "art9_condition": doc.art9_condition.value if doc.art9_condition else None,
        "gateway": doc.gateway or None,
        "form": doc.form.value,
        "channels": [c.value for c in doc.channels],
        "fields": [
            {
                "dataset": d.dataset,
                "name": f.name,
                "transform": f.transform.label(),
                "justification": f.justification,
            }
            for d in doc.datasets
            for f in d.fields
        ],
        "cohorts": [
            {"dataset": d.dataset, "cohort": d.cohort, "in_words": cohort_in_words(d.cohort)}
            for d in doc.datasets
        ],
        "considerations": [
            {"question": c.question, "answer": c.answer} for c in considerations_entries(doc)
        ],
        "override_requests": [a.model_dump(mode="json") for a in doc.override_requests],
        "assessment": (
            {
                "revision": shown.revision if shown else None,
                "sha256": assessment.sha256,
                **assessment.data,
            }
            if assessment
            else None
        ),
        "changes": (
            {
                "from_revision": previous.revision,
                "lines": list(document_diff(previous.document, doc)),
            }
            if previous is not None
            else None
        ),
        "reviews": [
            {
                "revision": r.revision,
                "action": r.action,
                "principal": r.principal_id,
                "organisation": r.organisation_id,
                "role": r.role,
                "note": r.note,
                "conditions": list(r.conditions),
                "charge_pence": r.charge.amount_pence if r.charge else None,
                "assessment_sha256": r.assessment_sha256,
                "at": r.at.isoformat(),
            }
            for r in reviews
        ],
        "overrides": [
            {
                "revision": o.revision,
                "finding": o.finding,
                "organisation": o.organisation_id,
                "role": o.role,
                "principal": o.principal_id,
                "reason": o.reason,
                "at": o.at.isoformat(),
            }
            for o in overrides
        ],
        "decisions": [
            {
                "id": d.id,
                "outcome": d.outcome.value,
                "decided_at": d.decided_at.isoformat(),
                "signed_by": [s.organisation for s in d.signatures],
            }
            for d in decisions
        ],
        "created_at": request.created_at.isoformat(),
        "submitted_at": request.submitted_at.isoformat() if request.submitted_at else None,
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "request": doc.model_dump(mode="json"),
    }


_MARK = {"block": "BLOCK ", "warn": "WARN  ", "advice": "ADVICE"}


def request_view_text(view: dict[str, Any]) -> str:
    """The view as a reviewer reads it on the command line."""
    lines = [
        f"{view['id']} revision {view['revision']}: {view['title']}",
        f"State {view['state']}; tier {view['tier'] or 'not yet assessed'}; "
        f"{view['requesting_organisation']} ({view['requester']}) asks "
        f"{', '.join(view['data_owners'])}",
        f"Purpose ({view['purpose_category'].replace('_', ' ')}): {view['purpose']}",
        f"Lawful basis: {view['lawful_basis'] or 'none given'}"
        + (f"; Art 9: {view['art9_condition']}" if view["art9_condition"] else "")
        + f"; gateway: {view['gateway'] or 'none'}",
        f"Form {view['form']}; channels {', '.join(view['channels'])}",
        "",
        "Fields:",
    ]
    for f in view["fields"]:
        lines.append(
            f"  {f['dataset']}.{f['name']} as {f['transform']}: "
            f"{f['justification'] or '(no justification)'}"
        )
    lines.append("Cohorts:")
    for c in view["cohorts"]:
        lines.append(f"  {c['dataset']}: {c['cohort'] or 'every row (no cohort)'}")
    lines.append("Considerations:")
    lines.extend(f"  {c['question']}: {c['answer']}" for c in view["considerations"])
    if view["override_requests"]:
        lines.append("Overrides asked for:")
        lines.extend(f"  {a['finding']}: {a['reason']}" for a in view["override_requests"])
    lines.append("")
    assessment = view["assessment"]
    if assessment is None:
        lines.append("Findings: not yet assessed (this revision has not been submitted).")
    else:
        blocking = sum(1 for f in assessment["findings"] if f["severity"] == "block")
        lines.append(
            f"Findings of revision {assessment['revision']} as submitted ({blocking} blocking; "
            f"assessment sha256 {assessment['sha256'][:16]}…):"
        )
        if not assessment["findings"]:
            lines.append("  none")
        for f in assessment["findings"]:
            subject = f" [{f['subject']}]" if f.get("subject") else ""
            lines.append(
                f"  {_MARK.get(f['severity'], f['severity'])} {f['code']}{subject}: {f['reason']}"
            )
        lines.append(
            "Approvals needed: "
            + (
                ", ".join(
                    f"{role} of {org}"
                    for org in assessment["approving_organisations"]
                    for role in assessment["approver_roles"]
                )
                or "none"
            )
        )
    changes = view["changes"]
    if changes is not None:
        lines.append("")
        lines.append(f"Changes since revision {changes['from_revision']}:")
        lines.extend(f"  {line}" for line in changes["lines"] or ["  (none)"])
    if view["reviews"]:
        lines.append("")
        lines.append("Reviews:")
        for r in view["reviews"]:
            lines.append(
                f"  r{r['revision']} {r['action']} by {r['principal']} as {r['role']} of "
                f"{r['organisation']} at {r['at'][:16]}" + (f": {r['note']}" if r["note"] else "")
            )
    if view["overrides"]:
        lines.append("Overrides:")
        for o in view["overrides"]:
            lines.append(
                f"  r{o['revision']} {o['finding']} by {o['principal']} ({o['role'] or 'legal'} "
                f"of {o['organisation'] or '?'}): {o['reason']}"
            )
    if view["decisions"]:
        lines.append("Decisions:")
        for d in view["decisions"]:
            lines.append(
                f"  {d['id']} {d['outcome']} at {d['decided_at'][:16]}, signed by "
                f"{', '.join(d['signed_by'])}"
            )
    return "\n".join(lines)


def decision_text(view: dict[str, Any]) -> str:
    status = "valid" if view["signatures_valid"] else "INVALID"
    lines = [view["text"], f"Signatures: {status}"]
    lines.extend(f"  {reason}" for reason in view["verification"])
    return "\n".join(lines)
