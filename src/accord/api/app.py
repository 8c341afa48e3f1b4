"""The FastAPI application, built over an :class:`~accord.services.app.Accord`."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from accord import __version__
from accord.api.body_limits import BodyLimits
from accord.api.errors import ErrorEnvelope, install_error_handlers
from accord.api.query_params import refuse_unknown_query_parameters
from accord.api.rate_limits import RateLimitMiddleware, RefusalCounter
from accord.api.routes import (
    audit,
    catalogue,
    delta_sharing,
    disclosure,
    governance,
    identity,
    inbound,
    linkage,
    notices,
    outcomes,
    plane,
    records,
    referrals,
    retention,
    reviews,
    transfer,
)
from accord.api.routes import client_keys as client_key_routes
from accord.api.routes import erasure as erasure_routes
from accord.engine.bounds import QueryLimits
from accord.engine.bounds import configure as configure_limits
from accord.services.app import Accord
from accord.web import api_docs
from accord.web.app import mount_web

__all__ = ["create_app"]

_ERRORS = {
    status: {"model": ErrorEnvelope, "description": text}
    for status, text in (
        (401, "Missing, unknown, expired or revoked token, or a refused request signature"),
        (403, "The caller's organisation or role does not allow this"),
        (404, "Not found"),
        (409, "Conflicts with what exists"),
        (413, "The body is over the endpoint's size limit (named, with its setting)"),
        (422, "Invalid input, with the row, field or parameter at fault"),
        (429, "Too many requests, or every query slot busy: try again after Retry-After"),
    )
}


def create_app(accord: Accord) -> FastAPI:
    app = FastAPI(
        title="Accord",
        version=__version__,
        description="Lawful, governed sharing of personal data between public-sector "
        "organisations. Every call needs a bearer token and is recorded in the "
        "tamper-evident audit log.",
        responses=_ERRORS,  # type: ignore[arg-type]
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(refuse_unknown_query_parameters)],
    )
    app.state.accord = accord
    install_error_handlers(app)
    # Middleware added last runs first: the rate limit, then the body limit.
    app.add_middleware(BodyLimits, settings=accord.settings)
    # Limits first, so that no route, body or store is touched past them.
    configure_limits(QueryLimits.from_settings(accord.settings))
    app.state.refusals = RefusalCounter(accord.settings.refusals_count_seconds)
    app.add_middleware(
        RateLimitMiddleware,
        record=accord.record,
        settings=accord.settings,
        counter=app.state.refusals,
    )
    # The data plane first: its fixed paths must win over the governance routes' {action}.
    for module in (
        identity, catalogue, plane, outcomes, linkage, transfer, disclosure, inbound, governance,
        audit,
    ):  # fmt: skip
        app.include_router(module.router)
    app.include_router(retention.router)
    app.include_router(notices.router)
    app.include_router(records.router)
    app.include_router(reviews.router)
    app.include_router(erasure_routes.router)
    app.include_router(referrals.router)
    app.include_router(governance.public)
    app.include_router(delta_sharing.router)
    app.include_router(client_key_routes.router)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness: answers without a token and touches nothing."""
        return {"status": "ok"}

    mount_web(app, accord)
    app.include_router(api_docs.router)
    return app
