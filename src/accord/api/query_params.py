"""Unknown query parameters are refused, not ignored.

FastAPI ignores a query parameter a route does not declare. An unknown one is most
likely a misspelt filter (``/audit/events?actr=alice``), and ignoring it answers the
unfiltered list, which the caller then takes for the filtered one. So every route of
the JSON API refuses it with 422 naming it, in this one dependency installed on the
app. Not checked: the web service's pages (browsers and links add their own
parameters) and the Delta Sharing protocol's routes (its clients send parameters of
later protocol versions, which servers are meant to ignore).
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

__all__ = ["known_query_parameters", "refuse_unknown_query_parameters"]

_EXEMPT_PREFIXES = ("/delta-sharing/",)


def _declared(dependant: Dependant) -> Iterator[str]:
    for field in dependant.query_params:
        yield field.alias
    for sub in dependant.dependencies:
        yield from _declared(sub)


def known_query_parameters(route: APIRoute) -> frozenset[str]:
    """The query parameters ``route`` declares, its dependencies' included."""
    cached: frozenset[str] | None = getattr(route, "_accord_query_names", None)
    if cached is None:
        cached = frozenset(_declared(route.dependant))
        route._accord_query_names = cached  # type: ignore[attr-defined]
    return cached


def _is_json_api(route: APIRoute) -> bool:
    module = getattr(route.endpoint, "__module__", "")
    return module.startswith("accord.api.")


def refuse_unknown_query_parameters(request: Request) -> None:
    """A dependency of the whole app: 422 for a query parameter the route does not take."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not _is_json_api(route):
        return  # a web page or the documentation: not the JSON API
    if route.path.startswith(_EXEMPT_PREFIXES):
        return
    unknown = sorted(set(request.query_params) - known_query_parameters(route))
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": "Extra inputs are not permitted",
                    "input": request.query_params.get(name),
                }
                for name in unknown
            ]
        )
