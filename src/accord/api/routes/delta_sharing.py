"""The Delta Sharing protocol, read-only, under ``/delta-sharing``.

Thin: each route authenticates the recipient's share token and calls
:class:`~accord.services.sharing.SharingService`, which decides and audits. Lists are
JSON pages; table metadata and queries are newline-delimited JSON with the
``Delta-Table-Version`` header; files are served from signed URLs, with HEAD and byte
ranges, because clients read Parquet footers and row groups by range. A table's change
data feed is read by version or timestamp from ``.../changes``. Errors use the
protocol's body, ``{"errorCode", "message"}`` (:mod:`accord.api.delta_errors`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from accord.api.delta_errors import ERROR_RESPONSES, DeltaSharingRoute
from accord.api.deps import AccordDep
from accord.core.sharing.changes import ChangeRange
from accord.core.sharing.protocol import Page, ndjson
from accord.core.sharing.signing import SignedURL
from accord.services.sharing import QueryOptions, Recipient, ServedFile, TableAnswer

__all__ = ["router"]

router = APIRouter(
    prefix="/delta-sharing",
    tags=["delta sharing"],
    route_class=DeltaSharingRoute,
    responses=ERROR_RESPONSES,
)

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="DeltaSharingToken",
    description="A recipient's share token, from `accord share profile`.",
)
_CAPABILITIES = "delta-sharing-capabilities"
_CHUNK = 1 << 20


def get_recipient(
    request: Request,
    accord: AccordDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Recipient:
    secret = credentials.credentials if credentials is not None else None
    access = f"{request.method} {request.url.path}"
    # A 401 is counted per interval by the rate-limit middleware, not logged one by one.
    return accord.sharing.authenticate(secret, access, accord.platform_org, record_refusal=False)


RecipientDep = Annotated[Recipient, Depends(get_recipient)]
MaxResults = Annotated[int | None, Query(alias="maxResults", description="Page size, 1-1000.")]
PageToken = Annotated[
    str | None, Query(alias="pageToken", description="From the last page's nextPageToken.")
]


def _page(page: Page[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {"items": list(page.items)}
    if page.next_token is not None:
        body["nextPageToken"] = page.next_token
    return body


def _table_response(answer: TableAnswer) -> Response:
    return Response(
        content=ndjson(answer.lines),
        media_type="application/x-ndjson",
        headers={
            "Delta-Table-Version": str(answer.version),
            _CAPABILITIES: "responseformat=parquet",
        },
    )


@router.get("/shares")
def list_shares(
    recipient: RecipientDep, accord: AccordDep, max_results: MaxResults = None,
    page_token: PageToken = None,
) -> dict[str, Any]:  # fmt: skip
    """The share this credential opens: the agreement, while it is active."""
    return _page(accord.sharing.list_shares(recipient, max_results, page_token))


@router.get("/shares/{share}")
def get_share(share: str, recipient: RecipientDep, accord: AccordDep) -> dict[str, Any]:
    return {"share": accord.sharing.get_share(recipient, share)}


@router.get("/shares/{share}/schemas")
def list_schemas(
    share: str, recipient: RecipientDep, accord: AccordDep, max_results: MaxResults = None,
    page_token: PageToken = None,
) -> dict[str, Any]:  # fmt: skip
    return _page(accord.sharing.list_schemas(recipient, share, max_results, page_token))


@router.get("/shares/{share}/schemas/{schema}/tables")
def list_tables(
    share: str, schema: str, recipient: RecipientDep, accord: AccordDep,
    max_results: MaxResults = None, page_token: PageToken = None,
) -> dict[str, Any]:  # fmt: skip
    """The agreement's governed views, one per dataset it covers."""
    return _page(accord.sharing.list_tables(recipient, share, schema, max_results, page_token))


@router.get("/shares/{share}/all-tables")
def list_all_tables(
    share: str, recipient: RecipientDep, accord: AccordDep, max_results: MaxResults = None,
    page_token: PageToken = None,
) -> dict[str, Any]:  # fmt: skip
    return _page(accord.sharing.list_tables(recipient, share, None, max_results, page_token))


@router.get("/shares/{share}/schemas/{schema}/tables/{table}/version")
def table_version(
    share: str,
    schema: str,
    table: str,
    recipient: RecipientDep,
    accord: AccordDep,
    starting_timestamp: Annotated[
        str | None,
        Query(
            alias="startingTimestamp",
            max_length=64,
            description="ISO 8601; answers the first version at or after it.",
        ),
    ] = None,
) -> Response:
    """The current table version (or the first at or after ``startingTimestamp``), in the
    ``Delta-Table-Version`` header."""
    version = accord.sharing.table_version(recipient, share, schema, table, starting_timestamp)
    return Response(status_code=200, headers={"Delta-Table-Version": str(version)})


@router.get(
    "/shares/{share}/schemas/{schema}/tables/{table}/metadata",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def table_metadata(
    share: str, schema: str, table: str, recipient: RecipientDep, accord: AccordDep
) -> Response:
    """Protocol and metadata lines, with the Spark schema of the governed view."""
    return _table_response(accord.sharing.metadata(recipient, share, schema, table))


@router.post(
    "/shares/{share}/schemas/{schema}/tables/{table}/query",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def query_table(
    share: str,
    schema: str,
    table: str,
    request: Request,
    recipient: RecipientDep,
    accord: AccordDep,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> Response:
    """The current snapshot: protocol, metadata and one signed, short-lived file URL."""
    options = QueryOptions.parse(body or {})

    def file_url(signed: SignedURL) -> str:
        url = request.url_for("delta_sharing_file", token=signed.token)
        return f"{url}?{signed.query()}"

    answer = accord.sharing.query(recipient, share, schema, table, options, file_url)
    return _table_response(answer)


_Version = Annotated[str | None, Query(max_length=24, description="A table version.")]
_Timestamp = Annotated[str | None, Query(max_length=64, description="ISO 8601 timestamp.")]


@router.get(
    "/shares/{share}/schemas/{schema}/tables/{table}/changes",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def table_changes(
    share: str,
    schema: str,
    table: str,
    request: Request,
    recipient: RecipientDep,
    accord: AccordDep,
    starting_version: Annotated[_Version, Query(alias="startingVersion")] = None,
    ending_version: Annotated[_Version, Query(alias="endingVersion")] = None,
    starting_timestamp: Annotated[_Timestamp, Query(alias="startingTimestamp")] = None,
    ending_timestamp: Annotated[_Timestamp, Query(alias="endingTimestamp")] = None,
) -> Response:
    """The change data feed: per version in the range, the rows it added to and removed
    from the governed view, as signed files with ``_change_type``."""
    wanted = ChangeRange.parse(
        {
            "startingVersion": starting_version,
            "endingVersion": ending_version,
            "startingTimestamp": starting_timestamp,
            "endingTimestamp": ending_timestamp,
        }
    )

    def file_url(signed: SignedURL) -> str:
        url = request.url_for("delta_sharing_file", token=signed.token)
        return f"{url}?{signed.query()}"

    answer = accord.sharing.changes(recipient, share, schema, table, wanted, file_url)
    return _table_response(answer)


_FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}},
    206: {"description": "The byte range asked for"},
    416: {"description": "The byte range is outside the file"},
}


@router.head(
    "/files/{token}",
    name="delta_sharing_file_head",
    operation_id="delta_sharing_file_head",
    response_class=Response,
    responses=_FILE_RESPONSES,
)
@router.get(
    "/files/{token}",
    name="delta_sharing_file",
    operation_id="delta_sharing_file",
    response_class=Response,
    responses=_FILE_RESPONSES,
)
def read_file(
    token: str,
    request: Request,
    accord: AccordDep,
    expires: Annotated[str, Query(description="Expiry, seconds since the epoch.")],
    sig: Annotated[str, Query(description="HMAC-SHA256 over the token and expiry.")],
) -> Response:
    """A governed file by signed URL: no bearer token, since clients fetch files without
    one; the signature, its expiry, the credential and the agreement are checked instead."""
    served = accord.sharing.open_file(
        token,
        expires,
        sig,
        method=request.method,
        range_header=request.headers.get("range"),
        platform_org=accord.platform_org,
    )
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "no-store"}
    if request.method == "HEAD":
        headers["Content-Length"] = str(served.size)
        return Response(status_code=200, headers=headers, media_type="application/octet-stream")
    if served.range is not None:
        with served.path.open("rb") as handle:
            data = os.pread(handle.fileno(), served.range.length, served.range.start)
        headers["Content-Range"] = served.range.content_range(served.size)
        return Response(
            content=data, status_code=206, headers=headers, media_type="application/octet-stream"
        )
    headers["Content-Length"] = str(served.size)
    return StreamingResponse(
        _chunks(served), headers=headers, media_type="application/octet-stream"
    )


def _chunks(served: ServedFile) -> Iterator[bytes]:
    with served.path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk
