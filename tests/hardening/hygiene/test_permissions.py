"""The home holds personal data and keys: Accord's user alone may read it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from accord.services.app import Accord
from accord.settings import load_settings

CSV = "nino,forename,surname,date_of_birth,postcode\nAB123456C,Mary,Jones,1961-04-12,SW1A 1AA\n"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _modes(home: Path) -> dict[str, int]:
    """Each path's mode, directories' names ending in a slash."""
    found = {"./": _mode(home)}
    for directory, dirnames, filenames in os.walk(home):
        for name in [*dirnames, *filenames]:
            path = Path(directory) / name
            slash = "/" if name in dirnames else ""
            found[f"{path.relative_to(home)}{slash}"] = _mode(path)
    return found


def test_a_fresh_home_and_everything_written_in_it_is_private(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # a typical login's umask: what Accord must not rely on
    try:
        home = tmp_path / "home"
        accord = Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test")
        source = tmp_path / "people.csv"
        source.write_text(CSV)
        accord.catalogue.register(accord.operator("test"), "platform", "people", str(source))
        modes = _modes(home)  # while open: SQLite's -wal and -shm go at close
        accord.close()
    finally:
        os.umask(previous)
    for name in ("keys/master.key", "accord.sqlite", "accord.sqlite-wal", "accord.sqlite-shm"):
        assert modes[name] == 0o600, name
    assert "data/platform/people/v1.parquet" in modes
    loose = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode & 0o077 or (name.endswith("/") and mode != 0o700)
    }
    assert loose == {}


def test_an_existing_home_with_loose_modes_is_tightened_at_open(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test").close()
    (home / "uploads" / "nested").mkdir(parents=True)
    for path, mode in (
        (home, 0o755),
        (home / "keys", 0o755),
        (home / "uploads", 0o777),
        (home / "uploads" / "nested", 0o755),
        (home / "accord.sqlite", 0o644),
    ):
        os.chmod(path, mode)

    Accord.open(load_settings({"ACCORD_HOME": str(home)})).close()

    assert _mode(home) == 0o700
    assert _mode(home / "keys") == 0o700
    assert _mode(home / "uploads") == 0o700
    assert _mode(home / "uploads" / "nested") == 0o700
    assert _mode(home / "accord.sqlite") == 0o600
