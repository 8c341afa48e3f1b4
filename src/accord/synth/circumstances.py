"""Life circumstances: who claims which benefit, who cares, who has been offered a vaccine.

Each circumstance is a probability by single year of age, scaled so that the expected
count at scale 1 is the real-world figure the scenario needs (789,000 Carer's Allowance
recipients, 127,000 on other caring benefits, 5.9 million on Universal Credit...). The
scaling is exact arithmetic over the population's expected age distribution, not a
first pass over the people, so any subset of people can be classified on its own.

Only people alive on the reference date hold a benefit. Counts at a given scale are
therefore binomial around ``scale * target``: "about 789,000", as the seed says.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from accord.synth.population import (
    FULL_POPULATION,
    MAX_AGE,
    REFERENCE_DAY,
    People,
    alive_at_reference,
    expected_age_distribution,
)
from accord.synth.streams import BoolArray, FloatArray, IntArray, Streams

__all__ = [
    "BENEFITS",
    "CARERS_ALLOWANCE",
    "OTHER_CARING",
    "VACCINATION_START_DAY",
    "Circumstances",
    "Profile",
    "probability_by_age",
]

Profile = tuple[tuple[int, int, float], ...]
"""(first age, last age, relative weight) bands; ages outside every band have weight 0."""

_CARER_PROFILE: Profile = (
    (16, 24, 0.5), (25, 34, 1.0), (35, 44, 1.4), (45, 54, 1.8), (55, 65, 2.0),
    (66, 74, 0.25), (75, 100, 0.08),
)  # fmt: skip
_OTHER_CARER_PROFILE: Profile = (
    (16, 24, 0.5), (25, 34, 1.0), (35, 44, 1.4), (45, 54, 1.8), (55, 65, 2.0), (66, 100, 0.8),
)  # fmt: skip

CARERS_ALLOWANCE = 789_000
OTHER_CARING = 127_000
CARERS_NOT_OFFERED = 540_000
"""Seed 000: of the carers shared, about 540,000 had not yet been offered a vaccine."""

# (benefit code, recipients at scale 1 in February 2021, age profile)
BENEFITS: tuple[tuple[str, int, Profile], ...] = (
    ("UC", 5_900_000, ((18, 24, 1.3), (25, 34, 1.5), (35, 44, 1.2), (45, 54, 1.0), (55, 65, 0.8))),
    ("ESA", 1_900_000, ((18, 24, 0.4), (25, 34, 0.7), (35, 44, 1.0), (45, 54, 1.4), (55, 65, 1.7))),
    ("JSA", 200_000, ((18, 24, 1.5), (25, 34, 1.2), (35, 65, 0.8))),
    ("IS", 350_000, ((18, 24, 0.8), (25, 34, 1.4), (35, 44, 1.2), (45, 54, 0.7), (55, 65, 0.4))),
)
OUT_OF_WORK = ("UC", "ESA", "JSA", "IS")
VACCINATION_START_DAY = REFERENCE_DAY - 71
"""8 December 2020, the first dose outside a trial."""
P_REGISTERED = 0.992
"""Share of living people on the patient register (the rest never registered with a GP)."""
UC_IN_WORK = 0.4


def _weights(profile: Profile) -> FloatArray:
    w = np.zeros(MAX_AGE + 1)
    for lo, hi, weight in profile:
        w[lo : hi + 1] = weight
    return w


def probability_by_age(target: int, profile: Profile) -> FloatArray:
    """P(circumstance | age) giving ``target`` expected living holders among 56.5M people."""
    w = _weights(profile)
    ages = np.arange(MAX_AGE + 1)
    living = expected_age_distribution() * alive_at_reference(ages)
    return np.asarray(target * w / (FULL_POPULATION * float((living * w).sum())), np.float64)


def expected_holders(p_by_age: FloatArray) -> FloatArray:
    """Expected living holders at each age at scale 1, for a probability table."""
    ages = np.arange(MAX_AGE + 1)
    living = expected_age_distribution() * alive_at_reference(ages)
    return np.asarray(FULL_POPULATION * living * p_by_age, np.float64)


P_CA = probability_by_age(CARERS_ALLOWANCE, _CARER_PROFILE)
P_OTHER_CARING = probability_by_age(OTHER_CARING, _OTHER_CARER_PROFILE)
P_BENEFIT = np.stack([probability_by_age(n, prof) for _, n, prof in BENEFITS])
BENEFIT_CUM = np.cumsum(P_BENEFIT, axis=0)

# Vaccine offers by 17 February 2021: priority groups 1-4 (70+), group 5 (65-69) well
# under way, under-65s only as health and care workers or clinically vulnerable.
_OFFER_NON_CARER = _weights(
    ((16, 64, 0.10), (65, 69, 0.85), (70, 74, 0.94), (75, 79, 0.96), (80, 100, 0.98))
)
_OFFER_CARER_OLD = _weights(((65, 69, 0.9), (70, 100, 0.97)))


def _carer_offer_table() -> FloatArray:
    """Offer probability for carers: set for under-65s so ~540,000 of ~916,000 are not offered."""
    holders = expected_holders(P_CA) + expected_holders(P_OTHER_CARING)
    old = np.arange(MAX_AGE + 1) >= 65
    offered_target = (CARERS_ALLOWANCE + OTHER_CARING) - CARERS_NOT_OFFERED
    young_rate = (offered_target - float((holders * _OFFER_CARER_OLD)[old].sum())) / float(
        holders[~old].sum()
    )
    return np.where(old, _OFFER_CARER_OLD, young_rate)


P_OFFER_CARER = _carer_offer_table()


@dataclass
class Circumstances:
    """The circumstances of a set of people, computed on first use."""

    people: People

    @property
    def _s(self) -> Streams:
        return self.people.population.streams

    @cached_property
    def alive(self) -> BoolArray:
        return np.asarray(~self.people.dead_at_reference)

    @cached_property
    def carer(self) -> IntArray:
        """0 none, 1 Carer's Allowance, 2 another caring-related benefit."""
        age = self.people.age
        u = self._s.uniform("life.carer", self.people.ids)
        ca = u < P_CA[age]
        other = ~ca & (u < P_CA[age] + P_OTHER_CARING[age])
        return np.where(self.alive, np.where(ca, 1, np.where(other, 2, 0)), 0).astype(np.int64)

    @cached_property
    def benefit(self) -> IntArray:
        """Main working-age benefit: 0 none, else 1 + index into ``BENEFITS``."""
        age = self.people.age
        u = self._s.uniform("life.benefit", self.people.ids)
        cum = BENEFIT_CUM[:, age]
        code = (u[None, :] >= cum).sum(axis=0)
        on = code < len(BENEFITS)
        return np.where(self.alive & on, code + 1, 0).astype(np.int64)

    @cached_property
    def uc_in_work(self) -> BoolArray:
        u = self._s.uniform("life.uc.in_work", self.people.ids)
        return np.asarray((self.benefit == 1) & (u < UC_IN_WORK))

    @cached_property
    def registered(self) -> BoolArray:
        """On the patient register: everyone who died in the last three years, 99.2% of the rest."""
        u = self._s.uniform("life.registered", self.people.ids)
        return np.asarray(self.people.dead_at_reference | (u < P_REGISTERED))

    @cached_property
    def vaccine_offered_day(self) -> IntArray:
        """Day the first vaccine dose was offered, or -1 (not offered by the reference date)."""
        age = self.people.age
        p = np.where(self.carer > 0, P_OFFER_CARER[age], _OFFER_NON_CARER[age])
        u = self._s.uniform("life.vaccine.offered", self.people.ids)
        offered = self.alive & (u < p)
        # Older people were offered first: the offer day falls earlier with age.
        earliness = np.clip((age - 16) / 84.0, 0.0, 1.0)
        v = self._s.uniform("life.vaccine.offer_day", self.people.ids)
        span = REFERENCE_DAY - VACCINATION_START_DAY
        day = VACCINATION_START_DAY + np.floor(span * v * (1.0 - 0.6 * earliness)).astype(np.int64)
        return np.where(offered, day, -1)

    @cached_property
    def vaccine_dose_day(self) -> IntArray:
        """Day of the first dose (-1 if none by the reference date): 88% accept, within 3 weeks."""
        offered = self.vaccine_offered_day
        accept = self._s.uniform("life.vaccine.accept", self.people.ids) < 0.88
        day = offered + self._s.below("life.vaccine.dose_delay", self.people.ids, 21)
        return np.where((offered >= 0) & accept & (day < REFERENCE_DAY), day, -1)
