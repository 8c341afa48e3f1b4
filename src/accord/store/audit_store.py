"""Reading and appending the audit log, and its signed checkpoints."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update

from accord.core.audit import FIELDS, LEGACY_FIELDS, AuditEvent, AuditRecord, PayloadBatch
from accord.core.checkpoint import Checkpoint
from accord.errors import AuditError
from accord.store.audit_owners import parties_of
from accord.store.base import StoreBase
from accord.store.models import AuditCheckpointRow, AuditEventRow, AuditHeadRow, AuditOwnerRow
from accord.store.witness_models import AuditCheckpointTreeRow

__all__ = ["AUDIT_READ_METHODS", "AuditFilter", "AuditStore"]

AUDIT_READ_METHODS = frozenset({"checkpoints_after", "audit_leaves"})
"""This module's newer public methods that change nothing (the rest are in READ_METHODS)."""


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Every criterion is optional; ``since``/``until`` compare the stored ISO times.

    ``organisation`` is the actor's organisation; ``about`` an organisation the event
    concerns either way: as the actor's, or as an owner of the data acted on.
    """

    actor: str | None = None
    organisation: str | None = None
    about: str | None = None
    object: str | None = None
    action: str | None = None
    decision: str | None = None
    since: str | None = None
    until: str | None = None
    limit: int = 100
    newest_first: bool = True
    before: int | None = None
    """Only events earlier in the chain than this ``seq``: the next page, newest first."""


def _payload_sql(columns: tuple[str, ...], legacy: bool = False) -> dict[str, str]:
    """The text :func:`accord.core.audit.chain_payload` builds, built by the database in one
    call (SQLite's printf, PostgreSQL's concat_ws) rather than a chain of ``||``.

    In the legacy form an ``owners`` value set on an old event (which had none) adds a
    field, so the verifier's field count names that event as edited.
    """
    sqlite_columns = pg_columns = ", ".join(columns)
    if legacy:
        sqlite_columns = sqlite_columns.replace(
            "details", "details || coalesce(char(31) || owners, '')"
        )
        pg_columns = pg_columns.replace("details", "details || coalesce(chr(31) || owners, '')")
    formats = " || ".join(["char(31) || '%s'"] * (len(columns) - 1))
    sqlite = f"printf('%d' || {formats}, {sqlite_columns})"
    pg = f"concat_ws(chr(31), {pg_columns})"
    return {
        "payload.sqlite": f"SELECT CAST({sqlite} AS BLOB), CAST(hash AS BLOB) FROM audit_events "
        "WHERE seq BETWEEN ? AND ? ORDER BY seq",
        "payload.postgresql": f"SELECT convert_to({pg}, 'UTF8'), convert_to(hash, 'UTF8') "
        "FROM audit_events WHERE seq BETWEEN %s AND %s ORDER BY seq",
        # Whole ranges as two blobs: payloads joined by 0x1e, hashes end to end, so that
        # compiled code verifies them without a Python object per event.
        "blob.sqlite": "SELECT count(*), CAST(group_concat(p, char(30)) AS BLOB), "
        "CAST(group_concat(h, '') AS BLOB) FROM ("
        f"SELECT {sqlite} AS p, hash AS h FROM audit_events "
        "WHERE seq BETWEEN ? AND ? ORDER BY seq)",
        "blob.postgresql": f"SELECT count(*), convert_to(string_agg({pg}, chr(30) ORDER BY seq), "
        "'UTF8'), convert_to(string_agg(hash, '' ORDER BY seq), 'UTF8') FROM audit_events "
        "WHERE seq BETWEEN %s AND %s",
    }


_LEGACY_COLUMNS = (
    "seq",
    "ts",
    "actor",
    "organisation",
    "action",
    "object",
    "decision",
    "reason",
    "details",
    "prev_hash",
)
_COLUMNS = (*_LEGACY_COLUMNS[:-1], "owners", "prev_hash")
_SQL = {
    FIELDS: _payload_sql(_COLUMNS),
    LEGACY_FIELDS: _payload_sql(_LEGACY_COLUMNS, legacy=True),
}


def _record(r: Any) -> AuditRecord:
    return AuditRecord(
        r.seq,
        r.ts,
        r.actor,
        r.organisation,
        r.action,
        r.object,
        r.decision,
        r.reason,
        r.details,
        r.owners,
        r.prev_hash,
        r.hash,
    )


class AuditStore(StoreBase):
    def record(self, audit: AuditEvent) -> AuditRecord:
        """Append an event that goes with no other change: a refusal, a read, a release."""
        with self._transaction() as conn:
            return self._append(conn, [audit])[0]

    def record_many(self, audit: Sequence[AuditEvent]) -> int:
        """Append many events in one durable transaction (bulk imports, the benchmark)."""
        with self._transaction() as conn:
            return len(self._append(conn, audit))

    def add_checkpoint(self, audit: AuditEvent) -> Checkpoint:
        """Append ``audit``, then sign the new head and store the checkpoint, atomically."""
        with self._transaction() as conn:
            last = self._append(conn, [audit])[-1]
            checkpoint = self._insert_checkpoint(conn, last.seq, last.hash)
            conn.execute(update(AuditHeadRow).values(since_checkpoint=0))
            return checkpoint

    def audit_head(self) -> tuple[int, str]:
        with self._read() as conn:
            row = conn.execute(select(AuditHeadRow.seq, AuditHeadRow.hash)).one()
            return int(row.seq), str(row.hash)

    def audit_events(self, where: AuditFilter) -> list[AuditRecord]:
        query = select(AuditEventRow)
        for column, value in (
            (AuditEventRow.actor, where.actor),
            (AuditEventRow.organisation, where.organisation),
            (AuditEventRow.object, where.object),
            (AuditEventRow.decision, where.decision),
        ):
            if value is not None:
                query = query.where(column == value)
        if where.action is not None:
            # "dataset" matches dataset.register, dataset.ingest, ...
            query = query.where(
                (AuditEventRow.action == where.action)
                | AuditEventRow.action.startswith(where.action + ".", autoescape=True)
            )
        if where.about is not None:
            owned = select(AuditOwnerRow.seq).where(AuditOwnerRow.organisation == where.about)
            query = query.where(
                or_(AuditEventRow.organisation == where.about, AuditEventRow.seq.in_(owned))
            )
        if where.since is not None:
            query = query.where(AuditEventRow.ts >= where.since)
        if where.until is not None:
            query = query.where(AuditEventRow.ts <= where.until)
        if where.before is not None:
            query = query.where(AuditEventRow.seq < where.before)
        order = AuditEventRow.seq.desc() if where.newest_first else AuditEventRow.seq.asc()
        query = query.order_by(order).limit(where.limit)
        with self._read() as conn:
            return [_record(r) for r in conn.execute(query)]

    def object_parties(self, obj: str) -> frozenset[str] | None:
        """The organisations party to a private object (``request:ID``, ``agreement:ID``…),
        or ``None`` when there is no such object; see :func:`parties_of`."""
        with self._read() as conn:
            return parties_of(conn, obj)

    def audit_owners_from(self) -> int:
        """The first event that records its owners; earlier ones hash with one field fewer."""
        with self._read() as conn:
            return int(conn.execute(select(AuditHeadRow.owners_from)).scalar_one())

    def audit_payloads(
        self,
        first_seq: int = 1,
        last_seq: int | None = None,
        batch: int = 20_000,
        *,
        fields: int = FIELDS,
    ) -> Iterator[PayloadBatch]:
        """Stream ``(low, high, [(payload, hash), ...])`` batches over ``first_seq..last_seq``.

        The payload is the hashed text, built by the database and handed back as
        bytes through the driver's own cursor: that keeps verification to one hash
        per event in Python, which is what lets it check a million events a second.
        Reading in ``seq`` ranges keeps memory flat. ``fields`` says which form the
        range was written in (see :meth:`audit_owners_from`).
        """
        if last_seq is None:
            last_seq = self.audit_bounds()[1]
        dialect = self.engine.dialect.name
        sql = _SQL[fields][f"payload.{dialect}"]
        with self._read() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                for low in range(first_seq, last_seq + 1, batch):
                    high = min(low + batch - 1, last_seq)
                    cursor.execute(sql, (low, high))
                    rows = cursor.fetchall()
                    if dialect == "postgresql":
                        rows = [(bytes(p), bytes(h)) for p, h in rows]
                    yield low, high, rows
            finally:
                cursor.close()

    def audit_blobs(
        self, first_seq: int, last_seq: int, batch: int = 20_000, *, fields: int = FIELDS
    ) -> Iterator[tuple[int, int, int, bytes, bytes]]:
        """``(low, high, count, payloads, hashes)`` per range: payloads joined by 0x1e."""
        sql = _SQL[fields][f"blob.{self.engine.dialect.name}"]
        with self._read() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                for low in range(first_seq, last_seq + 1, batch):
                    high = min(low + batch - 1, last_seq)
                    cursor.execute(sql, (low, high))
                    row = cursor.fetchone()
                    count, payloads, hashes = row if row is not None else (0, b"", b"")
                    yield low, high, int(count), bytes(payloads or b""), bytes(hashes or b"")
            finally:
                cursor.close()

    def audit_bounds(self) -> tuple[int, int, int]:
        """``(min seq, max seq, count)`` of the stored events; ``(1, 0, 0)`` when empty."""
        e = AuditEventRow
        with self._read() as conn:
            low, high, count = conn.execute(
                select(func.min(e.seq), func.max(e.seq), func.count())
            ).one()
        return (1, 0, 0) if not count else (int(low), int(high), int(count))

    def audit_hashes_at(self, seqs: list[int]) -> dict[int, str]:
        query = select(AuditEventRow.seq, AuditEventRow.hash).where(AuditEventRow.seq.in_(seqs))
        with self._read() as conn:
            return {int(seq): str(digest) for seq, digest in conn.execute(query)}

    def checkpoints(self) -> list[Checkpoint]:
        """Every stored checkpoint, oldest first; version 1 ones without a tree."""
        return self.checkpoints_after(-1)

    def checkpoints_after(self, seq: int) -> list[Checkpoint]:
        """The stored checkpoints of heads after ``seq``, oldest first: what is left to publish."""
        c, t = AuditCheckpointRow, AuditCheckpointTreeRow
        query = (
            select(
                c.seq, c.head_hash, c.signed_at, c.key_fingerprint, c.signature, t.tree_size, t.root
            )
            .outerjoin(t, t.checkpoint_id == c.id)
            .where(c.seq > seq)
            .order_by(c.id)
        )
        with self._read() as conn:
            return [Checkpoint(*row) for row in conn.execute(query)]

    def audit_leaves(
        self, first_seq: int, last_seq: int, batch: int = 50_000
    ) -> Iterator[list[bytes]]:
        """The raw 32-byte hashes of events ``first_seq..last_seq`` in ``seq`` order, in
        batches: the Merkle tree's leaves. A missing event ends the stream early, so the
        caller counts what it got."""
        with self._read() as conn:
            for low in range(first_seq, last_seq + 1, batch):
                high = min(low + batch - 1, last_seq)
                rows = conn.execute(
                    select(AuditEventRow.seq, AuditEventRow.hash)
                    .where(AuditEventRow.seq.between(low, high))
                    .order_by(AuditEventRow.seq)
                ).all()
                leaves = []
                for expected, (seq, digest) in enumerate(rows, start=low):
                    if seq != expected:
                        break
                    try:
                        leaves.append(bytes.fromhex(digest))
                    except ValueError:
                        raise AuditError(
                            f"event {seq}'s hash is not 64 hex digits: the log was edited"
                        ) from None
                yield leaves
                if len(leaves) != high - low + 1:
                    return
