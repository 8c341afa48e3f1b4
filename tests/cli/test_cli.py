"""The command line, run as a user would: init, organisations, people, tokens, datasets, audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from accord.cli.main import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("ACCORD_HOME", str(home))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    monkeypatch.delenv("ACCORD_MASTER_KEY", raising=False)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    return home


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_commands_before_init_say_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_HOME", str(tmp_path / "nowhere"))
    output = run("org", "list", code=78)
    assert "accord init" in output


def test_an_invalid_setting_fails_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ACCORD_HOME", str(tmp_path))
    monkeypatch.setenv("ACCORD_ENGINE", "oracle")
    output = run("org", "list", code=78)
    assert "ACCORD_ENGINE" in output


def test_a_whole_session(home: Path, tmp_path: Path) -> None:
    run(
        "org",
        "create",
        "dwp",
        "--name",
        "Department for Work and Pensions",
        "--kind",
        "government_department",
        "--assurance",
        "iso_27001:IS-1:2030-01-01",
    )
    run("org", "create", "nhse", "--name", "NHS England", "--kind", "health_body")
    orgs = json.loads(run("org", "list", "--json"))
    assert {o["id"] for o in orgs} == {"platform", "dwp", "nhse"}
    run("principal", "create", "alice", "--name", "Alice", "--role", "dwp:data_owner")
    output = run("token", "issue", "alice", "--ttl-days", "7")
    secret = output.strip().splitlines()[-1]
    assert secret.startswith("accord_")
    tokens = run("token", "list", "alice", "--json")
    assert secret not in tokens
    source = tmp_path / "carers.csv"
    source.write_text("nino,forename,postcode\nAB123456C,Mary,SW1A 1AA\nCE654321A,John,M1 1AE\n")
    output = run(
        "dataset",
        "register",
        "dwp/carers",
        str(source),
        "--description",
        "Carers",
        "--tag",
        "carers",
        "--type",
        "forename=given_name",
    )
    assert "version 1" in output
    shown = json.loads(run("dataset", "show", "dwp/carers", "--json"))
    assert shown["versions"][0]["row_count"] == 2
    assert {f["name"]: f["semantic_type"] for f in shown["fields"]}["nino"] == "nino"
    run("dataset", "classify", "dwp/carers", "postcode", "--category", "quasi_identifier")
    found = json.loads(run("dataset", "search", "carers", "--json"))
    assert [d["id"] for d in found] == ["dwp/carers"]
    bad = tmp_path / "bad.csv"
    bad.write_text("nino,forename,postcode\nAB123456C,Mary,SW1A 1AA\nQQ123456Z,John,M1 1AE\n")
    output = run("dataset", "ingest", "dwp/carers", str(bad), code=1)
    assert "row 3" in output
    assert "nino" in output
    events = json.loads(run("audit", "show", "--action", "dataset", "--json"))
    assert {e["action"] for e in events} >= {
        "dataset.register",
        "dataset.ingest",
        "dataset.classify",
    }
    assert any(e["decision"] == "deny" for e in events)
    assert json.loads(run("audit", "show", "--org", "dwp", "--json"))
    assert json.loads(run("audit", "show", "--actor", "nobody", "--json")) == []
    run("audit", "checkpoint")
    assert "ok" in run("audit", "verify")
    token_id = json.loads(tokens)[0]["id"]
    run("token", "revoke", token_id)
    assert json.loads(run("token", "list", "alice", "--json"))[0]["revoked_at"]
    revoked = json.loads(run("audit", "show", "--object", f"token:{token_id}", "--json"))
    assert [e["action"] for e in revoked] == ["token.revoke", "token.issue"]


def test_audit_verify_exits_non_zero_naming_the_event(home: Path) -> None:
    run("org", "create", "dwp", "--name", "DWP", "--kind", "government_department")
    run("principal", "create", "alice", "--role", "dwp:requester")
    engine = create_engine(f"sqlite:///{home / 'accord.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 2"))
    engine.dispose()
    output = run("audit", "verify", code=1)
    assert "event 2" in output
    report = json.loads(run("audit", "verify", "--json", code=1))
    assert report["first_bad_seq"] == 2


def test_bad_arguments_name_the_parameter(home: Path) -> None:
    assert "--assurance" in run(
        "org",
        "create",
        "x",
        "--name",
        "X",
        "--kind",
        "health_body",
        "--assurance",
        "nonsense",
        code=1,
    )
    assert "--role" in run("principal", "create", "p", "--role", "dwp", code=1)
    assert "ORG/NAME" in run("dataset", "show", "carers", code=1)
    assert "no dataset" in run("dataset", "show", "dwp/none", code=4)


def test_every_command_is_documented() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    import typer.main

    group = typer.main.get_group(app)
    for name, command in group.commands.items():
        sub = getattr(command, "commands", None)
        names = [f"accord {name} {s}" for s in sub] if sub else [f"accord {name}"]
        for full in names:
            assert full in docs, f"`{full}` is not in docs/cli.md"


def test_an_organisation_declares_its_areas(home: Path) -> None:
    output = run(
        "org",
        "create",
        "northshire",
        "--name",
        "Northshire County Council",
        "--kind",
        "local_authority",
        "--areas",
        "E06000001,e06000002",
    )
    assert "Serves E06000001, E06000002" in output

    def areas() -> list[str]:
        orgs = {o["id"]: o for o in json.loads(run("org", "list", "--json"))}
        return list(orgs["northshire"]["areas"])

    assert areas() == ["E06000001", "E06000002"]
    assert "E07000123" in run("org", "update", "northshire", "--areas", "E07000123")
    assert areas() == ["E07000123"]
    refused = run("org", "update", "northshire", "--areas", "Leeds", code=1)
    assert "areas: area 'Leeds'" in refused
    assert "E06000001" in refused
    assert areas() == ["E07000123"]
