"""The letters to the participant: the holding response, WHP RTE Acc and WHP RTE REJ.

Plain text from templates. Every response carries the reference (paras 32, 42): the
holding response, issued before the department's DPO has assigned a number, carries
the request's own reference and says a DPO reference will follow. The participant's
name and address appear only in the letter's heading, which is rendered for sending
and never stored: what Accord keeps (:func:`letter_body`) names no one, so a closed
request holds no direct identifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from string import Template

from accord.core.lifecycle.erasure import Decision, Outcome

__all__ = ["Addressee", "LetterKind", "letter_body", "render_letter"]


class LetterKind(StrEnum):
    HOLDING = "holding"
    ACCEPTED = "WHP RTE Acc"
    REJECTED = "WHP RTE REJ"


@dataclass(frozen=True, slots=True)
class Addressee:
    """Who the letter goes to: held only until the decision letter is issued."""

    name: str
    address: tuple[str, ...] = ()


_HOLDING = Template(
    """Request to erase your personal information
Our reference: $reference

Thank you for your request of $received_on to erase the personal information $provider
holds about you.

We have passed your request to the Department for Work and Pensions' Data Protection
Office. We will deal with it and write to you with our decision within one month of
receiving it, by $due_on at the latest.

$provider
"""
)

_ACCEPTED = Template(
    """WHP RTE Acc: your request to erase your personal information is accepted
DPO reference number: $reference

We received your request on $received_on to erase the personal information $provider
holds about you on the Work and Health Programme.

We have considered your request and we agree to it. $reason_sentence

We will erase your personal information from our records and from those of anyone who
holds it on our behalf. The referral information will still be kept on DWP systems.

$provider
"""
)

_REJECTED = Template(
    """WHP RTE REJ: your request to erase your personal information is rejected
DPO reference number: $reference

We received your request on $received_on to erase the personal information $provider
holds about you on the Work and Health Programme.

We have considered your request and your right to erasure does not apply, because
$reason.

We must keep $retain.
$keep_until_sentence

$provider
"""
)


def letter_body(
    kind: LetterKind,
    *,
    reference: str,
    provider: str,
    received_on: date,
    due_on: date,
    decision: Decision | None = None,
) -> str:
    """The letter without its addressee: what Accord stores and shows on its pages."""
    common = {
        "reference": reference,
        "provider": provider,
        "received_on": _day(received_on),
        "due_on": _day(due_on),
    }
    if kind is LetterKind.HOLDING:
        return _HOLDING.substitute(common)
    if decision is None:
        raise ValueError(f"the {kind.value} letter states a decision: none was given")
    expected = Outcome.ACCEPTED if kind is LetterKind.ACCEPTED else Outcome.REJECTED
    if decision.outcome is not expected:
        raise ValueError(f"a {decision.outcome.value} decision is not answered by {kind.value}")
    if kind is LetterKind.ACCEPTED:
        return _ACCEPTED.substitute(common, reason_sentence=f"You are {_after_a(decision.reason)}.")
    if decision.keep_until:
        keep = f"We will keep it until at least {_day(decision.keep_until)}."
    else:
        keep = f"We will keep it for {decision.keep_until_pending}."
    return _REJECTED.substitute(
        common, reason=decision.reason, retain=decision.retain, keep_until_sentence=keep
    )


def render_letter(body: str, addressee: Addressee, today: date) -> str:
    """The letter for sending: the addressee and date above the stored body."""
    heading = [addressee.name, *addressee.address, "", _day(today), "", f"Dear {addressee.name},"]
    return "\n".join(heading) + "\n\n" + body


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _after_a(reason: str) -> str:
    """'a voluntary customer ... who never started: ...' reads as 'You are a voluntary ...'."""
    return reason.split(":", 1)[0]
