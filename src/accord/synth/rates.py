"""How often each source disagrees with the truth: the configurable corruption rates.

The defaults are chosen so that linkage is hard in the ways it is in life: about one
record in three differs from the person's true details somewhere. Each rate is the
share of a dataset's records (of those *eligible*, where a kind needs something to work
on) given that disagreement, and is met exactly (to the nearest record) rather than on
average, so a test can check a measured rate at any scale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace

from accord.errors import ValidationError

__all__ = ["RATE_HELP", "CorruptionRates"]

RATE_HELP: dict[str, str] = {
    "typo": "one keying error (substitution, deletion, insertion or transposition) in the "
    "forename or surname",
    "nickname": "forename recorded as a nickname or spelling variant (Robert -> Bob); of "
    "records whose forename has one",
    "swapped_day_month": "date of birth with day and month swapped (US order); of records whose "
    "day is 12 or less and differs from the month",
    "moved_house": "the person's previous address and postcode (the source has not heard of "
    "the move)",
    "surname_change": "the person's previous surname (marriage, divorce, deed poll)",
    "missing": "one personal field left empty (date of birth, postcode, forename, phone...), "
    "of records with any such field filled",
    "address_format": "address written differently: upper case, abbreviated street type or "
    "all on one line, and the postcode without its space",
}


@dataclass(frozen=True)
class CorruptionRates:
    """Share of records given each disagreement. Every rate is in [0, 1]."""

    typo: float = 0.03
    nickname: float = 0.06
    swapped_day_month: float = 0.02
    moved_house: float = 0.08
    surname_change: float = 0.02
    missing: float = 0.02
    address_format: float = 0.10

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValidationError(f"rates: {f.name} must be a number, not {value!r}")
            if not 0.0 <= float(value) <= 1.0:
                raise ValidationError(f"rates: {f.name} must be between 0 and 1, not {value}")

    @classmethod
    def none(cls) -> CorruptionRates:
        """Clean sources: every record agrees with the truth."""
        return cls(**dict.fromkeys(cls.kinds(), 0.0))

    @classmethod
    def kinds(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}

    def updated(self, changes: Mapping[str, float]) -> CorruptionRates:
        unknown = sorted(set(changes) - set(self.kinds()))
        if unknown:
            raise ValidationError(
                f"rates: unknown kind {', '.join(unknown)}; known: {', '.join(self.kinds())}"
            )
        return replace(self, **{k: float(v) for k, v in changes.items()})

    @classmethod
    def parse(cls, items: Iterable[str], base: CorruptionRates | None = None) -> CorruptionRates:
        """Rates from ``kind=value`` strings (the CLI's ``--rate``), over ``base`` or defaults."""
        changes: dict[str, float] = {}
        for item in items:
            kind, sep, value = item.partition("=")
            if not sep:
                raise ValidationError(f"rate: expected KIND=VALUE, got {item!r}")
            try:
                changes[kind.strip()] = float(value)
            except ValueError:
                raise ValidationError(
                    f"rate: {kind.strip()} must be a number, got {value!r}"
                ) from None
        return (base or cls()).updated(changes)
