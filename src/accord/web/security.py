"""Headers every response carries, and the CSRF token of forms shown before sign-in.

The Content-Security-Policy allows nothing from another host and no inline script or
style: the pages' only script is GOV.UK Frontend's, loaded as a module from this
service. Pages are never cached (they show personal and governance data) and may not
be framed (no clickjacking of an approval button).
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "FORM_COOKIE",
    "SESSION_COOKIE",
    "form_token",
    "form_token_ok",
    "secure_headers",
    "set_cookie",
]

SESSION_COOKIE = "accord_session"
FORM_COOKIE = "accord_form"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)

# The API docs (Swagger UI, ReDoc) build their pages with inline styles and a worker.
DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)


def secure_headers(request: Request, response: Response) -> None:
    path = request.url.path
    docs = path in ("/docs", "/redoc")
    response.headers.setdefault(
        "Content-Security-Policy", DOCS_POLICY if docs else CONTENT_SECURITY_POLICY
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.url.scheme == "https":
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if not path.startswith(("/static/", "/assets/")):
        response.headers.setdefault("Cache-Control", "no-store")


def _loopback(request: Request) -> bool:
    host = request.url.hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None = None
) -> None:
    """HttpOnly and SameSite=Lax always; Secure unless served over plain HTTP on loopback
    (a demonstration on one machine), where a browser would refuse to send it back."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or not _loopback(request),
    )


def form_token(request: Request, response: Response) -> str:
    """The double-submit token for forms shown to someone not yet signed in."""
    token = request.cookies.get(FORM_COOKIE, "")
    if not (20 <= len(token) <= 100):
        token = secrets.token_urlsafe(32)
        set_cookie(request, response, FORM_COOKIE, token, max_age=3600)
    return token


def form_token_ok(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(FORM_COOKIE, "")
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())
