"""One JSON error envelope for every kind of failure."""

from __future__ import annotations

import pytest

from tests.api.conftest import World

SHAPE = {"status", "code", "message", "details"}


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("GET", "/datasets/dwp/nope", {}, 404, "not_found"),
        ("GET", "/no/such/route", {}, 404, "not_found"),
        ("POST", "/organisations", {"json": {"id": "x"}}, 422, "validation"),
        ("GET", "/audit/events?limit=0", {}, 422, "validation"),
        (
            "POST",
            "/organisations",
            {"json": {"id": "dwp", "name": "DWP", "kind": "health_body"}},
            409,
            "conflict",
        ),
        (
            "POST",
            "/datasets/dwp/x",
            {"content": b"", "headers": {"Content-Type": "text/csv"}},
            422,
            "validation",
        ),
        (
            "POST",
            "/datasets/dwp/x",
            {"content": b"{}", "headers": {"Content-Type": "application/json"}},
            422,
            "validation",
        ),
    ],
)
def test_errors_share_one_envelope(
    world: World, method: str, path: str, kwargs: dict[str, object], status: int, code: str
) -> None:
    headers = {**kwargs.pop("headers", {}), **world.headers("admin")}  # type: ignore[dict-item]
    if path.startswith("/datasets/dwp/x"):
        headers.update(world.headers("alice"))
    response = world.client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == SHAPE
    assert error["status"] == status
    assert error["code"] == code
    assert error["message"]


def test_a_refused_file_reports_rows_and_columns(world: World) -> None:
    body = "nino,forename\nAB123456C,Mary\nQQ123456Z,John\n"
    response = world.client.post(
        "/datasets/dwp/bad_one",
        content=body,
        headers={"Content-Type": "text/csv", **world.headers("alice")},
    )
    assert response.status_code == 422
    problems = response.json()["error"]["details"]["problems"]
    assert problems[0]["row"] == 3
    assert problems[0]["column"] == "nino"
    assert (
        world.client.get("/datasets/dwp/bad_one", headers=world.headers("bob")).status_code == 404
    )
