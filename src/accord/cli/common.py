"""What every command shares: opening the application, printing, and turning errors into
a message and an exit code instead of a traceback.

Refusals are uniform and on the record here as in the API: another organisation's
private object and a missing one print the same message and exit 4 (both are
:func:`accord.errors.not_found`); and a refusal that no service wrote to the audit log
(a lookup of a missing object, say) is written by :func:`handles_errors` as a
``cli.refuse`` event, so that every refusal of a command leaves a ``deny`` event.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from accord.core.audit import AuditEvent, Decision
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
from accord.store import AuditFilter

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
        _opened.clear()
        try:
            return command(*args, **kwargs)
        except AccordError as exc:
            if isinstance(exc, PermissionDenied | NotFoundError):
                _record_refusal(command.__name__, kwargs.get("as_"), exc)
            code = next((c for kind, c in EXIT_CODES.items() if isinstance(exc, kind)), 1)
            err.print(f"[bold red]error:[/] {_escape(exc.message)}", highlight=False)
            raise typer.Exit(code) from exc

    return wrapper


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


_opened: list[tuple[Accord, int]] = []
"""The application this command opened, and the audit head when it did."""


def _record_refusal(command: str, principal: object, exc: AccordError) -> None:
    """A ``deny`` event for a refusal no service recorded; never masks the refusal itself."""
    if not _opened:
        return
    app, since = _opened[-1]
    latest = app.store.audit_events(AuditFilter(decision="deny", limit=1))
    if latest and latest[0].seq > since:
        return
    operator = app.operator()
    actor, via = operator.actor, ""
    if isinstance(principal, str) and principal:
        actor, via = f"principal:{principal}", operator.actor
    details: dict[str, object] = {"command": command}
    if via:
        details["via"] = via
    app.store.record(
        AuditEvent(
            actor=actor,
            action="cli.refuse",
            object=f"command:{command}",
            decision=Decision.DENY,
            reason=exc.message,
            details=details,
        )
    )


def open_app() -> Accord:
    app = Accord.open()
    _opened.append((app, app.store.audit_head()[0]))
    return app


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def table(title: str, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    view = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        view.add_column(column, overflow="fold")
    for row in rows:
        view.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(view)
