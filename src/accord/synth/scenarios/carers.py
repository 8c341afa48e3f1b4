"""Scenario ``carers`` (seed 000): carers shared with the health body for vaccination.

The benefits department holds Carer's Allowance (about 789,000 recipients at scale 1),
other caring-related benefits (about 127,000) and Universal Credit with its carer
element. The health body holds the national patient register (the whole population,
56.5 million at scale 1) with GP practice and vaccination dates. Matching the carers to
the register without a shared identifier, through names, dates of birth and addresses
that disagree at the configured rates, should find about 540,000 carers not yet offered
a vaccine: the exact number is in the manifest's ``truth``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from accord.core.vocabulary import Category, DataType, SemanticType
from accord.synth.circumstances import Circumstances
from accord.synth.population import REFERENCE_DAY, People
from accord.synth.scenarios.base import (
    DatasetSpec,
    Run,
    dates,
    field_,
    person_columns,
    person_fields,
)
from accord.synth.streams import IntArray

__all__ = ["CarersScenario"]

DWP = "Department for Work and Pensions"
NHS = "NHS England"
_NP, _OTHER = Category.NON_PERSONAL, SemanticType.OTHER
_PERSONAL = Category.PERSONAL

_BENEFIT_PERSON = (
    "nino", "title", "forename", "surname", "date_of_birth", "sex",
    "address_line_1", "address_line_2", "address_line_3", "postcode",
)  # fmt: skip
_REGISTER_PERSON = (
    "nhs_number", "title", "forename", "middle_names", "surname", "date_of_birth", "sex",
    "address_line_1", "address_line_2", "address_line_3", "postcode",
    "telephone_number", "mobile_number",
)  # fmt: skip
_CARED_FOR = ("AA", "DLA-CARE-MIDDLE", "DLA-CARE-HIGHEST", "PIP-DL-STANDARD", "PIP-DL-ENHANCED",
              "CAA", "AFIP")  # fmt: skip
_CARED_FOR_CUM = np.cumsum([0.3, 0.15, 0.12, 0.18, 0.2, 0.03, 0.02])
_OTHER_TYPES = (
    "universal_credit_carer_element", "income_support_carer_premium",
    "pension_credit_carer_addition", "carers_credit",
)  # fmt: skip
CA_WEEKLY_RATE = 67.25
"""Carer's Allowance, April 2020 to April 2021."""

CARERS_ALLOWANCE = DatasetSpec(
    name="carers_allowance",
    holder=DWP,
    description="Carer's Allowance recipients in payment on 17 February 2021.",
    fields=(
        *person_fields(*_BENEFIT_PERSON, "telephone_number"),
        field_("award_start_date", DataType.DATE, _PERSONAL, SemanticType.DATE, "Award start"),
        field_(
            "weekly_amount", DataType.DOUBLE, _PERSONAL, SemanticType.AMOUNT, "Weekly rate, GBP"
        ),
        field_(
            "cared_for_benefit",
            DataType.VARCHAR,
            Category.SPECIAL_CATEGORY,
            SemanticType.CODE,
            "Qualifying disability benefit of the person cared for",
        ),
    ),
    missable=("date_of_birth", "postcode", "telephone_number", "address_line_1"),
)
OTHER_CARING = DatasetSpec(
    name="other_caring_benefits",
    holder=DWP,
    description="People on other caring-related benefits and not on Carer's Allowance "
    "(the second delivery, 2 March 2021).",
    fields=(
        *person_fields(*_BENEFIT_PERSON),
        field_(
            "benefit_type", DataType.VARCHAR, _PERSONAL, SemanticType.CODE, "Caring-related benefit"
        ),
        field_("award_start_date", DataType.DATE, _PERSONAL, SemanticType.DATE, "Award start"),
    ),
    missable=("date_of_birth", "postcode", "address_line_1"),
)
UNIVERSAL_CREDIT = DatasetSpec(
    name="universal_credit",
    holder=DWP,
    description="Universal Credit claimants on 17 February 2021 with the elements of their award.",
    fields=(
        *person_fields(*_BENEFIT_PERSON, "mobile_number", "email"),
        field_("claim_start_date", DataType.DATE, _PERSONAL, SemanticType.DATE, "Claim start"),
        field_(
            "in_work",
            DataType.BOOLEAN,
            _PERSONAL,
            SemanticType.FLAG,
            "Earnings in the last assessment period",
        ),
        field_(
            "carer_element",
            DataType.BOOLEAN,
            _PERSONAL,
            SemanticType.FLAG,
            "Award includes the carer element",
        ),
        field_(
            "lcwra_element",
            DataType.BOOLEAN,
            Category.SPECIAL_CATEGORY,
            SemanticType.FLAG,
            "Limited capability for work and work-related activity",
        ),
    ),
    missable=("date_of_birth", "postcode", "mobile_number", "email"),
)
PATIENT_REGISTER = DatasetSpec(
    name="patient_register",
    holder=NHS,
    description="Everyone registered with a GP in England, with COVID-19 vaccination dates.",
    fields=(
        *person_fields(*_REGISTER_PERSON),
        field_(
            "gp_practice_code",
            DataType.VARCHAR,
            _PERSONAL,
            SemanticType.CODE,
            "Registered GP practice",
        ),
        field_(
            "registration_date",
            DataType.DATE,
            _PERSONAL,
            SemanticType.DATE,
            "Registered at the practice since",
        ),
        field_("date_of_death", DataType.DATE, _PERSONAL, SemanticType.DATE, "Date of death"),
        field_(
            "vaccination_offered_date",
            DataType.DATE,
            Category.SPECIAL_CATEGORY,
            SemanticType.DATE,
            "First COVID-19 vaccine dose offered",
        ),
        field_(
            "vaccination_first_dose_date",
            DataType.DATE,
            Category.SPECIAL_CATEGORY,
            SemanticType.DATE,
            "First COVID-19 vaccine dose given",
        ),
    ),
    missable=("postcode", "telephone_number", "mobile_number", "middle_names"),
)
IDENTITY = DatasetSpec(
    name="identity",
    holder="ground truth",
    description="Each person in a benefits dataset: NINO, NHS number, where they appear, "
    "and whether a correct linkage finds them unvaccinated.",
    fields=(
        field_("person_id", DataType.BIGINT, _NP, _OTHER, "Synthetic person id"),
        *(f for f in person_fields("nino", "nhs_number")),
        field_("in_patient_register", DataType.BOOLEAN, _NP, _OTHER, "Has a register record"),
        field_("carers_allowance", DataType.BOOLEAN, _NP, _OTHER, "In carers_allowance"),
        field_("other_caring_benefits", DataType.BOOLEAN, _NP, _OTHER, "In other_caring_benefits"),
        field_("universal_credit", DataType.BOOLEAN, _NP, _OTHER, "In universal_credit"),
        field_(
            "vaccination_offered", DataType.BOOLEAN, _NP, _OTHER, "Offered a vaccine by 17 Feb 2021"
        ),
    ),
    role="ground_truth",
    corrupt=False,
)


def _past_day(people: People, stream: str, max_years: float) -> IntArray:
    """A day within ``max_years`` before the reference date, never before the 16th birthday."""
    s = people.population.streams
    span = np.floor(s.uniform(stream, people.ids) * max_years * 365.25).astype(np.int64)
    return np.maximum(REFERENCE_DAY - 1 - span, people.dob_day + int(16 * 365.25))


class CarersScenario:
    name = "carers"
    title = "Carers for vaccination (seed 000)"

    def datasets(self) -> tuple[DatasetSpec, ...]:
        return (CARERS_ALLOWANCE, OTHER_CARING, UNIVERSAL_CREDIT, PATIENT_REGISTER, IDENTITY)

    def generate(self, run: Run) -> dict[str, Any]:
        run.open(*self.datasets())
        counts = {"carers": 0, "carers_in_register": 0, "carers_not_offered": 0}
        for people in run.chunks():
            life = Circumstances(people)
            self._register(run, people, life)
            carer, benefit = life.carer, life.benefit
            ca = carer == 1
            other = carer == 2
            uc = benefit == 1
            self._carers_allowance(run, people.subset(ca))
            self._other_caring(run, people.subset(other), benefit[other])
            self._universal_credit(
                run, people.subset(uc), Circumstances(people.subset(uc)), carer[uc]
            )
            named = ca | other | uc
            self._identity(run, people.subset(named), life, named)
            carers = carer > 0
            counts["carers"] += int(carers.sum())
            counts["carers_in_register"] += int((carers & life.registered).sum())
            counts["carers_not_offered"] += int(
                (carers & life.registered & (life.vaccine_offered_day < 0)).sum()
            )
        return counts

    def _register(self, run: Run, people: People, life: Circumstances) -> None:
        on = people.subset(life.registered)
        on_life = Circumstances(on)
        s = people.population.streams
        geo = people.population.geography
        from accord.synth.geography import OAS_PER_PRACTICE

        practice = geo.practice_codes.take(pa.array(on.oa // OAS_PER_PRACTICE))
        years = np.minimum(30.0, (REFERENCE_DAY - on.dob_day) / 365.25)
        registered = (
            REFERENCE_DAY - 1 - np.floor(s.uniform("nhs.registered", on.ids) * years * 365.25)
        )
        columns = person_columns(on, _REGISTER_PERSON)
        columns |= {
            "gp_practice_code": practice,
            "registration_date": dates(registered.astype(np.int64)),
            "date_of_death": on.date_of_death,
            "vaccination_offered_date": dates(
                on_life.vaccine_offered_day, on_life.vaccine_offered_day >= 0
            ),
            "vaccination_first_dose_date": dates(
                on_life.vaccine_dose_day, on_life.vaccine_dose_day >= 0
            ),
        }
        run.emit(PATIENT_REGISTER, columns, on)

    def _carers_allowance(self, run: Run, people: People) -> None:
        s = people.population.streams
        cared = np.searchsorted(_CARED_FOR_CUM, s.uniform("ca.cared_for", people.ids), side="right")
        columns = person_columns(people, (*_BENEFIT_PERSON, "telephone_number"))
        columns |= {
            "award_start_date": dates(_past_day(people, "ca.award_start", 12.0)),
            "weekly_amount": pa.array(np.full(len(people), CA_WEEKLY_RATE)),
            "cared_for_benefit": pa.array(
                np.asarray(_CARED_FOR)[np.minimum(cared, 6)], pa.string()
            ),
        }
        run.emit(CARERS_ALLOWANCE, columns, people)

    def _other_caring(self, run: Run, people: People, benefit: IntArray) -> None:
        kind = np.where(
            benefit == 1, 0, np.where(benefit == 4, 1, np.where(people.age >= 66, 2, 3))
        )
        columns = person_columns(people, _BENEFIT_PERSON)
        columns |= {
            "benefit_type": pa.array(np.asarray(_OTHER_TYPES)[kind], pa.string()),
            "award_start_date": dates(_past_day(people, "other.award_start", 8.0)),
        }
        run.emit(OTHER_CARING, columns, people)

    def _universal_credit(
        self, run: Run, people: People, life: Circumstances, carer: IntArray
    ) -> None:
        s = people.population.streams
        # A third of today's claims began in the spring 2020 surge.
        surge = s.uniform("uc.surge", people.ids) < 0.33
        surge_day = REFERENCE_DAY - 340 + s.below("uc.surge.day", people.ids, 75)
        start = np.where(surge, surge_day, _past_day(people, "uc.claim_start", 4.5))
        columns = person_columns(people, (*_BENEFIT_PERSON, "mobile_number", "email"))
        columns |= {
            "claim_start_date": dates(start),
            "in_work": pa.array(life.uc_in_work),
            "carer_element": pa.array(carer > 0),
            "lcwra_element": pa.array(s.uniform("uc.lcwra", people.ids) < 0.22),
        }
        run.emit(UNIVERSAL_CREDIT, columns, people)

    def _identity(self, run: Run, people: People, life: Circumstances, named: np.ndarray) -> None:
        carer = life.carer[named]
        run.write(
            IDENTITY,
            pa.table(
                {
                    "person_id": pa.array(people.ids),
                    "nino": people.nino,
                    "nhs_number": people.nhs_number,
                    "in_patient_register": pa.array(life.registered[named]),
                    "carers_allowance": pa.array(carer == 1),
                    "other_caring_benefits": pa.array(carer == 2),
                    "universal_credit": pa.array(life.benefit[named] == 1),
                    "vaccination_offered": pa.array(life.vaccine_offered_day[named] >= 0),
                }
            ),
        )
