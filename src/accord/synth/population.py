"""The one synthetic population behind every scenario.

Every attribute of person ``i`` is a pure function of ``(seed, i)`` (see
:mod:`accord.synth.streams`), so a scenario asks for the people it needs, in chunks, and
gets the same people every other scenario sees: the carer in ``carers_allowance`` has the
same name, date of birth and address in ``patient_register`` (before each source's own
disagreements are applied), and the same NINO in the data trust's employment spells.

Households are runs of consecutive person ids. A person starts a new household with
probability ``P_NEW_HOUSEHOLD``, and always at ids divisible by eight, so no household
has more than eight members and any person's household head is found by looking at
most seven ids back; the head is an adult and gives the household its address and,
usually, its surname.

The reference date is 17 February 2021, the day of the first Carer's Allowance
extract in the vaccination share (seed 000). Deaths fall in the five years around it:
three before (they are on the register with a date of death) and two after (they
surface as change-of-circumstances events in the provider scenario).
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.synth.geography import (
    PERSONS_PER_OA,
    PERSONS_PER_POSTCODE,
    POSTCODES_PER_OA,
    Geography,
    build_geography,
)
from accord.synth.identifiers import (
    NHS_CAPACITY,
    landline_numbers,
    mobile_numbers,
    nhs_numbers,
    ninos,
)
from accord.synth.names import NameVocabulary, name_vocabulary
from accord.synth.streams import BoolArray, FloatArray, IntArray, Streams, cumulative

__all__ = [
    "FULL_POPULATION",
    "MAX_AGE",
    "REFERENCE_DATE",
    "People",
    "Population",
]

FULL_POPULATION = 56_500_000
"""England's population (2021 census, rounded): the register size at scale 1."""
REFERENCE_DATE = dt.date(2021, 2, 17)
EPOCH = dt.date(1970, 1, 1)
REFERENCE_DAY = (REFERENCE_DATE - EPOCH).days
DAYS_PER_YEAR = 365.2425
MAX_AGE = 100
P_NEW_HOUSEHOLD = 0.342
"""With the forced break every 8 ids this gives 2.36 people a household, England's mean."""
HOUSEHOLD_BLOCK = 8
P_HEAD = 1 / HOUSEHOLD_BLOCK + (1 - 1 / HOUSEHOLD_BLOCK) * P_NEW_HOUSEHOLD
ADULT_AGE = 18
DEATH_WINDOW_BEFORE, DEATH_WINDOW_AFTER = 3.0, 2.0
P_FEMALE = 0.507

# England mid-2020 population by five-year band (percent), 0-4 ... 85-89, then 90-100.
_BAND_SHARES = (5.8, 6.2, 6.0, 5.6, 6.1, 6.7, 6.8, 6.6, 6.1, 6.5, 6.9, 6.6, 5.7, 5.0, 5.1, 3.6,
                2.6, 1.6, 0.9)  # fmt: skip


def _single_year_weights() -> FloatArray:
    weights = np.zeros(MAX_AGE + 1)
    for band, share in enumerate(_BAND_SHARES[:-1]):
        weights[band * 5 : band * 5 + 5] = share / 5
    tail = MAX_AGE + 1 - 90
    # The over-90s thin out: geometric decline across 90..100.
    decay = 0.75 ** np.arange(tail)
    weights[90:] = _BAND_SHARES[-1] * decay / decay.sum()
    return np.asarray(weights / weights.sum(), dtype=np.float64)


AGE_WEIGHTS = _single_year_weights()
ADULT_WEIGHTS = np.where(np.arange(MAX_AGE + 1) >= ADULT_AGE, AGE_WEIGHTS, 0.0)
ADULT_WEIGHTS = ADULT_WEIGHTS / ADULT_WEIGHTS.sum()


def annual_mortality(age: IntArray | FloatArray) -> FloatArray:
    """A Gompertz curve close to England's life tables (0.4% at 50, 5% at 80, 13% at 90)."""
    a = np.asarray(age, dtype=np.float64)
    return np.asarray(np.clip(1e-4 * np.exp(0.09 * (a - 10.0)), 2e-4, 0.19), dtype=np.float64)


def expected_age_distribution() -> FloatArray:
    """Share of the population at each age: heads from the adult pyramid, others from all."""
    return np.asarray(P_HEAD * ADULT_WEIGHTS + (1 - P_HEAD) * AGE_WEIGHTS, dtype=np.float64)


def alive_at_reference(age: IntArray | FloatArray) -> FloatArray:
    """Probability that a person of this age (at the reference date) had not died before it."""
    return 1.0 - DEATH_WINDOW_BEFORE * annual_mortality(age)


class Population:
    """The population at one seed and size; hands out :class:`People` views of id ranges."""

    def __init__(self, seed: int, n_persons: int) -> None:
        if n_persons < 1:
            raise ValueError("a population needs at least one person")
        if n_persons > NHS_CAPACITY:
            raise ValueError(f"at most {NHS_CAPACITY:,} people can be given NHS numbers")
        self.seed = seed
        self.n_persons = n_persons
        self.streams = Streams(seed)
        self.names: NameVocabulary = name_vocabulary()
        self.geography: Geography = build_geography(self.streams, n_persons)
        self._adult_cum = cumulative(ADULT_WEIGHTS)
        self._all_cum = cumulative(AGE_WEIGHTS)

    def people(self, ids: IntArray, *, contiguous: bool = False) -> People:
        """A lazily evaluated view of the given persons (``contiguous``: ids are a range)."""
        return People(self, np.asarray(ids, dtype=np.int64), contiguous=contiguous)

    def household_head(self, ids: IntArray, *, contiguous: bool = False) -> IntArray:
        s = self.streams
        if contiguous and len(ids) and ids[0] % HOUSEHOLD_BLOCK == 0:
            starts = (s.uniform("hh.new", ids) < P_NEW_HOUSEHOLD) | (ids % HOUSEHOLD_BLOCK == 0)
            return np.maximum.accumulate(np.where(starts, ids, 0))
        base = ids - ids % HOUSEHOLD_BLOCK
        head = base.copy()
        for d in range(1, HOUSEHOLD_BLOCK):
            cand = base + d
            starts = s.uniform("hh.new", cand) < P_NEW_HOUSEHOLD
            head = np.where(starts & (cand <= ids), cand, head)
        return head

    def address(self, head: IntArray) -> dict[str, pa.Array]:
        """Address lines and postcode of the households with these heads."""
        geo = self.geography
        s = self.streams
        oa = head // PERSONS_PER_OA
        offset = head % PERSONS_PER_OA
        slot = oa * POSTCODES_PER_OA + offset // PERSONS_PER_POSTCODE
        number = pc.cast(pa.array(offset % PERSONS_PER_POSTCODE + 1), pa.string())
        line1 = pc.binary_join_element_wise(number, geo.streets.take(pa.array(slot)), " ")
        flat = s.uniform("addr.flat", head) < 0.12
        flat_no = pc.cast(pa.array(1 + s.below("addr.flat.no", head, 9)), pa.string())
        line1 = pc.if_else(
            pa.array(flat), pc.binary_join_element_wise("Flat ", flat_no, ", ", line1, ""), line1
        )
        lsoa = geo.oa_lsoa[oa]
        la = geo.lsoa_la[lsoa]
        return {
            "address_line_1": line1,
            "address_line_2": geo.lsoa_locality.take(pa.array(lsoa)),
            "address_line_3": geo.la_name.take(pa.array(la)),
            "postcode": geo.postcodes.take(pa.array(slot)),
        }

    def previous_head(self, head: IntArray) -> IntArray:
        """The household each person's household lived at before: usually nearby, never itself."""
        s = self.streams
        hop = PERSONS_PER_OA * (1 + s.below("addr.prev.oa", head, 2000))
        hop += s.below("addr.prev.pos", head, PERSONS_PER_OA)
        prev = self.household_head((head + hop) % self.n_persons)
        same = prev == head
        if same.any():
            prev[same] = self.household_head((head[same] + PERSONS_PER_OA) % self.n_persons)
        return prev


def _date_array(days: IntArray, valid: BoolArray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(days.astype(np.int32), pa.date32(), mask=mask)


_NOT_CACHED = frozenset({"population", "ids", "_contiguous", "_s"})


def _slice(value: object, positions: IntArray, take: pa.Array) -> object:
    if isinstance(value, np.ndarray):
        return value[positions]
    if isinstance(value, pa.Array):
        return value.take(take)
    if isinstance(value, tuple):
        return tuple(_slice(v, positions, take) for v in value)
    if isinstance(value, dict):
        return {k: _slice(v, positions, take) for k, v in value.items()}
    raise TypeError(f"cannot slice {type(value).__name__}")


class People:
    """Attributes of a set of persons, each computed once on first use.

    Index arrays (``age``, ``forename_index``) feed decisions; Arrow arrays (``forename``,
    ``postcode``) feed datasets. Everything is in the order of ``ids``.
    """

    def __init__(self, population: Population, ids: IntArray, *, contiguous: bool) -> None:
        self.population = population
        self.ids = ids
        self._contiguous = contiguous
        self._s = population.streams

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, index: IntArray | BoolArray) -> People:
        """The people at ``index`` (positions or a mask), keeping what is already computed.

        Attributes computed for the whole chunk are sliced rather than recomputed, so a
        dataset drawn from a chunk costs only its own columns.
        """
        positions = np.asarray(
            np.flatnonzero(index) if index.dtype == np.bool_ else index, dtype=np.int64
        )
        sub = People(self.population, self.ids[positions], contiguous=False)
        take = pa.array(positions, pa.int64())
        for name, value in self.__dict__.items():
            if name in _NOT_CACHED:
                continue
            sub.__dict__[name] = _slice(value, positions, take)
        return sub

    # -- household -------------------------------------------------------------------
    @cached_property
    def head(self) -> IntArray:
        return self.population.household_head(self.ids, contiguous=self._contiguous)

    @cached_property
    def is_head(self) -> BoolArray:
        return np.asarray(self.head == self.ids)

    @cached_property
    def oa(self) -> IntArray:
        return self.head // PERSONS_PER_OA

    @cached_property
    def lsoa(self) -> IntArray:
        return self.population.geography.oa_lsoa[self.oa]

    @cached_property
    def la(self) -> IntArray:
        return self.population.geography.lsoa_la[self.lsoa]

    # -- demographics ----------------------------------------------------------------
    @cached_property
    def female(self) -> BoolArray:
        return np.asarray(self._s.uniform("person.sex", self.ids) < P_FEMALE)

    @cached_property
    def age(self) -> IntArray:
        pop = self.population
        adult = self._s.choice("person.age", self.ids, pop._adult_cum)
        anyone = self._s.choice("person.age", self.ids, pop._all_cum)
        return np.where(self.is_head, adult, anyone)

    @cached_property
    def dob_day(self) -> IntArray:
        years = self.age + self._s.uniform("person.dob", self.ids)
        return REFERENCE_DAY - np.floor(years * DAYS_PER_YEAR).astype(np.int64) - 1

    @cached_property
    def _death(self) -> tuple[BoolArray, IntArray]:
        window = DEATH_WINDOW_BEFORE + DEATH_WINDOW_AFTER
        p = window * annual_mortality(self.age)
        u = self._s.uniform("person.death", self.ids)
        dies = u < p
        offset_years = np.where(dies, u / p, 0.0) * window - DEATH_WINDOW_BEFORE
        day = REFERENCE_DAY + np.floor(offset_years * DAYS_PER_YEAR).astype(np.int64)
        return dies, day

    @property
    def dies_in_window(self) -> BoolArray:
        return self._death[0]

    @property
    def death_day(self) -> IntArray:
        """Day of death (days since 1970) where ``dies_in_window``; meaningless elsewhere."""
        return self._death[1]

    @cached_property
    def dead_at_reference(self) -> BoolArray:
        return np.asarray(self.dies_in_window & (self.death_day < REFERENCE_DAY))

    # -- names -----------------------------------------------------------------------
    def _forename_draw(self, stream: str) -> IntArray:
        names = self.population.names
        f = names.female[self._s.choice(stream, self.ids, names.female_cum)]
        m = names.male[self._s.choice(stream, self.ids, names.male_cum)]
        return np.where(self.female, f, m)

    @cached_property
    def forename_index(self) -> IntArray:
        return self._forename_draw("person.forename")

    @cached_property
    def middle_name_indices(self) -> tuple[IntArray, IntArray]:
        """Up to two middle names (-1 for none), never the same as the forename."""
        u = self._s.uniform("person.middle.count", self.ids)
        first = self._forename_draw("person.middle.1")
        second = self._forename_draw("person.middle.2")
        first = np.where((u < 0.53) & (first != self.forename_index), first, -1)
        second = np.where((u < 0.08) & (first >= 0) & (second != first), second, -1)
        return first, second

    @cached_property
    def surname_index(self) -> IntArray:
        names = self.population.names
        shares = self._s.uniform("person.surname.shared", self.ids) < 0.8
        source = np.where(shares | self.is_head, self.head, self.ids)
        return self._s.choice("person.surname", source, names.surname_cum)

    @cached_property
    def previous_surname_index(self) -> IntArray:
        """The surname before a change (marriage, divorce, deed poll): always different."""
        names = self.population.names
        prev = self._s.choice("person.surname.previous", self.ids, names.surname_cum)
        return np.where(prev == self.surname_index, (prev + 1) % len(names.surnames), prev)

    @cached_property
    def forename(self) -> pa.Array:
        return self.population.names.forenames.take(pa.array(self.forename_index))

    @cached_property
    def middle_names(self) -> pa.Array:
        names = self.population.names.forenames
        first, second = self.middle_name_indices
        a = names.take(pa.array(np.maximum(first, 0)))
        b = names.take(pa.array(np.maximum(second, 0)))
        both = pc.binary_join_element_wise(a, b, " ")
        out = pc.if_else(pa.array(second >= 0), both, a)
        return pc.if_else(pa.array(first >= 0), out, pa.nulls(len(self), pa.string()))

    @cached_property
    def surname(self) -> pa.Array:
        return self.population.names.surnames.take(pa.array(self.surname_index))

    @cached_property
    def sex(self) -> pa.Array:
        return pa.array(np.where(self.female, "F", "M"), pa.string())

    @cached_property
    def title(self) -> pa.Array:
        u = self._s.uniform("person.title", self.ids)
        age = self.age
        female_title = np.where(
            age < 25,
            np.where(u < 0.9, "Miss", "Ms"),
            np.where(u < 0.55, "Mrs", np.where(u < 0.8, "Ms", "Miss")),
        )
        title = np.where(self.female, female_title, "Mr")
        doctor = (self._s.uniform("person.title.dr", self.ids) < 0.012) & (age >= 25)
        title = np.where(doctor, "Dr", title)
        return pa.array(title, pa.string(), mask=age < 16)

    @cached_property
    def date_of_birth(self) -> pa.Array:
        return _date_array(self.dob_day)

    @cached_property
    def date_of_death(self) -> pa.Array:
        """Date of death where it happened before the reference date, else null."""
        return _date_array(self.death_day, self.dead_at_reference)

    # -- identifiers and contact -----------------------------------------------------
    @cached_property
    def nino(self) -> pa.Array:
        return ninos(self._s, self.ids)

    @cached_property
    def nhs_number(self) -> pa.Array:
        return nhs_numbers(self._s, self.ids)

    @cached_property
    def mobile_number(self) -> pa.Array:
        has = (self._s.uniform("person.has_mobile", self.ids) < 0.9) & (self.age >= 12)
        numbers = mobile_numbers(self._s, self.ids)
        return pc.if_else(pa.array(has), numbers, pa.nulls(len(self), pa.string()))

    @cached_property
    def telephone_number(self) -> pa.Array:
        """The household landline, shared by everyone at the address (55% of households)."""
        has = self._s.uniform("hh.has_landline", self.head) < 0.55
        numbers = landline_numbers(self._s, self.head, self.la)
        return pc.if_else(pa.array(has), numbers, pa.nulls(len(self), pa.string()))

    @cached_property
    def email(self) -> pa.Array:
        s = self._s
        has = (s.uniform("person.has_email", self.ids) < 0.7) & (self.age >= 16)
        digits = s.below("person.email.digits", self.ids, 100)
        use_digits = s.uniform("person.email.use_digits", self.ids) < 0.5
        domains = pa.array(["example.com", "example.org", "example.net"])
        domain = domains.take(pa.array(s.below("person.email.domain", self.ids, 3)))
        local = pc.binary_join_element_wise(self.forename, self.surname, ".")
        local = pc.utf8_lower(pc.replace_substring(local, "'", ""))
        suffix = pc.if_else(
            pa.array(use_digits),
            pc.cast(pa.array(digits), pa.string()),
            pa.array([""] * len(self), pa.string()),
        )
        email = pc.binary_join_element_wise(local, suffix, "@", domain, "")
        return pc.if_else(pa.array(has), email, pa.nulls(len(self), pa.string()))

    # -- address ---------------------------------------------------------------------
    @cached_property
    def address(self) -> dict[str, pa.Array]:
        return self.population.address(self.head)

    @cached_property
    def previous_address(self) -> dict[str, pa.Array]:
        return self.population.address(self.population.previous_head(self.head))

    @cached_property
    def oa_code(self) -> pa.Array:
        return self.population.geography.oa_code.take(pa.array(self.oa))

    @cached_property
    def lsoa_code(self) -> pa.Array:
        return self.population.geography.lsoa_code.take(pa.array(self.lsoa))

    @cached_property
    def la_code(self) -> pa.Array:
        return self.population.geography.la_code.take(pa.array(self.la))
