"""The web service's pages, one module per part of the service."""

from __future__ import annotations

from fastapi import APIRouter

from accord.web.routes import dashboard, my_data, output_checking, start

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    start.router,
    my_data.router,
    output_checking.router,
    dashboard.router,
)
