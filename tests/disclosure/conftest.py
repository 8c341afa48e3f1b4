"""Fixtures for disclosure tests: ACRO's private environment, built on first use.

ACRO pins pandas, so it runs in its own virtual environment under ``.tools/acro``
(git-ignored, kept between runs). A clean machine builds it here; when that is
impossible the ACRO tests fail under CI (or ACCORD_REQUIRE_ACRO=1) and are skipped
elsewhere, with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from accord.disclosure.acro_env import ensure_acro_env
from accord.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def acro_python() -> Path:
    try:
        return ensure_acro_env(ROOT / ".tools" / "acro")
    except ConfigurationError as exc:
        if os.environ.get("CI") or os.environ.get("ACCORD_REQUIRE_ACRO") == "1":
            pytest.fail(str(exc))
        pytest.skip(str(exc))
