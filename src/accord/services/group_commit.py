"""Group commit: the writes of concurrent callers made in one transaction.

Every API call appends its ``api.access`` event before it is answered, so under load
the server spends most of its time beginning and committing one small transaction
per request, each waiting for the store's single write lock and its fsync. Here the
first caller to arrive while nobody is writing becomes the writer: it takes every
item queued so far (its own included) and writes them together; callers that arrive
meanwhile wait, and the first of them to wake after the commit writes the next
batch. Each caller still returns only once its own item is committed, and hears the
batch's error if the write failed, so an access is never answered unaudited (fail
closed) — the guarantee is the same as one transaction each, only cheaper.

With one caller at a time every batch holds one item: nothing waits, nothing changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

T = TypeVar("T")

MAX_BATCH = 256
"""The most items one transaction takes, so a burst cannot make one transaction huge."""


@dataclass(slots=True)
class _Slot(Generic[T]):
    item: T
    done: bool = False
    error: BaseException | None = field(default=None)


class GroupCommit(Generic[T]):
    """Batches ``write`` over the items concurrent callers :meth:`submit`."""

    def __init__(self, write: Callable[[Sequence[T]], None], max_batch: int = MAX_BATCH) -> None:
        self._write = write
        self._max_batch = max_batch
        self._queue: list[_Slot[T]] = []
        self._writing = False
        self._changed = threading.Condition()

    def submit(self, item: T) -> None:
        """Write ``item`` (with whatever else is queued); return once it is committed."""
        slot = _Slot(item)
        with self._changed:
            self._queue.append(slot)
        while True:
            with self._changed:
                while self._writing and not slot.done:
                    self._changed.wait()
                if slot.done:
                    break
                self._writing = True
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
            error: BaseException | None = None
            try:
                self._write([s.item for s in batch])
            except BaseException as exc:
                error = exc
            finally:
                with self._changed:
                    for s in batch:
                        s.error = error
                        s.done = True
                    self._writing = False
                    self._changed.notify_all()
        if slot.error is not None:
            raise slot.error
