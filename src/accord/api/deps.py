"""Authentication for every route: a bearer token, or a counted 401."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from accord.core.permissions import Caller
from accord.services.app import Accord

__all__ = ["AccordDep", "CallerDep", "get_accord", "get_caller"]

_bearer = HTTPBearer(auto_error=False, description="An Accord API token: `accord token issue`.")


def get_accord(request: Request) -> Accord:
    accord: Accord = request.app.state.accord
    return accord


def get_caller(
    request: Request,
    accord: Annotated[Accord, Depends(get_accord)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The principal behind the token. Every call, allowed or not, is in the audit log."""
    secret = credentials.credentials if credentials is not None else None
    access = f"{request.method} {request.url.path}"
    # A 401 is counted per interval by the rate-limit middleware, not logged one by one.
    caller = accord.identity.authenticate(secret, access, accord.platform_org, record_refusal=False)
    # The error handler makes sure a refusal answered to this caller is on the record.
    request.state.caller = caller
    request.state.audit_seq = accord.store.audit_head()[0]
    return caller


AccordDep = Annotated[Accord, Depends(get_accord)]
CallerDep = Annotated[Caller, Depends(get_caller)]
