"""The web service's pages, one module per part of the service."""

from __future__ import annotations

from fastapi import APIRouter

from accord.web.routes import (
    agreements,
    ask,
    dashboard,
    decision_records,
    extract,
    find_data,
    my_data,
    my_requests,
    output_checking,
    public_register,
    review,
    signin,
    start,
    subcontractors,
)

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    start.router,
    signin.router,
    find_data.router,
    ask.router,
    my_requests.router,
    review.router,
    decision_records.router,
    extract.router,
    agreements.router,
    public_register.router,
    my_data.router,
    output_checking.router,
    dashboard.router,
    subcontractors.router,
)
