"""Scenario ``trust`` (seed 002): a labour-market data trust across departments.

Three departments hold linked records of the same people, all keyed by NINO (though, as
in life, the education record's NINO is sometimes missing and names drift between
systems):

- ``learners`` (education): learning aims of learners aged 16 and over, one row per aim.
- ``employment_spells`` (tax): PAYE employment spells since April 2018 with taxable pay
  in the 2019-20 and 2020-21 tax years, one row per spell.
- ``benefit_spells`` (work and pensions): current and past benefit spells.

The ground truth says who everyone is, so in-place joins across the trust can be checked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.core.vocabulary import Category, DataType, SemanticType
from accord.synth.circumstances import BENEFITS, Circumstances
from accord.synth.population import EPOCH, REFERENCE_DAY, People
from accord.synth.scenarios.base import (
    DatasetSpec,
    Run,
    dates,
    field_,
    person_columns,
    person_fields,
)
from accord.synth.streams import BoolArray, IntArray, cumulative, feistel_permute

__all__ = ["TrustScenario"]

_NP, _OTHER, _P = Category.NON_PERSONAL, SemanticType.OTHER, Category.PERSONAL
_V, _D = DataType.VARCHAR, DataType.DATE
WINDOW_START = (dt.date(2018, 4, 6) - EPOCH).days
TAX_YEARS = (
    ("taxable_pay_2019_20", (dt.date(2019, 4, 6) - EPOCH).days, (dt.date(2020, 4, 6) - EPOCH).days),
    ("taxable_pay_2020_21", (dt.date(2020, 4, 6) - EPOCH).days, (dt.date(2021, 4, 6) - EPOCH).days),
)
_LEVELS = ("Entry level", "Level 1", "Level 2", "Level 3", "Level 4+")
_SUBJECTS = (
    "Health, Public Services and Care", "Science and Mathematics", "Agriculture",
    "Engineering and Manufacturing", "Construction", "Information and Communication Technology",
    "Retail and Commercial Enterprise", "Leisure, Travel and Tourism", "Arts, Media and Publishing",
    "History, Philosophy and Theology", "Social Sciences", "Languages, Literature and Culture",
    "Education and Training", "Preparation for Life and Work", "Business, Administration and Law",
)  # fmt: skip
_OUTCOMES = ("achieved", "partial achievement", "no achievement", "withdrawn", "continuing")
_PERSON = ("nino", "forename", "surname", "date_of_birth", "postcode")

LEARNERS = DatasetSpec(
    name="learners",
    holder="Department for Education",
    description="Learning aims started since August 2018 by learners aged 16 and over "
    "(individualised learner record), one row per aim.",
    fields=(
        field_("uln", _V, Category.DIRECT_IDENTIFIER, SemanticType.CODE, "Unique learner number"),
        *person_fields("nino", "forename", "surname", "date_of_birth", "sex", "postcode"),
        field_("provider_ukprn", _V, _NP, SemanticType.CODE, "Learning provider (UKPRN)"),
        field_("qualification_level", _V, _P, SemanticType.CODE, "Level of the aim"),
        field_("subject_area", _V, _P, SemanticType.CODE, "Sector subject area"),
        field_("learning_start_date", _D, _P, SemanticType.DATE, "Aim start"),
        field_("learning_planned_end_date", _D, _P, SemanticType.DATE, "Planned end"),
        field_("learning_actual_end_date", _D, _P, SemanticType.DATE, "Actual end"),
        field_("outcome", _V, _P, SemanticType.CODE, "Outcome of the aim"),
    ),
    missable=("nino", "date_of_birth", "postcode"),
)
EMPLOYMENT_SPELLS = DatasetSpec(
    name="employment_spells",
    holder="HM Revenue and Customs",
    description="PAYE employment spells since 6 April 2018 with taxable pay by tax year.",
    fields=(
        *person_fields(*_PERSON),
        field_("employer_paye_reference", _V, _NP, SemanticType.CODE, "Employer PAYE reference"),
        field_("employment_start_date", _D, _P, SemanticType.DATE, "Spell start"),
        field_("employment_end_date", _D, _P, SemanticType.DATE, "Spell end (null: ongoing)"),
        *(
            field_(name, DataType.DOUBLE, _P, SemanticType.AMOUNT, "Taxable pay, GBP")
            for name, _, _ in TAX_YEARS
        ),
    ),
    missable=("date_of_birth", "postcode"),
)
BENEFIT_SPELLS = DatasetSpec(
    name="benefit_spells",
    holder="Department for Work and Pensions",
    description="Working-age benefit spells since 6 April 2018 (ongoing spells have no end).",
    fields=(
        *person_fields(*_PERSON),
        field_("benefit_type", _V, _P, SemanticType.CODE, "UC, ESA, JSA or IS"),
        field_("spell_start_date", _D, _P, SemanticType.DATE, "Spell start"),
        field_("spell_end_date", _D, _P, SemanticType.DATE, "Spell end (null: ongoing)"),
    ),
    missable=("date_of_birth", "postcode"),
)
IDENTITY = DatasetSpec(
    name="identity",
    holder="ground truth",
    description="Each person in any trust dataset with every identifier they carry.",
    fields=(
        field_("person_id", DataType.BIGINT, _NP, _OTHER, "Synthetic person id"),
        *person_fields("nino", "nhs_number"),
        field_("uln", _V, _NP, _OTHER, "Unique learner number, if a learner"),
        field_("learner", DataType.BOOLEAN, _NP, _OTHER, "In learners"),
        field_("employed", DataType.BOOLEAN, _NP, _OTHER, "In employment_spells"),
        field_("benefit", DataType.BOOLEAN, _NP, _OTHER, "In benefit_spells"),
    ),
    role="ground_truth",
    corrupt=False,
)

_P_LEARNER = np.zeros(101)
_P_LEARNER[16:19], _P_LEARNER[19:25], _P_LEARNER[25:65] = 0.45, 0.10, 0.03
_P_EMPLOYED = np.zeros(101)
_P_EMPLOYED[16:18], _P_EMPLOYED[18:25], _P_EMPLOYED[25:50] = 0.25, 0.62, 0.84
_P_EMPLOYED[50:65], _P_EMPLOYED[65:71] = 0.74, 0.2
_SPELLS_CUM = cumulative([0.6, 0.28, 0.12])


def _repeat(people: People, counts: IntArray) -> tuple[People, IntArray]:
    """One view row per (person, item): the person repeated, and the item's number."""
    positions = np.repeat(np.arange(len(people), dtype=np.int64), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return people.subset(positions), np.arange(len(positions), dtype=np.int64) - starts


def ulns(people: People) -> pa.Array:
    """Unique learner numbers: ten digits, unique by construction."""
    s = people.population.streams
    number = 1_000_000_000 + feistel_permute(people.ids, 9_000_000_000, s.key("id.uln"))
    return pc.cast(pa.array(number), pa.string())


class TrustScenario:
    name = "trust"
    title = "Labour-market data trust (seed 002)"

    def datasets(self) -> tuple[DatasetSpec, ...]:
        return (LEARNERS, EMPLOYMENT_SPELLS, BENEFIT_SPELLS, IDENTITY)

    def generate(self, run: Run) -> dict[str, Any]:
        run.open(*self.datasets())
        totals = {"learners": 0, "employed": 0, "benefit_claimants": 0}
        for people in run.chunks():
            life = Circumstances(people)
            s = people.population.streams
            alive = life.alive
            learner = alive & (s.uniform("trust.learner", people.ids) < _P_LEARNER[people.age])
            out_of_work = (life.benefit > 1) | ((life.benefit == 1) & ~life.uc_in_work)
            p_employed = np.where(out_of_work, 0.3, _P_EMPLOYED[people.age])
            p_employed = np.where(life.uc_in_work, 1.0, p_employed)
            employed = alive & (s.uniform("trust.employed", people.ids) < p_employed)
            past = (
                (people.age >= 18) & (people.age < 66) & (s.uniform("trust.past", people.ids) < 0.2)
            )
            on_benefit = alive & ((life.benefit > 0) | past)
            self._learners(run, people.subset(learner))
            self._employment(run, people.subset(employed), out_of_work[employed])
            self._benefits(run, people.subset(on_benefit), life.benefit[on_benefit])
            anyone = learner | employed | on_benefit
            who = people.subset(anyone)
            uln = pc.if_else(pa.array(learner[anyone]), ulns(who), pa.nulls(len(who), pa.string()))
            run.write(
                IDENTITY,
                pa.table(
                    {
                        "person_id": pa.array(who.ids),
                        "nino": who.nino,
                        "nhs_number": who.nhs_number,
                        "uln": uln,
                        "learner": pa.array(learner[anyone]),
                        "employed": pa.array(employed[anyone]),
                        "benefit": pa.array(on_benefit[anyone]),
                    }
                ),
            )
            totals["learners"] += int(learner.sum())
            totals["employed"] += int(employed.sum())
            totals["benefit_claimants"] += int(on_benefit.sum())
        return totals

    def _learners(self, run: Run, people: People) -> None:
        s = people.population.streams
        aims = 1 + (s.uniform("trust.aims", people.ids) < 0.3).astype(np.int64)
        rows, aim = _repeat(people, aims)
        key = rows.ids * 4 + aim
        start = np.maximum(
            REFERENCE_DAY - 900 + s.below("trust.aim.start", key, 880), rows.dob_day + 16 * 366
        )
        planned = start + 90 + s.below("trust.aim.length", key, 640)
        outcome = s.choice("trust.aim.outcome", key, cumulative([0.55, 0.05, 0.08, 0.12, 0.2]))
        outcome = np.where(planned >= REFERENCE_DAY, 4, np.where(outcome == 4, 0, outcome))
        ended = outcome != 4
        actual = np.where(outcome == 3, start + (planned - start) // 2, planned)
        level = np.where(
            rows.age < 19, s.below("trust.aim.level", key, 4), s.below("trust.aim.level", key, 5)
        )
        columns: dict[str, pa.Array] = {"uln": ulns(rows)}
        columns |= person_columns(
            rows, ("nino", "forename", "surname", "date_of_birth", "sex", "postcode")
        )
        columns |= {
            "provider_ukprn": pc.cast(
                pa.array(10_000_000 + s.below("trust.aim.ukprn", rows.lsoa * 3 + aim, 9_000)),
                pa.string(),
            ),
            "qualification_level": pa.array(np.asarray(_LEVELS)[level], pa.string()),
            "subject_area": pa.array(
                np.asarray(_SUBJECTS)[s.below("trust.aim.subject", key, len(_SUBJECTS))],
                pa.string(),
            ),
            "learning_start_date": dates(start),
            "learning_planned_end_date": dates(planned),
            "learning_actual_end_date": dates(actual, ended),
            "outcome": pa.array(np.asarray(_OUTCOMES)[outcome], pa.string()),
        }
        run.emit(LEARNERS, columns, rows)

    def _employment(self, run: Run, people: People, out_of_work: BoolArray) -> None:
        s = people.population.streams
        spells = 1 + s.choice("trust.spells", people.ids, _SPELLS_CUM)
        rows, spell = _repeat(people, spells)
        key = rows.ids * 4 + spell
        n = np.repeat(spells, spells)
        first_day = np.maximum(WINDOW_START, rows.dob_day + 16 * 366)
        width = np.maximum((REFERENCE_DAY - first_day) // n, 1)
        segment_start = first_day + spell * width
        start = segment_start + s.below("trust.spell.start", key, np.maximum(width // 3, 1))
        end = start + width // 2 + s.below("trust.spell.end", key, np.maximum(width // 2, 1))
        last = spell == n - 1
        ongoing = last & ~np.repeat(out_of_work, spells)
        start = np.minimum(start, REFERENCE_DAY - 1)
        end = np.where(
            ongoing, REFERENCE_DAY, np.maximum(np.minimum(end, REFERENCE_DAY - 1), start)
        )
        salary = 27_000 * np.exp(0.5 * s.normal("trust.salary", rows.ids))
        employer = s.below("trust.employer", key, max(100, run.population.n_persons // 40))
        letters = pa.array(
            [a + b for a in "ABCDEFGHJKLMNPRSTWXYZ" for b in "ABCDEFGHJKLMNPRSTWXYZ"]
        )
        paye = pc.binary_join_element_wise(
            pc.cast(pa.array(100 + employer % 900), pa.string()),
            "/",
            letters.take(pa.array((employer // 900) % len(letters))),
            pc.utf8_lpad(
                pc.cast(pa.array(s.below("trust.paye", employer, 100_000)), pa.string()),
                5,
                padding="0",
            ),
            "",
        )
        columns = person_columns(rows, _PERSON)
        columns |= {
            "employer_paye_reference": paye,
            "employment_start_date": dates(start),
            "employment_end_date": dates(end, ~ongoing),
        }
        for name, lo, hi in TAX_YEARS:
            days = np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0, None)
            columns[name] = pa.array(np.round(salary * days / 365.0, 2))
        run.emit(EMPLOYMENT_SPELLS, columns, rows)

    def _benefits(self, run: Run, people: People, current: IntArray) -> None:
        s = people.population.streams
        has_past = s.uniform("trust.past", people.ids) < 0.2
        has_past &= (people.age >= 18) & (people.age < 66)
        counts = (current > 0).astype(np.int64) + has_past.astype(np.int64)
        rows, item = _repeat(people, counts)
        cur = np.repeat(current, counts)
        is_current = (cur > 0) & (item == counts.repeat(counts) - 1)
        past_kind = 1 + s.choice("trust.past.kind", rows.ids, cumulative([0.5, 0.3, 0.15, 0.05]))
        kind = np.where(is_current, cur, past_kind)
        first_day = np.maximum(WINDOW_START, rows.dob_day + 18 * 366)
        span = np.maximum(REFERENCE_DAY - first_day, 2)
        start_current = (
            REFERENCE_DAY - 1 - s.below("trust.current.start", rows.ids, np.minimum(span, 900))
        )
        room = np.maximum((start_current - 60 - first_day) // 2, 1)
        past_start = first_day + s.below("trust.past.start", rows.ids, room)
        past_end = np.minimum(
            past_start + 30 + s.below("trust.past.length", rows.ids, 300), start_current - 1
        )
        start = np.where(is_current, start_current, past_start)
        end = np.where(is_current, 0, np.maximum(past_end, past_start))
        codes = np.asarray([b[0] for b in BENEFITS])
        columns = person_columns(rows, _PERSON)
        columns |= {
            "benefit_type": pa.array(codes[kind - 1], pa.string()),
            "spell_start_date": dates(start),
            "spell_end_date": dates(end, ~is_current),
        }
        run.emit(BENEFIT_SPELLS, columns, rows)
