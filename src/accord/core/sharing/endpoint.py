"""Where a Delta Sharing profile points, and when a plain-http endpoint is refused.

A profile carries a bearer token; the recipient's client sends it with every call to
the profile's ``endpoint``. An ``http://`` endpoint on a host other than loopback would
send that token, and the rows it reads, across a network in clear, so it is refused
unless the operator says otherwise (``ACCORD_ALLOW_HTTP_ENDPOINT=1``, for a network
the operator vouches for). A deployment served with TLS points its profiles at
``https://``; one behind a proxy sets ``ACCORD_PUBLIC_URL``, which wins.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from accord.errors import ValidationError

__all__ = ["DELTA_SHARING_PATH", "check_share_endpoint", "default_share_endpoint", "is_loopback"]

DELTA_SHARING_PATH = "/delta-sharing"


def is_loopback(host: str) -> bool:
    """``localhost``, ``127.0.0.0/8`` and ``::1``: a token sent there stays on this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def default_share_endpoint(*, public_url: str, tls: bool, port: int = 8000) -> str:
    """The public URL's endpoint when there is one; else this machine's, https when served so."""
    if public_url:
        return public_url.rstrip("/") + DELTA_SHARING_PATH
    scheme = "https" if tls else "http"
    return f"{scheme}://127.0.0.1:{port}{DELTA_SHARING_PATH}"


def check_share_endpoint(endpoint: str, *, allow_http: bool = False) -> str:
    """The endpoint without a trailing slash; a ValidationError saying why it is refused."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"--endpoint {endpoint!r} must be an http:// or https:// URL")
    if parts.username or parts.password:
        raise ValidationError(f"--endpoint {endpoint!r} must not carry a user name or password")
    if parts.scheme == "http" and not allow_http and not is_loopback(parts.hostname):
        raise ValidationError(
            f"--endpoint {endpoint!r} is plain http on a host other than loopback: the "
            "profile's bearer token would cross the network in clear. Serve with TLS "
            "(accord serve --tls-cert … --tls-key …) and use https://, or set "
            "ACCORD_ALLOW_HTTP_ENDPOINT=1 for a network you vouch for."
        )
    return endpoint.rstrip("/")
