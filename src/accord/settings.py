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

__all__ = ["SETTINGS", "Setting", "Settings", "load_settings", "parse_size"]

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
    # -- the audit log's published checkpoints and witness (docs/audit.md) ---------------
    Setting(
        "ACCORD_CHECKPOINT_SECONDS",
        "60",
        "Also sign an audit checkpoint when this many seconds have passed since the last "
        "one while events are being written (the next event signs it); 0 turns the time "
        "rule off.",
    ),
    Setting(
        "ACCORD_CHECKPOINT_LOG",
        "",
        "The append-only file every checkpoint is published to after it commits, one JSON "
        "line each, for shipping off the machine. Empty means "
        "ACCORD_HOME/audit/checkpoints.jsonl.",
    ),
    Setting(
        "ACCORD_WITNESS_URL",
        "",
        "Base URL of a witness (`accord witness serve`) that countersigns each newest "
        "published checkpoint. Empty means no witness.",
    ),
    Setting(
        "ACCORD_WITNESS_PUBLIC_KEY",
        "",
        "The witness's Ed25519 public key, 64 hex digits (`accord witness key`); "
        "required with ACCORD_WITNESS_URL.",
    ),
    Setting(
        "ACCORD_WITNESS_TIMEOUT_SECONDS",
        "5",
        "How long to wait for the witness's answer; a witness that is slower counts as "
        "down (the checkpoint stays published, uncosigned, and is sent again later).",
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
    # -- limits on what callers send: read by the API's body limits and the ingest readers
    Setting(
        "ACCORD_MAX_BODY_BYTES",
        str(1024**2),
        "The largest request body the API and web service accept for JSON and form posts, "
        "in bytes; larger ones answer 413 before they are read (see docs/limits.md).",
    ),
    Setting(
        "ACCORD_MAX_UPLOAD_BYTES",
        str(1024**3),
        "The largest dataset upload (a CSV or Parquet body posted to /datasets), in bytes; "
        "larger ones answer 413, and nothing is stored.",
    ),
    Setting(
        "ACCORD_MAX_DECODED_BYTES",
        str(2 * 1024**3),
        "The most bytes of values one ingested file may decode to (a Parquet file's declared "
        "uncompressed size, and the values actually read from it or from a CSV): a "
        "compressed or dictionary-encoded file that would swell past this is refused.",
    ),
    Setting(
        "ACCORD_MAX_VALUE_BYTES",
        str(64 * 1024),
        "The largest single value (one cell) an ingested file may hold, in bytes of UTF-8.",
    ),
    Setting(
        "ACCORD_MAX_ROWS",
        "100000000",
        "The most rows an ingested file may hold.",
    ),
    Setting(
        "ACCORD_MAX_COLUMNS",
        "2000",
        "The most columns an ingested file may hold (a header, or any row of a CSV).",
    ),
    # -- limits on queries and requests (accord.engine.bounds, accord.api.rate_limits) ---
    Setting(
        "ACCORD_QUERY_MEMORY",
        "1GB",
        "Memory one query, extract, check, aggregate, change file or linkage may use on "
        "DuckDB (a size: 512MB, 2GB, or bytes), and the work_mem of a PostgreSQL session. "
        "Past it the query stops with an error naming this setting. DuckDB's limit is per "
        "database instance: each in-memory query is its own instance.",
    ),
    Setting(
        "ACCORD_QUERY_THREADS",
        "2",
        "Threads one DuckDB query may use.",
    ),
    Setting(
        "ACCORD_QUERY_SECONDS",
        "120",
        "Wall-clock seconds a query or extract may run before it is interrupted (DuckDB) "
        "or cancelled by statement_timeout (PostgreSQL).",
    ),
    Setting(
        "ACCORD_QUERY_TEMP_BYTES",
        "0",
        "Disk a DuckDB query may spill to when it outgrows ACCORD_QUERY_MEMORY (a size). "
        "0, the default, turns spilling off: spilled pages are unencrypted personal data. "
        "Above 0, they go to ACCORD_HOME/tmp/spill (never the working directory) and are "
        "removed when the query ends.",
    ),
    Setting(
        "ACCORD_MAX_CONCURRENT_QUERIES",
        "4",
        "Queries and extracts that may run at once in one process; a caller arriving when "
        "all are busy waits up to ACCORD_QUERY_WAIT_SECONDS, then is answered 429 with "
        "Retry-After.",
    ),
    Setting(
        "ACCORD_QUERY_WAIT_SECONDS",
        "2",
        "Seconds a query waits for a free slot (see ACCORD_MAX_CONCURRENT_QUERIES).",
    ),
    Setting(
        "ACCORD_RATE_PER_MINUTE",
        "1200",
        "Requests one caller (a token, a web session, or an address when unauthenticated) "
        "may make a minute, sustained; a query or extract costs ACCORD_RATE_QUERY_COST. "
        "Past it the API answers 429 with Retry-After. 0 turns rate limits off.",
    ),
    Setting(
        "ACCORD_RATE_BURST",
        "600",
        "Requests one caller may make at once before ACCORD_RATE_PER_MINUTE applies.",
    ),
    Setting(
        "ACCORD_RATE_QUERY_COST",
        "10",
        "What one query, extract, check, linkage or Delta Sharing table read costs against "
        "the rate limit, in requests: they run the engine, a metadata read does not.",
    ),
    Setting(
        "ACCORD_REFUSALS_COUNT_SECONDS",
        "60",
        "Unauthenticated (401) and rate-limited (429) answers are not audited one by one but "
        "counted, and written as one api.refusals.counted event per kind per this many "
        "seconds, so nobody can flood the audit log.",
    ),
    # -- faults: temporary files (accord.fsutil.sweep_temp) ----------------------------
    Setting(
        "ACCORD_TEMP_GRACE_SECONDS",
        "3600",
        "Temporary files a killed write left in ACCORD_HOME (partial data) are removed "
        "when Accord starts once they are this many seconds old; younger ones may belong "
        "to a write still running in another process.",
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
    checkpoint_seconds: int = 60
    checkpoint_log: Path | None = None
    witness_url: str = ""
    witness_public_key: str = ""
    witness_timeout_seconds: int = 5

    max_body_bytes: int = 1024**2
    max_upload_bytes: int = 1024**3
    max_decoded_bytes: int = 2 * 1024**3
    max_value_bytes: int = 64 * 1024
    max_rows: int = 100_000_000
    max_columns: int = 2000
    query_memory_bytes: int = 1_000_000_000
    query_threads: int = 2
    query_seconds: int = 120
    query_temp_bytes: int = 0
    max_concurrent_queries: int = 4
    query_wait_seconds: int = 2
    rate_per_minute: int = 1200
    rate_burst: int = 600
    rate_query_cost: int = 10
    refusals_count_seconds: int = 60
    temp_grace_seconds: int = 3600
    tls_cert: str = ""
    tls_key: str = ""
    tls_client_ca: str = ""
    tls_client_cert: str = "required"
    public_url: str = ""
    allow_http_endpoint: bool = False
    signature_max_age_seconds: int = 300
    signature_nonce_cache: int = 100_000

    @property
    def checkpoint_log_path(self) -> Path:
        return self.checkpoint_log or self.home / "audit" / "checkpoints.jsonl"

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


_UNITS = {
    "": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
    "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4,
}  # fmt: skip


def _size(name: str, raw: str, minimum: int) -> int:
    """A size in bytes from ``512MB``, ``2 GiB`` or ``1048576``."""
    text = raw.strip().upper().replace(" ", "")
    number = text.rstrip("KMGTIB")
    unit = text[len(number) :]
    try:
        value = int(float(number) * _UNITS[unit]) if number else -1
    except (ValueError, KeyError):
        value = -1
    if value < minimum:
        raise ConfigurationError(
            f"{name}={raw!r} is not a size of at least {minimum} bytes. Write it like "
            "512MB, 2GB or 1073741824, or unset it to use the default."
        )
    return value


def parse_size(name: str, raw: str, minimum: int = 0) -> int:
    """Bytes from a size like ``512MB``; ConfigurationError naming ``name`` otherwise."""
    return _size(name, raw, minimum)


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
        checkpoint_seconds=_int("ACCORD_CHECKPOINT_SECONDS", get("ACCORD_CHECKPOINT_SECONDS"), 0),
        checkpoint_log=(
            Path(get("ACCORD_CHECKPOINT_LOG")).expanduser().resolve()
            if get("ACCORD_CHECKPOINT_LOG")
            else None
        ),
        **_witness(get("ACCORD_WITNESS_URL"), get("ACCORD_WITNESS_PUBLIC_KEY")),
        witness_timeout_seconds=_int(
            "ACCORD_WITNESS_TIMEOUT_SECONDS", get("ACCORD_WITNESS_TIMEOUT_SECONDS"), 1
        ),
        max_body_bytes=_int("ACCORD_MAX_BODY_BYTES", get("ACCORD_MAX_BODY_BYTES"), 1024),
        max_upload_bytes=_int("ACCORD_MAX_UPLOAD_BYTES", get("ACCORD_MAX_UPLOAD_BYTES"), 1024),
        max_decoded_bytes=_int("ACCORD_MAX_DECODED_BYTES", get("ACCORD_MAX_DECODED_BYTES"), 1024),
        max_value_bytes=_int("ACCORD_MAX_VALUE_BYTES", get("ACCORD_MAX_VALUE_BYTES"), 16),
        max_rows=_int("ACCORD_MAX_ROWS", get("ACCORD_MAX_ROWS"), 1),
        max_columns=_int("ACCORD_MAX_COLUMNS", get("ACCORD_MAX_COLUMNS"), 1),
        query_memory_bytes=_size("ACCORD_QUERY_MEMORY", get("ACCORD_QUERY_MEMORY"), 16_000_000),
        query_threads=_int("ACCORD_QUERY_THREADS", get("ACCORD_QUERY_THREADS"), 1),
        query_seconds=_int("ACCORD_QUERY_SECONDS", get("ACCORD_QUERY_SECONDS"), 1),
        query_temp_bytes=_size("ACCORD_QUERY_TEMP_BYTES", get("ACCORD_QUERY_TEMP_BYTES"), 0),
        max_concurrent_queries=_int(
            "ACCORD_MAX_CONCURRENT_QUERIES", get("ACCORD_MAX_CONCURRENT_QUERIES"), 1
        ),
        query_wait_seconds=_int("ACCORD_QUERY_WAIT_SECONDS", get("ACCORD_QUERY_WAIT_SECONDS"), 0),
        rate_per_minute=_int("ACCORD_RATE_PER_MINUTE", get("ACCORD_RATE_PER_MINUTE"), 0),
        rate_burst=_int("ACCORD_RATE_BURST", get("ACCORD_RATE_BURST"), 1),
        rate_query_cost=_int("ACCORD_RATE_QUERY_COST", get("ACCORD_RATE_QUERY_COST"), 1),
        refusals_count_seconds=_int(
            "ACCORD_REFUSALS_COUNT_SECONDS", get("ACCORD_REFUSALS_COUNT_SECONDS"), 1
        ),
        temp_grace_seconds=_int("ACCORD_TEMP_GRACE_SECONDS", get("ACCORD_TEMP_GRACE_SECONDS"), 0),
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


def _witness(url: str, key: str) -> dict[str, str]:
    """The witness's URL and key: both or neither, the key 64 hex digits."""
    if bool(url) != bool(key):
        raise ConfigurationError(
            "ACCORD_WITNESS_URL and ACCORD_WITNESS_PUBLIC_KEY go together: set both (the "
            "key is what `accord witness key` prints on the witness), or neither."
        )
    if url and not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"ACCORD_WITNESS_URL={url!r} is not an http:// or https:// URL.")
    key = key.strip().lower()
    if key and (len(key) != 64 or any(c not in "0123456789abcdef" for c in key)):
        raise ConfigurationError(
            "ACCORD_WITNESS_PUBLIC_KEY is not 64 hex digits: set it to what "
            "`accord witness key` prints on the witness."
        )
    return {"witness_url": url, "witness_public_key": key}


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
