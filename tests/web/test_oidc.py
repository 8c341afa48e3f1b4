"""Sign-in through an organisation's identity provider, against a real one.

The provider is npm's ``oidc-provider`` (a certified OpenID Connect implementation)
started with ``node`` on loopback (``tests/web/oidc_provider.mjs``); Accord is a real
uvicorn server on another port. httpx plays the browser: it follows the redirects,
fills in the provider's login and consent forms, and carries the cookies, so the
authorization request, PKCE, the code exchange and the ID token are all real.

These tests skip, with the reason, only where ``node`` or the npm packages are missing;
under ``ACCORD_REQUIRE_BROWSER=1`` (as in CI) they fail instead.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from accord.api.app import create_app
from accord.api.local_server import running_server
from accord.core.identity import Membership, OrgKind, Principal, PrincipalKind, Role
from accord.errors import ConfigurationError
from accord.services.app import Accord
from accord.settings import load_settings
from accord.store import AuditFilter
from accord.store.account_store import AccountStore, OidcFlow
from accord.web.oidc import FLOW_LIFETIME, OidcError, OidcSignIn, check_claims, flow_id
from accord.web.oidc_providers import Admission, Provider, Refusal, admit, load_providers
from accord.web.security import SESSION_COOKIE
from tests.web.conftest import PEOPLE, Browser

ROOT = Path(__file__).parents[2]
SCRIPT = Path(__file__).parent / "oidc_provider.mjs"
NODE = shutil.which("node")
PACKAGE = ROOT / "web-assets" / "node_modules" / "oidc-provider" / "package.json"
REQUIRED = os.environ.get("ACCORD_REQUIRE_BROWSER") == "1"
MISSING = (
    "node is not installed"
    if NODE is None
    else "the npm package oidc-provider is not installed (run scripts/vendor-web-assets)"
    if not PACKAGE.exists()
    else ""
)
SECRET = "accord-test-client-secret-0123456789"

needs_node = pytest.mark.skipif(
    bool(MISSING) and not REQUIRED,
    reason=f"{MISSING}: these tests start a real OpenID Connect provider with node "
    "(set ACCORD_REQUIRE_BROWSER=1 to make this a failure)",
)

LEEDS_PEOPLE = {
    "lou": ("Lou Officer", (Membership("leeds", Role.REQUESTER),)),
    "lena": ("Lena Dpo", (Membership("leeds", Role.DPO),)),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _providers_file(path: Path, issuer: str) -> Path:
    common = {
        "issuer": issuer,
        "client_id": "accord",
        "client_secret_env": "ACCORD_TEST_OIDC_SECRET",
        "organisation": "leeds",
        "scopes": ["openid", "email", "profile", "groups"],
        "principal": {"claim": "sub"},
        "roles": {
            "claim": "groups",
            "map": {"accord-requester": "requester", "accord-dpo": "leeds:dpo"},
        },
    }
    path.write_text(
        json.dumps(
            {
                "providers": [
                    {"id": "leeds", "label": "Leeds City Council", **common},
                    {
                        "id": "leeds-jit",
                        "label": "Leeds City Council (new staff)",
                        "provision": True,
                        **common,
                    },
                ]
            }
        )
    )
    return path


@dataclass
class World:
    accord: Accord
    base: str
    issuer: str
    providers: Path


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    if MISSING:
        pytest.fail(f"ACCORD_REQUIRE_BROWSER=1 but {MISSING}")
    monkeypatch.setenv("ACCORD_TEST_OIDC_SECRET", SECRET)
    issuer = f"http://127.0.0.1:{_free_port()}"
    providers = _providers_file(tmp_path / "providers.json", issuer)
    settings = load_settings(
        {
            "ACCORD_HOME": str(tmp_path / "home"),
            "ACCORD_OIDC_PROVIDERS": str(providers),
        }
    )
    accord = Accord.init(settings, operator="test")
    op = accord.operator("test")
    for org, name, kind in (
        ("dwp", "Department for Work and Pensions", OrgKind.GOVERNMENT_DEPARTMENT),
        ("leeds", "Leeds City Council", OrgKind.LOCAL_AUTHORITY),
        ("hmrc", "HM Revenue and Customs", OrgKind.GOVERNMENT_DEPARTMENT),
    ):
        accord.identity.create_organisation(op, org, name, kind)
    for pid, (name, roles) in {**PEOPLE, **LEEDS_PEOPLE}.items():
        accord.identity.create_principal(op, pid, name, PrincipalKind.PERSON, roles)
    try:
        with running_server(accord) as base:
            callbacks = [f"{base}/sign-in/oidc/{p}/callback" for p in ("leeds", "leeds-jit")]
            port = urlsplit(issuer).port
            assert NODE is not None
            log = tmp_path / "oidc-provider.log"
            with log.open("wb") as output:
                node = subprocess.Popen(
                    [NODE, str(SCRIPT), str(port), SECRET, *callbacks],
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            try:
                _wait_for(f"{issuer}/.well-known/openid-configuration", node, log)
                yield World(accord, base, issuer, providers)
            finally:
                node.terminate()
                try:
                    node.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    node.kill()
                    node.wait()
    finally:
        accord.close()


def _wait_for(url: str, node: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.poll() is not None:
            raise RuntimeError(f"the OpenID Connect provider exited: {log.read_text()}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the OpenID Connect provider did not answer at {url}")


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def start_sign_in(browser: httpx.Client, world: World, provider: str, next_path: str) -> str:
    """From Accord's sign-in page through the provider's forms; the callback URL the
    provider sends the browser back to (not yet followed)."""
    page = browser.get(f"{world.base}/sign-in")
    token = _CSRF.search(page.text)
    assert token, page.text
    return submit_start(browser, world, provider, token[1], next_path)


def submit_start(
    browser: httpx.Client, world: World, provider: str, token: str, next_path: str
) -> str:
    answer = browser.post(
        f"{world.base}/sign-in/oidc/{provider}", data={"csrf_token": token, "next": next_path}
    )
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(world.issuer + "/auth?"), location
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"]
    for parameter in ("state", "nonce", "code_challenge"):
        assert query[parameter][0], parameter
    return location


def at_provider(browser: httpx.Client, world: World, location: str, login: str) -> str:
    """Follow the provider: its login form (any password), its consent form, back."""
    for _ in range(12):
        answer = browser.get(location)
        while answer.status_code in (302, 303):
            location = urljoin(str(answer.url), answer.headers["location"])
            if location.startswith(world.base):
                return location
            answer = browser.get(location)
        form = re.search(r'<form[^>]*action="([^"]+)"', answer.text)
        assert form, answer.text
        action = urljoin(str(answer.url), form[1])
        prompt = re.search(r'name="prompt" value="([^"]+)"', answer.text)
        data = {"prompt": prompt[1] if prompt else ""}
        if data["prompt"] == "login":
            data |= {"login": login, "password": "anything"}
        answer = browser.post(action, data=data)
        assert answer.status_code in (302, 303), answer.text
        location = urljoin(str(answer.url), answer.headers["location"])
        if location.startswith(world.base):
            return location
    raise AssertionError("the provider never sent the browser back")


def sign_in(
    browser: httpx.Client, world: World, login: str, next_path: str = "/", provider: str = "leeds"
) -> tuple[str, httpx.Response]:
    callback = at_provider(
        browser, world, start_sign_in(browser, world, provider, next_path), login
    )
    return callback, browser.get(callback)


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False, timeout=30.0) as client:
        yield client


def signed_in_as(browser: httpx.Client, world: World) -> str:
    found = re.search(r"Signed in as <strong>([^<]+)</strong>", browser.get(f"{world.base}/").text)
    return found[1] if found else ""


def refusals(world: World) -> list[str]:
    events = world.accord.store.audit_events(
        AuditFilter(action="web.sign_in", decision="deny", newest_first=False)
    )
    return [e.reason for e in events]


def real_provider(test):  # type: ignore[no-untyped-def]
    """For the tests that start the provider (and a real Accord server)."""
    return pytest.mark.integration(needs_node(test))


@real_provider
def test_a_person_signs_in_through_their_organisation_and_goes_on(
    browser: httpx.Client, world: World
) -> None:
    planted = "attacker-chosen-session-value-0123456789"
    browser.cookies.set(SESSION_COOKIE, planted, domain="127.0.0.1")
    callback, landed = sign_in(browser, world, "lena", "/accessibility?from=sign-in")
    assert landed.status_code == 303, landed.text
    assert landed.headers["location"] == "/accessibility?from=sign-in"
    assert "code=" in callback
    assert "state=" in callback
    assert signed_in_as(browser, world) == "Lena Dpo"
    page = browser.get(f"{world.base}/").text
    assert "data protection officer at <strong>Leeds City Council</strong>" in page
    # A new session, never the one planted before sign-in.
    session = browser.cookies.get(SESSION_COOKIE)
    assert session
    assert session != planted
    assert "HttpOnly" in landed.headers["set-cookie"]
    (event,) = world.accord.store.audit_events(AuditFilter(action="web.sign_in", decision="allow"))
    assert event.actor == "principal:lena"
    assert json.loads(event.details)["method"] == "oidc:leeds"
    assert "dpo at leeds" in json.loads(event.details)["via"]


@real_provider
def test_the_planted_session_signs_nobody_in(browser: httpx.Client, world: World) -> None:
    planted = "attacker-chosen-session-value-0123456789"
    browser.cookies.set(SESSION_COOKIE, planted, domain="127.0.0.1")
    sign_in(browser, world, "lou")
    with httpx.Client() as attacker:
        attacker.cookies.set(SESSION_COOKIE, planted, domain="127.0.0.1")
        assert "Signed in as" not in attacker.get(f"{world.base}/").text


@real_provider
def test_a_tampered_state_is_refused(browser: httpx.Client, world: World) -> None:
    location = start_sign_in(browser, world, "leeds", "/")
    callback = at_provider(browser, world, location, "lou")
    parts = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["state"] = query["state"][:-2] + ("AA" if not query["state"].endswith("AA") else "BB")
    tampered = urlunsplit(parts._replace(query=urlencode(query)))
    answer = browser.get(tampered)
    assert answer.status_code == 403
    assert "You could not be signed in" in answer.text
    assert SESSION_COOKIE not in browser.cookies
    assert refusals(world) == ["unknown, expired or already used sign-in state"]


@real_provider
def test_a_replayed_callback_is_refused(browser: httpx.Client, world: World) -> None:
    callback, landed = sign_in(browser, world, "lou")
    assert landed.status_code == 303
    with httpx.Client(follow_redirects=False) as thief:
        replay = thief.get(callback)
        assert replay.status_code == 403
        assert SESSION_COOKIE not in thief.cookies
    assert refusals(world) == ["unknown, expired or already used sign-in state"]


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/", "/\\evil.example"])
@real_provider
def test_after_sign_in_the_browser_stays_on_this_service(
    browser: httpx.Client, world: World, target: str
) -> None:
    _, landed = sign_in(browser, world, "lou", target)
    assert landed.status_code == 303
    assert landed.headers["location"] == "/"


@real_provider
def test_a_provider_bound_to_leeds_does_not_sign_in_a_dwp_person(
    browser: httpx.Client, world: World
) -> None:
    before = world.accord.store.get_principal("dwp.dpo").memberships
    for provider in ("leeds", "leeds-jit"):
        _, answer = sign_in(browser, world, "dwp.dpo", provider=provider)
        assert answer.status_code == 403, answer.text
        assert SESSION_COOKIE not in browser.cookies
    reasons = refusals(world)
    assert len(reasons) == 2
    assert all("holds roles in dwp" in r and "bound to 'leeds'" in r for r in reasons)
    # Provisioning created nothing and granted nothing: not in leeds, not in dwp.
    assert world.accord.store.get_principal("dwp.dpo").memberships == before
    denied = world.accord.store.audit_events(
        AuditFilter(actor="principal:dwp.dpo", action="web.sign_in", decision="deny")
    )
    assert len(denied) == 2


@real_provider
def test_a_provider_never_leaves_a_role_it_did_not_assert(
    browser: httpx.Client, world: World
) -> None:
    # "nobody" does not exist here and this provider creates nobody: refused.
    _, answer = sign_in(browser, world, "nobody")
    assert answer.status_code == 403
    assert "no principal 'nobody'" in refusals(world)[-1]
    # Lou is a requester and, now, a legal adviser here; the provider asserts only
    # requester: the session would carry a role the provider did not vouch for.
    op = world.accord.operator("test")
    world.accord.identity.grant_role(op, "lou", Membership("leeds", Role.LEGAL))
    with httpx.Client(follow_redirects=False, timeout=30.0) as lous_browser:
        _, answer = sign_in(lous_browser, world, "lou")
    assert answer.status_code == 403
    assert (
        "holds legal in 'leeds', which the provider 'leeds' does not assert" in refusals(world)[-1]
    )


@real_provider
def test_a_provisioning_provider_creates_the_person_in_its_organisation_only(
    browser: httpx.Client, world: World
) -> None:
    _, landed = sign_in(browser, world, "newbie", "/", provider="leeds-jit")
    assert landed.status_code == 303, landed.text
    assert signed_in_as(browser, world) == "New Person"
    newbie = world.accord.store.get_principal("newbie")
    assert newbie.memberships == frozenset({Membership("leeds", Role.REQUESTER)})
    assert newbie.email == "newbie@leeds.example"
    (created,) = world.accord.store.audit_events(
        AuditFilter(action="principal.create", object="principal:newbie")
    )
    assert created.actor == "idp:leeds-jit"
    assert created.organisation == "leeds"


@real_provider
def test_the_start_needs_the_form_token(browser: httpx.Client, world: World) -> None:
    browser.get(f"{world.base}/sign-in")
    answer = browser.post(
        f"{world.base}/sign-in/oidc/leeds", data={"csrf_token": "forged", "next": "/"}
    )
    assert answer.status_code == 403
    assert "location" not in answer.headers


@real_provider
def test_the_sign_in_page_offers_each_provider(browser: httpx.Client, world: World) -> None:
    page = browser.get(f"{world.base}/sign-in").text
    assert "Sign in with Leeds City Council" in page
    assert 'action="/sign-in/oidc/leeds"' in page
    assert browser.get(f"{world.base}/sign-in/oidc/nowhere/callback").status_code == 404


@real_provider
def test_a_sign_in_left_too_long_at_the_provider_is_refused(
    browser: httpx.Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    callback = at_provider(browser, world, start_sign_in(browser, world, "leeds", "/"), "lou")
    later = world.accord.store.clock() + FLOW_LIFETIME + timedelta(seconds=1)
    monkeypatch.setattr(world.accord.store, "clock", lambda: later)
    assert browser.get(callback).status_code == 403
    assert refusals(world) == ["unknown, expired or already used sign-in state"]


@real_provider
def test_an_id_token_not_signed_by_the_provider_is_refused(world: World) -> None:
    provider = load_providers(world.providers, {"ACCORD_TEST_OIDC_SECRET": SECRET})[0]
    sign_in = OidcSignIn(provider, AccountStore(world.accord.store))
    published = httpx.get(f"{world.issuer}/jwks").json()["keys"][0]
    now = int(time.time())
    claims = {
        "iss": world.issuer,
        "aud": "accord",
        "sub": "lena",
        "nonce": "n",
        "iat": now,
        "exp": now + 300,
    }
    # Our own key, under the kid of the provider's: the signature cannot verify.
    forged = jwt.encode(
        {"alg": "RS256", "kid": published["kid"]}, claims, RSAKey.generate_key(2048)
    )
    with pytest.raises(OidcError, match="signature does not verify"):
        sign_in.check_id_token(forged, "n")
    unsigned = ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
        for part in ({"alg": "none"}, claims)
    )
    with pytest.raises(OidcError, match="signature does not verify"):
        sign_in.check_id_token(unsigned + ".", "n")


# -- the ID token's claims, the providers file: no provider needed ---------------------

GOOD = {"iss": "https://idp.example", "aud": "accord", "sub": "lou", "nonce": "n"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({}, ""),
        ({"iss": "https://other.example"}, "iss is"),
        ({"aud": "someone-else"}, "does not include 'accord'"),
        ({"aud": ["accord", "other"]}, "azp None is not 'accord'"),
        ({"aud": ["accord", "other"], "azp": "accord"}, ""),
        ({"exp": 1000 - 61}, "has expired"),
        ({"iat": 1000 + 61}, "issued in the future"),
        ({"iat": None}, "has no iat"),
        ({"nonce": "replayed"}, "nonce is not this sign-in's"),
        ({"nonce": None}, "nonce is not this sign-in's"),
        ({"sub": ""}, "no sub claim"),
    ],
)
def test_the_id_token_claims_are_checked(change: dict[str, object], message: str) -> None:
    claims = {**GOOD, "iat": 990, "exp": 1300, **change}
    claims = {k: v for k, v in claims.items() if v is not None}
    if not message:
        check_claims(claims, "https://idp.example", "accord", "n", now=1000.0)
        return
    with pytest.raises(OidcError, match=re.escape(message)):
        check_claims(claims, "https://idp.example", "accord", "n", now=1000.0)


def test_a_provider_that_does_not_answer_gets_a_clear_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_TEST_OIDC_SECRET", SECRET)
    providers = _providers_file(tmp_path / "providers.json", f"http://127.0.0.1:{_free_port()}")
    settings = load_settings(
        {"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_OIDC_PROVIDERS": str(providers)}
    )
    accord = Accord.init(settings, operator="test")
    try:
        accord.identity.create_organisation(
            accord.operator("test"), "leeds", "Leeds City Council", OrgKind.LOCAL_AUTHORITY
        )
        with Browser(create_app(accord), base_url="http://127.0.0.1") as client:
            token = client.csrf("/sign-in")
            answer = client.post("/sign-in/oidc/leeds", data={"csrf_token": token})
        assert answer.status_code == 502
        assert "Sorry, you cannot sign in that way at the moment" in answer.text
        (event,) = accord.store.audit_events(AuditFilter(action="web.sign_in", decision="deny"))
        assert "did not answer" in event.reason
    finally:
        accord.close()


def test_a_provider_bound_to_an_unknown_organisation_stops_the_service_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_TEST_OIDC_SECRET", SECRET)
    providers = _providers_file(tmp_path / "providers.json", "https://idp.example")
    settings = load_settings(
        {"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_OIDC_PROVIDERS": str(providers)}
    )
    accord = Accord.init(settings, operator="test")
    try:
        with pytest.raises(ConfigurationError, match="bound to 'leeds', which is not"):
            create_app(accord)
    finally:
        accord.close()


def test_a_provider_may_not_map_a_role_in_another_organisation(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(
        "providers:\n"
        "  - id: leeds\n"
        "    issuer: https://login.leeds.example\n"
        "    client_id: accord\n"
        "    client_secret: s\n"
        "    organisation: leeds\n"
        "    roles:\n"
        "      map: {accord-dpo: 'dwp:dpo'}\n"
    )
    with pytest.raises(ConfigurationError, match="names 'dwp', but this provider is bound"):
        load_providers(path, {})


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("issuer: http://login.leeds.example", "must be an https:// URL"),
        ("client_secret_env: NOT_SET", "'NOT_SET' is empty"),
        ("roles: {map: {x: overlord}}", "'overlord' is not a role"),
        ("principal: {match: email}\n    provision: true", "use principal.match: id"),
    ],
)
def test_a_bad_providers_file_names_the_field(tmp_path: Path, entry: str, message: str) -> None:
    fields = {
        "id": "leeds",
        "issuer": "https://login.leeds.example",
        "client_id": "accord",
        "client_secret": "s",
        "organisation": "leeds",
    }
    key = entry.split(":", 1)[0]
    if key == "client_secret_env":
        fields.pop("client_secret")
    if key in fields:
        fields.pop(key)
    lines = [f"    {k}: {v}" for k, v in fields.items()] + [f"    {entry}"]
    path = tmp_path / "providers.yaml"
    path.write_text("providers:\n  -" + "\n".join(lines)[3:] + "\n")
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        load_providers(path, {})


LEEDS = Provider(
    id="leeds",
    label="Leeds",
    issuer="https://idp.example",
    client_id="accord",
    client_secret="s",
    organisation="leeds",
    role_map={"accord-dpo": Role.DPO, "accord-requester": Role.REQUESTER},
)


def person(*memberships: Membership) -> Principal:
    return Principal("p", "P", PrincipalKind.PERSON, memberships=frozenset(memberships))


@pytest.mark.parametrize(
    ("provision", "principal", "groups", "expected"),
    [
        (False, person(Membership("leeds", Role.DPO)), ["accord-dpo", "x"], {Role.DPO}),
        (False, person(Membership("leeds", Role.DPO)), ["accord-requester"], "does not assert"),
        (False, person(Membership("dwp", Role.DPO)), ["accord-dpo"], "holds roles in dwp"),
        (
            False,
            person(Membership("leeds", Role.DPO), Membership("dwp", Role.LEGAL)),
            ["accord-dpo"],
            "holds roles in dwp",
        ),
        (False, person(Membership("dwp", Role.DPO)), [], "holds roles in dwp"),
        (False, None, ["accord-dpo"], "does not create people"),
        (True, None, ["accord-dpo"], {Role.DPO}),
        (True, None, ["staff"], "asserts no role"),
        (True, person(Membership("dwp", Role.DPO)), ["accord-dpo"], "holds roles in dwp"),
        (
            True,
            person(Membership("leeds", Role.REQUESTER)),
            ["accord-dpo"],
            {Role.DPO},
        ),
    ],
)
def test_what_a_provider_bound_to_leeds_admits(
    provision: bool, principal: Principal | None, groups: list[str], expected: object
) -> None:
    provider = dataclasses.replace(LEEDS, provision=provision)
    verdict = admit(provider, {"sub": "p", "groups": groups}, principal, "p")
    if isinstance(expected, str):
        assert isinstance(verdict, Refusal)
        assert expected in verdict.reason
        return
    assert isinstance(verdict, Admission)
    assert verdict.roles == expected
    if provision and principal is not None:
        assert verdict.grant == {Role.DPO}
        assert verdict.revoke == {Role.REQUESTER}


def test_sign_ins_under_way_are_bounded_and_taken_once(tmp_path: Path) -> None:
    accord = Accord.init(load_settings({"ACCORD_HOME": str(tmp_path / "home")}), operator="t")
    try:
        flows = AccountStore(accord.store)
        now = accord.store.clock()

        def flow(state: str, at: datetime) -> OidcFlow:
            return OidcFlow(
                flow_id(state), "leeds", "n", "v" * 43, "/", "cb", at, at + FLOW_LIFETIME
            )

        assert flows.open_oidc_flow(flow("a", now), most=2)
        assert flows.open_oidc_flow(flow("b", now), most=2)
        assert not flows.open_oidc_flow(flow("c", now), most=2), "a third waits for room"
        assert flows.take_oidc_flow(flow_id("a"), "other-provider", now) is None
        assert flows.take_oidc_flow(flow_id("a"), "leeds", now) is not None
        assert flows.take_oidc_flow(flow_id("a"), "leeds", now) is None, "taken once"
        assert flows.open_oidc_flow(flow("c", now), most=2), "a flow taken makes room"
        # Expired flows are cleared when the next one opens, and make room too.
        later = now + FLOW_LIFETIME + timedelta(seconds=1)
        assert flows.take_oidc_flow(flow_id("b"), "leeds", later) is None, "expired"
        assert flows.open_oidc_flow(flow("d", later), most=1)
    finally:
        accord.close()
