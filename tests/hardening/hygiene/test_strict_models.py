"""Every request body refuses fields it does not know, naming them.

A misspelt field would otherwise be dropped silently and the request acted on with the
default. The walk over the app's routes means a new endpoint cannot forget.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from accord.api.app import create_app
from accord.services.app import Accord
from tests.hardening.hygiene.conftest import Api

# Bodies that are not Accord's own shape, each with the reason it is not strict.
NOT_STRICT = {
    # The Delta Sharing protocol's query body: clients send hints Accord does not use
    # (jsonPredicateHints, limitHint, ...), which the protocol says servers may ignore.
    ("POST", "/delta-sharing/shares/{share}/schemas/{schema}/tables/{table}/query", "body"),
}


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)
        elif hasattr(route, "routes"):
            yield from api_routes(route.routes)


def models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The Pydantic models an annotation accepts, nested ones included."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            yield from models_in(field.annotation)
        return
    origin = typing.get_origin(annotation)
    if origin is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from models_in(arg)


def body_models(app: FastAPI) -> Iterator[tuple[str, str, str, Any]]:
    for route in api_routes(app.routes):
        for param in route.dependant.body_params:
            for method in sorted(route.methods):
                yield method, route.path, param.name, param.field_info.annotation


def test_every_request_body_forbids_unknown_fields(sqlite_accord: Accord) -> None:
    app = create_app(sqlite_accord)
    bodies = list(body_models(app))
    assert len(bodies) > 30, "the walk found too few bodies: has routing changed?"
    loose = []
    for method, path, name, annotation in bodies:
        if (method, path, name) in NOT_STRICT:
            continue
        if annotation in (str, bytes) and name != "body":
            continue  # a form field of a web page, not a JSON body
        models = list(models_in(annotation))
        if not models:
            loose.append(f"{method} {path} {name}: not a model ({annotation!r})")
        loose += [
            f"{method} {path}: {model.__name__} allows extra fields"
            for model in models
            if model.model_config.get("extra") != "forbid"
        ]
    assert loose == []


def test_a_misspelt_field_is_refused_naming_it(api: Api) -> None:
    body = {"id": "dwp", "name": "DWP", "kind": "government_department", "nmae": "x"}
    answer = api.client.post("/organisations", json=body, headers=api.headers)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "validation"
    assert "nmae" in error["message"]
    assert error["details"]["errors"] == [
        {"location": "body.nmae", "message": "unknown field 'nmae': check its spelling"}
    ]
    assert api.client.get("/organisations/dwp", headers=api.headers).status_code == 404


def test_an_unknown_field_inside_a_nested_object_is_named_with_its_path(api: Api) -> None:
    body = {
        "id": "dwp",
        "name": "DWP",
        "kind": "government_department",
        "assurances": [
            {"scheme": "dspt", "reference": "r", "expires_on": "2030-01-01", "valid": True}
        ],
    }
    answer = api.client.post("/organisations", json=body, headers=api.headers)
    assert answer.status_code == 422
    locations = [e["location"] for e in answer.json()["error"]["details"]["errors"]]
    assert "body.assurances.0.valid" in locations


def test_a_sharing_request_with_a_misspelt_purpose_is_refused(api: Api) -> None:
    body = {"purpos": "vaccinate carers"}
    answer = api.client.post("/requests/assess", json=body, headers=api.headers)
    assert answer.status_code == 422
    locations = [e["location"] for e in answer.json()["error"]["details"]["errors"]]
    assert "body.purpos" in locations


def test_every_unknown_field_is_listed_not_only_the_first(api: Api) -> None:
    answer = api.client.put(
        "/organisations/dwp/areas", json={"areas": [], "aeras": [], "zone": 1}, headers=api.headers
    )
    assert answer.status_code == 422
    locations = {e["location"] for e in answer.json()["error"]["details"]["errors"]}
    assert {"body.aeras", "body.zone"} <= locations


def test_the_walk_sees_nested_models(tmp_path: Path) -> None:
    class Inner(BaseModel):
        x: int

    class Outer(BaseModel):
        inner: list[Inner] | None = None

    assert list(models_in(Outer)) == [Outer, Inner]


def test_a_misspelt_query_parameter_is_refused_not_ignored(api: Api) -> None:
    """``actr`` for ``actor`` would otherwise answer the whole, unfiltered log."""
    answer = api.client.get("/audit/events?actr=alice&limit=5", headers=api.headers)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["message"] == "query.actr: unknown field 'actr': check its spelling"
    good = api.client.get("/audit/events?actor=alice&limit=5", headers=api.headers)
    assert good.status_code == 200


def test_pages_and_the_delta_sharing_protocol_keep_their_own_query_parameters(api: Api) -> None:
    page = api.client.get("/?utm_source=newsletter", follow_redirects=False)
    assert page.status_code < 400
    shares = api.client.get("/delta-sharing/shares?maxResults=5&futureHint=1", headers=api.headers)
    assert shares.status_code != 422
