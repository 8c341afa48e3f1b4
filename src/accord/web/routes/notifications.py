"""Notifications: an organisation admin's page of where its notices go, and what was sent.

Each organisation the person administers has its subscriptions (email addresses and
webhooks, each removable), a form for each kind of destination, and its recent notices
with their delivery state (delivered, waiting to be tried again, failed, or delivered to
nobody because nobody subscribes). Everything goes through :class:`Outbox`, as the CLI
and API do; another organisation's page answers exactly as a missing one.

A webhook's signing secret is shown once. The form posts, Accord makes the webhook and
keeps the secret in memory for this session only, and redirects to a page that shows it
and forgets it (POST/redirect/GET without the secret in a URL or in the store's
readable tables): reloading that page shows that it was already shown.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.core.identity import Role
from accord.core.lifecycle.notices import NoticeKind, NoticeState
from accord.core.lifecycle.subscriptions import Channel
from accord.errors import ValidationError
from accord.services.notify import DeliverySettings
from accord.services.outbox import Outbox
from accord.web.deps import CheckedForm, SignedInDep, accord_of
from accord.web.render import org_name, page
from accord.web.sessions import SignedIn

__all__ = ["router"]

router = APIRouter()

SECRET_TTL_SECONDS = 600
"""How long a new webhook's secret waits to be shown, once."""
MAX_PENDING_SECRETS = 1000

KIND_NAMES: dict[str, str] = {
    NoticeKind.ACCESS_REVIEW_DUE.value: "Access review due",
    NoticeKind.ACCESS_REVIEW_LAPSED.value: "Access review lapsed",
    NoticeKind.ACCESS_RESTORED.value: "Access restored",
    NoticeKind.CHANGE_EVENTS.value: "Changes of circumstances",
    NoticeKind.INBOUND_MESSAGE.value: "Message from a provider",
    NoticeKind.OUTCOME_CONFIRMED.value: "Outcome confirmed",
    NoticeKind.ERASURE_RECEIVED.value: "Erasure request received",
    NoticeKind.ERASURE_DEADLINE.value: "Erasure deadline",
    NoticeKind.ERASURE_DECIDED.value: "Erasure decided",
    NoticeKind.ERASURE_REQUIRED.value: "Erasure required",
    NoticeKind.DESTRUCTION_CERTIFICATE_OVERDUE.value: "Destruction certificate overdue",
    NoticeKind.RECALL.value: "Recall of wrongly sent data",
    NoticeKind.RETENTION_DELETED.value: "Deleted at the end of retention",
    NoticeKind.SUBSCRIPTION_ADDED.value: "New destination for these notices",
}

STATE_TAGS: dict[str, tuple[str, str]] = {
    NoticeState.QUEUED.value: ("Waiting", "blue"),
    NoticeState.DELIVERED.value: ("Delivered", "green"),
    NoticeState.FAILED.value: ("Failed", "red"),
    NoticeState.NOBODY.value: ("No subscriber", "grey"),
}


def _kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind.replace("_", " ").capitalize())


def _outbox(request: Request) -> Outbox:
    loopback = DeliverySettings.from_env().allow_loopback_http
    return Outbox(accord_of(request).store, allow_loopback_http=loopback)


def _administered(signed_in: SignedIn) -> list[str]:
    return sorted(signed_in.principal.organisations_with(Role.ADMIN))


def _pending(request: Request) -> OrderedDict[tuple[str, str], tuple[float, str]]:
    """Secrets of webhooks just made, by (session, subscription), waiting to be shown once."""
    state = request.app.state
    if not hasattr(state, "webhook_secrets"):
        state.webhook_secrets = OrderedDict()
    pending: OrderedDict[tuple[str, str], tuple[float, str]] = state.webhook_secrets
    now = time.monotonic()
    while pending and (len(pending) > MAX_PENDING_SECRETS or next(iter(pending.values()))[0] < now):
        pending.popitem(last=False)
    return pending


def _organisation(request: Request, signed_in: SignedIn, org: str) -> dict[str, Any]:
    outbox = _outbox(request)
    caller = signed_in.caller
    return {
        "id": org,
        "name": org_name(accord_of(request), org),
        "subscriptions": [
            {
                "id": s.id,
                "channel": "Email" if s.channel is Channel.EMAIL else "Webhook",
                "address": s.address,
                "kinds": ", ".join(sorted(_kind_name(k.value) for k in s.kinds)) or "Every kind",
            }
            for s in outbox.subscriptions(caller, org)
        ],
        "notices": outbox.recent(caller, org),
    }


def _page(
    request: Request,
    signed_in: SignedIn,
    *,
    errors: list[dict[str, str]] | None = None,
    failed_org: str = "",
    values: dict[str, str] | None = None,
) -> Response:
    organisations = [_organisation(request, signed_in, org) for org in _administered(signed_in)]
    return page(
        request,
        "notifications/index.html",
        status_code=422 if errors else 200,
        title="Notifications",
        organisations=organisations,
        kinds=[(k.value, _kind_name(k.value)) for k in NoticeKind],
        kind_name=_kind_name,
        state_tags=STATE_TAGS,
        errors=errors or [],
        field_errors={e["field"]: e for e in errors or []},
        failed_org=failed_org,
        values=values or {},
        added=request.query_params.get("added", ""),
        removed=request.query_params.get("removed", ""),
    )


@router.get("/notifications", response_class=HTMLResponse)
def notifications(request: Request, signed_in: SignedInDep) -> Response:
    return _page(request, signed_in)


def _kinds(form: CheckedForm) -> list[str]:
    return [str(k) for k in form.getlist("kinds")][: len(NoticeKind)]


@router.post("/notifications/{org}/email", response_class=HTMLResponse)
def add_email(request: Request, org: str, signed_in: SignedInDep, form: CheckedForm) -> Response:
    address = str(form.get("address", ""))[:1000]
    try:
        made = _outbox(request).subscribe_email(signed_in.caller, org, address, _kinds(form))
    except ValidationError as exc:
        field, _, text = exc.message.partition(": ")
        errors = [{"field": f"{org}-{field}", "text": text[:1].upper() + text[1:]}]
        return _page(request, signed_in, errors=errors, failed_org=org, values={"address": address})
    return RedirectResponse(f"/notifications?added={made.id}#{org}", status_code=303)


@router.post("/notifications/{org}/webhook", response_class=HTMLResponse)
def add_webhook(request: Request, org: str, signed_in: SignedInDep, form: CheckedForm) -> Response:
    url = str(form.get("url", ""))[:3000]
    try:
        made = _outbox(request).subscribe_webhook(signed_in.caller, org, url, _kinds(form))
    except ValidationError as exc:
        field, _, text = exc.message.partition(": ")
        errors = [{"field": f"{org}-{field}", "text": text[:1].upper() + text[1:]}]
        return _page(request, signed_in, errors=errors, failed_org=org, values={"url": url})
    _pending(request)[(signed_in.session.id, made.id)] = (
        time.monotonic() + SECRET_TTL_SECONDS,
        made.secret,
    )
    return RedirectResponse(f"/notifications/{org}/webhooks/{made.id}", status_code=303)


@router.get("/notifications/{org}/webhooks/{subscription_id}", response_class=HTMLResponse)
def webhook_secret(
    request: Request, org: str, subscription_id: str, signed_in: SignedInDep
) -> Response:
    """The new webhook's secret, this once; the subscription must be this org's."""
    subscriptions = _outbox(request).subscriptions(signed_in.caller, org)
    found = next((s for s in subscriptions if s.id == subscription_id), None)
    if found is None:
        return RedirectResponse("/notifications", status_code=303)
    held = _pending(request).pop((signed_in.session.id, subscription_id), None)
    return page(
        request,
        "notifications/secret.html",
        title="Webhook added",
        org=org,
        org_name=org_name(accord_of(request), org),
        subscription=found,
        secret=held[1] if held else "",
    )


@router.post("/notifications/{org}/subscriptions/{subscription_id}/remove")
def remove(
    request: Request, org: str, subscription_id: str, signed_in: SignedInDep, form: CheckedForm
) -> Response:
    del form  # checked for its CSRF token; it carries nothing else
    _outbox(request).unsubscribe(signed_in.caller, org, subscription_id)
    return RedirectResponse(f"/notifications?removed={subscription_id}#{org}", status_code=303)
