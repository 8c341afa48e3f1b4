"""The grace period a holder has to certify a destruction is a setting, checked at start-up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from accord.errors import ConfigurationError
from accord.services.app import Accord
from accord.services.retention import RetentionService
from accord.settings import load_settings


def test_the_grace_period_defaults_to_30_days_and_is_read_from_the_environment(
    tmp_path: Path,
) -> None:
    assert load_settings({"ACCORD_HOME": str(tmp_path)}).destruction_grace_days == 30
    settings = load_settings(
        {"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_DESTRUCTION_GRACE_DAYS": "5"}
    )
    app = Accord.init(settings, operator="test")
    try:
        assert RetentionService.of(app).grace == timedelta(days=5)
    finally:
        app.close()


@pytest.mark.parametrize("value", ["-1", "a month"])
def test_a_bad_grace_period_names_the_variable(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigurationError, match="ACCORD_DESTRUCTION_GRACE_DAYS"):
        load_settings({"ACCORD_HOME": str(tmp_path), "ACCORD_DESTRUCTION_GRACE_DAYS": value})
