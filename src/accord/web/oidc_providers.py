"""Organisations' identity providers: their configuration, and whom each may sign in.

Each provider is bound to one organisation and speaks only for it. Its configuration
(a JSON or YAML file named by ``ACCORD_OIDC_PROVIDERS``) says which claim names the
person (``sub`` or ``email``) and how the values of a claim such as ``groups`` map to
Accord roles, always roles *in its own organisation*: a mapping that names another
organisation is refused when the file is read.

:func:`admit` is the verdict, pure: given the provider, the ID token's claims and the
principal they name, it says who signs in and what changes, or why not. A provider
never signs in someone who holds a role in another organisation (their session would
carry it), and never leaves a session holding a role the provider did not assert:

* without ``provision``, the principal must exist, hold a role in the provider's
  organisation, and every role they hold there must be one the token asserts;
* with ``provision: true``, the provider's assertion *is* the principal's roles in its
  organisation: a missing principal is created, roles asserted are granted, roles no
  longer asserted are revoked, and nothing anywhere else is touched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from accord.core.identity import Principal, Role
from accord.errors import ConfigurationError

__all__ = [
    "Admission",
    "Provider",
    "Refusal",
    "admit",
    "load_providers",
    "principal_id_for",
]

_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_PRINCIPAL = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class Provider:
    id: str
    label: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    organisation: str
    principal_claim: str = "sub"
    principal_prefix: str = ""
    match_email: bool = False
    """Look the principal up by its email (the claim's value) instead of by id."""
    roles_claim: str = "groups"
    role_map: Mapping[str, Role] = field(default_factory=dict)
    provision: bool = False
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    redirect_uri: str = ""
    """The callback URL registered with the provider; empty means this service's own URL
    as the browser reached it (set it when the service is behind a proxy)."""


@dataclass(frozen=True, slots=True)
class Admission:
    principal_id: str
    roles: frozenset[Role]
    """The person's roles in the provider's organisation once signed in."""
    create: bool = False
    grant: frozenset[Role] = frozenset()
    revoke: frozenset[Role] = frozenset()
    name: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str
    """For the audit log; the person is told only that the sign-in was refused."""
    principal_id: str = ""


# -- reading the providers file ---------------------------------------------------------


def load_providers(path: Path, environ: Mapping[str, str]) -> list[Provider]:
    """Every provider in the file, validated; a bad entry is named with its field."""
    where = f"ACCORD_OIDC_PROVIDERS={str(path)!r}"
    if not path.is_file():
        raise ConfigurationError(f"{where}: there is no such file. Point it at a providers file.")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ConfigurationError(f"{where}: the file is larger than {MAX_FILE_BYTES} bytes")
    text = path.read_text(encoding="utf-8")
    try:
        raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{where}: the file is not valid JSON or YAML: {exc}") from exc
    entries = raw.get("providers") if isinstance(raw, dict) else raw
    if not isinstance(entries, list):
        raise ConfigurationError(f"{where}: expected a list of providers under `providers:`")
    providers = [_provider(f"{where}: providers[{i}]", e, environ) for i, e in enumerate(entries)]
    seen: set[str] = set()
    for provider in providers:
        if provider.id in seen:
            raise ConfigurationError(f"{where}: two providers have the id {provider.id!r}")
        seen.add(provider.id)
    return providers


def _provider(where: str, entry: object, environ: Mapping[str, str]) -> Provider:
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where}: expected a mapping of settings")

    def text(key: str, default: str | None = None) -> str:
        value = entry.get(key, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise ConfigurationError(f"{where}.{key}: required, as text")
        return value.strip()

    provider_id = text("id")
    if not _ID.fullmatch(provider_id):
        raise ConfigurationError(f"{where}.id: {provider_id!r} must be a-z, 0-9, '_' or '-'")
    where = f"{where} ({provider_id})"
    organisation = text("organisation")
    issuer = text("issuer").rstrip("/")
    parts = urlsplit(issuer)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        raise ConfigurationError(
            f"{where}.issuer: {issuer!r} must be an https:// URL (http:// only on loopback)"
        )
    secret = entry.get("client_secret", "")
    secret_env = entry.get("client_secret_env", "")
    if secret_env:
        secret = environ.get(str(secret_env), "")
        if not secret:
            raise ConfigurationError(
                f"{where}.client_secret_env: the environment variable {secret_env!r} is empty"
            )
    if not isinstance(secret, str) or not secret:
        raise ConfigurationError(
            f"{where}: set client_secret, or client_secret_env naming the variable holding it"
        )
    principal = entry.get("principal") or {}
    roles = entry.get("roles") or {}
    if not isinstance(principal, dict) or not isinstance(roles, dict):
        raise ConfigurationError(f"{where}: `principal` and `roles` must be mappings")
    match = principal.get("match", "id")
    if match not in ("id", "email"):
        raise ConfigurationError(f"{where}.principal.match: {match!r} is not `id` or `email`")
    provision = entry.get("provision", False)
    if not isinstance(provision, bool):
        raise ConfigurationError(f"{where}.provision: must be true or false")
    if provision and match == "email":
        raise ConfigurationError(
            f"{where}.provision: people are created by id: use principal.match: id with it"
        )
    prefix = str(principal.get("prefix", ""))
    if prefix and not _PRINCIPAL.fullmatch(prefix + "x"):
        raise ConfigurationError(
            f"{where}.principal.prefix: {prefix!r} is not a principal id's start"
        )
    scopes = entry.get("scopes", ["openid", "email", "profile"])
    if not isinstance(scopes, list) or "openid" not in scopes:
        raise ConfigurationError(f"{where}.scopes: a list that includes `openid`")
    return Provider(
        id=provider_id,
        label=text("label", provider_id) or provider_id,
        issuer=issuer,
        client_id=text("client_id"),
        client_secret=secret,
        organisation=organisation,
        principal_claim=str(principal.get("claim", "email" if match == "email" else "sub")),
        principal_prefix=prefix,
        match_email=match == "email",
        roles_claim=str(roles.get("claim", "groups")),
        role_map=_role_map(f"{where}.roles.map", roles.get("map") or {}, organisation),
        provision=provision,
        scopes=tuple(str(s) for s in scopes),
        redirect_uri=text("redirect_uri", ""),
    )


def _role_map(where: str, raw: object, organisation: str) -> dict[str, Role]:
    """``{claim value: role}``; a role may be written ``org:role`` only for the provider's
    own organisation: a provider grants roles nowhere else."""
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{where}: must map claim values to roles")
    mapped: dict[str, Role] = {}
    for value, role in raw.items():
        org, _, name = str(role).rpartition(":")
        if org and org != organisation:
            raise ConfigurationError(
                f"{where}.{value}: {role!r} names {org!r}, but this provider is bound to "
                f"{organisation!r} and may grant roles only there"
            )
        try:
            mapped[str(value)] = Role(name)
        except ValueError:
            raise ConfigurationError(
                f"{where}.{value}: {role!r} is not a role: one of "
                + ", ".join(r.value for r in Role)
            ) from None
    return mapped


# -- whom a provider may sign in --------------------------------------------------------


def principal_id_for(provider: Provider, claims: Mapping[str, Any]) -> str | None:
    """The principal id the claims name (by id mapping), or None if they name none."""
    value = claims.get(provider.principal_claim)
    if not isinstance(value, str) or not value:
        return None
    candidate = f"{provider.principal_prefix}{value}".lower()
    return candidate if _PRINCIPAL.fullmatch(candidate) else None


def asserted_roles(provider: Provider, claims: Mapping[str, Any]) -> frozenset[Role]:
    """The roles the token asserts, through the provider's map; other values are ignored."""
    values = claims.get(provider.roles_claim, [])
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, Sequence):
        return frozenset()
    return frozenset(
        provider.role_map[v] for v in values if isinstance(v, str) and v in provider.role_map
    )


def admit(
    provider: Provider,
    claims: Mapping[str, Any],
    principal: Principal | None,
    principal_id: str,
) -> Admission | Refusal:
    """Who signs in, and what changes in the provider's organisation; or why not.

    ``principal`` is the one the claims name (None when it does not exist), found by
    the caller under ``principal_id``.
    """
    org = provider.organisation
    mapped = asserted_roles(provider, claims)
    if principal is None:
        if not provider.provision:
            return Refusal(
                f"no principal {principal_id!r}: the provider {provider.id!r} does not create "
                "people (provision is off); an admin must create them first",
                principal_id,
            )
        if not mapped:
            return Refusal(f"the token asserts no role {provider.id!r} maps", principal_id)
        return Admission(
            principal_id,
            mapped,
            create=True,
            grant=mapped,
            name=str(claims.get("name") or principal_id)[:200],
            email=str(claims.get("email") or "")[:320],
        )
    elsewhere = sorted({m.organisation_id for m in principal.memberships} - {org})
    if elsewhere:
        return Refusal(
            f"{principal.id!r} holds roles in {', '.join(elsewhere)}: the provider "
            f"{provider.id!r} is bound to {org!r} and signs in only people whose every "
            "role is there",
            principal.id,
        )
    held = frozenset(m.role for m in principal.memberships if m.organisation_id == org)
    if provider.provision:
        if not mapped:
            return Refusal(f"the token asserts no role {provider.id!r} maps", principal.id)
        return Admission(principal.id, mapped, grant=mapped - held, revoke=held - mapped)
    if not held:
        return Refusal(f"{principal.id!r} holds no role in {org!r}", principal.id)
    unasserted = held - mapped
    if unasserted:
        return Refusal(
            f"{principal.id!r} holds {', '.join(sorted(unasserted))} in {org!r}, which the "
            f"provider {provider.id!r} does not assert for them",
            principal.id,
        )
    return Admission(principal.id, held)
