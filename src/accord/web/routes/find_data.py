"""Find data: the catalogue's search and each dataset's page, metadata only.

Any signed-in person may search; the catalogue service authorises and records each
search and view as the API's ``/datasets`` routes do. A dataset page shows what a
requester needs to ask precisely (fields, their classifications, and whether the owner
has confirmed each one or it is only suggested), never a row of the data.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from accord.core.catalogue import Dataset
from accord.core.governance.assessment import PUBLISHED_TAG
from accord.services.app import Accord
from accord.services.drafts import DraftService
from accord.web.deps import SignedInDep, accord_of
from accord.web.render import org_name, page

__all__ = ["MAX_QUERY", "MAX_RESULTS", "router"]

router = APIRouter()

MAX_QUERY = 200
MAX_RESULTS = 50
"""Results shown on one page; more means the search should be narrower."""


def _names(accord: Accord, datasets: list[Dataset]) -> dict[str, str]:
    return {org: org_name(accord, org) for org in {d.organisation_id for d in datasets}}


@router.get("/find-data", response_class=HTMLResponse)
def find_data(request: Request, signed_in: SignedInDep, q: str = "") -> Response:
    accord = accord_of(request)
    text = q.strip()
    errors = []
    if len(text) > MAX_QUERY:
        errors.append(
            {"field": "q", "text": f"Search words must be {MAX_QUERY} characters or fewer"}
        )
        text = ""
    if text:
        found = accord.catalogue.search(signed_in.caller, text)
    elif errors:
        found = []
    else:
        found = accord.catalogue.list_datasets(signed_in.caller)
    shown = found[:MAX_RESULTS]
    return page(
        request,
        "find_data/search.html",
        status_code=422 if errors else 200,
        title=f"{text}: Find data" if text else "Find data",
        errors=errors,
        q=q[:MAX_QUERY],
        searched=bool(text),
        results=shown,
        total=len(found),
        owners=_names(accord, shown),
    )


@router.get("/find-data/{org}/{name}", response_class=HTMLResponse)
def dataset_page(request: Request, signed_in: SignedInDep, org: str, name: str) -> Response:
    accord = accord_of(request)
    dataset, versions = accord.catalogue.show(signed_in.caller, f"{org}/{name}")
    products = [
        d
        for d in accord.store.list_datasets(dataset.organisation_id)
        if PUBLISHED_TAG in d.tags and d.id != dataset.id
    ]
    unconfirmed = sum(1 for f in dataset.fields if not f.confirmed)
    return page(
        request,
        "find_data/dataset.html",
        title=dataset.id,
        dataset=dataset,
        latest=versions[-1] if versions else None,
        owner=_names(accord, [dataset])[dataset.organisation_id],
        products=products,
        unconfirmed=unconfirmed,
        published=PUBLISHED_TAG in dataset.tags,
        may_ask=DraftService.requesting_organisation(signed_in.caller) is not None,
    )
