"""Notifications over HTTP: an organisation's subscriptions and notices, and delivery.

Subscriptions live under their organisation's path and are its admin's (and platform
admins'); to anyone else they answer exactly as missing ones. ``/notices/deliver`` and
``/notices/remind`` are the platform's, for a scheduler that prefers HTTP to the CLI.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response, status
from pydantic import ConfigDict, Field

from accord.api.deps import AccordDep, CallerDep
from accord.api.schemas import StrictModel
from accord.core.lifecycle.subscriptions import MAX_URL
from accord.services.notify import Deliverer, DeliverySettings
from accord.services.outbox import Outbox, status_dict, subscription_dict

router = APIRouter(tags=["notifications"])


class SubscriptionIn(StrictModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["email", "webhook"]
    address: str = Field(
        min_length=1, max_length=MAX_URL, description="An email address, or an https URL."
    )
    kinds: list[str] = Field(
        default_factory=list, max_length=50, description="Kinds of notice; empty means all."
    )


def _outbox(accord: AccordDep) -> Outbox:
    loopback = DeliverySettings.from_env().allow_loopback_http
    return Outbox(accord.store, allow_loopback_http=loopback)


@router.get("/organisations/{org_id}/notice-subscriptions")
def list_subscriptions(org_id: str, accord: AccordDep, caller: CallerDep) -> list[dict[str, Any]]:
    """The organisation's subscriptions; a webhook's secret is never shown again."""
    return [subscription_dict(s) for s in _outbox(accord).subscriptions(caller, org_id)]


@router.post("/organisations/{org_id}/notice-subscriptions", status_code=status.HTTP_201_CREATED)
def subscribe(
    org_id: str, body: SubscriptionIn, accord: AccordDep, caller: CallerDep
) -> dict[str, Any]:
    """Add an email address or a webhook; a webhook's answer carries its signing secret,
    this once."""
    outbox = _outbox(accord)
    if body.channel == "email":
        made = outbox.subscribe_email(caller, org_id, body.address, body.kinds)
    else:
        made = outbox.subscribe_webhook(caller, org_id, body.address, body.kinds)
    return subscription_dict(made)


@router.delete(
    "/organisations/{org_id}/notice-subscriptions/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
def unsubscribe(
    org_id: str, subscription_id: str, accord: AccordDep, caller: CallerDep
) -> Response:
    _outbox(accord).unsubscribe(caller, org_id, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/organisations/{org_id}/notices")
def recent_notices(org_id: str, accord: AccordDep, caller: CallerDep) -> list[dict[str, Any]]:
    """The organisation's most recent notices, newest first, with their delivery state."""
    return [status_dict(s) for s in _outbox(accord).recent(caller, org_id)]


@router.post("/notices/deliver")
def deliver(accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """Send every notice that is due (platform admins): what was delivered, retried, failed."""
    return Deliverer(accord.store, DeliverySettings.from_env()).deliver(caller).as_dict()


@router.post("/notices/remind")
def remind(accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """Queue today's reminders of overdue destruction certificates (platform admins)."""
    queued = Deliverer(accord.store, DeliverySettings.from_env()).remind(caller)
    return {"queued": len(queued), "references": [n.reference for n in queued]}
