"""Who may send and receive a package, and when a live package may go: pure verdicts.

Sending is the data owner's act (the recipient's staff pull extracts; a package is
pushed): the agreement must be active and in date, allow bulk packages, name the
addressee as its recipient, and the recipient's assurance must be valid. Where the
agreement requires a test exchange, a live package also needs a receipted test package
of the same dataset in exactly the same schema: a schema change needs a new test.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import Channel
from accord.core.governance.workflow import AgreementState
from accord.core.identity import Organisation, Role
from accord.core.permissions import Caller, Verdict

__all__ = ["can_send_package", "test_exchange_done"]


def can_send_package(
    caller: Caller,
    agreement: AgreementRecord,
    dataset_owner: str,
    to: str,
    recipient: Organisation,
    today: date,
) -> Verdict:
    policy = agreement.policy
    label = f"agreement {agreement.id} v{agreement.version}"
    if agreement.state is not AgreementState.ACTIVE:
        return Verdict(False, f"{label} is {agreement.state.value}")
    if today < policy.valid_from:
        return Verdict(False, f"{label} starts on {policy.valid_from.isoformat()}")
    if today > policy.valid_to:
        return Verdict(False, f"{label} ended on {policy.valid_to.isoformat()}")
    if dataset_owner not in policy.data_owners:
        return Verdict(False, f"{dataset_owner!r} is not a data owner under {label}")
    if not caller.has_role(dataset_owner, Role.DATA_OWNER):
        return Verdict(False, f"only a data owner of {dataset_owner!r} may send its packages")
    if Channel.BULK_PACKAGE not in policy.channels:
        return Verdict(
            False,
            f"{label} does not allow bulk packages (it allows "
            + ", ".join(c.value for c in policy.channels)
            + ")",
        )
    if to != policy.recipient:
        return Verdict(False, f"{label} shares with {policy.recipient!r}, not {to!r}")
    if not recipient.valid_assurances(today):
        return Verdict(False, f"{recipient.name} has no valid security assurance today")
    return Verdict(True, f"bulk package under {label}, sent by a data owner of {dataset_owner}")


def test_exchange_done(
    agreement: AgreementRecord,
    dataset_id: str,
    schema_sha256: str,
    receipted_test_schemas: Collection[str],
) -> Verdict:
    """May a live package of ``dataset_id`` in this schema go? ``receipted_test_schemas``
    are the schema hashes of this agreement's receipted test packages of that dataset."""
    label = f"agreement {agreement.id} v{agreement.version}"
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
        f"{label} requires a test exchange before live data: send a test package of "
        f"{dataset_id} (--test) and have its receipt back first",
    )
