"""The settings registry: every knob Accord reads from the environment, with help text.

A setting is read once, at start-up, and validated there: a missing or invalid value
fails at once with a message that names the variable and says how to fix it, rather
than surfacing later as an obscure driver error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from accord.errors import ConfigurationError

__all__ = ["SETTINGS", "Setting", "Settings", "load_settings"]

ENGINES = ("duckdb", "spark")


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "ACCORD_HOME",
        "./.accord",
        "Data directory: the SQLite store, keys, dataset versions and transfers live here.",
    ),
    Setting(
        "ACCORD_DATABASE_URL",
        "",
        "SQLAlchemy URL of the metadata store. Empty means an SQLite file "
        "ACCORD_HOME/accord.sqlite; use postgresql://user:pass@host/db for PostgreSQL.",
    ),
    Setting(
        "ACCORD_ENGINE",
        "duckdb",
        "Data engine for linkage: duckdb in process, or spark (PySpark; the active "
        "SparkSession, else local mode) for the scale that outgrows one machine. Governed "
        "plans run where each dataset lives (DuckDB or PostgreSQL). One of: "
        + ", ".join(ENGINES)
        + ".",
    ),
    Setting(
        "ACCORD_CHECKPOINT_EVERY",
        "1000",
        "Sign an audit checkpoint automatically after this many events (0 turns it off).",
    ),
    Setting(
        "ACCORD_TOKEN_TTL_DAYS",
        "90",
        "Default lifetime of a new API token, in days.",
    ),
    Setting(
        "ACCORD_NATIVE",
        "1",
        "1 to build and use the compiled HMAC and audit-verification kernels where a C "
        "compiler is available (built once into $XDG_CACHE_HOME/accord); 0 to use the "
        "pure-Python paths only.",
    ),
    Setting(
        "ACCORD_MASTER_KEY",
        "",
        "Base64 of 32 bytes that encrypts private keys at rest. Empty means a key file "
        "ACCORD_HOME/keys/master.key, created by `accord init` with mode 0600.",
    ),
    Setting(
        "ACCORD_DESTRUCTION_GRACE_DAYS",
        "30",
        "Days a holder has to certify the destruction of a copy the deletion job marked; "
        "after that the confirmation is overdue in `accord governance metrics`.",
    ),
    Setting(
        "ACCORD_BATCH_DEADLINE_MS",
        "1500",
        "Every batch-validation answer, accepted or refused, is released this many "
        "milliseconds after the request arrived, so its timing says nothing about the "
        "data; an answer that overran is released late and logged. Set it above the "
        "slowest batch you answer.",
    ),
    Setting(
        "ACCORD_BATCH_MAX_RECORDS",
        "100000",
        "The largest batch (identifiers) batch validation accepts, at most 100000; "
        "larger ones are refused before anything is read.",
    ),
    Setting(
        "ACCORD_BATCH_REFUSALS_PER_MINUTE",
        "6",
        "Refused batches a caller may have per minute (a token bucket of as many, "
        "refilling evenly); past that, batch validation answers 429 with Retry-After.",
    ),
    Setting(
        "ACCORD_WEB_IDLE_MINUTES",
        "30",
        "A web session ends after this many minutes without a page view (and always 12 "
        "hours after sign-in).",
    ),
    Setting(
        "ACCORD_WEB_DEMO_SIGN_IN",
        "0",
        "1 to let anyone sign in to the web service as any person by choosing them from a "
        "list: for a demonstration world only (`accord demo carers --serve` sets it).",
    ),
    Setting(
        "ACCORD_OIDC_PROVIDERS",
        "",
        "Path of a JSON or YAML file listing organisations' OpenID Connect identity "
        "providers for the web service's sign-in, each bound to one organisation (see "
        "docs/web/signin.md). Empty means none: local accounts only.",
    ),
    # -- notifications: read when notices are delivered (accord.services.notify) --------
    Setting(
        "ACCORD_SMTP_HOST",
        "",
        "The SMTP server notices are emailed through. Needed once any organisation has an "
        "email subscription; delivery fails with this name in the message until it is set.",
    ),
    Setting("ACCORD_SMTP_PORT", "587", "The SMTP server's port (587 for submission)."),
    Setting(
        "ACCORD_SMTP_FROM",
        "",
        "The From address of notice emails, like accord-notices@example.gov.uk. Needed "
        "with ACCORD_SMTP_HOST.",
    ),
    Setting(
        "ACCORD_SMTP_STARTTLS",
        "1",
        "1 to upgrade the SMTP connection with STARTTLS (certificate checked) before "
        "sending; 0 only for a relay on loopback.",
    ),
    Setting(
        "ACCORD_SMTP_USERNAME",
        "",
        "User name for SMTP authentication (with ACCORD_SMTP_PASSWORD); empty sends "
        "without signing in. Needs ACCORD_SMTP_STARTTLS=1.",
    ),
    Setting("ACCORD_SMTP_PASSWORD", "", "Password for SMTP authentication."),
    Setting(
        "ACCORD_SMTP_TIMEOUT_SECONDS",
        "10",
        "Seconds to wait for the SMTP server before an attempt counts as failed.",
    ),
    Setting(
        "ACCORD_WEBHOOK_TIMEOUT_SECONDS",
        "5",
        "Seconds to wait for a webhook to answer before an attempt counts as failed.",
    ),
    Setting(
        "ACCORD_WEBHOOK_ALLOW_LOOPBACK_HTTP",
        "0",
        "1 to accept webhooks over plain http to a loopback host (127.0.0.1, ::1, "
        "localhost): for tests and demonstrations only. Otherwise webhooks must be https.",
    ),
    Setting(
        "ACCORD_NOTICE_MAX_ATTEMPTS",
        "6",
        "Attempts at delivering a notice before it is marked failed.",
    ),
    Setting(
        "ACCORD_NOTICE_RETRY_SECONDS",
        "60",
        "The first wait before a failed delivery is tried again; each later wait doubles.",
    ),
    Setting(
        "ACCORD_NOTICES_PER_RUN",
        "200",
        "The most notices one run of `accord notices deliver` attempts; the rest wait for "
        "the next run.",
    ),
    # -- TLS and signed requests (docs/tls.md) --
    Setting(
        "ACCORD_TLS_CERT",
        "",
        "PEM certificate chain `accord serve` presents (with ACCORD_TLS_KEY): serves https "
        "only, TLS 1.2 at least. Empty serves plain http. --tls-cert overrides it.",
    ),
    Setting(
        "ACCORD_TLS_KEY",
        "",
        "PEM private key of ACCORD_TLS_CERT, unencrypted, readable by Accord's user only "
        "(mode 0600: a key readable by group or others is refused). --tls-key overrides it.",
    ),
    Setting(
        "ACCORD_TLS_CLIENT_CA",
        "",
        "PEM certificates of the CA that signs client certificates: mutual TLS at the "
        "transport. Empty asks for no client certificate. --tls-client-ca overrides it.",
    ),
    Setting(
        "ACCORD_TLS_CLIENT_CERT",
        "required",
        "With ACCORD_TLS_CLIENT_CA: required (a client without a certificate signed by that "
        "CA cannot complete the handshake) or optional (one is checked if offered).",
    ),
    Setting(
        "ACCORD_PUBLIC_URL",
        "",
        "The URL clients reach this deployment at, like https://accord.example.gov.uk (a "
        "deployment behind a proxy knows it): Delta Sharing profiles point there.",
    ),
    Setting(
        "ACCORD_ALLOW_HTTP_ENDPOINT",
        "0",
        "1 lets a Delta Sharing profile name a plain http:// endpoint on a host other than "
        "loopback. Off by default: the profile's bearer token would cross a network in clear.",
    ),
    Setting(
        "ACCORD_SIGNATURE_MAX_AGE_SECONDS",
        "300",
        "A signed request's `created` must be within this many seconds of the server's "
        "clock (either side); its nonce is remembered for as long, so it cannot be replayed.",
    ),
    Setting(
        "ACCORD_SIGNATURE_NONCE_CACHE",
        "100000",
        "The most signature nonces remembered at once. When full of unexpired nonces, new "
        "signed requests are answered 429 until one expires: replay protection never lapses.",
    ),
)


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    database_url: str
    engine: str
    checkpoint_every: int
    token_ttl_days: int
    master_key: str
    destruction_grace_days: int = 30
    batch_deadline_ms: int = 1500
    batch_max_records: int = 100_000
    batch_refusals_per_minute: int = 6
    web_idle_minutes: int = 30
    web_demo_sign_in: bool = False
    oidc_providers: str = ""
    tls_cert: str = ""
    tls_key: str = ""
    tls_client_ca: str = ""
    tls_client_cert: str = "required"
    public_url: str = ""
    allow_http_endpoint: bool = False
    signature_max_age_seconds: int = 300
    signature_nonce_cache: int = 100_000

    @property
    def sqlite_path(self) -> Path | None:
        prefix = "sqlite:///"
        return (
            Path(self.database_url[len(prefix) :]) if self.database_url.startswith(prefix) else None
        )


def _int(name: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigurationError(
            f"{name}={raw!r} is not a whole number >= {minimum}. "
            f"Set it to a number, or unset it to use the default."
        )
    return value


def _flag(name: str, raw: str) -> bool:
    if raw not in ("0", "1"):
        raise ConfigurationError(f"{name}={raw!r} is not 0 or 1. Set it to 0 or 1, or unset it.")
    return raw == "1"


def _batch_max(raw: str) -> int:
    value = _int("ACCORD_BATCH_MAX_RECORDS", raw, 2)
    if value > 100_000:
        raise ConfigurationError(
            f"ACCORD_BATCH_MAX_RECORDS={raw!r} is above 100000, the most a batch may hold. "
            "Set it to 100000 or less, or unset it to use the default."
        )
    return value


def _database_url(raw: str, home: Path) -> str:
    if not raw:
        return f"sqlite:///{home / 'accord.sqlite'}"
    scheme = raw.split(":", 1)[0].split("+", 1)[0]
    if scheme == "postgres":
        raw = "postgresql" + raw[len("postgres") :]
        scheme = "postgresql"
    if scheme not in ("sqlite", "postgresql") or "://" not in raw:
        raise ConfigurationError(
            f"ACCORD_DATABASE_URL={raw!r} is not a supported database URL. "
            "Use sqlite:///path/to/accord.sqlite or postgresql://user:pass@host:5432/db, "
            "or unset it to use an SQLite file in ACCORD_HOME."
        )
    if scheme == "postgresql" and not raw.startswith("postgresql+"):
        raw = "postgresql+psycopg" + raw[len("postgresql") :]
    return raw


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; raise ConfigurationError naming the first bad one."""
    env = os.environ if environ is None else environ
    get: Callable[[str], str] = lambda name: env.get(name, "") or _default(name)  # noqa: E731
    home_raw = get("ACCORD_HOME")
    home = Path(home_raw).expanduser().resolve()
    if home.exists() and not home.is_dir():
        raise ConfigurationError(
            f"ACCORD_HOME={home_raw!r} exists and is not a directory. "
            "Point ACCORD_HOME at a directory Accord may write to."
        )
    engine = get("ACCORD_ENGINE").lower()
    if engine not in ENGINES:
        raise ConfigurationError(
            f"ACCORD_ENGINE={engine!r} is not an engine Accord has. "
            f"Set it to one of: {', '.join(ENGINES)}."
        )
    return Settings(
        home=home,
        database_url=_database_url(get("ACCORD_DATABASE_URL"), home),
        engine=engine,
        checkpoint_every=_int("ACCORD_CHECKPOINT_EVERY", get("ACCORD_CHECKPOINT_EVERY"), 0),
        token_ttl_days=_int("ACCORD_TOKEN_TTL_DAYS", get("ACCORD_TOKEN_TTL_DAYS"), 1),
        master_key=get("ACCORD_MASTER_KEY"),
        destruction_grace_days=_int(
            "ACCORD_DESTRUCTION_GRACE_DAYS", get("ACCORD_DESTRUCTION_GRACE_DAYS"), 0
        ),
        batch_deadline_ms=_int("ACCORD_BATCH_DEADLINE_MS", get("ACCORD_BATCH_DEADLINE_MS"), 0),
        batch_max_records=_batch_max(get("ACCORD_BATCH_MAX_RECORDS")),
        batch_refusals_per_minute=_int(
            "ACCORD_BATCH_REFUSALS_PER_MINUTE", get("ACCORD_BATCH_REFUSALS_PER_MINUTE"), 1
        ),
        web_idle_minutes=_int("ACCORD_WEB_IDLE_MINUTES", get("ACCORD_WEB_IDLE_MINUTES"), 1),
        web_demo_sign_in=_flag("ACCORD_WEB_DEMO_SIGN_IN", get("ACCORD_WEB_DEMO_SIGN_IN")),
        oidc_providers=get("ACCORD_OIDC_PROVIDERS"),
        tls_cert=get("ACCORD_TLS_CERT"),
        tls_key=get("ACCORD_TLS_KEY"),
        tls_client_ca=get("ACCORD_TLS_CLIENT_CA"),
        tls_client_cert=_client_cert_mode(get("ACCORD_TLS_CLIENT_CERT")),
        public_url=_public_url(get("ACCORD_PUBLIC_URL")),
        allow_http_endpoint=_flag("ACCORD_ALLOW_HTTP_ENDPOINT", get("ACCORD_ALLOW_HTTP_ENDPOINT")),
        signature_max_age_seconds=_int(
            "ACCORD_SIGNATURE_MAX_AGE_SECONDS", get("ACCORD_SIGNATURE_MAX_AGE_SECONDS"), 1
        ),
        signature_nonce_cache=_int(
            "ACCORD_SIGNATURE_NONCE_CACHE", get("ACCORD_SIGNATURE_NONCE_CACHE"), 1
        ),
    )


TLS_CLIENT_CERT_MODES = ("required", "optional")


def _client_cert_mode(raw: str) -> str:
    mode = raw.lower()
    if mode not in TLS_CLIENT_CERT_MODES:
        raise ConfigurationError(
            f"ACCORD_TLS_CLIENT_CERT={raw!r} is not required or optional. Set it to one of "
            "them, or unset it to require client certificates when ACCORD_TLS_CLIENT_CA is set."
        )
    return mode


def _public_url(raw: str) -> str:
    """Without a trailing slash, so that paths append cleanly."""
    url = raw.rstrip("/")
    if url and not url.startswith(("https://", "http://")):
        raise ConfigurationError(
            f"ACCORD_PUBLIC_URL={raw!r} is not an http(s) URL. Set it to the URL "
            "clients reach this deployment at, like https://accord.example.gov.uk."
        )
    return url


def _default(name: str) -> str:
    for setting in SETTINGS:
        if setting.name == name:
            return setting.default
    raise KeyError(name)
