"""Realistic disagreement between sources, applied at exact rates and logged.

Each source (a benefits extract, the patient register, a local authority's batch) is
the truth seen through its own errors. A :class:`Corruptor` belongs to one dataset and
is fed that dataset's rows chunk by chunk; for each kind of disagreement it picks
exactly ``round(rate * eligible rows so far)`` rows overall (the lowest hashed draws
among the eligible rows of each chunk, carrying the remainder forward), changes them,
and logs every changed field with its value before and after. The log is the ground
truth a linkage evaluation or a rate test reads.

Kinds are applied in a fixed order (moved house, surname change, nickname, typo,
swapped day/month, address format, missing) and may fall on the same record, as in
life: a nickname can also carry a typo.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.synth.geography import STREET_ABBREVIATIONS
from accord.synth.population import People
from accord.synth.rates import CorruptionRates
from accord.synth.streams import BoolArray, IntArray, Streams

__all__ = ["DISAGREEMENT_SCHEMA", "Corruptor"]

DISAGREEMENT_SCHEMA = pa.schema(
    [
        ("dataset", pa.string()),
        ("row_number", pa.int64()),
        ("person_id", pa.int64()),
        ("kind", pa.string()),
        ("field", pa.string()),
        ("true_value", pa.string()),
        ("recorded_value", pa.string()),
    ]
)
ADDRESS_FIELDS = ("address_line_1", "address_line_2", "address_line_3", "postcode")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


@dataclass
class _Tally:
    eligible: int = 0
    chosen: int = 0


@dataclass
class Corruptor:
    """Applies one dataset's disagreements. Stateful: feed chunks in row order."""

    streams: Streams
    dataset: str
    rates: CorruptionRates
    missable: tuple[str, ...]
    """Fields the ``missing`` kind may empty, in this dataset."""
    _tallies: dict[str, _Tally] = field(default_factory=dict)

    def apply(self, table: pa.Table, people: People, first_row: int) -> tuple[pa.Table, pa.Table]:
        """Corrupt one chunk; ``people`` are the persons of its rows, in row order."""
        rows = np.arange(first_row, first_row + table.num_rows, dtype=np.int64)
        state = _Chunk(table, people, rows, self)
        for kind in CorruptionRates.kinds():
            if getattr(self.rates, kind) > 0:
                getattr(state, kind)()
        return state.table, state.log()

    def select(self, kind: str, rows: IntArray, eligible: BoolArray) -> IntArray:
        """Positions (ascending) of the rows given ``kind`` in this chunk."""
        tally = self._tallies.setdefault(kind, _Tally())
        candidates = np.flatnonzero(eligible)
        tally.eligible += len(candidates)
        target = int(np.floor(getattr(self.rates, kind) * tally.eligible + 0.5))
        take = min(max(target - tally.chosen, 0), len(candidates))
        tally.chosen += take
        if take == 0:
            return np.empty(0, dtype=np.int64)
        u = self.streams.uniform(f"corrupt.{self.dataset}.{kind}", rows[candidates])
        if take < len(candidates):
            # Ties are impossible in practice (53-bit draws); argpartition keeps it O(n).
            candidates = candidates[np.argpartition(u, take - 1)[:take]]
        return np.sort(candidates)

    def draw(self, name: str, rows: IntArray, n: int | IntArray) -> IntArray:
        return self.streams.below(f"corrupt.{self.dataset}.{name}", rows, n)


class _Chunk:
    """One chunk under corruption: the table as it stands and the changes logged so far."""

    def __init__(self, table: pa.Table, people: People, rows: IntArray, owner: Corruptor) -> None:
        self.table = table
        self.people = people
        self.rows = rows
        self.owner = owner
        self._log: list[tuple[str, IntArray, str, list[str | None], list[str | None]]] = []

    # -- helpers ---------------------------------------------------------------------
    def has(self, *columns: str) -> bool:
        return all(c in self.table.column_names for c in columns)

    def values(self, column: str, pos: IntArray) -> list[str | None]:
        col = self.table.column(column).take(pa.array(pos))
        if pa.types.is_date(col.type):
            col = pc.strftime(col.cast(pa.timestamp("s")), format="%Y-%m-%d")
        return [None if v is None else str(v) for v in col.to_pylist()]

    def set(
        self,
        kind: str,
        column: str,
        pos: IntArray,
        new: pa.Array | pa.ChunkedArray | list[str | None],
    ) -> None:
        """Replace ``column`` at ``pos`` (ascending) and log the fields that really changed."""
        if len(pos) == 0:
            return
        if isinstance(new, pa.ChunkedArray):
            new = new.combine_chunks()
        current = self.table.column(column)
        replacement = (
            pa.array(new, current.type) if isinstance(new, list) else new.cast(current.type)
        )
        before = self.values(column, pos)
        mask = np.zeros(self.table.num_rows, dtype=bool)
        mask[pos] = True
        updated = pc.replace_with_mask(current.combine_chunks(), pa.array(mask), replacement)
        index = self.table.column_names.index(column)
        self.table = self.table.set_column(index, self.table.field(index), updated)
        after = self.values(column, pos)
        changed = np.asarray([b != a for b, a in zip(before, after, strict=True)], dtype=bool)
        if changed.any():
            keep = np.flatnonzero(changed)
            self._log.append(
                (kind, pos[keep], column, [before[i] for i in keep], [after[i] for i in keep])
            )

    def non_null(self, column: str) -> BoolArray:
        return np.asarray(self.table.column(column).is_valid().to_numpy(zero_copy_only=False))

    def log(self) -> pa.Table:
        if not self._log:
            return DISAGREEMENT_SCHEMA.empty_table()
        kinds, rows, persons, fields_, before, after = [], [], [], [], [], []
        for kind, pos, column, old, new in self._log:
            kinds += [kind] * len(pos)
            rows.append(self.rows[pos])
            persons.append(self.people.ids[pos])
            fields_ += [column] * len(pos)
            before += old
            after += new
        return pa.table(
            {
                "dataset": pa.array([self.owner.dataset] * len(kinds), pa.string()),
                "row_number": pa.array(np.concatenate(rows)),
                "person_id": pa.array(np.concatenate(persons)),
                "kind": pa.array(kinds, pa.string()),
                "field": pa.array(fields_, pa.string()),
                "true_value": pa.array(before, pa.string()),
                "recorded_value": pa.array(after, pa.string()),
            },
            schema=DISAGREEMENT_SCHEMA,
        )

    # -- the kinds, in the order they are applied ----------------------------------------
    def moved_house(self) -> None:
        if not self.has("address_line_1", "postcode"):
            return
        pos = self.owner.select("moved_house", self.rows, self.non_null("postcode"))
        previous = self.people.subset(pos).previous_address
        for column in ADDRESS_FIELDS:
            if self.has(column):
                self.set("moved_house", column, pos, previous[column])

    def surname_change(self) -> None:
        if not self.has("surname"):
            return
        pos = self.owner.select("surname_change", self.rows, self.non_null("surname"))
        sub = self.people.subset(pos)
        names = sub.population.names.surnames.take(pa.array(sub.previous_surname_index))
        self.set("surname_change", "surname", pos, names)

    def nickname(self) -> None:
        if not self.has("forename"):
            return
        names = self.people.population.names
        count = names.variant_count(self.people.forename_index)
        pos = self.owner.select("nickname", self.rows, (count > 0) & self.non_null("forename"))
        pick = self.owner.draw("nickname.pick", self.rows[pos], count[pos])
        start = names.variant_offsets[self.people.forename_index[pos]]
        variants = names.forenames.take(pa.array(names.variants[start + pick]))
        self.set("nickname", "forename", pos, variants)

    def typo(self) -> None:
        name_fields = [c for c in ("forename", "surname") if self.has(c)]
        if not name_fields:
            return
        which = self.owner.draw("typo.field", self.rows, len(name_fields))
        lengths = np.zeros(len(self.rows), dtype=np.int64)
        for i, column in enumerate(name_fields):
            col_len = pc.fill_null(pc.utf8_length(self.table.column(column)), 0)
            lengths = np.where(which == i, np.asarray(col_len.to_numpy()), lengths)
        pos = self.owner.select("typo", self.rows, lengths >= 3)
        for i, column in enumerate(name_fields):
            mine = pos[which[pos] == i]
            originals = self.values(column, mine)
            r = self.rows[mine]
            ops = self.owner.draw("typo.op", r, 4)
            at = self.owner.draw("typo.at", r, lengths[mine])
            letter = self.owner.draw("typo.letter", r, 25)
            typed = [
                _typo(str(v), int(o), int(a), int(c))
                for v, o, a, c in zip(originals, ops, at, letter, strict=True)
            ]
            self.set("typo", column, mine, list(typed))

    def swapped_day_month(self) -> None:
        if not self.has("date_of_birth"):
            return
        dob = self.table.column("date_of_birth")
        day = np.asarray(pc.fill_null(pc.day(dob), 0).to_numpy())
        month = np.asarray(pc.fill_null(pc.month(dob), 0).to_numpy())
        pos = self.owner.select(
            "swapped_day_month", self.rows, (day >= 1) & (day <= 12) & (day != month)
        )
        year = np.asarray(pc.fill_null(pc.year(dob), 1970).to_numpy())[pos]
        swapped = (
            np.array(
                [
                    f"{y:04d}-{d:02d}-{m:02d}"
                    for y, m, d in zip(year, month[pos], day[pos], strict=True)
                ]
            )
            .astype("datetime64[D]")
            .astype(np.int64)
        )
        self.set(
            "swapped_day_month",
            "date_of_birth",
            pos,
            pa.array(swapped.astype(np.int32), pa.date32()),
        )

    def address_format(self) -> None:
        if not self.has("address_line_1", "postcode"):
            return
        eligible = self.non_null("address_line_1") & self.non_null("postcode")
        pos = self.owner.select("address_format", self.rows, eligible)
        style = self.owner.draw("address_format.style", self.rows[pos], 3)
        present = [c for c in ADDRESS_FIELDS[:3] if self.has(c)]
        lines = {c: self.table.column(c).take(pa.array(pos)) for c in present}
        upper = style == 0
        abbreviate = style == 1
        one_line = style == 2
        new = {c: lines[c] for c in present}
        for c in present:
            new[c] = pc.if_else(pa.array(upper), pc.utf8_upper(lines[c]), new[c])
        line1 = new["address_line_1"]
        for word, short in STREET_ABBREVIATIONS.items():
            line1 = pc.if_else(
                pa.array(abbreviate),
                pc.replace_substring_regex(line1, rf" {word}\b", f" {short}"),
                line1,
            )
        if len(present) > 1:
            joined = pc.binary_join_element_wise(
                *[lines[c] for c in present], ", ", null_handling="skip"
            )
            line1 = pc.if_else(pa.array(one_line), joined, line1)
            for c in present[1:]:
                new[c] = pc.if_else(pa.array(one_line), pa.nulls(len(pos), pa.string()), new[c])
        new["address_line_1"] = line1
        for c in present:
            self.set("address_format", c, pos, new[c])
        postcode = self.table.column("postcode").take(pa.array(pos))
        compact = pc.replace_substring(postcode, " ", "")
        compact = pc.if_else(pa.array(one_line), pc.utf8_lower(compact), compact)
        self.set("address_format", "postcode", pos, compact)

    def missing(self) -> None:
        fields_ = [c for c in self.owner.missable if self.has(c)]
        if not fields_:
            return
        filled = np.stack([self.non_null(c) for c in fields_], axis=1)
        count = filled.sum(axis=1)
        pos = self.owner.select("missing", self.rows, count > 0)
        nth = self.owner.draw("missing.field", self.rows[pos], np.maximum(count[pos], 1))
        # The nth filled field of each chosen row.
        rank = np.cumsum(filled[pos], axis=1) - 1
        choice = np.argmax((rank == nth[:, None]) & filled[pos], axis=1)
        for i, column in enumerate(fields_):
            mine = pos[choice == i]
            empty = pa.nulls(len(mine), self.table.schema.field(column).type)
            self.set("missing", column, mine, empty)


def _typo(value: str, op: int, at: int, letter: int) -> str:
    """One keying error at position ``at``; always changes the value."""
    at = min(at, len(value) - 1)
    original = value[at]
    lower = original.lower()
    replacement = (
        _ALPHABET[(_ALPHABET.index(lower) + 1 + letter) % 26] if lower in _ALPHABET else "e"
    )
    if original.isupper():
        replacement = replacement.upper()
    if op == 0:  # substitution
        return value[:at] + replacement + value[at + 1 :]
    if op == 1 and len(value) > 3:  # deletion
        return value[:at] + value[at + 1 :]
    if op == 2:  # insertion
        return value[:at] + replacement.lower() + value[at:]
    # transposition of two different neighbouring characters, else substitution
    for i in (at, at - 1, *range(len(value) - 1)):
        if 0 <= i < len(value) - 1 and value[i] != value[i + 1]:
            return value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    return value[:at] + replacement + value[at + 1 :]
