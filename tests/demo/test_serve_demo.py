"""``accord demo carers --serve``: seed 000's world served for a browser until Ctrl-C."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from accord.demo.web_world import DEMO_PEOPLE

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_accord_demo_carers_serve_opens_the_world_in_a_browser() -> None:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "accord",
        "demo",
        "carers",
        "--serve",
        "--scale",
        "0.0005",
        "--port",
        str(port),
    ]
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    with subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as served:
        try:
            deadline = time.monotonic() + 60
            page = None
            while time.monotonic() < deadline and page is None:
                try:
                    page = httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=2)
                except httpx.TransportError:
                    assert served.poll() is None, "the demo stopped before serving"
                    time.sleep(0.3)
            assert page is not None, "the demo did not serve within 60 s"
            assert page.status_code == 200
            for person in DEMO_PEOPLE:
                assert f">{person.name}<" in page.text
        finally:
            served.send_signal(signal.SIGINT)
            output, _ = served.communicate(timeout=30)
    assert served.returncode == 0, output
    assert f"Open http://127.0.0.1:{port} in a browser" in output
    assert "Dana Okafor — data owner, Department for Work and Pensions" in output
    kept = re.search(r"The world is kept at (\S+?):", output)
    assert kept, output
    assert (Path(kept[1]) / "home").is_dir()
    shutil.rmtree(kept[1])


def test_serve_is_for_the_carers_demo_only() -> None:
    from typer.testing import CliRunner

    from accord.cli.main import app

    result = CliRunner().invoke(app, ["demo", "trust", "--serve"])
    assert result.exit_code != 0
    assert "accord demo carers --serve" in result.output
