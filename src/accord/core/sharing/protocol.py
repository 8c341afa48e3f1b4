"""Wire shapes of the Delta Sharing protocol that Accord serves, as pure functions.

Shares, schemas and tables are listed in pages (``maxResults``, ``nextPageToken``);
table metadata and query answers are newline-delimited JSON (a protocol line, a
metadata line, then one line per file); files are read by byte ranges. Accord serves
snapshots in the ``parquet`` response format only, which every client understands.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from accord.errors import ValidationError

__all__ = [
    "DEFAULT_PAGE",
    "MAX_PAGE",
    "SCHEMA",
    "ByteRange",
    "Page",
    "RangeNotSatisfiable",
    "file_line",
    "metadata_line",
    "ndjson",
    "paginate",
    "parse_range",
    "protocol_line",
    "table_version",
]

T = TypeVar("T")

DEFAULT_PAGE = 100
MAX_PAGE = 1000
SCHEMA = "governed"
"""Each share (an agreement) has one schema holding its governed views."""

_VERSION_STRIDE = 1_000_000


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_token: str | None


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def paginate(items: Sequence[T], max_results: int | None, page_token: str | None) -> Page[T]:
    """One page of ``items``; the token for the next page is opaque to clients."""
    size = DEFAULT_PAGE if max_results is None else max_results
    if not 1 <= size <= MAX_PAGE:
        raise ValidationError(f"maxResults must be between 1 and {MAX_PAGE}, not {size}")
    offset = 0
    if page_token:
        try:
            text = base64.urlsafe_b64decode(page_token + "=" * (-len(page_token) % 4)).decode()
            label, _, number = text.partition(":")
            offset = int(number)
            if label != "offset" or offset < 0:
                raise ValueError(text)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ValidationError(
                f"pageToken {page_token!r} is not one this server issued"
            ) from None
    end = offset + size
    following = _page_token(end) if end < len(items) else None
    return Page(tuple(items[offset:end]), following)


def table_version(agreement_version: int, dataset_version: int) -> int:
    """The Delta table version of a governed view: it rises when either the agreement is
    amended or the source dataset gets a new version, and only then."""
    if not 0 < dataset_version < _VERSION_STRIDE:
        raise ValidationError(f"dataset version {dataset_version} is out of range")
    return agreement_version * _VERSION_STRIDE + dataset_version


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int
    """Inclusive, as in the Range header."""

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


class RangeNotSatisfiable(ValidationError):
    status_code = 416
    code = "range_not_satisfiable"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single byte range a ``Range`` header asks for, clipped to the file; ``None`` for
    the whole file. Several ranges in one header are not served (clients ask for one)."""
    if header is None or not header.strip():
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or not spec or "," in spec:
        raise RangeNotSatisfiable(f"Range {header!r} must be one 'bytes=start-end' range")
    first, dash, last = spec.strip().partition("-")
    try:
        if not dash:
            raise ValueError(spec)
        if not first:  # a suffix: the last N bytes
            count = int(last)
            if count <= 0:
                raise ValueError(spec)
            start, end = max(size - count, 0), size - 1
        else:
            start = int(first)
            end = int(last) if last else size - 1
    except ValueError:
        raise RangeNotSatisfiable(f"Range {header!r} is not a valid byte range") from None
    if start < 0 or start >= size or end < start:
        raise RangeNotSatisfiable(f"Range {header!r} is outside the file's {size} bytes")
    return ByteRange(start, min(end, size - 1))


def ndjson(lines: Sequence[dict[str, Any]]) -> str:
    return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)


def protocol_line() -> dict[str, Any]:
    return {"protocol": {"minReaderVersion": 1}}


def metadata_line(
    table_id: str,
    name: str,
    description: str,
    schema_string: str,
    *,
    version: int,
    size: int,
    num_files: int,
    configuration: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "metaData": {
            "id": table_id,
            "name": name,
            "description": description,
            "format": {"provider": "parquet"},
            "schemaString": schema_string,
            "partitionColumns": [],
            "configuration": dict(configuration or {}),
            "version": version,
            "size": size,
            "numFiles": num_files,
        }
    }


def file_line(
    url: str, file_id: str, size: int, *, rows: int, expires_ms: int, version: int
) -> dict[str, Any]:
    return {
        "file": {
            "url": url,
            "id": file_id,
            "partitionValues": {},
            "size": size,
            "stats": json.dumps({"numRecords": rows}),
            "version": version,
            "expirationTimestamp": expires_ms,
        }
    }
