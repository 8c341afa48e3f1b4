"""Authentication for every route: a bearer token or a request signature, or a 401 (counted
per interval by the rate-limit middleware, not logged one by one).

A machine client signs its requests (RFC 9421, ``accord.core.httpsig``) with a key
registered for its principal instead of sending a bearer token; a request that carries
``Signature-Input`` is judged by its signature alone. Its body is read here, once, so
that the Content-Digest is checked against the bytes the route will see (Starlette
keeps them for the route); the body limits of the routes apply before it is read.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from accord.core.httpsig import Message
from accord.core.permissions import Caller
from accord.errors import AuthenticationError
from accord.services.app import Accord
from accord.services.client_keys import ClientKeyService, ReplayCache, SignedRequest

__all__ = ["AccordDep", "CallerDep", "get_accord", "get_caller", "signed_request"]

_bearer = HTTPBearer(auto_error=False, description="An Accord API token: `accord token issue`.")
_replay_lock = threading.Lock()


def get_accord(request: Request) -> Accord:
    accord: Accord = request.app.state.accord
    return accord


def target_uri(request: Request) -> str:
    """The URI the client sent to, as it sent it: scheme, Host, raw path and query."""
    scope = request.scope
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    host = request.headers.get("host") or request.url.netloc
    uri = f"{request.url.scheme}://{host}{raw_path.decode('latin-1')}"
    return uri + (f"?{query.decode('latin-1')}" if query else "")


async def signed_request(request: Request) -> SignedRequest | None:
    """The request's signature and body, when it carries one."""
    signature_input = request.headers.get("signature-input")
    signature = request.headers.get("signature")
    if signature_input is None and signature is None:
        return None
    try:
        body = await request.body()
    except RuntimeError as exc:  # the body was streamed away before we could digest it
        raise AuthenticationError(
            "this request's body cannot be checked against its Content-Digest"
        ) from exc
    message = Message(request.method, target_uri(request), list(request.headers.items()))
    return SignedRequest(message, signature_input or "", signature or "", body)


def _client_keys(request: Request, accord: Accord) -> ClientKeyService:
    """The app's one key service: its replay cache must see every request."""
    with _replay_lock:
        service: ClientKeyService | None = getattr(request.app.state, "client_keys", None)
        if service is None:
            settings = accord.settings
            service = ClientKeyService(
                accord.store,
                max_age=settings.signature_max_age_seconds,
                replay=ReplayCache(settings.signature_nonce_cache),
            )
            request.app.state.client_keys = service
        return service


def get_caller(
    request: Request,
    accord: Annotated[Accord, Depends(get_accord)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    signed: Annotated[SignedRequest | None, Depends(signed_request)],
) -> Caller:
    """The principal behind the token or signature. Every call, allowed or not, is in
    the audit log."""
    access = f"{request.method} {request.url.path}"
    if signed is not None:
        caller = _client_keys(request, accord).authenticate(signed, access, accord.platform_org)
    else:
        secret = credentials.credentials if credentials is not None else None
        # A 401 is counted per interval by the rate-limit middleware, not logged one by one.
        caller = accord.identity.authenticate(
            secret, access, accord.platform_org, record_refusal=False
        )
    # The error handler makes sure a refusal answered to this caller is on the record.
    request.state.caller = caller
    request.state.audit_seq = accord.store.audit_head()[0]
    return caller


AccordDep = Annotated[Accord, Depends(get_accord)]
CallerDep = Annotated[Caller, Depends(get_caller)]
