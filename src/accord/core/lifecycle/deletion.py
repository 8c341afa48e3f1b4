"""What the deletion job must do, decided from facts alone.

The job (``accord retention run``) first writes a *plan* of work items to the store,
then acts on each one and marks it done in the same transaction as its audit event.
Each item has a subject that is unique for ever (a materialised directory of one
agreement version, a received package), so planning twice adds nothing and a run that
dies half way leaves planned items the next run finishes. This module decides which
items are due; it reads no files and no store.

Two kinds of copy are covered:

* **materialised copies** — the governed Parquet views this node keeps for in-place
  queries and open-protocol shares, one directory per agreement version. The job
  deletes them itself: at once when the version is revoked, expired or superseded,
  and when its retention runs out (counted from the decision, the agreement's end or a
  fixed date; a copy held in place has no delivery of its own).
* **received packages** — live data loaded here from another organisation. The job
  marks them for destruction by their holder (the recipient), who confirms with a
  signed destruction certificate; they are due when the agreement is revoked, or when
  the retention term runs out (counted from the decision, the package's delivery or
  receipt, the agreement's end, or a fixed date), or, with no term, when the agreement
  ends. Test packages hold synthetic rows only and are not tracked.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from accord.core.governance.records import AgreementRecord
from accord.core.governance.workflow import AgreementState
from accord.core.lifecycle.retention import RetentionEvent
from accord.core.permissions import Verdict

__all__ = [
    "DueItem",
    "ItemKind",
    "ItemState",
    "ReceivedCopy",
    "RetentionAction",
    "RetentionItem",
    "agreement_end",
    "can_hold_in_place",
    "due_items",
    "materialised_name",
]

ENDED = frozenset({AgreementState.REVOKED, AgreementState.EXPIRED, AgreementState.SUPERSEDED})


class ItemKind(StrEnum):
    MATERIALISED_COPY = "materialised_copy"
    RECEIVED_PACKAGE = "received_package"


class ItemState(StrEnum):
    PLANNED = "planned"
    """Recorded in the plan; not yet acted on (a run that died leaves items here)."""
    DELETED = "deleted"
    """A materialised copy the job deleted."""
    AWAITING_CERTIFICATE = "awaiting_certificate"
    """A received package marked for destruction: its holder has not yet certified it."""
    CERTIFIED = "certified"
    """The holder's signed destruction certificate is stored."""


ITEM_TRANSITIONS: frozenset[tuple[ItemState, ItemState]] = frozenset(
    {
        (ItemState.PLANNED, ItemState.DELETED),
        (ItemState.PLANNED, ItemState.AWAITING_CERTIFICATE),
        (ItemState.AWAITING_CERTIFICATE, ItemState.CERTIFIED),
    }
)
"""The only moves an item makes; every other pair is refused by the store."""


class RetentionAction(StrEnum):
    """The audit actions of retention and destruction (documented in ``docs/lifecycle.md``)."""

    RUN = "retention.run"
    """The deletion job was started (or refused) by this caller."""
    PLAN = "retention.plan"
    """Work items found due were recorded, before any was acted on."""
    DELETE = "retention.delete"
    """A materialised copy was deleted; details list the files."""
    MARK = "retention.mark"
    """A received package was marked for destruction by its holder, with a date to confirm by."""
    CERTIFY = "retention.certify"
    """A holder's signed destruction certificate was stored (or refused)."""
    CERTIFICATE_READ = "retention.certificate.read"
    """Certificates or work items were listed or shown (or refused)."""
    VERIFY = "retention.certificate.verify"
    """A certificate document was checked against its holder's key over the API."""


@dataclass(frozen=True, slots=True)
class ReceivedCopy:
    """A live package loaded at this node, as the transfer tables record it."""

    transfer_id: str
    agreement_id: str
    agreement_version: int
    dataset_id: str
    holder: str
    location: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class DueItem:
    """A work item the plan should hold: one subject, why it is due, from which day."""

    kind: ItemKind
    subject: str
    agreement_id: str
    agreement_version: int
    holder: str
    location: str
    reason: str
    due_on: date


@dataclass(frozen=True, slots=True)
class RetentionItem:
    """A work item as stored."""

    id: str
    kind: ItemKind
    subject: str
    agreement_id: str
    agreement_version: int
    holder: str
    location: str
    reason: str
    due_on: date
    state: ItemState
    planned_at: datetime
    done_at: datetime | None = None
    confirm_by: datetime | None = None
    certificate_id: str | None = None
    detail: str = ""


def materialised_name(agreement_id: str, version: int) -> str:
    """The directory ``PlaneService.materialise`` writes one agreement version's views to."""
    return f"{agreement_id}-v{version}"


def agreement_end(versions: Sequence[AgreementRecord]) -> date:
    """The day the agreement ended or will end: revoked on the day of revocation;
    otherwise the last day of its latest version's term."""
    latest = max(versions, key=lambda v: v.version)
    if latest.state is AgreementState.REVOKED:
        return min(latest.updated_at.date(), latest.policy.valid_to)
    return latest.policy.valid_to


def _revoked_on(versions: Sequence[AgreementRecord]) -> date | None:
    latest = max(versions, key=lambda v: v.version)
    return latest.updated_at.date() if latest.state is AgreementState.REVOKED else None


def can_hold_in_place(
    version: AgreementRecord, versions: Sequence[AgreementRecord], today: date
) -> tuple[Verdict, date]:
    """May a copy of ``version`` be held in place (materialised) today?

    The release path can ask this before it materialises a view, so that a copy the
    job deleted is not made again once the agreement has ended or its retention ran
    out; the job asks it of every copy. Returns the verdict and, when it refuses, the
    day the copy became due.
    """
    if version.state in ENDED:
        return (
            Verdict(False, f"agreement {version.id} v{version.version} is {version.state.value}"),
            version.updated_at.date(),
        )
    retention = version.policy.retention
    if retention is not None:
        keep = retention.keep_until(
            {
                RetentionEvent.DECISION: version.created_at.date(),
                RetentionEvent.AGREEMENT_END: agreement_end(versions),
            }
        )
        if keep is not None and keep < today:
            return Verdict(False, f"retention {retention.describe()} ran out after {keep}"), keep
    return Verdict(True, "within the agreement's term and retention"), today


def _copy_subject(name: str, planned: Mapping[str, ItemState]) -> str | None:
    """The subject a new item for the copy ``name`` takes, or None while an earlier item
    for it is still open. A copy made again after one was deleted (a view materialised
    anew) is a new subject, ``materialised:NAME#2``: subjects stay unique for ever."""
    base = f"materialised:{name}"
    earlier = [s for s in planned if s == base or s.startswith(base + "#")]
    if any(planned[s] is ItemState.PLANNED for s in earlier):
        return None
    return base if not earlier else f"{base}#{len(earlier) + 1}"


def _materialised(
    versions: Sequence[AgreementRecord],
    existing: Collection[str],
    today: date,
    node: str,
    planned: Mapping[str, ItemState],
) -> Iterable[DueItem]:
    for v in versions:
        name = materialised_name(v.id, v.version)
        if name not in existing:
            continue
        verdict, due_on = can_hold_in_place(v, versions, today)
        subject = _copy_subject(name, planned)
        if not verdict and subject is not None:
            yield DueItem(
                ItemKind.MATERIALISED_COPY,
                subject,
                v.id,
                v.version,
                node,
                name,
                verdict.reason,
                due_on,
            )


def _received(
    copy: ReceivedCopy, versions: Sequence[AgreementRecord], today: date
) -> DueItem | None:
    version = next((v for v in versions if v.version == copy.agreement_version), None)
    if version is None:
        return None
    revoked = _revoked_on(versions)
    end = agreement_end(versions)
    retention = version.policy.retention
    if revoked is not None:
        reason, keep = f"agreement {copy.agreement_id} was revoked on {revoked}", revoked
    elif retention is not None:
        delivered = copy.received_at.date()
        found = retention.keep_until(
            {
                RetentionEvent.DECISION: version.created_at.date(),
                RetentionEvent.DELIVERY: delivered,
                RetentionEvent.RECEIPT: delivered,
                RetentionEvent.AGREEMENT_END: end,
            }
        )
        if found is None:
            return None
        reason, keep = f"retention {retention.describe()} ran out after {found}", found
    else:
        reason, keep = f"no retention term: the agreement ended on {end}", end
    if revoked is None and keep >= today:
        return None
    return DueItem(
        ItemKind.RECEIVED_PACKAGE,
        f"package:{copy.transfer_id}",
        copy.agreement_id,
        copy.agreement_version,
        copy.holder,
        copy.location,
        f"{reason} ({copy.dataset_id})",
        keep,
    )


def due_items(
    agreements: Iterable[AgreementRecord],
    received: Iterable[ReceivedCopy],
    materialised: Collection[str],
    today: date,
    *,
    node: str,
    planned: Mapping[str, ItemState] | None = None,
) -> list[DueItem]:
    """Every copy due today that the plan does not hold yet, in a stable order.

    ``materialised`` names the directories present under ``materialised/``, which
    ``node`` (the organisation running this Accord) holds; ``planned`` maps the
    subjects already in the plan to their states: none is planned twice.
    """
    planned = planned or {}
    by_id: dict[str, list[AgreementRecord]] = {}
    for record in agreements:
        by_id.setdefault(record.id, []).append(record)
    items: list[DueItem] = []
    for versions in by_id.values():
        items.extend(_materialised(versions, materialised, today, node, planned))
    for copy in received:
        versions = by_id.get(copy.agreement_id, [])
        item = _received(copy, versions, today) if versions else None
        if item is not None:
            items.append(item)
    fresh = [i for i in items if i.subject not in planned]
    return sorted(fresh, key=lambda i: (i.due_on, i.subject))
