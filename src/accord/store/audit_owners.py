"""Which data owners an audit event concerns, read from its object as it is written.

The owner of the data is what lets an organisation see every use of its data: another
organisation's extract of it, its own staff's approvals, refused attempts at it. Call
sites name only the object they acted on; :func:`resolve_owners` turns the object
reference into owner organisations inside the transaction that writes the event, so
an agreement or request created in that same transaction is already visible.

Object references and the owners they resolve to:

| object | owners |
|---|---|
| ``dataset:ORG/NAME`` | ``ORG`` |
| ``optouts:ORG:TYPE`` | ``ORG`` |
| ``agreement:ID`` / ``agreement:ID:vN`` | the agreement's (version's) ``data_owners`` |
| ``request:ID`` | the organisations whose datasets the request asks for |
| ``share:ID`` (a Delta Sharing share) | the owners of agreement ``ID`` |
| ``share-token:ID`` | the owners of the token's agreement |
| ``package:ID`` | the owners of the package's agreement (sent or received here) |
| ``batch_check:ID`` | the organisation that defined the batch-validation check |
| ``METHOD /path`` (API access) | as the first object the path names, e.g. ``/agreements/ID/…`` |

Anything else (principals, tokens, organisations, the audit log itself) concerns no
data owner. An object that does not exist resolves to none: the refusal that names it
is still recorded, under the actor's organisation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from accord.core.audit import AuditEvent
from accord.store.disclosure_models import BatchCheckRow, OutputRequestRow
from accord.store.governance_models import AgreementRow, RequestRow
from accord.store.models import MembershipRow, PrincipalRow, TokenRow
from accord.store.sharing_models import ShareTokenRow
from accord.store.transfer_models import PackageReceivedRow, PackageSentRow

__all__ = ["PRIVATE_KINDS", "owners_of", "parties_of", "resolve_owners"]

Owners = tuple[str, ...]

_VERSION = re.compile(r"v(\d+)")
_ACCESS = re.compile(r"[A-Z]+ (/[^ ]*)")
_API_PATHS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^/(?:datasets|stats/tables|batch-checks)/([^/]+)/([^/]+)"), "dataset:{0}/{1}"),
    (re.compile(r"^/agreements/([^/]+)"), "agreement:{0}"),
    (re.compile(r"^/requests/([^/]+)"), "request:{0}"),
    (re.compile(r"^/organisations/([^/]+)/opt-outs"), "optouts:{0}:"),
    (re.compile(r"^/delta-sharing/shares/([^/]+)"), "share:{0}"),
)


def resolve_owners(conn: Connection, events: Sequence[AuditEvent]) -> list[AuditEvent]:
    """``events`` with their owners filled in where the caller left them empty.

    Lookups are cached per call, and the agreements a batch names are read in one
    query, so a batch of events costs a handful of queries, not one per event.
    """
    cache = _agreement_owners(
        conn, {e.object for e in events if not e.owners and e.object.startswith(_BY_AGREEMENT)}
    )
    resolved = []
    for event in events:
        if event.owners or not event.object:
            resolved.append(event)
            continue
        owners = cache.get(event.object)
        if owners is None:
            owners = cache[event.object] = owners_of(conn, event.object)
        resolved.append(event.with_owners(owners) if owners else event)
    return resolved


_BY_AGREEMENT = ("agreement:", "share:")


def _agreement_owners(conn: Connection, objects: set[str]) -> dict[str, Owners]:
    """Owners of every ``agreement:ID[:vN]`` / ``share:ID`` in ``objects``, in one query."""
    if not objects:
        return {}
    wanted = {obj: obj.partition(":")[2].partition(":") for obj in objects}
    ids = {agreement_id for agreement_id, _, _ in wanted.values()}
    versions: dict[str, dict[int, Owners]] = {}
    query = select(AgreementRow.id, AgreementRow.version, AgreementRow.policy).where(
        AgreementRow.id.in_(ids)
    )
    for row_id, row_version, policy in conn.execute(query):
        owners = _json(policy).get("data_owners") or ()
        versions.setdefault(row_id, {})[row_version] = tuple(
            o for o in owners if isinstance(o, str)
        )
    found: dict[str, Owners] = {}
    for obj, (agreement_id, _, suffix) in wanted.items():
        known = versions.get(agreement_id, {})
        match = _VERSION.fullmatch(suffix)
        if match:
            found[obj] = known.get(int(match.group(1)), ())
        else:
            found[obj] = known[max(known)] if known else ()
    return found


def owners_of(conn: Connection, obj: str) -> Owners:
    """The data-owner organisations ``obj`` concerns (see the module docstring)."""
    access = _ACCESS.fullmatch(obj)
    if access is not None:
        return _api_access(conn, access.group(1))
    kind, _, rest = obj.partition(":")
    lookup = _LOOKUPS.get(kind)
    return lookup(conn, rest) if lookup is not None and rest else ()


def _dataset(_: Connection, rest: str) -> Owners:
    org, slash, _name = rest.partition("/")
    return (org,) if slash and org else ()


def _optouts(_: Connection, rest: str) -> Owners:
    org = rest.split(":", 1)[0]
    return (org,) if org else ()


def _agreement(conn: Connection, rest: str) -> Owners:
    agreement_id, _, version = rest.partition(":")
    query = select(AgreementRow.policy).where(AgreementRow.id == agreement_id)
    match = _VERSION.fullmatch(version)
    if match:
        query = query.where(AgreementRow.version == int(match.group(1)))
    policy = conn.execute(query.order_by(AgreementRow.version.desc()).limit(1)).scalar()
    if policy is None:
        return ()
    owners = _json(policy).get("data_owners") or ()
    return tuple(o for o in owners if isinstance(o, str))


def _request(conn: Connection, rest: str) -> Owners:
    document = conn.execute(select(RequestRow.document).where(RequestRow.id == rest)).scalar()
    if document is None:
        return ()
    datasets = _json(document).get("datasets") or ()
    return tuple(
        sorted(
            {
                d["dataset"].split("/", 1)[0]
                for d in datasets
                if isinstance(d, dict) and isinstance(d.get("dataset"), str)
            }
        )
    )


def _via_agreement(conn: Connection, agreement_id: str | None) -> Owners:
    return _agreement(conn, agreement_id) if agreement_id else ()


def _share_token(conn: Connection, rest: str) -> Owners:
    query = select(ShareTokenRow.agreement_id).where(ShareTokenRow.id == rest)
    return _via_agreement(conn, conn.execute(query).scalar())


def _package(conn: Connection, rest: str) -> Owners:
    sent = select(PackageSentRow.agreement_id).where(PackageSentRow.transfer_id == rest)
    agreement_id = conn.execute(sent).scalar()
    if agreement_id is None:
        received = select(PackageReceivedRow.agreement_id).where(
            PackageReceivedRow.transfer_id == rest
        )
        agreement_id = conn.execute(received).scalar()
    return _via_agreement(conn, agreement_id)


def _batch_check(conn: Connection, rest: str) -> Owners:
    query = select(BatchCheckRow.organisation_id).where(BatchCheckRow.id == rest)
    org = conn.execute(query).scalar()
    return (org,) if org else ()


def _api_access(conn: Connection, path: str) -> Owners:
    """``GET /agreements/ag-1/query``: the owners of what the path names first."""
    path = path.split("?", 1)[0]
    for pattern, template in _API_PATHS:
        match = pattern.match(path)
        if match:
            return owners_of(conn, template.format(*match.groups()))
    return ()


def _json(text: str) -> dict[str, Any]:
    try:
        loaded = json.loads(text)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


_LOOKUPS: dict[str, Callable[[Connection, str], Owners]] = {
    "dataset": _dataset,
    "optouts": _optouts,
    "agreement": _agreement,
    "share": _agreement,
    "request": _request,
    "share-token": _share_token,
    "package": _package,
    "batch_check": _batch_check,
}


# -- parties: who may know an object exists ---------------------------------------

PRIVATE_KINDS: dict[str, str] = {
    "request": "request",
    "agreement": "agreement",
    "share-token": "share token",
    "package": "package",
    "batch_check": "batch validation check",
    "airlock": "output request",
    "principal": "principal",
    "token": "token",
}
"""Object kinds only their parties may know of, and the noun a "no such" answer uses.

Datasets and organisations are not here: the catalogue is open to every member.
"""


def parties_of(conn: Connection, obj: str) -> frozenset[str] | None:
    """The organisations party to a private object, or ``None`` if there is no such object.

    A party may be told why it is refused; anyone else is answered exactly as if the
    object did not exist (see :func:`accord.services.guard.refuse`).
    """
    kind = obj.partition(":")[0]
    ident = private_ident(obj)
    lookup = _PARTIES.get(kind)
    if lookup is None or not ident:
        return None
    parties = lookup(conn, ident)
    return None if parties is None else frozenset(p for p in parties if p)


Parties = set[str] | None


def _request_parties(conn: Connection, ident: str) -> Parties:
    query = select(RequestRow.requesting_organisation).where(RequestRow.id == ident)
    requester = conn.execute(query).scalar()
    return None if requester is None else {requester, *_request(conn, ident)}


def _agreement_parties_or_none(conn: Connection, ident: str) -> Parties:
    return _agreement_parties(conn, ident) or None


def _share_token_parties(conn: Connection, ident: str) -> Parties:
    query = select(ShareTokenRow.agreement_id, ShareTokenRow.principal_id).where(
        ShareTokenRow.id == ident
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    return _agreement_parties(conn, row.agreement_id) | _memberships(conn, row.principal_id)


def _package_parties(conn: Connection, ident: str) -> Parties:
    parties: set[str] = set()
    for table in (PackageSentRow, PackageReceivedRow):
        query = select(table.agreement_id, table.sender, table.recipient).where(
            table.transfer_id == ident
        )
        for agreement_id, sender, recipient in conn.execute(query):
            parties |= {sender, recipient, *_agreement_parties(conn, agreement_id)}
    return parties or None


def _batch_check_parties(conn: Connection, ident: str) -> Parties:
    query = select(BatchCheckRow.organisation_id, BatchCheckRow.requesters).where(
        BatchCheckRow.id == ident
    )
    for organisation, requesters in conn.execute(query):
        return {organisation, *(requesters or ())}
    return None


def _output_request_parties(conn: Connection, ident: str) -> Parties:
    query = select(OutputRequestRow.organisation_id).where(OutputRequestRow.id == ident)
    org = conn.execute(query).scalar()
    return None if org is None else {org}


def _principal_parties(conn: Connection, ident: str) -> Parties:
    known = select(PrincipalRow.id).where(PrincipalRow.id == ident)
    return None if conn.execute(known).first() is None else _memberships(conn, ident)


def _token_parties(conn: Connection, ident: str) -> Parties:
    principal = conn.execute(select(TokenRow.principal_id).where(TokenRow.id == ident)).scalar()
    return None if principal is None else _memberships(conn, principal)


_PARTIES: dict[str, Callable[[Connection, str], Parties]] = {
    "request": _request_parties,
    "agreement": _agreement_parties_or_none,
    "share-token": _share_token_parties,
    "package": _package_parties,
    "batch_check": _batch_check_parties,
    "airlock": _output_request_parties,
    "principal": _principal_parties,
    "token": _token_parties,
}


def private_ident(obj: str) -> str:
    """The id a caller sent for a private object: ``agreement:ag-1:v2`` -> ``ag-1``."""
    kind, _, rest = obj.partition(":")
    if kind == "agreement":
        return rest.split(":", 1)[0]
    if kind == "airlock":
        return rest.split("/", 1)[0]
    return rest


def _agreement_parties(conn: Connection, agreement_id: str) -> set[str]:
    policy = conn.execute(
        select(AgreementRow.policy)
        .where(AgreementRow.id == agreement_id)
        .order_by(AgreementRow.version.desc())
        .limit(1)
    ).scalar()
    if policy is None:
        return set()
    loaded = _json(policy)
    parties = {str(loaded.get("recipient") or "")}
    for key in ("data_owners", "processors"):
        parties |= {o for o in loaded.get(key) or () if isinstance(o, str)}
    return parties


def _memberships(conn: Connection, principal_id: str) -> set[str]:
    query = select(MembershipRow.organisation_id).where(MembershipRow.principal_id == principal_id)
    return set(conn.execute(query).scalars())
