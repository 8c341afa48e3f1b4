"""Local accounts: argon2id passwords and TOTP codes, through the sign-in page.

Everything is real: the store, the master key that seals the TOTP secret, argon2, and
the pages over HTTP (TestClient). Time is the store's clock, moved by the tests.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from httpx import Response
from sqlalchemy import select
from typer.testing import CliRunner

from accord.cli.main import app as cli
from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.errors import NotFoundError, ValidationError
from accord.services import accounts as accounts_module
from accord.services.accounts import LOCKED, WRONG, AccountService, Enrolment, SignInRefused
from accord.services.app import Accord
from accord.settings import load_settings
from accord.store import AuditFilter
from accord.store.account_models import AccountRow
from accord.store.account_store import ACCOUNT_BOOKKEEPING, ACCOUNT_READ_METHODS, AccountStore
from accord.web.security import SESSION_COOKIE
from tests.web.conftest import Browser

PASSWORD = "correct horse battery staple"


@pytest.fixture
def accounts(web_accord: Accord) -> AccountService:
    return AccountService(web_accord.store, web_accord.keys, web_accord.platform_org)


@pytest.fixture
def lou(accounts: AccountService, web_accord: Accord) -> Enrolment:
    return accounts.create(web_accord.operator("test"), "leeds.officer", PASSWORD)


@pytest.fixture
def clock(web_accord: Accord) -> Iterator[list[datetime]]:
    """The store's clock, fixed at the start of a 30-second step and moved by the test."""
    base = web_accord.store.clock()
    now = [base.replace(second=5 if base.second < 30 else 35, microsecond=0)]
    web_accord.store.clock = lambda: now[0]  # type: ignore[method-assign]
    yield now
    web_accord.store.clock = lambda: datetime.now(base.tzinfo)  # type: ignore[method-assign]


def code_at(enrolment: Enrolment, when: datetime) -> str:
    return pyotp.TOTP(enrolment.secret).at(int(when.timestamp()))


def sign_in(
    browser: Browser, username: str, password: str, code: str, next_path: str = "/"
) -> Response:
    token = browser.csrf("/sign-in")
    return browser.post(
        "/sign-in",
        data={
            "csrf_token": token,
            "username": username,
            "password": password,
            "code": code,
            "next": next_path,
        },
        follow_redirects=False,
    )


def error_summary(page: Response) -> list[str]:
    summary = page.text.split('class="govuk-error-summary', 1)
    assert len(summary) == 2, "no error summary"
    return re.findall(r'<a href="#[^"]+">([^<]+)</a>', summary[1].split("</ul>", 1)[0])


def denials(accord: Accord) -> list[str]:
    events = accord.store.audit_events(
        AuditFilter(action="web.sign_in", decision="deny", newest_first=False)
    )
    return [e.reason for e in events]


def test_the_right_password_and_code_sign_in_and_go_on(
    browser: Browser, web_accord: Accord, lou: Enrolment, clock: list[datetime]
) -> None:
    answer = sign_in(browser, "leeds.officer", PASSWORD, code_at(lou, clock[0]), "/find-data?q=x")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/find-data?q=x"
    assert "Signed in as <strong>Lou Officer</strong>" in browser.get("/").text
    (event,) = web_accord.store.audit_events(AuditFilter(action="web.sign_in", decision="allow"))
    assert event.actor == "principal:leeds.officer"
    assert json.loads(event.details)["method"] == "password+totp"


def test_the_sign_in_page_shows_the_form_once_an_account_exists(
    browser: Browser, accounts: AccountService, web_accord: Accord
) -> None:
    # The demonstration world offers its list of people; no account exists yet.
    assert 'name="password"' not in browser.get("/sign-in").text
    accounts.create(web_accord.operator("test"), "dwp.dpo", PASSWORD)
    page = browser.get("/sign-in").text
    assert 'name="password"' in page
    assert 'autocomplete="one-time-code"' in page


def test_a_wrong_password_is_refused_with_one_message_and_recorded(
    browser: Browser, web_accord: Accord, lou: Enrolment, clock: list[datetime]
) -> None:
    answer = sign_in(browser, "leeds.officer", "not the password", code_at(lou, clock[0]))
    assert answer.status_code == 422
    assert error_summary(answer) == [WRONG]
    assert 'value="leeds.officer"' in answer.text, "the username is kept"
    assert "not the password" not in answer.text, "the password is never sent back"
    assert SESSION_COOKIE not in browser.cookies
    assert denials(web_accord) == ["wrong password"]


def test_a_wrong_code_is_refused(
    browser: Browser, web_accord: Accord, lou: Enrolment, clock: list[datetime]
) -> None:
    right = code_at(lou, clock[0])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    answer = sign_in(browser, "leeds.officer", PASSWORD, wrong)
    assert answer.status_code == 422
    assert error_summary(answer) == [WRONG]
    assert denials(web_accord) == ["wrong security code"]


def test_a_code_drifted_by_one_step_is_accepted_but_not_by_two(
    browser: Browser, second_browser: Browser, lou: Enrolment, clock: list[datetime]
) -> None:
    two_steps_ago = code_at(lou, clock[0] - timedelta(seconds=60))
    assert sign_in(browser, "leeds.officer", PASSWORD, two_steps_ago).status_code == 422
    one_step_ago = code_at(lou, clock[0] - timedelta(seconds=30))
    assert sign_in(second_browser, "leeds.officer", PASSWORD, one_step_ago).status_code == 303


def test_a_code_is_never_accepted_twice(
    browser: Browser,
    second_browser: Browser,
    web_accord: Accord,
    lou: Enrolment,
    clock: list[datetime],
) -> None:
    code = code_at(lou, clock[0])
    assert sign_in(browser, "leeds.officer", PASSWORD, code).status_code == 303
    # Someone who watched it typed, a moment later, within the same window.
    clock[0] += timedelta(seconds=10)
    replay = sign_in(second_browser, "leeds.officer", PASSWORD, code)
    assert replay.status_code == 422
    assert error_summary(replay) == [WRONG]
    assert denials(web_accord) == ["security code already used"]
    # An earlier step's code, still within the drift allowed, is no better.
    earlier = code_at(lou, clock[0] - timedelta(seconds=30))
    assert sign_in(second_browser, "leeds.officer", PASSWORD, earlier).status_code == 422
    # The next step's code works.
    clock[0] += timedelta(seconds=30)
    fresh = code_at(lou, clock[0])
    assert sign_in(second_browser, "leeds.officer", PASSWORD, fresh).status_code == 303


def test_an_unknown_username_answers_exactly_as_a_wrong_password(
    browser: Browser,
    web_accord: Accord,
    lou: Enrolment,
    clock: list[datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verified: list[str] = []
    real_verify = accounts_module._verify_hash

    def counted(password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(accounts_module, "_verify_hash", counted)
    code = code_at(lou, clock[0])
    known = sign_in(browser, "leeds.officer", "not the password", code)
    unknown = sign_in(browser, "leeds.nobody", "not the password", code)
    assert known.status_code == unknown.status_code == 422
    assert error_summary(known) == error_summary(unknown) == [WRONG]
    strip = lambda text: re.sub(r'value="[^"]*"', "", text)  # noqa: E731 - the username, token
    assert strip(known.text) == strip(unknown.text)
    # One argon2 verification each: the unknown user's against the dummy hash.
    assert len(verified) == 2
    assert verified[1] == accounts_module._dummy_hash()
    assert denials(web_accord) == ["wrong password", "no account with this username"]


def test_five_failures_in_15_minutes_lock_the_username(
    browser: Browser, web_accord: Accord, lou: Enrolment, clock: list[datetime]
) -> None:
    for _ in range(5):
        sign_in(browser, "leeds.officer", "guess guess guess", "000000")
        clock[0] += timedelta(seconds=30)
    # Now even the right password and code are refused, with the lockout's message.
    locked = sign_in(browser, "leeds.officer", PASSWORD, code_at(lou, clock[0]))
    assert locked.status_code == 422
    assert error_summary(locked) == [LOCKED]
    assert SESSION_COOKIE not in browser.cookies
    assert denials(web_accord)[-1] == "locked out: too many failed sign-ins"
    # An unknown username locks the same way, so the lockout says nothing about who exists.
    for _ in range(5):
        sign_in(browser, "leeds.nobody", "guess guess guess", "000000")
    assert error_summary(sign_in(browser, "leeds.nobody", "x", "000000")) == [LOCKED]
    # When the failures are 15 minutes old, the right details work again.
    clock[0] += timedelta(minutes=15)
    assert sign_in(browser, "leeds.officer", PASSWORD, code_at(lou, clock[0])).status_code == 303


def test_a_success_clears_earlier_failures(
    browser: Browser, second_browser: Browser, lou: Enrolment, clock: list[datetime]
) -> None:
    for _ in range(4):
        sign_in(browser, "leeds.officer", "guess guess guess", "000000")
    assert sign_in(browser, "leeds.officer", PASSWORD, code_at(lou, clock[0])).status_code == 303
    clock[0] += timedelta(seconds=30)
    sign_in(second_browser, "leeds.officer", "guess guess guess", "000000")
    clock[0] += timedelta(seconds=30)
    assert (
        sign_in(second_browser, "leeds.officer", PASSWORD, code_at(lou, clock[0])).status_code
        == 303
    )


def test_missing_answers_are_named_at_their_fields(browser: Browser, lou: Enrolment) -> None:
    answer = sign_in(browser, "", "", "")
    assert answer.status_code == 422
    assert error_summary(answer) == [
        "Enter your username",
        "Enter your password",
        "Enter the security code from your authenticator app",
    ]
    for field in ("username", "password", "code"):
        assert f'id="{field}-error"' in answer.text


def test_the_sign_in_form_needs_its_token(
    browser: Browser, web_accord: Accord, lou: Enrolment, clock: list[datetime]
) -> None:
    browser.get("/sign-in")
    answer = browser.post(
        "/sign-in",
        data={
            "csrf_token": "forged",
            "username": "leeds.officer",
            "password": PASSWORD,
            "code": code_at(lou, clock[0]),
        },
    )
    assert answer.status_code == 403
    assert SESSION_COOKIE not in browser.cookies
    assert denials(web_accord) == ["the form's security token is missing or out of date"]


def test_signing_in_replaces_a_planted_session(
    browser: Browser, lou: Enrolment, clock: list[datetime]
) -> None:
    planted = "attacker-chosen-session-value-0123456789"
    browser.cookies.set(SESSION_COOKIE, planted, domain="127.0.0.1")
    assert sign_in(browser, "leeds.officer", PASSWORD, code_at(lou, clock[0])).status_code == 303
    assert browser.cookies.get(SESSION_COOKIE) not in (None, planted)


def test_the_totp_secret_is_sealed_at_rest(web_accord: Accord, lou: Enrolment) -> None:
    with web_accord.store.engine.connect() as conn:
        row = conn.execute(select(AccountRow.__table__)).one()
    assert lou.secret.encode() not in row.totp_sealed
    assert row.password_hash.startswith("$argon2id$")
    assert lou.uri.startswith("otpauth://totp/Accord:leeds.officer?")
    assert f"secret={lou.secret}" in lou.uri


def test_a_new_totp_secret_retires_the_old_one(
    browser: Browser,
    second_browser: Browser,
    accounts: AccountService,
    web_accord: Accord,
    lou: Enrolment,
    clock: list[datetime],
) -> None:
    renewed = accounts.enrol_totp(web_accord.operator("test"), "leeds.officer")
    assert renewed.secret != lou.secret
    assert sign_in(browser, "leeds.officer", PASSWORD, code_at(lou, clock[0])).status_code == 422
    fresh = code_at(renewed, clock[0])
    assert sign_in(second_browser, "leeds.officer", PASSWORD, fresh).status_code == 303


def test_passwords_too_short_are_refused_naming_the_field(
    accounts: AccountService, web_accord: Accord
) -> None:
    with pytest.raises(ValidationError, match="password: must be at least 12"):
        accounts.create(web_accord.operator("test"), "dwp.dpo", "short")


def test_only_the_person_or_an_admin_sets_a_password(
    accounts: AccountService, web_accord: Accord, lou: Enrolment
) -> None:
    officer = web_accord.acting_as("leeds.officer", "test")
    accounts.set_password(officer, "leeds.officer", "a brand new passphrase")
    # Another organisation's person answers as a missing one would; the log says why.
    with pytest.raises(NotFoundError, match=r"no principal 'dwp\.dpo'"):
        accounts.set_password(officer, "dwp.dpo", "taken over by leeds")
    refused = web_accord.store.audit_events(AuditFilter(action="account.password", decision="deny"))
    assert [e.object for e in refused] == ["principal:dwp.dpo"]
    assert "password and security codes" in refused[0].reason


def test_the_command_line_creates_an_account_and_resets_its_totp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    monkeypatch.delenv("ACCORD_MASTER_KEY", raising=False)
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None, code: int = 0) -> str:
        result = runner.invoke(cli, list(args), input=stdin)
        assert result.exit_code == code, result.output
        return result.output

    run("init")
    run("org", "create", "leeds", "--name", "Leeds City Council", "--kind", "local_authority")
    run("principal", "create", "leeds.officer", "--role", "leeds:requester")
    created = run("account", "create", "leeds.officer", stdin=PASSWORD + "\n")
    uri = re.search(r"otpauth://totp/\S+", created)
    assert uri, created
    again = run("account", "create", "leeds.officer", stdin=PASSWORD + "\n", code=5)
    assert "already has an account" in again
    reset = run("account", "reset-totp", "leeds.officer")
    assert re.search(r"otpauth://totp/\S+", reset)[0] != uri[0]  # type: ignore[index]
    assert "must be at least 12" in run("account", "password", "leeds.officer", stdin="x\n", code=1)
    assert "no principal" in run("account", "create", "nobody", stdin=PASSWORD + "\n", code=4)


def test_every_change_to_an_account_takes_its_audit_event() -> None:
    public = {
        name
        for name, member in inspect.getmembers(AccountStore, inspect.isfunction)
        if not name.startswith("_") and name in vars(AccountStore)
    }
    assert public >= ACCOUNT_READ_METHODS | ACCOUNT_BOOKKEEPING
    for name in public - ACCOUNT_READ_METHODS - ACCOUNT_BOOKKEEPING:
        audit = inspect.signature(getattr(AccountStore, name)).parameters.get("audit")
        assert audit is not None, f"AccountStore.{name} changes state but takes no audit event"
        assert audit.default is inspect.Parameter.empty, f"{name}'s audit must be required"


def test_a_sign_in_form_too_large_is_refused_before_it_is_read(browser: Browser) -> None:
    token = browser.csrf("/sign-in")
    answer = browser.post(
        "/sign-in",
        data={"csrf_token": token, "username": "x" * 20_000, "password": "p", "code": "1"},
    )
    assert answer.status_code == 422
    assert "at most 10000 bytes" in answer.text


def test_an_account_on_either_store(store_url: str, tmp_path: Path) -> None:
    """The migration and the account store on SQLite and PostgreSQL alike."""
    settings = load_settings(
        {"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_DATABASE_URL": store_url}
    )
    accord = Accord.init(settings, operator="test")
    try:
        op = accord.operator("test")
        accord.identity.create_organisation(op, "leeds", "Leeds", OrgKind.LOCAL_AUTHORITY)
        accord.identity.create_principal(
            op, "lou", "Lou", PrincipalKind.PERSON, (Membership("leeds", Role.REQUESTER),)
        )
        accounts = AccountService(accord.store, accord.keys, accord.platform_org)
        enrolment = accounts.create(op, "lou", PASSWORD)
        code = code_at(enrolment, accord.store.clock())
        assert accounts.verify("lou", PASSWORD, code).id == "lou"
        with pytest.raises(SignInRefused):
            accounts.verify("lou", PASSWORD, code)
        assert accounts.any_accounts()
    finally:
        accord.close()
