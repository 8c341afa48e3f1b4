"""What every command shares: opening the application, printing, and turning errors into
a message and an exit code instead of a traceback.

Refusals are uniform and on the record here as in the API: another organisation's
private object and a missing one print the same message and exit 4 (both are
:func:`accord.errors.not_found`); and a refusal that no service wrote to the audit log
(a lookup of a missing object, say) is written by :func:`handles_errors` as a
``cli.refuse`` event, so that every refusal of a command leaves a ``deny`` event.

Every command is wrapped in :func:`handles_errors` (``tests/hardening/hygiene`` walks
them all), so nothing reaches the user as a traceback: a full disk or refused write is
a :class:`~accord.errors.StorageError` naming the path (and a ``storage.write_failed``
event); anything unexpected is one line with a reference, exit 70, the traceback
written only to the operator's log, ``$ACCORD_HOME/logs/errors.log``.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from typer.exceptions import TyperException

from accord.core.audit import AuditEvent, Decision
from accord.errors import (
    AccordError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDenied,
    StorageError,
    ValidationError,
)
from accord.fsutil import PRIVATE_DIR, storage_error
from accord.services.app import Accord
from accord.services.faults import error_reference, record_write_failure
from accord.settings import load_settings
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
    StorageError: 74,
}
"""1 bad input, 3 refused, 4 not found, 5 conflict, 74 a write refused by the file system
(sysexits EX_IOERR), 78 configuration (EX_CONFIG); 70 (EX_SOFTWARE) is an internal error."""

EXIT_INTERNAL = 70


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
        except (typer.Exit, typer.Abort, TyperException):
            raise  # Typer's own ways out: an exit code, Ctrl-C, a usage error
        except AccordError as exc:
            _fail_with(command.__name__, kwargs.get("as_"), exc)
        except Exception as exc:
            translated = storage_error(exc, getattr(exc, "filename", None) or "a file")
            if translated is not None:
                _fail_with(command.__name__, kwargs.get("as_"), translated, cause=exc)
            reference = error_reference()
            where = _log_internal_error(command.__name__, reference, exc)
            err.print(
                f"[bold red]internal error[/], reference {reference}: "
                + (f"see {_escape(where)}" if where else "the operator's log was not writable"),
                highlight=False,
            )
            raise typer.Exit(EXIT_INTERNAL) from exc

    wrapper.handles_errors = True  # type: ignore[attr-defined]
    return wrapper


def _fail_with(
    command: str, principal: object, exc: AccordError, cause: BaseException | None = None
) -> NoReturn:
    if isinstance(exc, PermissionDenied | NotFoundError):
        _record_refusal(command, principal, exc)
    if isinstance(exc, StorageError) and _opened:
        record_write_failure(_opened[-1][0].store, _opened[-1][0].operator().actor, exc, command)
    code = next((c for kind, c in EXIT_CODES.items() if isinstance(exc, kind)), 1)
    err.print(f"[bold red]error:[/] {_escape(exc.message)}", highlight=False)
    raise typer.Exit(code) from cause or exc


def _log_internal_error(command: str, reference: str, exc: BaseException) -> str | None:
    """Append the traceback to the operator's log (0600); where it went, for the user."""
    text = "".join(traceback.format_exception(exc))
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        directory = load_settings().home / "logs"
        directory.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        path = directory / "errors.log"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(f"{stamp} reference {reference} command {command}\n{text}\n")
    except (AccordError, OSError):
        return None
    return str(path)


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
