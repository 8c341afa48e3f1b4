"""The fresh, temporary home each demo runs in: removed afterwards unless kept.

A demo must never touch the user's own Accord home, and a kept one is named so it can
be inspected (``ACCORD_HOME=… accord audit show``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

__all__ = ["temporary_home"]


@contextmanager
def temporary_home(
    prefix: str, *, keep: bool, console: Console, kept: str = "Home kept at {home}"
) -> Iterator[Path]:
    """A new directory; on leaving, removed, or with ``keep`` left and ``kept`` printed
    (a template over ``{home}``), whether the demo finished or failed."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield home
    finally:
        if keep:
            console.print(kept.format(home=home))
        else:
            shutil.rmtree(home, ignore_errors=True)
