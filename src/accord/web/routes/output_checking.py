"""Output checking: the airlock, where results leave an analysis only after two
independent checkers have approved them.

Each submitted file is shown as the table it is, with the automatic disclosure rules'
verdict on every cell (in words, not only in colour); each checker records one review
with a comment; once two approvals are in, the author or an analyst of the
organisation releases the approved files, and each file released is audited. Who may
do what is the airlock service's: the pages only leave out the buttons it would refuse.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.core.disclosure_permissions import (
    can_download_output,
    can_read_outputs,
    can_review_output,
)
from accord.core.permissions import Caller
from accord.disclosure.airlock import Decision, FileStatus, OutputRequest
from accord.errors import NotFoundError, ValidationError
from accord.fsutil import TEMP_PREFIX
from accord.services.app import Accord
from accord.web.deps import CheckedForm, SignedInDep, accord_of
from accord.web.render import page
from accord.web.sessions import SignedIn

__all__ = ["MAX_FILE_BYTES", "MAX_ROWS", "router"]

router = APIRouter()

MAX_ROWS = 500
"""Rows of an output file shown on its page; a longer file says how many are left out."""
MAX_COLUMNS = 50
MAX_FILE_BYTES = 5_000_000
"""A larger file is not read to be shown: its checks and reviews still are."""
MAX_REQUESTS = 200
MAX_COMMENT = 2000

RULES: dict[str, tuple[str, str]] = {
    "MinimumThresholdCheck": ("Threshold", "counts below the minimum number of people"),
    "PresenceOfZeroCheck": ("Zero", "counts of zero, which can reveal that nobody has a trait"),
    "NKCheck": ("Dominance", "cells where a few contributors make up most of the total"),
    "PPercentCheck": ("p% rule", "cells where one contributor's value can be estimated closely"),
}
"""Each automatic rule, ACRO's name for it, as a checker reads it."""

STATUS_WORDS = {
    "pass": "Passed: no cell fails a rule",
    "fail": "Failed: some cells fail a rule, see the table",
    "review": "Not checked automatically: no column was named as a count, so a checker "
    "must judge every cell",
}


def _organisations(accord: Accord, signed_in: SignedIn) -> list[str]:
    """The organisations whose outputs this person may see."""
    caller, principal = signed_in.caller, signed_in.principal
    found = []
    for org in sorted({m.organisation_id for m in principal.memberships}):
        checker = accord.store.is_output_checker(principal.id, org)
        if can_read_outputs(caller, org, is_checker=checker).allowed:
            found.append(org)
    return found


def _names(accord: Accord) -> dict[str, str]:
    return {p.id: p.name for p in accord.store.list_principals()}


def _progress(request: OutputRequest) -> str:
    approved = sum(f.status is FileStatus.APPROVED for f in request.files)
    rejected = sum(f.status is FileStatus.REJECTED for f in request.files)
    words = [f"{approved} of {len(request.files)} approved"]
    if rejected:
        words.append(f"{rejected} rejected")
    return ", ".join(words)


@router.get("/output-checking", response_class=HTMLResponse)
def output_checking(request: Request, signed_in: SignedInDep) -> Response:
    accord = accord_of(request)
    names = _names(accord)
    organisations = []
    for org in _organisations(accord, signed_in):
        found = accord.airlock.list_requests(signed_in.caller, org)
        organisations.append(
            {
                "id": org,
                "name": accord.store.get_organisation(org).name,
                "requests": [
                    {
                        "id": r.id,
                        "title": r.title,
                        "author": names.get(r.author, r.author),
                        "created_at": r.created_at,
                        "files": len(r.files),
                        "progress": _progress(r),
                        "done": all(f.status is not FileStatus.PENDING for f in r.files),
                    }
                    for r in found[:MAX_REQUESTS]
                ],
                "more": max(0, len(found) - MAX_REQUESTS),
            }
        )
    return page(
        request, "output_checking/index.html", title="Output checking", organisations=organisations
    )


def _reviewable(accord: Accord, caller: Caller, request: OutputRequest, name: str) -> Any:
    reviewer = caller.principal.id if caller.principal else ""
    return can_review_output(
        caller,
        request.organisation_id,
        request.author,
        is_checker=bool(reviewer)
        and accord.store.is_output_checker(reviewer, request.organisation_id),
        reviewed_already=any(r.reviewer == reviewer for r in request.reviews_of(name)),
    )


@router.get("/output-checking/{request_id}", response_class=HTMLResponse)
def output_request(request: Request, request_id: str, signed_in: SignedInDep) -> Response:
    accord = accord_of(request)
    found = accord.airlock.show(signed_in.caller, request_id)
    names = _names(accord)
    approved = [f for f in found.files if f.status is FileStatus.APPROVED]
    may_release = (
        bool(approved)
        and can_download_output(
            signed_in.caller, found.organisation_id, found.author, approved=True
        ).allowed
    )
    return page(
        request,
        "output_checking/request.html",
        title=found.title,
        output=found,
        organisation=accord.store.get_organisation(found.organisation_id).name,
        author=names.get(found.author, found.author),
        files=[
            {
                "file": f,
                "checks": STATUS_WORDS.get(f.checks.get("status", "review"), ""),
                "approvals": sum(r.decision is Decision.APPROVE for r in found.reviews_of(f.name)),
                "reviews": len(found.reviews_of(f.name)),
            }
            for f in found.files
        ],
        approved=approved,
        may_release=may_release,
    )


def _cell_flags(checks: dict[str, Any], threshold: object) -> dict[tuple[int, int], list[str]]:
    """Each failing cell's rules, in words: ``Below 10 (fails threshold)``."""
    flags: dict[tuple[int, int], list[str]] = {}
    for rule, cells in checks.get("cells", {}).items():
        if rule == "MinimumThresholdCheck":
            words = f"Below {threshold} (fails threshold)"
        elif rule == "PresenceOfZeroCheck":
            words = "Zero (fails zero check)"
        else:
            words = f"Fails {RULES.get(rule, (rule, ''))[0].lower()}"
        for row, column in cells:
            flags.setdefault((int(row), int(column)), []).append(words)
    return flags


def _table(content: bytes, flags: dict[tuple[int, int], list[str]]) -> dict[str, Any]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    return {
        "header": header[:MAX_COLUMNS],
        "columns_left_out": max(0, len(header) - MAX_COLUMNS),
        "rows": [
            [
                {"value": value, "flags": flags.get((i, j), [])}
                for j, value in enumerate(row[:MAX_COLUMNS])
            ]
            for i, row in enumerate(body[:MAX_ROWS])
        ],
        "total": len(body),
        "left_out": max(0, len(body) - MAX_ROWS),
        "failing": sum(1 for (i, _), _words in flags.items() if i < MAX_ROWS),
    }


def _file_page(
    request: Request,
    accord: Accord,
    signed_in: SignedIn,
    request_id: str,
    name: str,
    *,
    values: dict[str, str] | None = None,
    errors: list[dict[str, str]] | None = None,
    reviewed: bool = False,
) -> Response:
    found = accord.airlock.show(signed_in.caller, request_id)
    try:
        output = found.file(name)
    except KeyError:
        raise NotFoundError(f"output request {request_id!r} has no file {name!r}") from None
    checks = output.checks
    threshold = checks.get("rules", {}).get("threshold", 10)
    try:
        content = accord.airlock.read_file(
            signed_in.caller, request_id, name, max_bytes=MAX_FILE_BYTES
        )
        table, too_large = _table(content, _cell_flags(checks, threshold)), ""
    except ValidationError as exc:
        table, too_large = None, exc.message
    names = _names(accord)
    verdict = _reviewable(accord, signed_in.caller, found, name)
    return page(
        request,
        "output_checking/file.html",
        status_code=422 if errors else 200,
        title=name,
        output=found,
        file=output,
        table=table,
        too_large=too_large,
        max_rows=MAX_ROWS,
        status_words=STATUS_WORDS.get(checks.get("status", "review"), ""),
        rules=[
            (RULES.get(rule, (rule, ""))[0], RULES.get(rule, (rule, ""))[1], count)
            for rule, count in checks.get("summary", {}).items()
            if rule in RULES
        ],
        threshold=threshold,
        count_columns=checks.get("count_columns", []),
        reviews=[
            {"who": names.get(r.reviewer, r.reviewer), "review": r} for r in found.reviews_of(name)
        ],
        may_review=verdict.allowed and output.status is FileStatus.PENDING,
        why_not=verdict.reason if not verdict.allowed else "",
        values=values or {"decision": "", "comment": ""},
        reviewed=reviewed and not errors,
        errors=errors or [],
        field_errors={e["field"]: e for e in errors or []},
    )


@router.get("/output-checking/{request_id}/files/{name}", response_class=HTMLResponse)
def output_file(
    request: Request, request_id: str, name: str, signed_in: SignedInDep, reviewed: str = ""
) -> Response:
    return _file_page(
        request, accord_of(request), signed_in, request_id, name, reviewed=reviewed == "1"
    )


@router.post("/output-checking/{request_id}/files/{name}/review", response_class=HTMLResponse)
def review(
    request: Request, request_id: str, name: str, signed_in: SignedInDep, form: CheckedForm
) -> Response:
    """One checker's review of one file; the service refuses the author and a second
    review by the same checker, and the refusal page says why."""
    accord = accord_of(request)
    accord.airlock.show(signed_in.caller, request_id)
    values = {k: str(form.get(k, "")).strip() for k in ("decision", "comment")}
    errors = []
    if values["decision"] not in {d.value for d in Decision}:
        errors.append({"field": "decision", "text": "Select approve or reject"})
    if not values["comment"]:
        errors.append(
            {"field": "comment", "text": "Enter a comment for the analyst and the other checker"}
        )
    elif len(values["comment"]) > MAX_COMMENT:
        errors.append(
            {"field": "comment", "text": f"The comment must be {MAX_COMMENT} characters or fewer"}
        )
    if errors:
        return _file_page(
            request, accord, signed_in, request_id, name, values=values, errors=errors
        )
    accord.airlock.review(
        signed_in.caller, request_id, name, Decision(values["decision"]), values["comment"]
    )
    return RedirectResponse(
        f"/output-checking/{request_id}/files/{name}?reviewed=1", status_code=303
    )


@router.post("/output-checking/{request_id}/release")
def release(
    request: Request, request_id: str, signed_in: SignedInDep, form: CheckedForm
) -> Response:
    """The approved files, with ACRO's results.json and their checksums, as one ZIP file.

    The service releases only files two checkers approved, to the author or an analyst
    of the organisation, and audits each; with no approved file it refuses.
    """
    accord = accord_of(request)
    accord.airlock.show(signed_in.caller, request_id)
    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}release-", dir=accord.home) as folder:
        directory = Path(folder)
        accord.airlock.release(signed_in.caller, request_id, directory)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(directory.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(directory).as_posix())
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{request_id}-released.zip"'},
    )
