"""TLS for ``accord serve``: one checked ``ssl.SSLContext``, and the uvicorn config over it.

Accord builds the server's context itself rather than handing file names to uvicorn,
for three reasons: the minimum version and ciphers are ours to state (TLS 1.2 at
least, forward-secret AEAD suites only); each file is checked first, so that a
missing, unreadable, expired or mismatched certificate or key is one clear
``ConfigurationError`` naming the option and the file, never an ``ssl.SSLError``
traceback; and a private key readable by group or others is refused, as a store or
key file of Accord's own would be.

Mutual TLS (``client_ca``) authenticates the *transport*: a client without a
certificate signed by that CA cannot complete the handshake when it is required.
uvicorn does not pass the peer certificate to the application (the ASGI scope holds
no ``tls`` extension), so identity at the application is still the bearer token or
the request signature (``accord.core.httpsig``), never the certificate.
"""

from __future__ import annotations

import os
import ssl
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)

from accord.errors import ConfigurationError
from accord.settings import TLS_CLIENT_CERT_MODES, Settings

__all__ = ["CIPHERS", "TLSConfig", "base_url", "server_config", "ssl_context", "tls_config"]

CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!MD5:!DSS"
"""TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3's suites are all of that kind."""


@dataclass(frozen=True, slots=True)
class TLSConfig:
    """What ``accord serve`` was asked to present, and whom it asks for a certificate."""

    cert: Path
    key: Path
    client_ca: Path | None = None
    client_cert: str = "required"

    @property
    def mutual(self) -> bool:
        return self.client_ca is not None


def tls_config(
    settings: Settings,
    *,
    cert: Path | None = None,
    key: Path | None = None,
    client_ca: Path | None = None,
    client_cert: str | None = None,
) -> TLSConfig | None:
    """The TLS the options (else the settings) ask for, or ``None`` for plain http."""
    cert_path = cert or (Path(settings.tls_cert) if settings.tls_cert else None)
    key_path = key or (Path(settings.tls_key) if settings.tls_key else None)
    ca_path = client_ca or (Path(settings.tls_client_ca) if settings.tls_client_ca else None)
    mode = (client_cert or settings.tls_client_cert).lower()
    if cert_path is None and key_path is None:
        if ca_path is not None:
            raise ConfigurationError(
                "--tls-client-ca (ACCORD_TLS_CLIENT_CA) needs TLS: give --tls-cert and "
                "--tls-key (ACCORD_TLS_CERT, ACCORD_TLS_KEY) too"
            )
        return None
    if cert_path is None or key_path is None:
        missing = (
            "--tls-cert (ACCORD_TLS_CERT)" if cert_path is None else "--tls-key (ACCORD_TLS_KEY)"
        )
        raise ConfigurationError(f"TLS needs a certificate and its key: {missing} is not set")
    if mode not in TLS_CLIENT_CERT_MODES:
        raise ConfigurationError(
            f"--tls-client-cert {mode!r} is not one of: {', '.join(TLS_CLIENT_CERT_MODES)}"
        )
    return TLSConfig(cert_path, key_path, ca_path, mode)


def _read(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigurationError(f"{option}: there is no file at {path}") from exc
    except IsADirectoryError as exc:
        raise ConfigurationError(f"{option}: {path} is a directory, not a PEM file") from exc
    except OSError as exc:
        raise ConfigurationError(f"{option}: {path} cannot be read: {exc.strerror}") from exc


def _check_key_mode(path: Path) -> None:
    if os.name != "posix":  # pragma: no cover - modes mean nothing elsewhere
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigurationError(
            f"--tls-key: {path} is readable by group or others (mode {mode:04o}); a TLS "
            f"private key must be the server's alone: chmod 600 {path}"
        )


def _certificates(path: Path, option: str) -> list[x509.Certificate]:
    data = _read(path, option)
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise ConfigurationError(f"{option}: {path} holds no PEM certificate") from exc
    return certificates


def check_files(config: TLSConfig, *, now: datetime | None = None) -> None:
    """Raise a ``ConfigurationError`` naming the file for anything a handshake would trip on."""
    at = now or datetime.now(UTC)
    leaf = _certificates(config.cert, "--tls-cert")[0]
    if leaf.not_valid_after_utc <= at:
        raise ConfigurationError(
            f"--tls-cert: the certificate in {config.cert} expired on "
            f"{leaf.not_valid_after_utc:%Y-%m-%d}: renew it"
        )
    key_bytes = _read(config.key, "--tls-key")
    try:
        key = load_pem_private_key(key_bytes, password=None)
    except TypeError as exc:
        raise ConfigurationError(
            f"--tls-key: the key in {config.key} is encrypted; give an unencrypted key "
            "file readable only by Accord's user (mode 0600)"
        ) from exc
    except ValueError as exc:
        raise ConfigurationError(f"--tls-key: {config.key} holds no PEM private key") from exc
    _check_key_mode(config.key)
    spki = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if key.public_key().public_bytes(*spki) != leaf.public_key().public_bytes(*spki):
        raise ConfigurationError(
            f"--tls-key: the key in {config.key} does not match the certificate in {config.cert}"
        )
    if config.client_ca is not None:
        _certificates(config.client_ca, "--tls-client-ca")


def ssl_context(config: TLSConfig) -> ssl.SSLContext:
    """The server's context: TLS 1.2 or later, our ciphers, client certificates as asked."""
    check_files(config)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    try:
        context.load_cert_chain(str(config.cert), str(config.key))
    except (ssl.SSLError, OSError) as exc:  # pragma: no cover - check_files caught it first
        raise ConfigurationError(
            f"--tls-cert/--tls-key: {config.cert} and {config.key} could not be loaded: {exc}"
        ) from exc
    if config.client_ca is not None:
        try:
            context.load_verify_locations(cafile=str(config.client_ca))
        except (ssl.SSLError, OSError) as exc:  # pragma: no cover - checked above
            raise ConfigurationError(
                f"--tls-client-ca: {config.client_ca} could not be loaded: {exc}"
            ) from exc
        context.verify_mode = (
            ssl.CERT_REQUIRED if config.client_cert == "required" else ssl.CERT_OPTIONAL
        )
    return context


def server_config(
    app: Any,
    *,
    host: str,
    port: int,
    tls: TLSConfig | None,
    **options: Any,
) -> Any:
    """The ``uvicorn.Config`` that ``accord serve``, the demo and the tests all run."""
    import uvicorn

    if tls is not None:
        context = ssl_context(tls)  # checked now, so a bad file fails before binding

        def factory(_config: Any, _default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
            return context

        options["ssl_context_factory"] = factory
    return uvicorn.Config(app, host=host, port=port, **options)


def base_url(host: str, port: int, *, tls: bool) -> str:
    """``https://host:port`` (IPv6 literals bracketed) for messages and profiles."""
    scheme = "https" if tls else "http"
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"
