"""Use cases over the audit log: show, verify, checkpoint."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from accord.core.audit import (
    FIELDS,
    GENESIS_HASH,
    LEGACY_FIELDS,
    AuditEvent,
    AuditRecord,
    ChainVerdict,
    verify_chain,
)
from accord.core.checkpoint import Checkpoint, verify_checkpoint_signature, verify_cosignature
from accord.core.permissions import (
    Caller,
    can_read_audit,
    can_read_audit_about,
    can_sign_checkpoint,
)
from accord.errors import AuditError
from accord.pseudonymise.native import load as load_native
from accord.services.checkpoint_log import PublishedCheckpoint
from accord.services.guard import authorise
from accord.services.publication import CheckpointPublisher, PublishReport, tree_root
from accord.store import AuditFilter, Store, connect_engine

RECORD_SEPARATOR = 0x1E

PARALLEL_FROM = 200_000
"""Below this many events, starting worker processes costs more than it saves."""

__all__ = ["AuditService", "VerifyReport"]


@dataclass(frozen=True, slots=True)
class VerifyReport:
    ok: bool
    events: int
    head_seq: int
    head_hash: str
    checkpoints: int
    first_bad_seq: int | None = None
    problem: str = ""


def _when(checkpoint: Checkpoint) -> str:
    """A checkpoint as people name it: by when it was signed, to the minute."""
    return checkpoint.signed_at[:16] + "Z"


class AuditService:
    def __init__(
        self,
        store: Store,
        public_key: Ed25519PublicKey,
        publisher: CheckpointPublisher | None = None,
    ) -> None:
        self.store = store
        self.public_key = public_key
        self.publisher = publisher

    def show(self, caller: Caller, where: AuditFilter) -> list[AuditRecord]:
        """The events ``where`` selects, if the caller may read them all.

        ``where.about`` is what an organisation's auditor or DPO asks for: every event
        about it, whoever acted (see :func:`can_read_audit_about`); other filters then
        only narrow that. Without it, only a platform auditor reads across
        organisations, and an organisation's auditor reads its own staff's events.
        """
        if where.about is not None:
            verdict = can_read_audit_about(caller, where.about)
            scope = where.about
        else:
            verdict = can_read_audit(caller, where.organisation)
            scope = where.organisation or ""
        authorise(
            self.store,
            caller,
            verdict,
            action="audit.show",
            obj="audit",
            organisation=scope,
        )
        return self.store.audit_events(where)

    def checkpoint(self, caller: Caller) -> Checkpoint:
        event = authorise(
            self.store, caller, can_sign_checkpoint(caller), action="audit.checkpoint", obj="audit"
        )
        return self.store.add_checkpoint(event)

    def verify(self, *, workers: int | None = None) -> VerifyReport:
        """Check the whole chain, then that it still reaches every signed checkpoint.

        The chain alone catches an edited, deleted, inserted or reordered event; the
        checkpoints catch a chain rebuilt consistently from scratch or cut short.
        Long logs are checked in contiguous runs by parallel processes, each run's
        first link then compared with the last hash of the run before it.
        """
        low, high, _ = self.store.audit_bounds()
        checkpoints = self.store.checkpoints()
        if low < 1:
            return VerifyReport(
                False,
                0,
                0,
                GENESIS_HASH,
                len(checkpoints),
                low,
                f"event {low} precedes the first event: inserted",
            )
        verdict = self._verify_runs(high, workers)

        def bad(seq: int | None, problem: str) -> VerifyReport:
            return VerifyReport(
                False,
                verdict.checked,
                verdict.head_seq,
                verdict.head_hash,
                len(checkpoints),
                seq,
                problem,
            )

        if not verdict.ok:
            return bad(verdict.first_bad_seq, verdict.problem)
        head_seq, _ = self.store.audit_head()
        if head_seq != verdict.head_seq:
            return bad(
                min(head_seq, verdict.head_seq) + 1,
                f"the log ends at event {verdict.head_seq} but its head says {head_seq}: "
                "events were deleted from the end or appended outside Accord",
            )
        hashes = self.store.audit_hashes_at([c.seq for c in checkpoints])
        for checkpoint in checkpoints:
            if not verify_checkpoint_signature(self.public_key, checkpoint):
                return bad(
                    checkpoint.seq,
                    f"the checkpoint at event {checkpoint.seq} is not signed by this "
                    "platform's audit key",
                )
            if checkpoint.seq > verdict.head_seq:
                return bad(
                    verdict.head_seq + 1,
                    f"a signed checkpoint covers event {checkpoint.seq} but the log ends at "
                    f"{verdict.head_seq}: events were deleted from the end",
                )
            if hashes.get(checkpoint.seq) != checkpoint.head_hash:
                return bad(
                    checkpoint.seq,
                    f"event {checkpoint.seq} no longer matches the signed checkpoint: "
                    "the log was rewritten",
                )
        return VerifyReport(
            True, verdict.checked, verdict.head_seq, verdict.head_hash, len(checkpoints)
        )

    def publish(self, caller: Caller) -> PublishReport:
        """Publish every stored checkpoint the checkpoint log lacks, and have the newest
        countersigned by the witness if one is configured (``accord audit publish``)."""
        allowed = authorise(
            self.store, caller, can_sign_checkpoint(caller), action="audit.publish", obj="audit"
        )
        if self.publisher is None:
            raise AuditError("no checkpoint log is configured for this store")
        report = self.publisher.publish(force_witness=True)
        self.store.record(
            allowed.with_details(
                published=report.published,
                newest_seq=report.newest.seq if report.newest else None,
                cosigned=report.cosigned,
            )
        )
        return report

    def verify_against(
        self,
        published: PublishedCheckpoint,
        *,
        witness_key: Ed25519PublicKey | None = None,
        workers: int | None = None,
    ) -> VerifyReport:
        """Verify the log, and that it still holds everything ``published`` saw.

        The stored checkpoints go with the store: restore an older backup and they are
        older too, so the ordinary verification passes. A checkpoint kept elsewhere does
        not: the log must hold at least its ``tree_size`` events, whose Merkle root must
        be its root and whose last hash its head hash. That catches a restored backup or
        a cut tail (too few events) and rewritten history (a different root).
        """
        checkpoint = published.checkpoint
        when = _when(checkpoint)
        _, high, _ = self.store.audit_bounds()

        def bad(seq: int | None, problem: str) -> VerifyReport:
            head_seq, head_hash = self.store.audit_head()
            return VerifyReport(False, 0, head_seq, head_hash, 0, seq, problem)

        if not verify_checkpoint_signature(self.public_key, checkpoint):
            return bad(
                None,
                f"checkpoint {when} (event {checkpoint.seq:,}) is not signed by this "
                "platform's audit key: it is forged, altered, or from another deployment",
            )
        if witness_key is not None and not any(
            verify_cosignature(witness_key, checkpoint, c) for c in published.cosignatures
        ):
            return bad(
                None,
                f"checkpoint {when} carries no countersignature that verifies with the "
                "witness key given",
            )
        if high < checkpoint.seq:
            return bad(
                high + 1,
                f"the log ends at event {high:,} but checkpoint {when} saw "
                f"{checkpoint.seq:,} events: it has been rolled back or its tail cut",
            )
        rewritten = (
            f"the first {checkpoint.seq:,} events differ from what checkpoint {when} saw: "
            "history was rewritten"
        )
        if checkpoint.root is not None:
            try:
                root = tree_root(self.store, 0, checkpoint.seq).hex()
            except AuditError:
                return bad(None, rewritten)
            if root != checkpoint.root:
                return bad(None, rewritten)
        if self.store.audit_hashes_at([checkpoint.seq]).get(checkpoint.seq) != checkpoint.head_hash:
            return bad(checkpoint.seq, rewritten)
        return self.verify(workers=workers)

    def _verify_runs(self, last_seq: int, workers: int | None) -> ChainVerdict:
        count = workers or min(os.cpu_count() or 1, 4)
        if count < 2 or last_seq < PARALLEL_FROM:
            return verify_run(self.store, 1, last_seq, GENESIS_HASH)
        url = self.store.engine.url.render_as_string(hide_password=False)
        size = -(-last_seq // count)
        runs = [(url, low, min(low + size - 1, last_seq)) for low in range(1, last_seq + 1, size)]
        # Forking is cheap but unsafe in a threaded process (the API server): there,
        # pay for a clean interpreter instead.
        method = "fork" if threading.active_count() == 1 else "forkserver"
        with ProcessPoolExecutor(len(runs), mp_context=get_context(method)) as pool:
            verdicts = list(pool.map(_verify_run, runs))
        return stitch(verdicts)

    def record(self, event: AuditEvent) -> AuditRecord:
        return self.store.record(event)


def _verify_run(run: tuple[str, int, int]) -> ChainVerdict:
    """Verify events ``low..high`` in a worker process, over its own connection."""
    url, low, high = run
    engine = connect_engine(url)
    try:
        store = Store(engine)
        return verify_run(store, low, high, GENESIS_HASH if low == 1 else None)
    finally:
        engine.dispose()


def verify_run(store: Store, low: int, high: int, prev_hash: str | None) -> ChainVerdict:
    """Verify events ``low..high``, each part in the form it was written in.

    Events before :meth:`~accord.store.Store.audit_owners_from` were hashed without
    the owners field: that part of the run is checked in that form, the rest in the
    current one, the second part linking to the last hash of the first.
    """
    boundary = store.audit_owners_from()
    if low >= boundary or high < low:
        return _verify_form(store, low, high, prev_hash, FIELDS)
    legacy = _verify_form(store, low, min(high, boundary - 1), prev_hash, LEGACY_FIELDS)
    if not legacy.ok or high < boundary:
        return legacy
    current = _verify_form(store, boundary, high, legacy.head_hash, FIELDS)
    return ChainVerdict(
        current.ok,
        legacy.checked + current.checked,
        current.head_seq,
        current.head_hash,
        current.first_bad_seq,
        current.problem,
        legacy.first_link,
    )


def _verify_form(
    store: Store, low: int, high: int, prev_hash: str | None, fields: int
) -> ChainVerdict:
    """Verify events ``low..high``: in compiled code where it is available, exactly otherwise.

    The fast path checks whole ranges as blobs (see ``accord_verify_chain``); anything
    it does not pass — a gap, a separator inside a field, a bad hash or link — is
    re-checked by the exact verifier, which names the event and what is wrong with it.
    """
    native = load_native()
    if native is None:
        return verify_chain(
            store.audit_payloads(low, high, fields=fields),
            expect_seq=low,
            prev_hash=prev_hash,
            fields=fields,
        )
    first_link = ""
    prev = prev_hash
    checked = 0
    for start, end, count, payloads, hashes in store.audit_blobs(low, high, fields=fields):
        raw = np.frombuffer(payloads, dtype=np.uint8)
        breaks = np.flatnonzero(raw == RECORD_SEPARATOR)
        data = payloads.replace(bytes([RECORD_SEPARATOR]), b"")
        offsets = np.concatenate(([0], breaks - np.arange(len(breaks)), [len(data)]))
        if count and start == low:
            first_link = data[int(offsets[1]) - 64 : int(offsets[1])].decode(errors="replace")
        sound = (
            count == end - start + 1
            and len(breaks) == count - 1
            and native.first_unsound(
                data, offsets.astype(np.int64), hashes, (prev or first_link).encode(), fields - 1
            )
            < 0
        )
        if not sound:
            exact = verify_chain(
                store.audit_payloads(start, high, fields=fields),
                expect_seq=start,
                prev_hash=prev,
                fields=fields,
            )
            return _offset(exact, checked, first_link)
        checked += count
        prev = hashes[-64:].decode()
    head = low + checked - 1
    return ChainVerdict(True, checked, head, prev or "", first_link=first_link)


def _offset(exact: ChainVerdict, before: int, first_link: str) -> ChainVerdict:
    """The exact verdict for a range, counted from the start of the whole run."""
    return ChainVerdict(
        exact.ok,
        before + exact.checked,
        exact.head_seq,
        exact.head_hash,
        exact.first_bad_seq,
        exact.problem,
        first_link or exact.first_link,
    )


def stitch(verdicts: list[ChainVerdict]) -> ChainVerdict:
    """Join the verdicts of consecutive runs into the verdict of the whole chain."""
    checked = 0
    previous: ChainVerdict | None = None
    for verdict in verdicts:
        if previous is not None and verdict.checked and verdict.first_link != previous.head_hash:
            seq = previous.head_seq + 1
            return ChainVerdict(
                False,
                checked,
                previous.head_seq,
                previous.head_hash,
                seq,
                f"event {seq} does not link to event {seq - 1}: inserted, deleted or reordered",
            )
        if not verdict.ok:
            return ChainVerdict(
                False,
                checked + verdict.checked,
                verdict.head_seq,
                verdict.head_hash,
                verdict.first_bad_seq,
                verdict.problem,
            )
        checked += verdict.checked
        previous = verdict
    assert previous is not None
    return ChainVerdict(True, checked, previous.head_seq, previous.head_hash)
