"""The API served by uvicorn on a loopback port, in a background thread.

For the demos, the tests and the benchmarks that must meet Accord as a remote client
does (over real HTTP, through a real socket) without leaving a process behind. ``accord
serve`` is the way to run the API for anything else.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from accord.api.app import create_app
from accord.api.tls import TLSConfig, base_url, server_config
from accord.errors import ConfigurationError
from accord.services.app import Accord

__all__ = ["running_server"]


@contextmanager
def running_server(
    accord: Accord,
    *,
    host: str = "127.0.0.1",
    wait: float = 30.0,
    tls: TLSConfig | None = None,
) -> Iterator[str]:
    """Serve ``accord`` on a free port of ``host``; yield its base URL; stop on exit.

    With ``tls``, the server is configured exactly as ``accord serve --tls-cert …`` is
    (the same :func:`accord.api.tls.server_config`) and the URL is ``https://``.
    """
    config = server_config(
        create_app(accord), host=host, port=0, tls=tls, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="accord-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + wait
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise ConfigurationError(f"the API server did not start on {host} within {wait:g}s")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield base_url(host, port, tls=tls is not None)
    finally:
        server.should_exit = True
        thread.join(timeout=wait)
