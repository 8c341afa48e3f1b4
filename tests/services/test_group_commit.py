"""Group commit: every item written exactly once, before its caller returns."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from accord.services.group_commit import GroupCommit


def test_concurrent_items_are_each_written_once_before_their_callers_return() -> None:
    written: list[int] = []
    batches: list[int] = []
    gate = threading.Event()

    taking: list[int] = []

    def write(items: Sequence[int]) -> None:
        taking.append(len(items))
        gate.wait(10)  # the first writer holds on until every other caller has queued
        batches.append(len(items))
        written.extend(items)

    group: GroupCommit[int] = GroupCommit(write)
    seen_after_return: dict[int, bool] = {}

    def caller(n: int) -> None:
        group.submit(n)
        seen_after_return[n] = n in written

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    while not taking or taking[0] + len(group._queue) < 50:
        threading.Event().wait(0.01)
    gate.set()
    for t in threads:
        t.join(10)
    assert sorted(written) == list(range(50))
    assert all(seen_after_return[n] for n in range(50))
    assert len(batches) < 50, "waiting callers were written together"


def test_a_failed_write_is_raised_to_every_caller_in_its_batch() -> None:
    class Boom(Exception):
        pass

    def write(items: Sequence[int]) -> None:
        raise Boom(f"could not write {len(items)}")

    group: GroupCommit[int] = GroupCommit(write)
    with pytest.raises(Boom):
        group.submit(1)
    # The failure does not wedge the next caller.
    with pytest.raises(Boom):
        group.submit(2)


def test_one_caller_at_a_time_writes_batches_of_one() -> None:
    batches: list[list[int]] = []
    group: GroupCommit[int] = GroupCommit(lambda items: batches.append(list(items)))
    for n in range(3):
        group.submit(n)
    assert batches == [[0], [1], [2]]
