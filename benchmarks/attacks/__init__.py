"""The registry of privacy attacks run by ``benchmarks/privacy_attacks.py``.

An attack is a function taking a :class:`Context` (a scratch directory, a seed, a
"quick" flag) and returning a JSON-able dict with at least ``metric`` (what was
measured), ``value``, ``target`` and ``held`` (whether the defence met its target).
Register one with ``@register("name")`` in a module of this package and list the
module in ``MODULES``; the runner imports them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MODULES", "REGISTRY", "Context", "load_all", "register"]


@dataclass(frozen=True, slots=True)
class Context:
    workdir: Path
    seed: int = 13
    quick: bool = False


Attack = Callable[[Context], dict[str, Any]]

REGISTRY: dict[str, Attack] = {}

MODULES = ("attacks.averaging_suite", "attacks.batch_budget", "attacks.batch_timing")
"""Modules that register attacks; add yours here."""


def register(name: str) -> Callable[[Attack], Attack]:
    def add(attack: Attack) -> Attack:
        if name in REGISTRY:
            raise ValueError(f"attack {name!r} is registered twice")
        REGISTRY[name] = attack
        return attack

    return add


def load_all() -> dict[str, Attack]:
    for module in MODULES:
        importlib.import_module(module)
    return REGISTRY
