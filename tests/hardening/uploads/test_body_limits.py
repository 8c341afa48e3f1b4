"""Bodies are capped per endpoint with 413, and an upload is authorised before it is read.

Over a real server: a declared length over the cap is refused unread; a chunked body
is counted and stopped at the cap; an unauthorised upload of many megabytes is
refused with nothing in uploads/ and a deny event on the record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from accord.api.app import create_app
from accord.api.body_limits import BodyLimits
from tests.hardening.uploads.conftest import World, WorldFactory

CSV = b"nino,postcode\nAB123456C,SW1A 1AA\n"


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A body sent chunked (no Content-Length): a CSV header, then rows up to ``total``."""
    yield b"name,note\n"
    sent = 0
    row = b"a," + b"b" * (size - 3) + b"\n"
    while sent < total:
        yield row
        sent += len(row)


def _error(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    error: dict[str, object] = body["error"]
    return error


def test_a_json_body_declared_over_the_cap_is_refused_unread(make_world: WorldFactory) -> None:
    world = make_world(ACCORD_MAX_BODY_BYTES="2048")
    with world.client("alice") as client:
        response = client.post(
            "/requests",
            content=b"{" + b" " * 4096 + b"}",
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 413
    error = _error(response)
    assert error["code"] == "too_large"
    assert "ACCORD_MAX_BODY_BYTES" in str(error["message"])
    assert error["details"] == {"limit": 2048, "setting": "ACCORD_MAX_BODY_BYTES"}


def test_a_chunked_json_body_is_stopped_at_the_cap(make_world: WorldFactory) -> None:
    world = make_world(ACCORD_MAX_BODY_BYTES="2048")
    with world.client("alice") as client:
        body = iter([b"{", b" " * 1500, b" " * 1500, b"}"])
        response = client.post(
            "/requests", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 413
    assert "passed 2,048 bytes" in str(_error(response)["message"])


def test_an_upload_over_the_cap_is_refused_audited_and_leaves_nothing(
    make_world: WorldFactory,
) -> None:
    world = make_world(ACCORD_MAX_UPLOAD_BYTES="1048576")
    with world.client("alice") as client:
        chunked = client.post(
            "/datasets/dwp/notes",
            content=_chunks(4 * 1024**2),
            headers={"Content-Type": "text/csv"},
        )
        declared = client.post(
            "/datasets/dwp/notes",
            content=b"x" * (2 * 1024**2),
            headers={"Content-Type": "text/csv"},
        )
    for response in (chunked, declared):
        assert response.status_code == 413, response.text
        error = _error(response)
        assert error["details"] == {"limit": 1048576, "setting": "ACCORD_MAX_UPLOAD_BYTES"}
    assert world.stored_uploads() == []
    # Each is an authenticated caller's refusal, so each is on the record.
    refused = [
        d
        for d in world.denials("alice")
        if d.startswith("dataset.register:") and "ACCORD_MAX_UPLOAD_BYTES" in d
    ]
    assert len(refused) == 2


def test_a_caller_without_a_role_stores_nothing(world: World) -> None:
    """bob (a data owner at nhse) uploads 16 MiB to dwp: refused before one byte is kept."""
    with world.client("bob") as client:
        register = client.post(
            "/datasets/dwp/notes",
            content=_chunks(16 * 1024**2),
            headers={"Content-Type": "text/csv"},
        )
        version = client.post(
            "/datasets/dwp/notes/versions",
            content=_chunks(16 * 1024**2),
            headers={"Content-Type": "text/csv"},
        )
    assert register.status_code == 403, register.text
    assert version.status_code in (403, 404), version.text
    assert world.stored_uploads() == []
    denials = world.denials("bob")
    assert any(d.startswith("dataset.register:") for d in denials)
    assert any(d.startswith("dataset.ingest:") for d in denials)


def test_an_authorised_upload_still_works_and_is_removed(world: World) -> None:
    with world.client("alice") as client:
        response = client.post(
            "/datasets/dwp/people", content=CSV, headers={"Content-Type": "text/csv"}
        )
    assert response.status_code == 201, response.text
    assert response.json()["version"]["row_count"] == 1
    assert world.stored_uploads() == []


def test_the_contract_documents_413(world: World) -> None:
    schema = create_app(world.accord).openapi()
    upload = schema["paths"]["/datasets/{org_id}/{name}"]["post"]["responses"]
    assert "413" in upload


def test_each_route_has_the_cap_its_largest_valid_body_needs(world: World) -> None:
    """A batch of 100,000 identifiers (about 1.5 MB of JSON) must fit its cap; a form
    or a JSON command gets the small default."""
    limits = BodyLimits(create_app(world.accord), settings=world.accord.settings)
    largest_batch = len(json.dumps({"identifiers": ["9434765919"] * 100_000}))
    for path in ("/batch-checks/dwp/carers/batches", "/organisations/dwp/opt-outs"):
        assert limits.cap("POST", path).limit > largest_batch
    assert limits.cap("POST", "/datasets/dwp/x").setting == "ACCORD_MAX_UPLOAD_BYTES"
    assert limits.cap("POST", "/datasets/dwp/x/versions").setting == "ACCORD_MAX_UPLOAD_BYTES"
    assert limits.cap("POST", "/requests").setting == "ACCORD_MAX_BODY_BYTES"
    assert limits.cap("PATCH", "/datasets/dwp/x/fields/nino").setting == "ACCORD_MAX_BODY_BYTES"
