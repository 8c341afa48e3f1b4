"""The transaction and audit machinery every store method shares.

A change and the audit event that records it are written in one transaction: the
change first, then the event chained onto the head, then the commit. If the audit
write fails the change is rolled back with it, so nothing happens unrecorded
(fail closed). Driver errors are translated here and nowhere else.

The same append keeps the Merkle tree's frontier over the events' hashes
(``audit_tree``) and signs a checkpoint when ``checkpoint_every`` events or
``checkpoint_seconds`` seconds have passed since the last one: no background thread,
the next append does it, inside its transaction. A checkpoint is *published* outside
the store only after that transaction commits (:class:`CommitHook`), so the published
file never holds a checkpoint the store does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from accord.core.audit import AuditEvent, AuditRecord, chain_events, format_time
from accord.core.checkpoint import Checkpoint
from accord.core.merkle import Frontier
from accord.errors import AccordError, AuditError, ConflictError, StoreError
from accord.store.audit_owners import resolve_owners
from accord.store.models import AuditCheckpointRow, AuditEventRow, AuditHeadRow, AuditOwnerRow
from accord.store.witness_models import AuditCheckpointTreeRow, AuditTreeRow

__all__ = ["Clock", "CommitHook", "Repository", "Signer", "StoreBase", "utcnow"]

T = TypeVar("T")
Clock = Callable[[], datetime]


class Signer(Protocol):
    """Signs (head seq, head hash, signed-at[, Merkle root]) with the platform's audit key;
    with a root, in the version-2 form (see :mod:`accord.core.checkpoint`)."""

    def __call__(
        self, seq: int, head_hash: str, signed_at: str, root: str | None = None
    ) -> Checkpoint: ...


class CommitHook(Protocol):
    """Told after every committed write whether it signed a checkpoint (to publish it)."""

    def after_commit(self, checkpointed: bool) -> None: ...


_CHECKPOINTED = "accord.checkpointed"
"""Key in the connection's ``info``: this transaction signed a checkpoint."""

_AUDIT_COLUMNS = (
    "seq",
    "ts",
    "actor",
    "organisation",
    "action",
    "object",
    "decision",
    "reason",
    "details",
    "owners",
    "prev_hash",
    "hash",
)


def _cause(exc: SQLAlchemyError) -> object:
    """The driver's own message where there is one, without SQLAlchemy's wrapping."""
    return getattr(exc, "orig", None) or exc


def utcnow() -> datetime:
    return datetime.now(UTC)


class StoreBase:
    """Holds the engine, the clock and the checkpoint signer; runs audited transactions."""

    def __init__(
        self,
        engine: Engine,
        *,
        signer: Signer | None = None,
        checkpoint_every: int = 0,
        clock: Clock = utcnow,
        checkpoint_seconds: int = 0,
        on_commit: CommitHook | None = None,
    ) -> None:
        self.engine = engine
        self.signer = signer
        self.checkpoint_every = checkpoint_every
        self.checkpoint_seconds = checkpoint_seconds
        self.clock = clock
        self.on_commit = on_commit

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except AccordError:
            raise
        except SQLAlchemyError as exc:
            raise StoreError(f"the metadata store could not be read: {_cause(exc)}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A write transaction, with driver errors translated into Accord's.

        After it commits, :attr:`on_commit` hears whether it signed a checkpoint.
        """
        checkpointed = False
        try:
            with self.engine.begin() as conn:
                conn.info.pop(_CHECKPOINTED, None)
                yield conn
                checkpointed = bool(conn.info.pop(_CHECKPOINTED, False))
        except AccordError:
            raise
        except IntegrityError as exc:
            raise ConflictError(f"that conflicts with what is stored: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"the change was not made: {_cause(exc)}") from exc
        if self.on_commit is not None:
            self.on_commit.after_commit(checkpointed)

    def _write(
        self, events: AuditEvent | Sequence[AuditEvent], change: Callable[[Connection], T]
    ) -> T:
        """Run ``change`` and append ``events`` in one transaction; both or neither commit."""
        batch = [events] if isinstance(events, AuditEvent) else list(events)
        if not batch:
            raise AuditError("a change must carry at least one audit event")
        try:
            with self._transaction() as conn:
                result = change(conn)
                try:
                    self._append(conn, batch)
                except SQLAlchemyError as exc:
                    raise _audit_not_written(exc) from exc
                return result
        except StoreError as exc:
            # The store could not be written at all (read-only, locked, full, I/O): the
            # audit event was not written either, which is what the caller must hear.
            cause = exc.__cause__
            if isinstance(cause, OperationalError):
                raise _audit_not_written(cause) from cause
            raise

    def _append(self, conn: Connection, events: Sequence[AuditEvent]) -> list[AuditRecord]:
        head = conn.execute(
            select(AuditHeadRow.seq, AuditHeadRow.hash, AuditHeadRow.since_checkpoint)
            .where(AuditHeadRow.id == 1)
            .with_for_update()
        ).one_or_none()
        if head is None:
            raise AuditError(
                "the audit log has no head row: run `accord init` to migrate the store"
            )
        # Owners are resolved here, after the change and under the head's lock, so that
        # an object the same transaction created already names its owners.
        events = resolve_owners(conn, events)
        tree = conn.execute(
            select(AuditTreeRow.size, AuditTreeRow.frontier, AuditTreeRow.checkpointed_at).where(
                AuditTreeRow.id == 1
            )
        ).one_or_none()
        if tree is None or tree.size != head.seq:
            raise AuditError(
                "the audit log's Merkle tree is missing or out of step with its head "
                f"(tree of {tree.size if tree else 'no'} events, head at {head.seq}): "
                "run `accord init` to migrate the store, then `accord audit verify`"
            )
        now = self.clock()
        records = chain_events(events, after_seq=head.seq, after_hash=head.hash, at=now)
        conn.execute(
            insert(AuditEventRow),
            [dict(zip(_AUDIT_COLUMNS, r.as_row(), strict=True)) for r in records],
        )
        owned = [{"organisation": o, "seq": r.seq} for r in records for o in r.owner_ids]
        if owned:
            conn.execute(insert(AuditOwnerRow), owned)
        last = records[-1]
        frontier = Frontier.decode(tree.size, tree.frontier).extend(
            bytes.fromhex(r.hash) for r in records
        )
        conn.execute(
            update(AuditTreeRow)
            .where(AuditTreeRow.id == 1)
            .values(
                size=frontier.size,
                frontier=frontier.encode(),
                # The time rule's clock starts at the first append it sees.
                checkpointed_at=tree.checkpointed_at or format_time(now),
            )
        )
        since = head.since_checkpoint + len(records)
        if self.signer is not None and self._checkpoint_due(since, tree.checkpointed_at, now):
            self._insert_checkpoint(conn, last.seq, last.hash)
            since = 0
        conn.execute(
            update(AuditHeadRow)
            .where(AuditHeadRow.id == 1)
            .values(seq=last.seq, hash=last.hash, since_checkpoint=since)
        )
        return records

    def _checkpoint_due(self, since: int, checkpointed_at: str | None, now: datetime) -> bool:
        """Whether this append signs a checkpoint: by count, or by time while events flow."""
        if self.checkpoint_every and since >= self.checkpoint_every:
            return True
        if not self.checkpoint_seconds or checkpointed_at is None:
            return False
        elapsed = (now - datetime.fromisoformat(checkpointed_at)).total_seconds()
        return elapsed >= self.checkpoint_seconds

    def _insert_checkpoint(self, conn: Connection, seq: int, head_hash: str) -> Checkpoint:
        """Sign the head ``seq`` in the version-2 form, with the root from the stored frontier
        (which the append in this transaction has already brought up to ``seq``)."""
        if self.signer is None:
            raise AuditError("no audit signing key is loaded, so no checkpoint can be signed")
        tree = conn.execute(
            select(AuditTreeRow.size, AuditTreeRow.frontier).where(AuditTreeRow.id == 1)
        ).one()
        if tree.size != seq:
            raise AuditError(
                f"the audit log's Merkle tree holds {tree.size} events but the head is {seq}: "
                "run `accord audit verify`"
            )
        root = Frontier.decode(tree.size, tree.frontier).root().hex()
        signed_at = format_time(self.clock())
        checkpoint = self.signer(seq, head_hash, signed_at, root)
        checkpoint_id = conn.execute(
            insert(AuditCheckpointRow)
            .values(
                seq=checkpoint.seq,
                head_hash=checkpoint.head_hash,
                signed_at=checkpoint.signed_at,
                key_fingerprint=checkpoint.key_fingerprint,
                signature=checkpoint.signature,
            )
            .returning(AuditCheckpointRow.id)
        ).scalar_one()
        conn.execute(
            insert(AuditCheckpointTreeRow).values(
                checkpoint_id=checkpoint_id, tree_size=seq, root=root
            )
        )
        conn.execute(
            update(AuditTreeRow).where(AuditTreeRow.id == 1).values(checkpointed_at=signed_at)
        )
        conn.info[_CHECKPOINTED] = True
        return checkpoint


def _audit_not_written(exc: SQLAlchemyError) -> AuditError:
    """A failure to append the audit event, told as such rather than as a conflict:
    the change is rolled back with it (fail closed), so nothing was changed or released."""
    return AuditError(
        f"the audit log could not be written ({_cause(exc)}), so nothing was changed "
        "or released; check that the store is writable and its disk has space, then retry",
        details={"reason": "audit_write_failed"},
    )


class Repository(StoreBase):
    """A narrow repository of one concept, sharing the main store's engine, signer,
    checkpoints and clock, so its changes join the same audit chain."""

    def __init__(self, base: StoreBase) -> None:
        super().__init__(
            base.engine,
            signer=base.signer,
            checkpoint_every=base.checkpoint_every,
            clock=lambda: base.clock(),  # noqa: PLW0108 - late: tests move the clock
            checkpoint_seconds=base.checkpoint_seconds,
            on_commit=base.on_commit,
        )
