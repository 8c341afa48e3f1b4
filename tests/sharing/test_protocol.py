"""Pagination, byte ranges, table versions, signed URLs and the Spark schema, as units;
and HEAD, Range and paging over a live server."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pyarrow as pa
import pytest

from accord.core.sharing.protocol import (
    ByteRange,
    RangeNotSatisfiable,
    paginate,
    parse_range,
    table_version,
)
from accord.core.sharing.signing import FileClaim, sign_file, verify_file
from accord.errors import PermissionDenied, ValidationError
from accord.services.spark_schema import spark_schema
from tests.sharing.conftest import Served
from tests.sharing.test_client import file_url

KEY = b"k" * 32
CLAIM = FileClaim("dst_1", "agr-1", 2, "dwp/carers", 3, "abc123")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_pages_walk_every_item_once() -> None:
    items = list(range(7))
    seen, token = [], None
    while True:
        page = paginate(items, 3, token)
        seen.extend(page.items)
        if page.next_token is None:
            break
        token = page.next_token
    assert seen == items
    assert paginate(items, None, None).next_token is None


@pytest.mark.parametrize("size", [0, 1001, -1])
def test_a_bad_page_size_names_max_results(size: int) -> None:
    with pytest.raises(ValidationError, match="maxResults"):
        paginate([1], size, None)


def test_a_forged_page_token_is_refused() -> None:
    with pytest.raises(ValidationError, match="pageToken"):
        paginate([1, 2], 1, "not-a-token")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-3", ByteRange(0, 3)),
        ("bytes=5-", ByteRange(5, 9)),
        ("bytes=-4", ByteRange(6, 9)),
        ("bytes=8-100", ByteRange(8, 9)),
    ],
)
def test_ranges_are_clipped_to_the_file(header: str | None, expected: ByteRange | None) -> None:
    assert parse_range(header, 10) == expected


@pytest.mark.parametrize("header", ["bytes=10-11", "bytes=4-2", "items=0-1", "bytes=0-1,3-4"])
def test_unsatisfiable_ranges_are_refused(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 10)


def test_table_versions_rise_with_either_version() -> None:
    assert table_version(1, 2) < table_version(1, 3) < table_version(2, 1)


def test_a_signed_url_verifies_and_names_its_claim() -> None:
    signed = sign_file(KEY, CLAIM, int(NOW.timestamp()) + 60)
    assert verify_file(KEY, signed.token, str(signed.expires), signed.signature, NOW) == CLAIM


def test_tampering_with_any_part_of_a_url_is_detected() -> None:
    signed = sign_file(KEY, CLAIM, int(NOW.timestamp()) + 60)
    other = FileClaim("dst_2", "agr-1", 2, "dwp/carers", 3, "abc123").encode()
    for token, expires, signature in (
        (other, str(signed.expires), signed.signature),
        (signed.token, str(signed.expires + 3600), signed.signature),
        (signed.token, str(signed.expires), "0" * 64),
    ):
        with pytest.raises(PermissionDenied, match="altered"):
            verify_file(KEY, token, expires, signature, NOW)
    with pytest.raises(PermissionDenied, match="altered"):
        verify_file(b"another key", signed.token, str(signed.expires), signed.signature, NOW)


def test_an_expired_url_is_refused() -> None:
    signed = sign_file(KEY, CLAIM, int(NOW.timestamp()))
    with pytest.raises(PermissionDenied, match="expired"):
        verify_file(KEY, signed.token, str(signed.expires), signed.signature, NOW)


def test_the_spark_schema_describes_each_column() -> None:
    schema = pa.schema(
        [
            pa.field("nino", pa.string()),
            pa.field("age", pa.int32()),
            pa.field("born", pa.date32()),
            pa.field("paid", pa.float64()),
            pa.field("flag", pa.bool_()),
            pa.field("at", pa.timestamp("us", tz="UTC")),
            pa.field("amount", pa.decimal128(10, 2)),
            pa.field("codes", pa.list_(pa.string())),
        ]
    )
    fields = json.loads(spark_schema(schema, {"nino": "National Insurance number"}))["fields"]
    assert [f["type"] for f in fields[:7]] == [
        "string", "integer", "date", "double", "boolean", "timestamp", "decimal(10,2)",
    ]  # fmt: skip
    assert fields[7]["type"] == {"type": "array", "elementType": "string", "containsNull": True}
    assert fields[0]["metadata"] == {"comment": "National Insurance number"}
    with pytest.raises(ValidationError, match="'odd'"):
        spark_schema(pa.schema([pa.field("odd", pa.duration("s"))]))


def test_head_and_range_requests_over_http(served: Served) -> None:
    url = file_url(served)
    head = httpx.head(url)
    assert head.status_code == 200
    size = int(head.headers["content-length"])
    assert head.headers["accept-ranges"] == "bytes"
    assert head.content == b""
    whole = httpx.get(url)
    assert whole.status_code == 200
    assert len(whole.content) == size
    footer = httpx.get(url, headers={"Range": "bytes=-8"})
    assert footer.status_code == 206
    assert footer.headers["content-range"] == f"bytes {size - 8}-{size - 1}/{size}"
    assert footer.content == whole.content[-8:]
    assert footer.content.endswith(b"PAR1")
    middle = httpx.get(url, headers={"Range": "bytes=4-11"})
    assert middle.content == whole.content[4:12]
    outside = httpx.get(url, headers={"Range": f"bytes={size}-"})
    assert outside.status_code == 416


def test_list_calls_page_over_http(served: Served) -> None:
    secret = json.loads(served.profile().read_text())["bearerToken"]
    auth = {"Authorization": f"Bearer {secret}"}
    shares = f"{served.endpoint}/shares"
    page = httpx.get(shares, params={"maxResults": 1}, headers=auth).json()
    assert [s["name"] for s in page["items"]] == [served.agreement.id]
    assert "nextPageToken" not in page
    bad = httpx.get(shares, params={"maxResults": 0}, headers=auth)
    assert bad.status_code == 400
    assert bad.json()["errorCode"] == "INVALID_PARAMETER_VALUE"
    assert "maxResults" in bad.json()["message"]
    tables = httpx.get(
        f"{served.endpoint}/shares/{served.agreement.id}/schemas/governed/tables", headers=auth
    )
    assert [t["name"] for t in tables.json()["items"]] == ["dwp_carers_allowance"]


def test_table_responses_carry_the_table_version(served: Served) -> None:
    secret = json.loads(served.profile().read_text())["bearerToken"]
    auth = {"Authorization": f"Bearer {secret}"}
    table = f"{served.endpoint}/shares/{served.agreement.id}/schemas/governed/tables/"
    table += "dwp_carers_allowance"
    version = httpx.get(f"{table}/version", headers=auth)
    metadata = httpx.get(f"{table}/metadata", headers=auth)
    query = httpx.post(f"{table}/query", json={}, headers=auth)
    versions = {r.headers["delta-table-version"] for r in (version, metadata, query)}
    assert versions == {str(served.agreement.version * 1_000_000 + 1)}
    lines = [json.loads(line) for line in query.text.splitlines()]
    assert [next(iter(line)) for line in lines] == ["protocol", "metaData", "file"]
    stale = httpx.post(f"{table}/query", json={"version": 1}, headers=auth)
    assert stale.status_code == 400
    assert stale.json()["errorCode"] == "INVALID_PARAMETER_VALUE"
    assert "version 1 is not a version of this table" in stale.json()["message"]
    wrong = httpx.post(f"{table}/query", json={"version": "x"}, headers=auth)
    assert "version must be an integer" in wrong.json()["message"]
