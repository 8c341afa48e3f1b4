"""ACRO, the reference implementation we cross-check against, in its own environment.

ACRO pins pandas, so it cannot share Accord's locked environment. The tests and the
benchmark call :func:`ensure_acro_env` to create a private virtual environment with
the pinned ACRO from PyPI (once; it is cached under ``.tools/acro``, which git
ignores) and :func:`run_acro` to run ``acro_bridge.py`` in it as a subprocess. A
clean machine (CI) therefore builds it itself; if that fails the error says why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.errors import ConfigurationError

__all__ = ["ACRO_REQUIREMENT", "AcroRun", "ensure_acro_env", "run_acro"]

ACRO_REQUIREMENT = "acro==1.0.2"
"""The version the agreement figures in docs/disclosure.md were measured against."""
_READY = ".accord-ready"
BRIDGE = Path(__file__).with_name("acro_bridge.py")


def _python(env: Path) -> Path:
    return env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def ensure_acro_env(env: Path, *, python: str | None = None, timeout: float = 900) -> Path:
    """The Python of an environment at ``env`` with ACRO installed; built if missing.

    A half-built environment (no ready marker, say after an interrupted install) is
    removed and built again, so a failure never leaves something that looks usable.
    """
    marker = env / _READY
    if marker.exists() and marker.read_text(encoding="utf-8").strip() == ACRO_REQUIREMENT:
        return _python(env)
    if env.exists():
        shutil.rmtree(env)
    base = python or shutil.which("python3") or sys.executable
    try:
        subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [base, "-m", "venv", str(env)], check=True, capture_output=True, timeout=timeout
        )
        subprocess.run(  # noqa: S603 - the environment we just made
            [str(_python(env)), "-m", "pip", "install", "--quiet", ACRO_REQUIREMENT],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        raise ConfigurationError(
            f"could not build ACRO's environment at {env} ({ACRO_REQUIREMENT}): {exc}\n"
            f"{detail.decode(errors='replace')[-2000:]}\n"
            "It needs python3 with the venv module and access to PyPI."
        ) from exc
    marker.write_text(ACRO_REQUIREMENT + "\n", encoding="utf-8")
    return _python(env)


@dataclass(frozen=True, slots=True)
class AcroRun:
    version: str
    seconds: float
    """Time inside ``acro.crosstab`` only: start-up and reading are excluded."""
    tables: dict[str, Any]


def run_acro(
    python: Path,
    rows_csv: Path,
    rows: str,
    columns: str,
    value: str | None,
    *,
    timeout: float = 1800,
) -> AcroRun:
    """ACRO's crosstab of every table in ``rows_csv`` (a ``table`` column names each)."""
    with tempfile.TemporaryDirectory(prefix="accord-acro-") as tmp:
        job = Path(tmp) / "job.json"
        out = Path(tmp) / "out.json"
        job.write_text(
            json.dumps({"csv": str(rows_csv), "rows": rows, "columns": columns, "value": value}),
            encoding="utf-8",
        )
        done = subprocess.run(  # noqa: S603 - ACRO's environment, our bridge script
            [str(python), "-I", str(BRIDGE), str(job), str(out)],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise ConfigurationError(
                "ACRO failed:\n" + done.stderr.decode(errors="replace")[-4000:]
            )
        answer = json.loads(out.read_text(encoding="utf-8"))
    return AcroRun(answer["acro_version"], float(answer["seconds"]), answer["tables"])
