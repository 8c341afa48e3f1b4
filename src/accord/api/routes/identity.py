"""Organisations, principals, roles and tokens."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, status

from accord.api.deps import AccordDep, CallerDep
from accord.api.schemas import (
    AreasIn,
    AssuranceIn,
    IssuedToken,
    MembershipIO,
    OrganisationIn,
    OrganisationOut,
    PrincipalIn,
    PrincipalOut,
    TokenIn,
    TokenOut,
)
from accord.core.identity import Assurance, Membership

router = APIRouter(tags=["identity"])


def _assurance(body: AssuranceIn) -> Assurance:
    return Assurance(body.scheme, body.reference, body.expires_on)


@router.get("/organisations", response_model=list[OrganisationOut])
def list_organisations(accord: AccordDep, caller: CallerDep) -> list[OrganisationOut]:
    """Every organisation, with its security assurance: public within the platform."""
    today = date.today()
    return [OrganisationOut.of(o, today) for o in accord.identity.list_organisations(caller)]


@router.post("/organisations", response_model=OrganisationOut, status_code=status.HTTP_201_CREATED)
def create_organisation(
    body: OrganisationIn, accord: AccordDep, caller: CallerDep
) -> OrganisationOut:
    """Register an organisation (platform admins only)."""
    org = accord.identity.create_organisation(
        caller,
        body.id,
        body.name,
        body.kind,
        tuple(_assurance(a) for a in body.assurances),
        tuple(body.areas),
    )
    return OrganisationOut.of(org, date.today())


@router.put("/organisations/{org_id}/areas", response_model=OrganisationOut)
def set_areas(org_id: str, body: AreasIn, accord: AccordDep, caller: CallerDep) -> OrganisationOut:
    """Replace the local authority districts an organisation serves (platform admins only)."""
    org = accord.identity.set_areas(caller, org_id, tuple(body.areas))
    return OrganisationOut.of(org, date.today())


@router.get("/organisations/{org_id}", response_model=OrganisationOut)
def get_organisation(org_id: str, accord: AccordDep, caller: CallerDep) -> OrganisationOut:
    return OrganisationOut.of(accord.identity.get_organisation(caller, org_id), date.today())


@router.post(
    "/organisations/{org_id}/assurances",
    response_model=OrganisationOut,
    status_code=status.HTTP_201_CREATED,
)
def add_assurance(
    org_id: str, body: AssuranceIn, accord: AccordDep, caller: CallerDep
) -> OrganisationOut:
    """Record a security certification or assured plan (platform admins only)."""
    org = accord.identity.add_assurance(caller, org_id, _assurance(body))
    return OrganisationOut.of(org, date.today())


@router.post("/principals", response_model=PrincipalOut, status_code=status.HTTP_201_CREATED)
def create_principal(body: PrincipalIn, accord: AccordDep, caller: CallerDep) -> PrincipalOut:
    """Create a person or service; the caller must administer every organisation named."""
    principal = accord.identity.create_principal(
        caller,
        body.id,
        body.name,
        body.kind,
        tuple(Membership(m.organisation, m.role) for m in body.roles),
        body.email,
    )
    return PrincipalOut.of(principal)


@router.get("/principals/{principal_id}", response_model=PrincipalOut)
def get_principal(principal_id: str, accord: AccordDep, caller: CallerDep) -> PrincipalOut:
    return PrincipalOut.of(accord.identity.get_principal(caller, principal_id))


@router.post(
    "/principals/{principal_id}/roles",
    response_model=PrincipalOut,
    status_code=status.HTTP_201_CREATED,
)
def grant_role(
    principal_id: str, body: MembershipIO, accord: AccordDep, caller: CallerDep
) -> PrincipalOut:
    principal = accord.identity.grant_role(
        caller, principal_id, Membership(body.organisation, body.role)
    )
    return PrincipalOut.of(principal)


@router.delete("/principals/{principal_id}/roles", response_model=PrincipalOut)
def revoke_role(
    principal_id: str, body: MembershipIO, accord: AccordDep, caller: CallerDep
) -> PrincipalOut:
    principal = accord.identity.revoke_role(
        caller, principal_id, Membership(body.organisation, body.role)
    )
    return PrincipalOut.of(principal)


@router.post(
    "/principals/{principal_id}/tokens",
    response_model=IssuedToken,
    status_code=status.HTTP_201_CREATED,
)
def issue_token(
    principal_id: str, body: TokenIn, accord: AccordDep, caller: CallerDep
) -> IssuedToken:
    """Issue a token. The secret is in this response only."""
    token, secret = accord.identity.issue_token(
        caller, principal_id, ttl_days=body.ttl_days, description=body.description
    )
    return IssuedToken(token=TokenOut.of(token), secret=secret)


@router.get("/principals/{principal_id}/tokens", response_model=list[TokenOut])
def list_tokens(principal_id: str, accord: AccordDep, caller: CallerDep) -> list[TokenOut]:
    return [TokenOut.of(t) for t in accord.identity.list_tokens(caller, principal_id)]


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: str, accord: AccordDep, caller: CallerDep) -> TokenOut:
    return TokenOut.of(accord.identity.revoke_token(caller, token_id))
