"""Scenario ``worklessness`` (seed 001): a local partner asks for worklessness data.

Everything the hierarchy of shareability needs, from the top down:

- ``benefit_claimants``: the department's claimants by benefit (JSA, ESA, IS, UC) with
  their output area, LSOA and local authority: the source of published small-area counts
  and of unpublished aggregates.
- ``output_areas`` and ``postcode_directory``: the geography those counts are published on.
- ``eligibility_batches``: local authorities' batches of residents for *batch
  validation*; each batch has a known share of people on an out-of-work benefit, which
  the ground truth records (the "93% of your batch" answer), never which records.
- ``programme_participants`` and ``employment_outcomes``: a research cohort of programme
  participants and a comparison group of similar claimants, with employment outcomes, to
  be linked through pseudonymised NINOs. The true programme effect is in the manifest.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.core.vocabulary import Category, DataType, SemanticType
from accord.synth.circumstances import BENEFITS, Circumstances
from accord.synth.geography import PERSONS_PER_OA
from accord.synth.population import REFERENCE_DAY, People
from accord.synth.scenarios.base import (
    DatasetSpec,
    Run,
    dates,
    field_,
    person_columns,
    person_fields,
)
from accord.synth.streams import BoolArray, IntArray, feistel_permute

__all__ = ["WorklessnessScenario"]

DWP = "Department for Work and Pensions"
LA = "Local authorities"
PARTNER = "Local employment partnership"
_NP, _OTHER, _P = Category.NON_PERSONAL, SemanticType.OTHER, Category.PERSONAL
_V, _D, _B = DataType.VARCHAR, DataType.DATE, DataType.BOOLEAN
BATCH_SIZE = 500
BATCHES_AT_SCALE_1 = 1_200
PARTICIPANTS_AT_SCALE_1 = 50_000
PROGRAMME_EFFECT = 0.08
"""Added to a participant's chance of being in work 12 months after starting."""
_PROGRAMMES = ("Skills Support for the Unemployed", "Routes into Work", "Working Well")

BENEFIT_CLAIMANTS = DatasetSpec(
    name="benefit_claimants",
    holder=DWP,
    description="People on an out-of-work or low-income benefit on 17 February 2021, "
    "with their small areas.",
    fields=(
        *person_fields("nino", "title", "forename", "surname", "date_of_birth", "sex", "postcode"),
        field_("benefit_type", _V, _P, SemanticType.CODE, "UC, ESA, JSA or IS"),
        field_("claim_start_date", _D, _P, SemanticType.DATE, "Start of the current claim"),
        field_("in_work", _B, _P, SemanticType.FLAG, "UC claimant with earnings"),
        field_("oa_code", _V, Category.QUASI_IDENTIFIER, SemanticType.CODE, "Output area"),
        field_("lsoa_code", _V, Category.QUASI_IDENTIFIER, SemanticType.CODE, "LSOA"),
        field_("la_code", _V, Category.QUASI_IDENTIFIER, SemanticType.CODE, "Local authority"),
    ),
    corrupt=False,
)
OUTPUT_AREAS = DatasetSpec(
    name="output_areas",
    holder="Office for National Statistics",
    description="Every output area with its LSOA, local authority, region, people and households.",
    fields=(
        *(
            field_(n, _V, _NP, SemanticType.CODE, n)
            for n in (
                "oa_code",
                "lsoa_code",
                "lsoa_name",
                "la_code",
                "la_name",
                "region_code",
                "region_name",
            )
        ),
        field_("persons", DataType.BIGINT, _NP, _OTHER, "Usual residents"),
        field_("households", DataType.BIGINT, _NP, _OTHER, "Households"),
    ),
    role="reference",
    corrupt=False,
)
POSTCODE_DIRECTORY = DatasetSpec(
    name="postcode_directory",
    holder="Office for National Statistics",
    description="Every postcode with its output area, LSOA, local authority and region.",
    fields=tuple(
        field_(n, _V, _NP, SemanticType.POSTCODE if n == "postcode" else SemanticType.CODE, n)
        for n in ("postcode", "oa_code", "lsoa_code", "la_code", "region_code")
    ),
    role="reference",
    corrupt=False,
)
ELIGIBILITY_BATCHES = DatasetSpec(
    name="eligibility_batches",
    holder=LA,
    description="Residents submitted by local authorities for batch validation of "
    "out-of-work benefit receipt (500 a batch).",
    fields=(
        field_("batch_id", _V, _NP, SemanticType.CODE, "Batch reference"),
        field_("la_code", _V, _NP, SemanticType.CODE, "Submitting authority"),
        field_("record_id", _V, _P, SemanticType.CODE, "Authority's own record reference"),
        *person_fields(
            "nino", "forename", "surname", "date_of_birth", "address_line_1", "postcode"
        ),
    ),
    missable=("nino", "date_of_birth", "postcode", "address_line_1"),
)
PARTICIPANTS = DatasetSpec(
    name="programme_participants",
    holder=PARTNER,
    description="People who started a local employment programme, as the partner recorded them.",
    fields=(
        field_("participant_id", _V, _P, SemanticType.CODE, "Partner's participant reference"),
        *person_fields("nino", "forename", "surname", "date_of_birth", "sex", "postcode"),
        field_("programme", _V, _P, SemanticType.CODE, "Programme started"),
        field_("start_date", _D, _P, SemanticType.DATE, "Programme start"),
        field_("end_date", _D, _P, SemanticType.DATE, "Programme end"),
    ),
    missable=("nino", "date_of_birth", "postcode"),
)
OUTCOMES = DatasetSpec(
    name="employment_outcomes",
    holder=DWP,
    description="Employment and benefit outcomes 12 months on, for participants and a "
    "comparison group of similar claimants (from benefit and PAYE records).",
    fields=(
        *person_fields("nino"),
        field_("benefit_type", _V, _P, SemanticType.CODE, "Benefit at the start"),
        field_("employed_6_months", _B, _P, SemanticType.FLAG, "In PAYE employment at 6 months"),
        field_("employed_12_months", _B, _P, SemanticType.FLAG, "In PAYE employment at 12 months"),
        field_("sustained_26_weeks", _B, _P, SemanticType.FLAG, "26 weeks' sustained employment"),
        field_("earnings_12_months", DataType.DOUBLE, _P, SemanticType.AMOUNT, "PAYE pay, GBP"),
        field_("off_benefit_12_months", _B, _P, SemanticType.FLAG, "No out-of-work benefit"),
    ),
    corrupt=False,
)
BATCH_TRUTH = DatasetSpec(
    name="batch_eligibility",
    holder="ground truth",
    description="For each batch: records, how many were on an out-of-work benefit, the share.",
    fields=(
        field_("batch_id", _V, _NP, _OTHER, "Batch reference"),
        field_("la_code", _V, _NP, _OTHER, "Submitting authority"),
        field_("records", DataType.BIGINT, _NP, _OTHER, "Records in the batch"),
        field_("eligible_records", DataType.BIGINT, _NP, _OTHER, "On an out-of-work benefit"),
        field_("eligible_proportion", DataType.DOUBLE, _NP, _OTHER, "Eligible share"),
    ),
    role="ground_truth",
    corrupt=False,
)
IDENTITY = DatasetSpec(
    name="identity",
    holder="ground truth",
    description="Each person in a batch, the cohort or the outcomes: ids and true status.",
    fields=(
        field_("person_id", DataType.BIGINT, _NP, _OTHER, "Synthetic person id"),
        *person_fields("nino", "nhs_number"),
        field_("out_of_work_benefit", _B, _NP, _OTHER, "On an out-of-work benefit"),
        field_("participant", _B, _NP, _OTHER, "Started the programme"),
        field_("comparison", _B, _NP, _OTHER, "In the comparison group"),
    ),
    role="ground_truth",
    corrupt=False,
)


def out_of_work(life: Circumstances) -> BoolArray:
    """On ESA, JSA or IS, or on UC without earnings."""
    return np.asarray((life.benefit > 1) | ((life.benefit == 1) & ~life.uc_in_work))


class WorklessnessScenario:
    name = "worklessness"
    title = "Worklessness data for a local partner (seed 001)"

    def datasets(self) -> tuple[DatasetSpec, ...]:
        return (
            BENEFIT_CLAIMANTS, OUTPUT_AREAS, POSTCODE_DIRECTORY, ELIGIBILITY_BATCHES,
            PARTICIPANTS, OUTCOMES, BATCH_TRUTH, IDENTITY,
        )  # fmt: skip

    def generate(self, run: Run) -> dict[str, Any]:
        run.open(*self.datasets())
        pop = run.population
        s = pop.streams
        scale = pop.n_persons / 56_500_000
        n_batches = max(2, round(BATCHES_AT_SCALE_1 * scale))
        n_participants = max(50, round(PARTICIPANTS_AT_SCALE_1 * scale))
        geo = pop.geography
        households = np.zeros(geo.n_oa, dtype=np.int64)
        persons = np.zeros(geo.n_oa, dtype=np.int64)
        pools: dict[bool, list[IntArray]] = {True: [], False: []}
        cohort: list[IntArray] = []
        eligible_total = max(1.0, 0.06 * pop.n_persons)
        keep_eligible = min(1.0, 4.0 * n_batches * BATCH_SIZE / eligible_total)
        keep_other = min(1.0, 4.0 * n_batches * BATCH_SIZE / (0.6 * pop.n_persons))
        p_cohort = min(1.0, 2.0 * n_participants / eligible_total)

        for people in run.chunks():
            persons += np.bincount(people.oa, minlength=geo.n_oa)
            households += np.bincount(people.oa[people.is_head], minlength=geo.n_oa)
            life = Circumstances(people)
            claimant = life.benefit > 0
            self._claimants(run, people.subset(claimant), life, claimant)
            eligible = out_of_work(life)
            adult = (people.age >= 18) & (people.age < 65) & life.alive
            u = s.uniform("wl.pool", people.ids)
            pools[True].append(people.ids[eligible & (u < keep_eligible)])
            pools[False].append(people.ids[adult & ~eligible & (u < keep_other)])
            c = s.uniform("wl.cohort", people.ids)
            cohort.append(people.ids[eligible & (c < p_cohort)])

        run.write(OUTPUT_AREAS, geo.output_areas().append_column("persons", pa.array(persons))
                  .append_column("households", pa.array(households)))  # fmt: skip
        run.write(POSTCODE_DIRECTORY, geo.postcode_directory())
        batch_people, truth = self._batches(run, n_batches, pools)
        participants, comparison, rates = self._cohort(run, np.concatenate(cohort), n_participants)
        self._identity(run, batch_people, participants, comparison)
        truth |= {
            "participants": len(participants),
            "comparison_group": len(comparison),
            "programme_effect_configured": PROGRAMME_EFFECT,
            "participants_employed_12_months": rates[0],
            "comparison_employed_12_months": rates[1],
        }
        return truth

    def _claimants(
        self, run: Run, people: People, life: Circumstances, claimant: BoolArray
    ) -> None:
        s = people.population.streams
        benefit = life.benefit[claimant]
        years = np.where(benefit == 2, 6.0, np.where(benefit == 3, 1.0, 3.5))
        start = (
            REFERENCE_DAY - 1 - np.floor(s.uniform("wl.claim_start", people.ids) * years * 365.25)
        )
        start = np.maximum(start.astype(np.int64), people.dob_day + 16 * 366)
        codes = np.asarray([b[0] for b in BENEFITS])
        columns = person_columns(
            people, ("nino", "title", "forename", "surname", "date_of_birth", "sex", "postcode")
        )
        columns |= {
            "benefit_type": pa.array(codes[benefit - 1], pa.string()),
            "claim_start_date": dates(start),
            "in_work": pa.array(life.uc_in_work[claimant]),
            "oa_code": people.oa_code,
            "lsoa_code": people.lsoa_code,
            "la_code": people.la_code,
        }
        run.emit(BENEFIT_CLAIMANTS, columns, people)

    def _batches(
        self, run: Run, n_batches: int, pools: dict[bool, list[IntArray]]
    ) -> tuple[IntArray, dict[str, Any]]:
        """Draw each batch from one authority's residents at its intended eligible share."""
        pop = run.population
        s = pop.streams
        geo = pop.geography
        by_la: dict[bool, dict[int, IntArray]] = {}
        for flag, parts in pools.items():
            ids = np.concatenate(parts)
            la = geo.lsoa_la[geo.oa_lsoa[ids // PERSONS_PER_OA]]
            by_la[flag] = {int(j): ids[la == j] for j in np.unique(la)}
        las = np.asarray(sorted(set(by_la[True]) & set(by_la[False])), dtype=np.int64)
        batch_index = np.arange(n_batches, dtype=np.int64)
        batch_la = las[s.below("wl.batch.la", batch_index, len(las))]
        share = 0.6 + 0.38 * s.uniform("wl.batch.share", batch_index)
        people_rows: list[IntArray] = []
        truth_rows = []
        for b in batch_index:
            la_index = int(batch_la[b])
            want_eligible = round(float(share[b]) * BATCH_SIZE)
            picked = []
            for flag, want in ((True, want_eligible), (False, BATCH_SIZE - want_eligible)):
                pool = by_la[flag][la_index]
                order = np.argsort(s.uniform(f"wl.batch.{b}", pool), kind="stable")[:want]
                picked.append(pool[order])
            chosen = np.concatenate(picked)
            chosen = chosen[np.argsort(s.uniform(f"wl.batch.order.{b}", chosen), kind="stable")]
            people_rows.append(chosen)
            n_eligible = len(picked[0])
            truth_rows.append((f"B{b + 1:05d}", la_index, len(chosen), n_eligible))
        la_codes = geo.la_code
        all_ids = np.concatenate(people_rows)
        batch_of = np.repeat(np.arange(n_batches), [len(p) for p in people_rows])
        for start in range(0, len(all_ids), 1 << 18):
            ids = all_ids[start : start + (1 << 18)]
            batch = batch_of[start : start + (1 << 18)]
            people = pop.people(ids)
            columns = {
                "batch_id": pa.array([truth_rows[i][0] for i in batch], pa.string()),
                "la_code": la_codes.take(pa.array(batch_la[batch])),
                "record_id": pc.binary_join_element_wise(
                    "R",
                    pc.cast(
                        pa.array(feistel_permute(ids, 10**9, s.key("id.la_record"))), pa.string()
                    ),
                    "",
                ),
            }
            columns |= person_columns(
                people,
                ("nino", "forename", "surname", "date_of_birth", "address_line_1", "postcode"),
            )
            run.emit(ELIGIBILITY_BATCHES, columns, people)
        run.write(
            BATCH_TRUTH,
            pa.table(
                {
                    "batch_id": [r[0] for r in truth_rows],
                    "la_code": la_codes.take(pa.array([r[1] for r in truth_rows])),
                    "records": pa.array([r[2] for r in truth_rows], pa.int64()),
                    "eligible_records": pa.array([r[3] for r in truth_rows], pa.int64()),
                    "eligible_proportion": pa.array(
                        [r[3] / r[2] if r[2] else 0.0 for r in truth_rows], pa.float64()
                    ),
                }
            ),
        )
        records = sum(r[2] for r in truth_rows)
        eligible = sum(r[3] for r in truth_rows)
        return all_ids, {
            "batches": len(truth_rows),
            "batch_records": records,
            "batch_eligible_proportion": round(eligible / records, 4) if records else 0.0,
        }

    def _cohort(
        self, run: Run, pool: IntArray, n: int
    ) -> tuple[IntArray, IntArray, tuple[float, float]]:
        """Participants, a same-sized comparison group, their records and outcomes."""
        s = run.population.streams
        order = np.argsort(s.uniform("wl.cohort.order", pool), kind="stable")
        participants = np.sort(pool[order[:n]])
        comparison = np.sort(pool[order[n : 2 * n]])
        people = run.population.people(participants)
        start = REFERENCE_DAY - 400 + s.below("wl.cohort.start", participants, 300)
        end = start + 60 + s.below("wl.cohort.length", participants, 240)
        programme = s.below("wl.cohort.programme", participants, len(_PROGRAMMES))
        pid_key = s.key("id.pid")
        columns = {
            "participant_id": pc.binary_join_element_wise(
                "P",
                pc.utf8_lpad(
                    pc.cast(pa.array(feistel_permute(participants, 10**8, pid_key)), pa.string()),
                    8,
                    padding="0",
                ),
                "",
            ),
        }  # fmt: skip
        columns |= person_columns(
            people, ("nino", "forename", "surname", "date_of_birth", "sex", "postcode")
        )
        columns |= {
            "programme": pa.array(np.asarray(_PROGRAMMES)[programme], pa.string()),
            "start_date": dates(start),
            "end_date": dates(end),
        }
        run.emit(PARTICIPANTS, columns, people)

        both = np.concatenate([participants, comparison])
        treated = np.concatenate(
            [np.ones(len(participants), bool), np.zeros(len(comparison), bool)]
        )
        sort = np.argsort(both, kind="stable")
        both, treated = both[sort], treated[sort]
        cohort = run.population.people(both)
        life = Circumstances(cohort)
        base = 0.25 + PROGRAMME_EFFECT * treated
        u12 = s.uniform("wl.outcome.12", both)
        employed_12 = u12 < base
        employed_6 = u12 < base * 0.7 + 0.05 * s.uniform("wl.outcome.6", both)
        sustained = employed_12 & (s.uniform("wl.outcome.sustained", both) < 0.7)
        earnings = np.where(
            employed_12, np.round(4000 + 9000 * s.uniform("wl.outcome.pay", both), 2), 0.0
        )
        codes = np.asarray([b[0] for b in BENEFITS])
        run.write(
            OUTCOMES,
            pa.table(
                {
                    "nino": cohort.nino,
                    "benefit_type": pa.array(codes[np.maximum(life.benefit, 1) - 1], pa.string()),
                    "employed_6_months": pa.array(employed_6),
                    "employed_12_months": pa.array(employed_12),
                    "sustained_26_weeks": pa.array(sustained),
                    "earnings_12_months": pa.array(earnings),
                    "off_benefit_12_months": pa.array(
                        employed_12 & (s.uniform("wl.outcome.off", both) < 0.8)
                    ),
                }
            ),
        )
        rates = (
            round(float(employed_12[treated].mean()), 4) if treated.any() else 0.0,
            round(float(employed_12[~treated].mean()), 4) if (~treated).any() else 0.0,
        )
        return participants, comparison, rates

    def _identity(
        self,
        run: Run,
        batch_people: IntArray,
        participants: IntArray,
        comparison: IntArray,
    ) -> None:
        ids = np.unique(np.concatenate([batch_people, participants, comparison]))
        for people in run.people_in_chunks(ids):
            life = Circumstances(people)
            run.write(
                IDENTITY,
                pa.table(
                    {
                        "person_id": pa.array(people.ids),
                        "nino": people.nino,
                        "nhs_number": people.nhs_number,
                        "out_of_work_benefit": pa.array(out_of_work(life)),
                        "participant": pa.array(np.isin(people.ids, participants)),
                        "comparison": pa.array(np.isin(people.ids, comparison)),
                    }
                ),
            )
