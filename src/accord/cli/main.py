"""The ``accord`` command: one Typer app over the same services as the REST API."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.accounts import account_app
from accord.cli.audit import audit_app
from accord.cli.catalogue import dataset_app
from accord.cli.changefeed import changes_app
from accord.cli.client_keys import client_key_app
from accord.cli.common import console, fail, handles_errors, table
from accord.cli.disclosure import airlock_app, batch_app, stats_app
from accord.cli.erasure import erasure_app
from accord.cli.governance import (
    agreement_app,
    governance_app,
    register_command,
    request_app,
    review_app,
)
from accord.cli.identity import org_app, principal_app, token_app
from accord.cli.inbound import inbound_app
from accord.cli.lifecycle import retention_app
from accord.cli.link import link_command
from accord.cli.link_agreement import link_agreement_command
from accord.cli.notices import notices_app
from accord.cli.outcomes import outcomes_app, recall_app
from accord.cli.plane import check_command, extract_command, optout_app, query_command
from accord.cli.records import records_app
from accord.cli.referrals import subcontractor_app
from accord.cli.reviews import reviews_app
from accord.cli.sharing import share_app
from accord.cli.synth import synth_command
from accord.cli.transfer import org_keys_command, org_rotate_keys_command, package_app
from accord.cli.witness import witness_app
from accord.settings import SETTINGS, load_settings

app = typer.Typer(
    name="accord",
    help="Accord: lawful, governed sharing of personal data between public-sector organisations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(org_app, name="org")
app.add_typer(principal_app, name="principal")
app.add_typer(token_app, name="token")
app.add_typer(client_key_app, name="client-key")
app.add_typer(account_app, name="account")
app.add_typer(dataset_app, name="dataset")
app.add_typer(audit_app, name="audit")
app.add_typer(witness_app, name="witness")
app.add_typer(request_app, name="request")
app.add_typer(review_app, name="review")
app.add_typer(agreement_app, name="agreement")
app.add_typer(governance_app, name="governance")
app.command("register")(register_command)
app.add_typer(optout_app, name="optout")
app.command("extract")(extract_command)
app.command("query")(query_command)
app.command("check")(check_command)
app.add_typer(stats_app, name="stats")
app.add_typer(batch_app, name="batch")
app.add_typer(airlock_app, name="airlock")
app.command("link")(link_command)
app.add_typer(share_app, name="share")
org_app.command("keys")(org_keys_command)
org_app.command("rotate-keys")(org_rotate_keys_command)
app.add_typer(package_app, name="package")
app.command("link-agreement")(link_agreement_command)
app.add_typer(retention_app, name="retention")
app.add_typer(notices_app, name="notices")
app.add_typer(records_app, name="records")
app.add_typer(inbound_app, name="inbound")
app.add_typer(changes_app, name="changes")
app.add_typer(outcomes_app, name="outcomes")
app.add_typer(recall_app, name="recall")
app.add_typer(reviews_app, name="reviews")
app.add_typer(erasure_app, name="erasure")
app.add_typer(subcontractor_app, name="subcontractor")


@app.command("init")
@handles_errors
def init() -> None:
    """Create ACCORD_HOME (keys, store schema, platform organisation) or bring it up to date."""
    from accord.services.app import Accord

    accord = Accord.init(load_settings())
    settings = accord.settings
    store = settings.sqlite_path or accord.store.engine.url.render_as_string(hide_password=True)
    console.print(f"Accord home ready at [bold]{settings.home}[/]")
    console.print(f"  store: {store}", highlight=False)
    console.print(
        f"  audit key: {accord.keys.public_key('audit-checkpoint').public_bytes_raw().hex()[:16]}…"
    )
    accord.close()


@app.command("settings")
@handles_errors
def show_settings() -> None:
    """List every setting Accord reads from the environment, with its help."""
    table(
        "Settings",
        ["variable", "default", "meaning"],
        [(s.name, s.default or "(empty)", s.help) for s in SETTINGS],
    )


@app.command("serve")
@handles_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    tls_cert: Annotated[
        Path | None,
        typer.Option(
            "--tls-cert",
            help="PEM certificate chain to present: serve https only, TLS 1.2 at least "
            "(default: ACCORD_TLS_CERT).",
        ),
    ] = None,
    tls_key: Annotated[
        Path | None,
        typer.Option(
            "--tls-key",
            help="PEM private key of --tls-cert, unencrypted, mode 0600 (default: ACCORD_TLS_KEY).",
        ),
    ] = None,
    tls_client_ca: Annotated[
        Path | None,
        typer.Option(
            "--tls-client-ca",
            help="PEM CA certificates that sign client certificates: mutual TLS "
            "(default: ACCORD_TLS_CLIENT_CA).",
        ),
    ] = None,
    tls_client_cert: Annotated[
        str | None,
        typer.Option(
            "--tls-client-cert",
            help="With --tls-client-ca: required or optional (default: "
            "ACCORD_TLS_CLIENT_CERT, required).",
        ),
    ] = None,
) -> None:
    """Serve the web service (open http://HOST:PORT/, or https:// with --tls-cert and
    --tls-key) and the REST API (OpenAPI at /openapi.json, documentation at /docs) over
    the home's store. With --tls-client-ca, clients must also present a certificate that
    CA signed (mutual TLS); docs/tls.md says what each check stops."""
    import uvicorn

    from accord.api.app import create_app
    from accord.api.tls import base_url, server_config, tls_config
    from accord.services.app import Accord

    settings = load_settings()
    tls = tls_config(
        settings, cert=tls_cert, key=tls_key, client_ca=tls_client_ca, client_cert=tls_client_cert
    )
    accord = Accord.open(settings)
    config = server_config(create_app(accord), host=host, port=port, tls=tls, log_level="info")
    url = base_url(host, port, tls=tls is not None)
    mutual = f", client certificates {tls.client_cert} (mutual TLS)" if tls and tls.mutual else ""
    console.print(f"Serving Accord at {url}/{mutual}. Press Ctrl-C to stop.", highlight=False)
    if tls is None and host not in LOOPBACK:
        console.print(
            f"[red]Warning:[/] {host} is not a loopback interface and this server speaks "
            "plain http: tokens and data would cross the network in clear. Serve with "
            "--tls-cert and --tls-key (docs/tls.md)."
        )
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a server is stopped
            uvicorn.Server(config).run()
    finally:
        accord.close()


LOOPBACK = ("127.0.0.1", "localhost", "::1")

DEMOS = ("foundation", "carers", "worklessness", "trust", "provider")


@app.command("demo")
@handles_errors
def demo(
    scenario: Annotated[
        str,
        typer.Argument(
            help="foundation (the default), carers (seed 000), worklessness (seed 001), "
            "trust (seed 002) or provider (seed 003)."
        ),
    ] = "foundation",
    scale: Annotated[
        float | None,
        typer.Option(
            min=0.0001,
            max=1.0,
            help="carers, trust, provider: the population scale (0.002, 0.0005, 0.001).",
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="carers, trust: the synthetic population's seed.")
    ] = 2021,
    as_json: Annotated[
        bool, typer.Option("--json", help="carers, trust, provider: print the report as JSON.")
    ] = False,
    keep: Annotated[
        bool, typer.Option(help="Keep the temporary home and print where it is.")
    ] = False,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="carers: build the world (datasets published, the people ready, nothing "
            "decided) in a kept home and serve the web service over it, signing in by "
            "choosing a person, until Ctrl-C.",
        ),
    ] = False,
    host: Annotated[str, typer.Option(help="--serve: the interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="--serve: the port.")] = 8000,
) -> None:
    """Run a demo in a fresh temporary home: by default the foundation (organisations, a
    dataset, the catalogue, governance and the audit verification); `carers` runs seed 000
    end to end with timings and linkage quality; `worklessness` runs seed 001; `trust` runs
    seed 002, departments reading each other's data in place over Delta Sharing;
    `provider` runs seed 003, referrals to a provider and the lifecycle after sharing;
    `carers --serve` opens seed 000's world in a browser instead."""
    if serve and scenario != "carers":
        fail("--serve opens the carers demo's world (seed 000): run `accord demo carers --serve`")
    if serve:
        _serve_demo(scale=0.002 if scale is None else scale, seed=seed, host=host, port=port)
    elif scenario == "carers":
        from accord.demo.carers import run_carers_demo

        report = run_carers_demo(
            scale=0.002 if scale is None else scale, seed=seed, as_json=as_json, keep=keep
        )
        if not report.audit_ok:
            raise typer.Exit(1)
    elif scenario == "trust":
        from accord.demo.trust import run_trust_demo

        trust = run_trust_demo(
            scale=0.0005 if scale is None else scale, seed=seed, as_json=as_json, keep=keep
        )
        if not trust.audit_ok:
            raise typer.Exit(1)
    elif scenario == "provider":
        from accord.demo.provider import run_provider_demo

        provider = run_provider_demo(
            scale=0.001 if scale is None else scale, seed=seed, as_json=as_json, keep=keep
        )
        if not provider.audit_ok or provider.missing:
            raise typer.Exit(1)
    elif scenario == "worklessness":
        from accord.demo.worklessness import run_worklessness_demo

        run_worklessness_demo(keep=keep)
    elif scenario == "foundation":
        from accord.demo import run_foundation_demo

        run_foundation_demo(keep=keep)
    else:
        fail(f"unknown demo {scenario!r}: choose one of {', '.join(DEMOS)}")


def _serve_demo(*, scale: float, seed: int, host: str, port: int) -> None:
    """Seed 000's world in a kept home, served with the demonstration sign-in on."""
    import tempfile
    from pathlib import Path

    import uvicorn
    from rich.markup import escape

    from accord.api.app import create_app
    from accord.api.tls import base_url, server_config
    from accord.demo.web_world import DEMO_PEOPLE, build_demo_world, describe

    home = Path(tempfile.mkdtemp(prefix="accord-web-demo-"))
    console.print(f"Building the carers world (seed 000) in [bold]{home}[/] …", highlight=False)
    accord = build_demo_world(home, scale=scale, seed=seed)
    try:
        names = {o.id: o.name for o in accord.store.list_organisations()}
        console.print("Choose one of these people on the sign-in page:")
        for person in DEMO_PEOPLE:
            console.print(f"  {describe(person, names)}", highlight=False)
        if host not in LOOPBACK:
            console.print(
                f"[red]Warning:[/] anyone who can reach {host}:{port} can act as any of these "
                "people. This is a demonstration on synthetic data: never serve it on a network."
            )
        url = base_url(host, port, tls=False)
        console.print(
            f"Open [bold]{escape(url)}[/] in a browser. Press Ctrl-C to stop.",
            highlight=False,
        )
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a server is stopped
            uvicorn.Server(
                server_config(
                    create_app(accord), host=host, port=port, tls=None, log_level="warning"
                )
            ).run()
    finally:
        accord.close()
        console.print(
            f"The world is kept at {home}: inspect it with "
            f"ACCORD_HOME={home / 'home'} accord audit show",
            highlight=False,
        )


app.command("synth")(synth_command)
