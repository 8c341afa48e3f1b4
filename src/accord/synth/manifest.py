"""The manifest: what a synthetic run wrote, how it was made, and how to check it.

``manifest.json`` sits beside the files. It records every file's rows and sha256, the
generator's version and settings (scenario, scale, seed, format, rates), and the
scenario's headline truths (for carers: how many carers have not been offered a
vaccine), so a reviewer can check a download and a test can check an answer. It holds
no timestamps or paths outside the output directory, so the same seed gives a
byte-identical manifest.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["GENERATOR_VERSION", "FileEntry", "Manifest"]

GENERATOR_VERSION = "1.0.0"
"""Bumped whenever the same seed would give different output."""


@dataclass(frozen=True)
class FileEntry:
    """One written file: a dataset, a ground-truth table or a reference table."""

    name: str
    path: str
    """Relative to the output directory, with ``/`` separators."""
    role: str
    """``dataset`` (a source as its holder has it), ``ground_truth`` or ``reference``."""
    holder: str
    description: str
    rows: int
    sha256: str
    bytes: int
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Manifest:
    scenario: str
    scale: float
    seed: int
    format: str
    generator: str
    generator_version: str
    reference_date: str
    persons: int
    rates: dict[str, float]
    files: tuple[FileEntry, ...]
    truth: dict[str, Any]
    """Headline facts a correct analysis of the data should reproduce."""

    def file(self, name: str) -> FileEntry:
        for entry in self.files:
            if entry.name == name:
                return entry
        raise KeyError(name)

    @property
    def row_counts(self) -> dict[str, int]:
        return {f.name: f.rows for f in self.files}

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        files = tuple(FileEntry(**{**f, "columns": tuple(f["columns"])}) for f in data.pop("files"))
        return cls(**data, files=files)

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        return cls.from_json((directory / "manifest.json").read_text(encoding="utf-8"))
