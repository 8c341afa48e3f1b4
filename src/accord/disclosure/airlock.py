"""Output checking (the airlock): what an analyst may take out of an in-place analysis.

An analyst submits output files (CSV tables), each with the query that produced it.
The disclosure rules run on each file automatically and their findings are attached;
then two independent output checkers, neither of them the author, each approve or
reject each file. A file is decided when two reviews agree: two approvals release it,
two rejections reject it; a split waits for a third checker, whose review breaks the
tie. Only approved files can be downloaded. ``results.json`` follows ACRO's layout
(``version``, ``results`` by output, ``files`` with their ``sdc``, a ``checksums/``
folder of SHA-256 digests) so SACRO's viewer and ACRO's ``load_records`` read it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np

from accord.disclosure.primary import CellStats, primary_flags
from accord.disclosure.rules import ACRO_CHECKS, DisclosureRules, Flag

__all__ = [
    "ACRO_FORMAT_VERSION",
    "Decision",
    "FileStatus",
    "OutputFile",
    "OutputRequest",
    "Review",
    "check_csv",
    "file_status",
    "results_json",
    "safe_file_name",
]

ACRO_FORMAT_VERSION = "1.0.2"
"""The ACRO release whose results.json layout (and version check) this writes."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,150}\.csv")


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class FileStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Review:
    file_name: str
    reviewer: str
    decision: Decision
    comment: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OutputFile:
    name: str
    sha256: str
    path: str
    query: str
    checks: dict[str, Any]
    status: FileStatus = FileStatus.PENDING


@dataclass(frozen=True, slots=True)
class OutputRequest:
    id: str
    organisation_id: str
    author: str
    title: str
    created_at: datetime
    files: tuple[OutputFile, ...] = ()
    reviews: tuple[Review, ...] = field(default=())

    def file(self, name: str) -> OutputFile:
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(name)

    def reviews_of(self, name: str) -> tuple[Review, ...]:
        return tuple(r for r in self.reviews if r.file_name == name)


def safe_file_name(name: str) -> str:
    """Only plain ``.csv`` names: no paths, so a name can never escape the request's folder."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"output file name {name!r} must be a plain name ending in .csv")
    return name


def file_status(reviews: Sequence[Review]) -> FileStatus:
    """Two agreeing reviews decide; a split waits for a tie-breaker."""
    approve = sum(r.decision is Decision.APPROVE for r in reviews)
    reject = sum(r.decision is Decision.REJECT for r in reviews)
    if approve >= 2 and approve > reject:
        return FileStatus.APPROVED
    if reject >= 2 and reject > approve:
        return FileStatus.REJECTED
    return FileStatus.PENDING


def check_csv(
    content: bytes, count_columns: Sequence[str], rules: DisclosureRules | None = None
) -> dict[str, Any]:
    """The automatic checks on a submitted table, in ACRO's ``sdc`` shape.

    Columns named in ``count_columns`` hold frequencies and get the threshold and zero
    checks, cell by cell; every other numeric column is noted for the checkers, who
    see the query that made it (dominance needs the contributors, which a CSV lacks).
    """
    rules = rules or DisclosureRules()
    try:
        text = content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"the file is not a UTF-8 CSV table: {exc}") from exc
    if not rows:
        raise ValueError("the file is empty")
    header, body = rows[0], rows[1:]
    missing = [c for c in count_columns if c not in header]
    if missing:
        raise ValueError(f"count column(s) {missing} are not in the header {header}")
    cells: dict[str, list[list[int]]] = {name: [] for name in ACRO_CHECKS.values()}
    for col in count_columns:
        j = header.index(col)
        values = []
        for i, row in enumerate(body):
            try:
                values.append(float(row[j]))
            except (IndexError, ValueError) as exc:
                raise ValueError(f"row {i + 2}, column {col!r}: not a count") from exc
        flags = primary_flags(CellStats.from_frequencies(np.asarray(values, dtype=np.int64)), rules)
        for flag, name in ACRO_CHECKS.items():
            for cell in np.flatnonzero(flags & flag):
                cells[name].append([int(cell), j])
    summary = {name: len(found) for name, found in cells.items()}
    failed = any(summary[ACRO_CHECKS[f]] for f in (Flag.THRESHOLD, Flag.ZERO))
    return {
        "summary": {**summary, "suppressed": False},
        "cells": cells,
        "status": "fail" if failed else ("review" if not count_columns else "pass"),
        "rules": rules.as_dict(),
        "count_columns": list(count_columns),
    }


def results_json(
    request: OutputRequest, contents: dict[str, bytes]
) -> tuple[dict[str, Any], dict[str, str]]:
    """results.json for the approved files of ``request``, and their checksums by name.

    One ACRO output per approved file; its comments carry every review, so the record
    of who released what, and why, travels with the outputs.
    """
    outputs: dict[str, Any] = {}
    checksums: dict[str, str] = {}
    for n, f in enumerate(f for f in request.files if f.status is FileStatus.APPROVED):
        digest = hashlib.sha256(contents[f.name]).hexdigest()
        if digest != f.sha256:
            raise ValueError(f"{f.name} no longer matches the checksum it was approved with")
        checksums[f.name] = digest
        uid = f"output_{n}"
        outputs[uid] = {
            "uid": uid,
            "status": f.checks.get("status", "review"),
            "type": "table",
            "properties": {"method": "accord-airlock", "request": request.id},
            "files": [
                {
                    "name": f.name,
                    "sdc": {"summary": f.checks["summary"], "cells": f.checks["cells"]},
                }
            ],
            "outcome": {},
            "command": f.query,
            "summary": f"{f.checks.get('status', 'review')}; approved by "
            + ", ".join(
                r.reviewer for r in request.reviews_of(f.name) if r.decision is Decision.APPROVE
            ),
            "timestamp": request.created_at.isoformat(),
            "comments": [
                f"{r.reviewer} {r.decision.value}d at {r.at.isoformat()}: {r.comment}"
                for r in request.reviews_of(f.name)
            ],
            "exception": "",
            "fair": {},
        }
    document = {
        "version": ACRO_FORMAT_VERSION,
        "tool": {
            "@type": "SoftwareApplication",
            "name": "Accord airlock",
            "url": "",
            "version": "",
        },
        "results": outputs,
    }
    return document, checksums
