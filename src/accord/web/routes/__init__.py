"""The web service's pages, one module per part of the service."""

from __future__ import annotations

from fastapi import APIRouter

from accord.web.routes import (
    access_reviews,
    agreements,
    ask,
    dashboard,
    decision_records,
    erasure,
    extract,
    find_data,
    inbound,
    my_data,
    my_requests,
    notifications,
    outcomes,
    output_checking,
    public_register,
    records,
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
    outcomes.router,  # before agreements' /our-agreements/{id}/{action}
    agreements.router,
    public_register.router,
    my_data.router,
    output_checking.router,
    dashboard.router,
    notifications.router,
    records.router,
    inbound.router,
    access_reviews.router,
    erasure.router,
    subcontractors.router,
)
