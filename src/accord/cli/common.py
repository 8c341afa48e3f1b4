"""What every command shares: opening the application, printing, and turning errors into
a message and an exit code instead of a traceback."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from accord.errors import (
    AccordError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from accord.services.app import Accord

__all__ = [
    "EXIT_CODES",
    "console",
    "err",
    "fail",
    "handles_errors",
    "open_app",
    "print_json",
    "table",
]

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")

EXIT_CODES: dict[type[AccordError], int] = {
    ValidationError: 1,
    PermissionDenied: 3,
    AuthenticationError: 3,
    NotFoundError: 4,
    ConflictError: 5,
    ConfigurationError: 78,
}
"""1 bad input, 3 refused, 4 not found, 5 conflict, 78 configuration (sysexits EX_CONFIG)."""


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def handles_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Print Accord's errors as one clear message and exit with a code that says which kind."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except AccordError as exc:
            code = next((c for kind, c in EXIT_CODES.items() if isinstance(exc, kind)), 1)
            err.print(f"[bold red]error:[/] {_escape(exc.message)}", highlight=False)
            raise typer.Exit(code) from exc

    return wrapper


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


def open_app() -> Accord:
    return Accord.open()


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def table(title: str, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    view = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        view.add_column(column, overflow="fold")
    for row in rows:
        view.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(view)
