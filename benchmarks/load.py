"""Many concurrent API clients against a real server on loopback.

A governed world is built at set-up (DWP's 10,000-row ``claimants``, shared with HMRC
in place and over Delta Sharing under one agreement); ``accord serve`` runs it in its
own process (uvicorn, one worker); ``--clients`` clients (asyncio + httpx, spread over
``--client-processes`` processes: on two cores one process of 200 clients was itself the
bottleneck and sent six times fewer requests than two) then send for ``--seconds`` a mix of:

- ``metadata``: catalogue reads (``GET /datasets``, ``GET /datasets/dwp/claimants``);
- ``query``: one SELECT in place (``POST /agreements/{id}/query``);
- ``delta``: Delta Sharing reads (list shares and tables, table metadata, a query).

Each client holds its own API token and share token, as separate callers do, and paces
itself to ``--rate`` requests a second, within the per-token rate limits (the server
takes ``ACCORD_RATE_*`` from this process's environment; nothing is raised for it). A
``baseline`` pass first sends the same mix from one client to the idle server, and a
``health`` probe runs beside the load, so loaded latencies are shown beside unloaded
ones as ratios (machines here are shared and noisy: ratios travel, absolute figures
less so).

Prints one JSON object: per kind and overall the count, 5xx answers, other errors by
status, connection errors, p50 and p99 latency (ms) and throughput (requests/s).

    python benchmarks/load.py [--clients 200] [--seconds 60] [--client-processes 2]
                              [--rate 1.0] [--seed 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
from bench_world import approve, bench_accord

from accord.core.governance.request import SharingRequest
from accord.core.identity import OrgKind, Role

KINDS = {"metadata": 0.6, "query": 0.2, "delta": 0.2}
QUERY = "select benefit, weekly_amount, output_area from dwp_claimants limit 50"


@dataclass(frozen=True)
class Caller:
    """One client's credentials."""

    token: str
    share_token: str


@dataclass(frozen=True)
class World:
    home: Path
    agreement: str
    callers: list[Caller]


def build_world(work: Path, clients: int) -> World:
    """The world of the load: organisations, the dataset, an active agreement, and a
    token and share token for each client."""
    source = work / "claimants.parquet"
    duckdb.sql(
        "copy (select 'A' || lpad(i::varchar, 6, '0') || 'C' as nino,"
        " ['IS', 'JSA', 'ESA', 'UC'][1 + (i % 4)::int] as benefit,"
        " 40.0 + (i % 100) as weekly_amount,"
        " 'E00' || lpad((i % 1800)::varchar, 6, '0') as output_area"
        f" from range(10000) t(i)) to '{source}' (format parquet)"
    )
    home = work / "home"
    app = bench_accord(
        home,
        "dwp",
        {"dwp": OrgKind.GOVERNMENT_DEPARTMENT, "hmrc": OrgKind.GOVERNMENT_DEPARTMENT},
        {"analyst": ("hmrc", Role.ANALYST), "requester": ("hmrc", Role.REQUESTER)},
    )
    op = app.operator("bench")
    app.catalogue.register(op, "dwp", "claimants", str(source))
    today = date.today()
    request = SharingRequest.parse(
        {
            "title": "Load benchmark share",
            "requesting_organisation": "hmrc",
            "requester": "requester",
            "purpose_category": "research",
            "purpose": "Measure the API under many concurrent callers",
            "datasets": [
                {
                    "dataset": "dwp/claimants",
                    "fields": [
                        {"name": n, "justification": "analysis"}
                        for n in ("benefit", "weekly_amount", "output_area")
                    ],
                }
            ],
            "form": "pseudonymised",
            "channels": ["in_place_query", "delta_sharing"],
            "frequency": "continuous",
            "test_exchange": False,
            "lawful_basis": "6(1)(e)",
            "gateway": "dea-2017-part5",
            "dpia": {"reference": "DPIA-LOAD", "outcome": "low_risk"},
            "retention": "P1Y after delivery",
            "start_date": str(today - timedelta(days=1)),
            "end_date": str(today + timedelta(days=90)),
        }
    )
    agreement = approve(app, request, "requester")
    analyst = app.acting_as("analyst", "bench")
    callers = []
    for _ in range(clients + 1):  # one more for the health probe and the baseline
        _, token = app.identity.issue_token(op, "analyst", ttl_days=1)
        _, share = app.sharing.issue_token(analyst, agreement, "analyst", ttl_days=1)
        callers.append(Caller(token, share))
    app.close()
    return World(home, agreement, callers)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ACCORD_HOME": str(home)}
    env.pop("ACCORD_DATABASE_URL", None)
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "accord", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 180  # a shared, loaded machine starts slowly
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited: {log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not answer /health within 180 s")


def requests_for(kind: str, agreement: str) -> list[tuple[str, str, dict[str, Any], bool]]:
    """(method, path, json body, uses the share token) for one request of ``kind``."""
    share = f"/delta-sharing/shares/{agreement}"
    table = f"{share}/schemas/governed/tables/dwp_claimants"
    if kind == "metadata":
        return [("GET", "/datasets", {}, False), ("GET", "/datasets/dwp/claimants", {}, False)]
    if kind == "query":
        return [("POST", f"/agreements/{agreement}/query", {"sql": QUERY}, False)]
    if kind == "health":
        return [("GET", "/health", {}, False)]
    return [
        ("GET", "/delta-sharing/shares", {}, True),
        ("GET", f"{share}/all-tables", {}, True),
        ("GET", f"{table}/metadata", {}, True),
        ("POST", f"{table}/query", {}, True),
    ]


Sample = tuple[str, int, float]  # kind, status (0: connection error), latency in seconds


async def one_request(
    client: httpx.AsyncClient, caller: Caller, kind: str, agreement: str, rng: random.Random
) -> Sample:
    method, path, body, shared = rng.choice(requests_for(kind, agreement))
    secret = caller.share_token if shared else caller.token
    headers = {"Authorization": f"Bearer {secret}"}
    started = time.perf_counter()
    try:
        response = await client.request(method, path, json=body or None, headers=headers)
        status = response.status_code
    except httpx.TransportError:
        status = 0
    return kind, status, time.perf_counter() - started


async def client_loop(
    base: str, caller: Caller, agreement: str, until: float, rate: float, seed: int, kind: str
) -> list[Sample]:
    """One client: a request, then a pause to keep to ``rate`` a second, until ``until``."""
    rng = random.Random(seed)
    samples: list[Sample] = []
    names, weights = list(KINDS), list(KINDS.values())
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        await asyncio.sleep(rng.uniform(0, 1 / rate))  # spread the first requests
        while time.time() < until:
            started = time.perf_counter()
            chosen = kind if kind != "mix" else rng.choices(names, weights)[0]
            samples.append(await one_request(client, caller, chosen, agreement, rng))
            await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - started)))
    return samples


def client_process(args: tuple[str, list[Caller], str, float, float, int, str]) -> list[Sample]:
    """A process's clients, for ``seconds`` from when the process is ready (a spawned
    process takes a few seconds to import; counting from then keeps every client's
    window the same length)."""
    base, callers, agreement, seconds, rate, seed, kind = args
    until = time.time() + seconds

    async def everyone() -> list[Sample]:
        loops = [
            client_loop(base, caller, agreement, until, rate, seed + i, kind)
            for i, caller in enumerate(callers)
        ]
        return [s for samples in await asyncio.gather(*loops) for s in samples]

    # A fresh event loop in a thread of its own: asyncio.run refuses to start where a
    # loop is already running (in a test process, one another test left behind).
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(everyone())).result()


def warm_up(base: str, caller: Caller, agreement: str) -> None:
    """Every request of the mix once, unmeasured: the first Delta Sharing query
    materialises the governed file, which later ones are served from."""
    for kind in KINDS:
        for method, path, body, shared in requests_for(kind, agreement):
            secret = caller.share_token if shared else caller.token
            response = httpx.request(
                method,
                base + path,
                json=body or None,
                headers={"Authorization": f"Bearer {secret}"},
                timeout=120,
            )
            if response.status_code >= 400:
                raise SystemExit(f"warm-up {method} {path}: {response.status_code} {response.text}")


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)


def summary(samples: list[Sample], seconds: float) -> dict[str, Any]:
    latencies = [s[2] for s in samples if s[1] != 0]
    errors: dict[str, int] = defaultdict(int)
    for _, status, _ in samples:
        if status >= 400:
            errors[str(status)] += 1
    return {
        "count": len(samples),
        "server_errors_5xx": sum(1 for s in samples if s[1] >= 500),
        "other_errors": dict(sorted((k, v) for k, v in errors.items() if int(k) < 500)),
        "connection_errors": sum(1 for s in samples if s[1] == 0),
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "throughput_rps": round(len(samples) / seconds, 1),
    }


def by_kind(samples: list[Sample], seconds: float) -> dict[str, Any]:
    kinds = sorted({s[0] for s in samples})
    return {k: summary([s for s in samples if s[0] == k], seconds) for k in kinds}


def measure_load(
    clients: int, seconds: float, client_processes: int, rate: float, seed: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="accord-load-") as tmp:
        work = Path(tmp)
        world = build_world(work, clients)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(world.home, port, work / "server.log")
        try:
            probe = world.callers[-1]
            # Baseline: the same mix, one client, the server otherwise idle; and warm-up
            # (the first Delta Sharing query materialises the governed file).
            warm_up(base, probe, world.agreement)
            quiet_seconds = min(10.0, max(2.0, seconds / 6))
            baseline = client_process(
                (base, [probe], world.agreement, quiet_seconds, 20.0, seed, "mix")
            )
            groups = [world.callers[i:clients:client_processes] for i in range(client_processes)]
            jobs = [
                (base, group, world.agreement, seconds, rate, seed + 1000 * (n + 1), "mix")
                for n, group in enumerate(groups)
            ]
            jobs.append((base, [probe], world.agreement, seconds, 5.0, seed, "health"))
            context = multiprocessing.get_context("spawn")
            with context.Pool(len(jobs)) as pool:
                results = pool.map(client_process, jobs)
            health = results.pop()
            loaded = [s for r in results for s in r]
        finally:
            server.terminate()
            server.wait(timeout=30)
        kinds = by_kind(loaded, seconds)
        quiet = by_kind(baseline, quiet_seconds)
        ratios = {
            k: {
                f"{p}_loaded_over_idle": round(kinds[k][f"{p}_ms"] / quiet[k][f"{p}_ms"], 2)
                for p in ("p50", "p99")
                if kinds.get(k, {}).get(f"{p}_ms") and quiet.get(k, {}).get(f"{p}_ms")
            }
            for k in KINDS
        }
        return {
            "benchmark": "load",
            "clients": clients,
            "seconds": seconds,
            "client_processes": client_processes,
            "rate_per_client": rate,
            "cpus": os.cpu_count(),
            "overall": summary(loaded, seconds),
            "kinds": kinds,
            "health_under_load": summary(health, seconds),
            "baseline_one_client_idle": quiet,
            "ratios": ratios,
            "target_metadata_p99_ms": 100,
            "metadata_p99_within_target": (kinds.get("metadata", {}).get("p99_ms") or 1e9) <= 100,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--rate", type=float, default=1.0, help="requests/s per client")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    result = measure_load(args.clients, args.seconds, args.client_processes, args.rate, args.seed)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
