"""The web service's pages, one module per part of the service."""

from __future__ import annotations

from fastapi import APIRouter

from accord.web.routes import agreements, decision_records, public_register, review, start

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    start.router,
    review.router,
    decision_records.router,
    agreements.router,
    public_register.router,
)
