"""The one release path's value and its terms: a pure decision, then a capability.

:func:`can_release` is every term of an agreement, checked in order, for one caller,
one dataset and one channel: who the caller is and the agreement's state, term,
channel, assurance and frequency (:func:`~accord.core.plan.authorise.can_use`); then
what the caller declares (the territory the data goes to and the processor that
handles it); then what has already left (a receipted test exchange of the same schema
before any live per-record release; one live delivery per dataset for a one-off
share, one per interval for a recurring one). Each verdict carries the reason that
goes to the audit log, allow and deny alike.

A :class:`GovernedRelease` is what an allowed verdict becomes: the agreement, the
dataset version, the compiled plan, the channel and the allow event. It is the only
thing an executor (:mod:`accord.engine.executor`) runs, so nothing reaches an engine
without having been through :func:`can_release`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal

from sqlglot import exp

from accord.core.audit import AuditEvent
from accord.core.catalogue import Dataset, DatasetVersion
from accord.core.governance.interval import parse_interval
from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import Frequency, RequestedForm
from accord.core.governance.subcontractors import SubcontractorApproval, processors_approved
from accord.core.identity import Organisation
from accord.core.lifecycle.reviews import AccessStanding, access_review_current
from accord.core.permissions import Caller, Verdict
from accord.core.plan.authorise import IN_PLACE, LIVE_DELIVERY, PlaneChannel, can_use
from accord.core.plan.compiler import (
    ERASED_TABLE,
    ERASURE_IPAD_TABLE,
    ERASURE_OPAD_TABLE,
    Plan,
    for_dialect,
)

__all__ = [
    "PER_RECORD_FORMS",
    "TERRITORIES",
    "Declared",
    "Delivery",
    "GovernedRelease",
    "ReleaseFacts",
    "can_release",
    "frequency_allows",
    "needs_test_exchange",
    "processor_allowed",
    "territory_allowed",
    "test_exchange_done",
]

Territory = Literal["uk", "eea", "adequate", "other"]
TERRITORIES: tuple[Territory, ...] = ("uk", "eea", "adequate", "other")
"""Widening reach: an agreement for ``adequate`` allows the UK, the EEA and countries
with UK adequacy regulations; ``other`` allows anywhere (with safeguards agreed)."""

PER_RECORD_FORMS = frozenset({RequestedForm.IDENTIFIABLE, RequestedForm.PSEUDONYMISED})
_PER_RECORD_CHANNELS = frozenset(
    {PlaneChannel.EXTRACT, PlaneChannel.PACKAGE, PlaneChannel.DELTA_SHARING, PlaneChannel.QUERY}
)


@dataclass(frozen=True, slots=True)
class Declared:
    """What the caller says about where the data goes (checked where it is said)."""

    territory: str | None = None
    processor: str | None = None
    addressee: str | None = None
    """For a package: the organisation it is addressed to."""

    def details(self) -> dict[str, str]:
        return {
            name: value
            for name, value in (
                ("territory", self.territory),
                ("processor", self.processor),
                ("addressee", self.addressee),
            )
            if value is not None
        }


@dataclass(frozen=True, slots=True)
class Delivery:
    """A live delivery already made under the agreement version: an extract or a package."""

    dataset_id: str
    at: datetime
    kind: str
    reference: str


@dataclass(frozen=True, slots=True)
class ReleaseFacts:
    """What the service looked up for the decision; the decision itself is pure."""

    recipient: Organisation
    now: datetime
    dataset_ids: tuple[str, ...]
    review: AccessStanding
    """The recipient's access-review standing under the agreement."""
    processor_review: AccessStanding | None = None
    """The declared processor's standing, where that processor is under review."""
    owner: str = ""
    test: bool = False
    declared: Declared = Declared()
    deliveries: tuple[Delivery, ...] = ()
    schemas: dict[str, str] = field(default_factory=dict)
    """The governed schema's hash per dataset (only where a test exchange is needed)."""
    receipted_tests: dict[str, frozenset[str]] = field(default_factory=dict)
    """Schema hashes of receipted test packages per dataset."""
    subcontractors: tuple[SubcontractorApproval, ...] = ()
    """The data owners' approved sub-contractors (read only when the agreement names
    processors): each processor must be approved by every owner, in force today."""

    @property
    def today(self) -> date:
        return self.now.date()


def _label(agreement: AgreementRecord) -> str:
    return f"agreement {agreement.id} v{agreement.version}"


def territory_allowed(agreement: AgreementRecord, declared: str | None) -> Verdict:
    allowed = agreement.policy.territory
    if declared is None:
        return Verdict(True, "no destination territory declared")
    if declared not in TERRITORIES:
        return Verdict(False, f"territory {declared!r} is not one of {', '.join(TERRITORIES)}")
    if TERRITORIES.index(declared) > TERRITORIES.index(allowed):
        return Verdict(
            False,
            f"{_label(agreement)} allows processing in {allowed!r} only, not {declared!r}",
        )
    return Verdict(True, f"territory {declared!r} within {allowed!r}")


def processor_allowed(agreement: AgreementRecord, declared: str | None) -> Verdict:
    policy = agreement.policy
    if declared is None:
        return Verdict(True, "no processor declared")
    if declared == policy.recipient or declared in policy.processors:
        return Verdict(True, f"processor {declared!r} is named in {_label(agreement)}")
    named = ", ".join(policy.processors) or "none"
    return Verdict(
        False,
        f"{declared!r} is not a processor named in {_label(agreement)} (it names {named})",
    )


def needs_test_exchange(agreement: AgreementRecord, channel: PlaneChannel, test: bool) -> bool:
    """A live per-record release under an agreement that requires a test exchange."""
    policy = agreement.policy
    return (
        policy.test_exchange_required
        and not test
        and channel in _PER_RECORD_CHANNELS
        and policy.form in PER_RECORD_FORMS
    )


def test_exchange_done(
    agreement: AgreementRecord,
    dataset_id: str,
    schema_sha256: str,
    receipted_test_schemas: Collection[str],
) -> Verdict:
    """Live data of ``dataset_id`` in this schema only after a receipted test package of it."""
    label = _label(agreement)
    if not agreement.policy.test_exchange_required:
        return Verdict(True, f"{label} does not require a test exchange")
    if schema_sha256 in receipted_test_schemas:
        return Verdict(True, f"a test package of {dataset_id} in this schema was receipted")
    if receipted_test_schemas:
        return Verdict(
            False,
            f"{label} requires a test exchange, and the schema of {dataset_id} has changed "
            "since the last receipted test package: send a new test package (--test) first",
        )
    return Verdict(
        False,
        f"{label} requires a test exchange before live data: the data owner sends a test "
        f"package of {dataset_id} (--test) and has its receipt back first",
    )


def frequency_allows(
    agreement: AgreementRecord,
    channel: PlaneChannel,
    dataset_id: str,
    deliveries: Collection[Delivery],
    now: datetime,
) -> Verdict:
    """One live delivery per dataset for a one-off share, one per interval if recurring."""
    policy = agreement.policy
    label = _label(agreement)
    if channel not in LIVE_DELIVERY:
        return Verdict(True, f"{channel.value} is not a live delivery")
    if policy.frequency is Frequency.CONTINUOUS:
        return Verdict(True, f"{label} is continuous")
    before = sorted((d for d in deliveries if d.dataset_id == dataset_id), key=lambda d: d.at)
    if not before:
        return Verdict(True, f"the first live delivery of {dataset_id} under {label}")
    last = before[-1]
    if policy.frequency is Frequency.ONE_OFF:
        return Verdict(
            False,
            f"{label} is a one-off share and {dataset_id} was delivered already "
            f"({last.kind} {last.reference} on {last.at.date().isoformat()}): "
            "a further delivery needs an amended agreement",
        )
    interval = parse_interval(policy.frequency_interval or "P1D")
    due = interval.after(last.at)
    if now < due:
        return Verdict(
            False,
            f"{label} allows one delivery of {dataset_id} every {interval.iso()}; the last "
            f"was on {last.at.date().isoformat()}, the next is due on {due.date().isoformat()}",
        )
    return Verdict(True, f"the delivery of {dataset_id} due every {interval.iso()}")


def can_release(
    caller: Caller, agreement: AgreementRecord, channel: PlaneChannel, facts: ReleaseFacts
) -> Verdict:
    """Every term, in order; the first that refuses is the reason, else all of them allow."""
    verdict = can_use(
        caller,
        agreement,
        channel,
        facts.recipient,
        facts.today,
        review=facts.review,
        owner=facts.owner,
        test=facts.test,
    )
    if not verdict:
        return verdict
    declared = facts.declared
    if declared.addressee is not None and declared.addressee != agreement.policy.recipient:
        return Verdict(
            False,
            f"{_label(agreement)} shares with {agreement.policy.recipient!r}, "
            f"not {declared.addressee!r}",
        )
    for term in (
        territory_allowed(agreement, declared.territory),
        processor_allowed(agreement, declared.processor),
    ):
        if not term:
            return term
    if facts.processor_review is not None:
        reviewed = access_review_current(facts.processor_review, None, facts.today)
        if not reviewed:
            return Verdict(False, f"the data would go to {declared.processor}: {reviewed.reason}")
    reasons = [verdict.reason]
    policy = agreement.policy
    if policy.processors:
        approved = processors_approved(
            policy.data_owners, policy.recipient, policy.processors, facts.subcontractors,
            facts.today,
        )  # fmt: skip
        if not approved:
            return approved
        reasons.append(approved.reason)
    for dataset_id in facts.dataset_ids:
        if needs_test_exchange(agreement, channel, facts.test):
            tested = test_exchange_done(
                agreement,
                dataset_id,
                facts.schemas.get(dataset_id, ""),
                facts.receipted_tests.get(dataset_id, frozenset()),
            )
            if not tested:
                return tested
            reasons.append(tested.reason)
        if not facts.test:
            often = frequency_allows(agreement, channel, dataset_id, facts.deliveries, facts.now)
            if not often:
                return often
            if channel in LIVE_DELIVERY:
                reasons.append(often.reason)
    if channel in IN_PLACE:
        reasons.append("continuous share")
    return Verdict(True, "; ".join(reasons))


@dataclass(frozen=True, slots=True)
class GovernedRelease:
    """Permission to run one agreement's plan for one dataset through one channel.

    Made only by the data plane's ``release`` after :func:`can_release` allowed it, and
    the only thing an executor accepts. ``event`` is the allow event, not yet written:
    the channel writes it (with what it released) in the same transaction as the
    release, or the release does not happen.
    """

    agreement: AgreementRecord
    dataset: Dataset
    version: DatasetVersion
    plan: Plan
    channel: PlaneChannel
    reason: str
    event: AuditEvent
    opt_outs: tuple[str, ...] = ()
    query: exp.Query | None = None
    """A narrower query built on the plan (a per-record check); the plan's own if None."""
    erased: tuple[str, ...] = ()
    """Keyed references (hex) of the people erased under the agreement, for the plan's
    erasure filter: never a NINO."""
    erasure_pads: tuple[str, ...] = field(default=(), repr=False)
    """The hex inner and outer HMAC pads of the erasure key, loaded as data for the
    erasure filter; key material, so never shown."""

    def tables(self) -> dict[str, tuple[str, ...]]:
        """The one-column tables the plan reads besides the source, beyond the opt-out
        register (which each executor loads itself): the erased people and the key."""
        if not self.plan.erasure_fields:
            return {}
        if len(self.erasure_pads) != 2:
            raise ValueError("a plan with an erasure filter needs the erasure key's pads")
        ipad, opad = self.erasure_pads
        return {ERASED_TABLE: self.erased, ERASURE_IPAD_TABLE: (ipad,), ERASURE_OPAD_TABLE: (opad,)}

    def narrowed(self, query: exp.Query) -> GovernedRelease:
        return replace(self, query=query)

    def schema_only(self) -> GovernedRelease:
        """The same release with no rows: what a test package's schema is taken from."""
        return replace(self, query=(self.query or self.plan.query).limit(0))

    def sql(self, dialect: str) -> str:
        return for_dialect(self.query or self.plan.query, dialect).sql(dialect=dialect)

    @property
    def object(self) -> str:
        return f"agreement:{self.agreement.id}:v{self.agreement.version}"
