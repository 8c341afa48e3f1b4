"""Settings fail at start-up, naming the variable and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.errors import ConfigurationError
from accord.settings import SETTINGS, load_settings


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings({"ACCORD_HOME": str(tmp_path)})
    assert settings.home == tmp_path.resolve()
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'accord.sqlite'}"
    assert settings.engine == "duckdb"


def test_postgres_urls_use_psycopg(tmp_path: Path) -> None:
    settings = load_settings(
        {"ACCORD_HOME": str(tmp_path), "ACCORD_DATABASE_URL": "postgres://u@h/db"}
    )
    assert settings.database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ACCORD_DATABASE_URL", "mysql://x/y"),
        ("ACCORD_DATABASE_URL", "not a url"),
        ("ACCORD_ENGINE", "oracle"),
        ("ACCORD_CHECKPOINT_EVERY", "-1"),
        ("ACCORD_TOKEN_TTL_DAYS", "soon"),
    ],
)
def test_invalid_settings_name_the_variable(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=variable) as caught:
        load_settings({"ACCORD_HOME": str(tmp_path), variable: value})
    assert "Set" in caught.value.message or "Use" in caught.value.message


def test_a_home_that_is_a_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "home"
    file.write_text("")
    with pytest.raises(ConfigurationError, match="ACCORD_HOME"):
        load_settings({"ACCORD_HOME": str(file)})


def test_every_setting_is_documented() -> None:
    readme = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    for setting in SETTINGS:
        assert setting.help
        assert setting.name in readme, f"{setting.name} is missing from docs/configuration.md"
