"""Forms sent back to the data owners, and their inbox, over HTTP.

``POST /agreements/{id}/messages?form=…`` takes one record as a JSON object; its body
is read in pieces and refused past the limit before anything is parsed. The inbox is
``/inbox``: a message of another organisation, or of a form the reader does not read,
answers exactly as a missing one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status

from accord.api.deps import AccordDep, CallerDep
from accord.core.lifecycle.inbound import MessageState
from accord.core.lifecycle.inbound_forms import InboundForm
from accord.errors import ValidationError
from accord.services.inbound import MAX_PAGE, inbound_service, message_dict

__all__ = ["router"]

router = APIRouter(tags=["inbound"])


async def _limited_body(request: Request, limit: int) -> bytes:
    """The body, refused unread once it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ValidationError(
            f"(message): {declared} bytes; a message may hold at most {limit} bytes"
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ValidationError(f"(message): more than {limit} bytes; a message may hold "
                                  f"at most {limit} bytes")  # fmt: skip
    return bytes(body)


@router.post("/agreements/{agreement_id}/messages", status_code=status.HTTP_201_CREATED)
async def send_message(
    agreement_id: str,
    form: InboundForm,
    request: Request,
    accord: AccordDep,
    caller: CallerDep,
) -> dict[str, Any]:
    """Send one record of ``form`` (whp07, employment_business, exit_report) to the
    agreement's data owner, from a designated sender."""
    service = inbound_service(accord)
    body = await _limited_body(request, service.rules.max_message_bytes)
    return message_dict(service.send(caller, agreement_id, form.value, body))


@router.get("/inbox")
def list_inbox(
    org: str,
    accord: AccordDep,
    caller: CallerDep,
    state: MessageState | None = None,
    offset: int = 0,
    limit: int = MAX_PAGE,
) -> dict[str, Any]:
    """An organisation's inbox: form, referral, sender, received, state; no personal data."""
    inbox = inbound_service(accord).inbox(caller, org, state=state, limit=limit, offset=offset)
    return {"total": inbox.total, "messages": [message_dict(m) for m in inbox.messages]}


@router.get("/inbox/{message_id}")
def show_message(message_id: str, accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """One message with its record; the read is audited."""
    return message_dict(inbound_service(accord).show(caller, message_id), record=True)


@router.post("/inbox/{message_id}/action")
def action_message(message_id: str, accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    return message_dict(inbound_service(accord).mark_actioned(caller, message_id))


@router.delete("/inbox/{message_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_message(message_id: str, accord: AccordDep, caller: CallerDep) -> None:
    """Delete an actioned message (seed 003 paragraph 57)."""
    inbound_service(accord).delete(caller, message_id)
