"""Per-caller rate limits (429 with ``Retry-After``) and counted, not logged, refusals.

:class:`RateLimitMiddleware` wraps the whole application (API, web pages, Delta
Sharing) as plain ASGI, so it answers before any route, body parser or store is
touched. Each request is charged to one caller:

- a bearer token, keyed by its SHA-256 (the hash the store keeps, so an operator can
  tell which token it was; the token itself is never kept);
- else a web session cookie, keyed by a hash;
- else the client's address, keyed by a hash under a key made at start-up (an address
  may be personal data, and the IPv4 space is small enough to reverse a plain hash).

A caller's allowance is ``ACCORD_RATE_PER_MINUTE`` sustained and ``ACCORD_RATE_BURST``
at once (:mod:`accord.core.rate`). A query, extract, check, linkage, table or Delta
Sharing table read costs ``ACCORD_RATE_QUERY_COST``: those run the engine, a metadata
read does not. ``/health`` and static assets are free.

Refusals to authenticated callers are audited one by one where they are decided
(:func:`accord.services.guard.refuse`, :func:`accord.api.errors.record_refusal`).
Unauthenticated (401) and rate-limited (429) answers are not: a flood of them would
flood the log. They are counted per interval of ``ACCORD_REFUSALS_COUNT_SECONDS`` and
written as one ``api.refusals.counted`` event per kind per interval, with the count
and the five keys (hashes) refused most; an interval is written when a request
arrives after it is over, and at shutdown.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import cookie_parser

from accord.core.audit import AuditEvent, Decision
from accord.core.rate import Allowance, Bucket, RefusalTally, interval_of, refilled, take
from accord.settings import Settings
from accord.web.security import SESSION_COOKIE

__all__ = ["RateLimitMiddleware", "RefusalCounter", "caller_key", "cost_of"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FREE_PREFIXES = ("/static/", "/assets/")
FREE_PATHS = frozenset({"/health", "/favicon.ico"})
_ENGINE_SEGMENTS = frozenset({"query", "extracts", "links", "batches", "check", "changes"})
MAX_BUCKETS = 50_000
"""Buckets kept at most; past it, full ones (no different from a new one) are dropped,
then the oldest, so a stream of new callers cannot grow memory without bound."""


def cost_of(method: str, path: str, query_cost: int) -> int:
    """What a request costs: ``query_cost`` if it runs the engine, 0 if free, else 1."""
    if path in FREE_PATHS or path.startswith(FREE_PREFIXES):
        return 0
    segments = set(path.strip("/").split("/"))
    engine = bool(segments & _ENGINE_SEGMENTS) and (method == "POST" or "changes" in segments)
    if engine or path.startswith("/stats/tables/"):
        return query_cost
    return 1


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def caller_key(scope: Scope, address_key: bytes) -> str:
    """Whom a request is charged to, as a hash: never the token, cookie or address."""
    authorization = _header(scope, b"authorization")
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        return "token:" + hashlib.sha256(secret.strip().encode()).hexdigest()
    session = cookie_parser(_header(scope, b"cookie")).get(SESSION_COOKIE)
    if session:
        return "session:" + hmac.new(address_key, session.encode(), "sha256").hexdigest()[:32]
    client = scope.get("client") or ("unknown", 0)
    return "address:" + hmac.new(address_key, str(client[0]).encode(), "sha256").hexdigest()[:32]


class RefusalCounter:
    """Counts refusals by kind for the current interval; hands back finished intervals."""

    KINDS = ("unauthenticated", "rate_limited")

    def __init__(self, seconds: int, max_keys: int = 10_000) -> None:
        self.seconds = seconds
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._interval: tuple[float, float] | None = None
        self._counts: dict[str, Counter[str]] = {kind: Counter() for kind in self.KINDS}
        self._totals: dict[str, int] = dict.fromkeys(self.KINDS, 0)

    def _roll(self, now: float) -> list[RefusalTally]:
        current = interval_of(now, self.seconds)
        if self._interval is None:
            self._interval = current
            return []
        if current == self._interval:
            return []
        done = self._drain()
        self._interval = current
        return done

    def _drain(self) -> list[RefusalTally]:
        if self._interval is None:
            return []
        start, end = self._interval
        done = [
            RefusalTally(kind, start, end, self._totals[kind], tuple(counts.most_common(5)))
            for kind, counts in self._counts.items()
            if self._totals[kind]
        ]
        self._counts = {kind: Counter() for kind in self.KINDS}
        self._totals = dict.fromkeys(self.KINDS, 0)
        return done

    def add(self, kind: str, key: str, now: float) -> list[RefusalTally]:
        """Count one refusal; return the intervals this one closed (usually none)."""
        with self._lock:
            done = self._roll(now)
            counts = self._counts[kind]
            self._totals[kind] += 1
            if key in counts or len(counts) < self.max_keys:
                counts[key] += 1
            return done

    def due(self, now: float) -> list[RefusalTally]:
        """The intervals that are over by ``now`` and not yet handed back."""
        with self._lock:
            return self._roll(now)

    def pending(self, kind: str) -> int:
        """Refusals of ``kind`` counted in the current interval, not yet written."""
        with self._lock:
            return self._totals[kind]

    def flush(self) -> list[RefusalTally]:
        """Everything counted so far, finished or not (at shutdown)."""
        with self._lock:
            return self._drain()


def refusal_event(tally: RefusalTally) -> AuditEvent:
    """One audit event for an interval's refusals of one kind."""
    what = "unauthenticated" if tally.kind == "unauthenticated" else "rate-limited"
    return AuditEvent(
        actor="accord:api",
        action="api.refusals.counted",
        object=f"refusals:{tally.kind}",
        decision=Decision.DENY,
        reason=f"{tally.count} {what} requests answered in this interval",
        details=tally.details(),
    )


class RateLimitMiddleware:
    """Charges every request to its caller's bucket and counts what it does not audit."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        record: Callable[[AuditEvent], None],
        settings: Settings,
        counter: RefusalCounter | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.record = record
        self.enabled = settings.rate_per_minute > 0
        self.allowance = Allowance(max(1, settings.rate_per_minute), settings.rate_burst)
        self.query_cost = settings.rate_query_cost
        self.counter = counter or RefusalCounter(settings.refusals_count_seconds)
        self.clock = clock
        self.wall = wall
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()
        self._address_key = secrets.token_bytes(32)

    def charge(self, key: str, cost: float) -> tuple[bool, float]:
        """Take ``cost`` from ``key``'s bucket: ``(allowed, retry_after seconds)``."""
        now = self.clock()
        with self._lock:
            allowed, bucket, wait = take(self.allowance, self._buckets.get(key), now, cost)
            self._buckets[key] = bucket
            if len(self._buckets) > MAX_BUCKETS:
                self._prune(now)
        return allowed, wait

    def _prune(self, now: float) -> None:
        full = float(self.allowance.burst)
        for key, bucket in list(self._buckets.items()):
            if refilled(self.allowance, bucket, now).tokens >= full:
                del self._buckets[key]
        if len(self._buckets) > MAX_BUCKETS:
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k].at)
            for key in oldest[: len(oldest) - MAX_BUCKETS // 2]:
                del self._buckets[key]

    async def _write(self, tallies: list[RefusalTally]) -> None:
        for tally in tallies:
            await run_in_threadpool(self.record, refusal_event(tally))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._flushing_at_shutdown(receive), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        cost = cost_of(scope.get("method", "GET"), path, self.query_cost)
        await self._write(self.counter.due(self.wall()))
        if cost == 0:
            await self.app(scope, receive, send)
            return
        key = caller_key(scope, self._address_key)
        if self.enabled:
            allowed, wait = self.charge(key, cost)
            if not allowed:
                await self._write(self.counter.add("rate_limited", key, self.wall()))
                await self._refuse(scope, send, wait, cost)
                return
        status: list[int] = []

        async def watching(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        await self.app(scope, receive, watching)
        if status and status[0] == 401:
            await self._write(self.counter.add("unauthenticated", key, self.wall()))

    async def _refuse(self, scope: Scope, send: Send, wait: float, cost: int) -> None:
        seconds = max(1, math.ceil(wait))
        limit = f"{self.allowance.per_minute} a minute, {self.allowance.burst} at once"
        message = (
            f"too many requests: this caller's allowance is {limit} (ACCORD_RATE_PER_MINUTE, "
            f"ACCORD_RATE_BURST), and this request costs {cost}; try again in {seconds} s"
        )
        if scope.get("path", "").startswith("/delta-sharing/"):
            body: dict[str, Any] = {"errorCode": "RESOURCE_EXHAUSTED", "message": message}
        else:
            body = {
                "error": {
                    "status": 429,
                    "code": "rate_limited",
                    "message": message,
                    "details": {"retry_after": round(wait, 3)},
                }
            }
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"retry-after", str(seconds).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    def _flushing_at_shutdown(self, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            if message.get("type") == "lifespan.shutdown":
                await self._write(self.counter.flush())
            return message

        return wrapped
