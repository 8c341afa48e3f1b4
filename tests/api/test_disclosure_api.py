"""Disclosure control over HTTP, by the callers who are allowed."""

from __future__ import annotations

from tests.api.conftest import World
from tests.disclosure.agreements import batch_agreement


def test_tables_batches_and_the_airlock_over_http(world: World) -> None:
    table = world.client.post(
        "/stats/tables/dwp/carers",
        json={"rows": ["postcode"], "columns": ["forename"], "protection": "round"},
        headers=world.headers("alice"),
    )
    assert table.status_code == 200, table.text
    assert table.json()["values"][-1][-1] == 0  # two people, rounded to base 5
    published = world.client.post(
        "/stats/published/dwp/carers",
        json={"rows": ["postcode"], "columns": ["forename"], "name": "carers_by_postcode"},
        headers=world.headers("alice"),
    )
    assert published.status_code == 201, published.text
    assert published.json()["dataset"] == "dwp/carers_by_postcode"
    assert "published" in published.json()["tags"]
    batch = {"identifiers": ["AB123456C", "CE654321A"]}
    path = "/batch-checks/dwp/carers/batches"
    # Offered, but answering reads DWP's records: nhse needs an agreement naming it.
    refused = world.client.post(path, json=batch, headers=world.headers("bob"))
    assert refused.status_code == 403
    assert "naming the batch_validation channel" in refused.json()["error"]["message"]
    accord = world.accord
    batch_agreement(
        accord,
        requester=accord.acting_as("bob", "test"),
        owner=accord.acting_as("alice", "test"),
        organisation="nhse",
        dataset="dwp/carers",
        fields=("nino", "postcode"),
    )
    answer = world.client.post(path, json=batch, headers=world.headers("bob"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "refused"
    assert answer.json()["proportion"] is None
    path = f"/airlock/requests/{world.output_request}"
    download = world.client.get(f"{path}/files/approved.csv", headers=world.headers("analyst"))
    assert download.status_code == 200
    assert download.content == b"benefit,count\nUC,120\n"
    pending = world.client.get(f"{path}/files/pending.csv", headers=world.headers("analyst"))
    assert pending.status_code == 403
    released = world.client.post(f"{path}/release", headers=world.headers("analyst"))
    assert released.status_code == 200, released.text
    [output] = released.json()["results"].values()
    assert output["files"][0]["name"] == "approved.csv"
    review = world.client.post(
        f"{path}/files/pending.csv/reviews",
        json={"decision": "reject", "comment": "small"},
        headers=world.headers("checker1"),
    )
    assert review.status_code == 200, review.text
