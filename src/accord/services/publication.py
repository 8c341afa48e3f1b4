"""Publishing checkpoints outside the store, and having a witness countersign them.

Runs after a write commits (the store's :class:`~accord.store.base.CommitHook`): a
checkpoint the transaction signed is appended to the checkpoint log, and the newest
one sent to the witness, if one is configured. Publication never fails the write it
follows (that write has committed): a failure is logged and retried after the next
commit, or by ``accord audit publish``, which catches up every stored checkpoint
newer than the file's last line. So the file never holds a checkpoint the store did
not commit, and never misses one for long.

Publication also notices a rollback: if the store no longer holds the newest
published checkpoint (an older backup restored, the tail cut), it refuses to publish
over it and says so, rather than append a fork after it.

A witness that is down does not stop the platform: the checkpoint stays published,
uncosigned, and the newest one is sent again after :data:`WITNESS_RETRY_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from accord.core.checkpoint import Checkpoint
from accord.core.merkle import Frontier, consistency_ranges
from accord.errors import AccordError, AuditError
from accord.services.checkpoint_log import CheckpointLog
from accord.settings import Settings
from accord.store import Store
from accord.witness.client import WitnessClient, WitnessUnavailable

__all__ = [
    "WITNESS_RETRY_SECONDS",
    "CheckpointPublisher",
    "PublishReport",
    "checkpoint_publisher",
    "tree_root",
]

WITNESS_RETRY_SECONDS = 30.0
"""After the witness failed to answer, wait this long before asking it again."""

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PublishReport:
    published: int
    """Checkpoints appended to the file by this call."""
    newest: Checkpoint | None
    cosigned: bool
    """The newest published checkpoint carries a witness's countersignature."""
    witness_problem: str = ""


def tree_root(store: Store, start: int, end: int) -> bytes:
    """The Merkle tree hash of leaves ``[start, end)`` (events ``start+1..end``), read
    from the store in one pass: O(end - start) hashes, memory flat."""
    frontier = Frontier()
    for leaves in store.audit_leaves(start + 1, end):
        frontier = frontier.extend(leaves)
    if frontier.size != end - start:
        raise AuditError(
            f"events {start + 1}..{end} are not all in the store (found {frontier.size}): "
            "run `accord audit verify`"
        )
    return frontier.root()


def _rolled_back(published: Checkpoint, store_seq: int | None) -> AuditError:
    ends = "holds no checkpoint" if store_seq is None else f"differs at event {store_seq:,}"
    return AuditError(
        f"the store no longer holds the newest published checkpoint (event "
        f"{published.seq:,}, signed {published.signed_at}); it {ends}: the store was "
        "restored from an older backup or its tail was cut. Nothing more is published "
        "until this is looked into: run `accord audit verify --against` the published file"
    )


class CheckpointPublisher:
    """The store's commit hook: publishes checkpoints and gets them countersigned."""

    def __init__(self, log: CheckpointLog, witness: WitnessClient | None = None) -> None:
        self._store: Store | None = None
        self.log = log
        self.witness = witness
        self.pending = True
        """Catch up after the next commit: set at start, and after a failure."""
        self._lock = threading.Lock()
        self._witness_retry_at = 0.0

    def attach(self, store: Store) -> None:
        """The store whose checkpoints this publishes (it is built with this as its hook)."""
        self._store = store

    @property
    def store(self) -> Store:
        if self._store is None:
            raise AuditError("the checkpoint publisher is not attached to a store")
        return self._store

    def after_commit(self, checkpointed: bool) -> None:
        if not (checkpointed or self.pending):
            return
        try:
            self.publish()
        except AccordError as exc:
            self.pending = True
            _log.warning("audit checkpoint not published: %s", exc.message)

    def publish(self, *, force_witness: bool = False) -> PublishReport:
        """Append every stored checkpoint newer than the file's last, then have the newest
        countersigned. Raises AuditError if the store is behind the file (a rollback)."""
        with self._lock, self.log.locked() as fd:
            published = self.log.newest()
            if published is None:
                stored = self.store.checkpoints()
                new = _one_per_head(stored)
            else:
                last = published.checkpoint
                stored = self.store.checkpoints_after(last.seq - 1)
                if not stored or stored[0].signature != last.signature:
                    raise _rolled_back(last, stored[0].seq if stored else None)
                new = _one_per_head([c for c in stored if c.seq > last.seq])
            self.log.append(fd, new)
            self.pending = False
            newest = new[-1] if new else (published.checkpoint if published else None)
            cosigned = bool(published and not new and published.cosignatures)
            problem = ""
            wanted = self.witness is not None and newest is not None and newest.root is not None
            if (
                wanted
                and not cosigned
                and (force_witness or time.monotonic() >= self._witness_retry_at)
            ):
                assert newest is not None
                try:
                    self._cosign(fd, newest)
                    cosigned = True
                except WitnessUnavailable as exc:
                    self._witness_retry_at = time.monotonic() + WITNESS_RETRY_SECONDS
                    self.pending = True
                    problem = exc.message
                    _log.warning("audit checkpoint not countersigned: %s", exc.message)
            return PublishReport(len(new), newest, cosigned, problem)

    def _cosign(self, fd: int, checkpoint: Checkpoint) -> None:
        assert self.witness is not None
        assert checkpoint.tree_size is not None
        view = self.witness.head()
        old = min(view.tree_size, checkpoint.tree_size)
        proof = [
            tree_root(self.store, a, b) for a, b in consistency_ranges(old, checkpoint.tree_size)
        ]
        try:
            cosignature = self.witness.cosign(checkpoint, view.tree_size, proof)
        except AccordError:
            # A refusal is for the operator to look into: retry only later, loudly.
            self._witness_retry_at = time.monotonic() + WITNESS_RETRY_SECONDS
            self.pending = True
            raise
        self.log.append_cosignature(fd, checkpoint, cosignature)


def checkpoint_publisher(settings: Settings) -> CheckpointPublisher:
    """The publisher the settings describe: the checkpoint log, and the witness if any."""
    witness = None
    if settings.witness_url:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(settings.witness_public_key))
        witness = WitnessClient(settings.witness_url, key, settings.witness_timeout_seconds)
    return CheckpointPublisher(CheckpointLog(settings.checkpoint_log_path), witness)


def _one_per_head(checkpoints: list[Checkpoint]) -> list[Checkpoint]:
    """The first checkpoint of each head: a second signature of the same head adds nothing."""
    seen: set[int] = set()
    out = []
    for c in checkpoints:
        if c.seq not in seen:
            seen.add(c.seq)
            out.append(c)
    return out
