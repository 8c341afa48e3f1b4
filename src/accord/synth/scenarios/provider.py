"""Scenario ``provider`` (seed 003): referrals to an employment-programme provider.

- ``referrals``: Work and Health Programme (and JETS) referrals carrying the Annex A
  data items, as the department sends them through PRaP, about 150,000 at scale 1.
- ``circumstance_events``: the time-ordered stream of change-of-circumstances
  notifications that follow a referral for up to 15 months: death, claim ends, moves
  abroad, starts or ends work, first payment, earnings reaching £1,000, £2,000 and the
  national threshold (£3,000 here; not for JETS), and some of Annex A's other changes.
  Events are consistent with each other and with the population: nobody works after
  they die, thresholds come in order after starting work, and deaths are the deaths
  the population already has.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.core.vocabulary import Category, DataType, SemanticType
from accord.synth.circumstances import BENEFIT_CUM, BENEFITS, UC_IN_WORK, Circumstances
from accord.synth.population import (
    FULL_POPULATION,
    MAX_AGE,
    REFERENCE_DAY,
    People,
    alive_at_reference,
    expected_age_distribution,
)
from accord.synth.scenarios.base import (
    DatasetSpec,
    Run,
    dates,
    field_,
    person_columns,
    person_fields,
)
from accord.synth.streams import IntArray, feistel_permute

__all__ = ["NATIONAL_THRESHOLD", "PROVIDERS", "ProviderScenario"]

DWP = "Department for Work and Pensions"
REFERRALS_AT_SCALE_1 = 150_000
PROGRAMME_DAYS = 456
NATIONAL_THRESHOLD = 3_000
PROVIDERS = ("northfield", "eastgate")
"""The two prime providers of the synthetic contract package areas, by id: each referral
goes to one of them, and each provider may see only its own participants."""
"""Annex A: "approximately £3000", set by the national minimum wage."""
_NP, _OTHER, _P, _S = (
    Category.NON_PERSONAL, SemanticType.OTHER, Category.PERSONAL, Category.SPECIAL_CATEGORY,
)  # fmt: skip
_V, _D, _B = DataType.VARCHAR, DataType.DATE, DataType.BOOLEAN

_PERSON = (
    "title", "forename", "surname", "address_line_1", "address_line_2", "address_line_3",
    "postcode", "nino", "telephone_number", "mobile_number",
)  # fmt: skip
# (column, description, choices) for the coded Annex A items.
_CODED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("disability_status", "Disability status", ("Y", "N", "Not disclosed")),
    ("employment_aims", "Employment aims (free text)", (
        "Return to retail work", "Find work in care", "Get a driving job", "Office administration",
        "Warehouse work near home", "Start my own business", "Work in hospitality", "")),
    ("job_preferences", "Job preferences", (
        "Sales and customer service", "Caring, leisure and other service", "Elementary",
        "Process, plant and machine operatives", "Administrative and secretarial",
        "Skilled trades")),
    ("preferred_hours", "Preferred hours", ("Full time", "Part time 16-29", "Under 16")),
    ("employment_history", "Employment history", (
        "None in last 2 years", "Short-term jobs", "Long spell then redundancy",
        "Self-employed", "Never worked")),
    ("driving_licence", "Driving licence (Y/N)", ("Y", "N")),
    ("voluntary_or_mandatory", "Voluntary or mandatory referral", ("Voluntary", "Mandatory")),
    ("mandatory_work_related_activity", "Mandatory work-related activity", ("Y", "N")),
    ("signing_day", "Signing day", ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")),
    ("claim_cycle", "Claim cycle", ("Weekly", "Fortnightly", "Monthly")),
    ("claim_pattern", "Claim pattern", ("A", "B", "C", "D")),
    ("voluntary_early_entry_category", "Voluntary early entry category", (
        "", "Disabled", "Care leaver", "Ex-offender", "Carer", "Veteran", "Homeless")),
    ("incident_marker", "Incident marker", ("N", "Y")),
    ("childcare_requirements", "Childcare requirements", ("None", "Pre-school", "School age")),
    ("welsh_spoken", "Welsh spoken indicator", ("N", "Y")),
    ("welsh_written", "Welsh written indicator", ("N", "Y")),
    ("fast_track_status", "Fast track status", ("N", "Y")),
    ("barriers_to_work", "Barriers to work", (
        "Health condition", "Caring responsibilities", "Skills", "Confidence", "Housing",
        "Transport", "Debt", "None stated")),
    ("additional_support", "Additional support / reasonable adjustments", (
        "", "Large print", "Interpreter", "Accessible venue", "Home visits", "Phone contact only")),
)  # fmt: skip
_CODED_WEIGHTS = {
    "disability_status": (0.45, 0.45, 0.1),
    "driving_licence": (0.55, 0.45),
    "incident_marker": (0.97, 0.03),
    "welsh_spoken": (0.97, 0.03),
    "welsh_written": (0.98, 0.02),
    "fast_track_status": (0.9, 0.1),
    "voluntary_early_entry_category": (0.8, 0.05, 0.03, 0.04, 0.04, 0.02, 0.02),
    "additional_support": (0.8, 0.04, 0.04, 0.05, 0.03, 0.04),
}
_ADVISER_FORENAMES = ("Sam", "Priya", "John", "Aisha", "Gareth", "Helen", "Tom", "Nadia")
_ADVISER_SURNAMES = ("Carter", "Hussain", "Owen", "Lloyd", "Begum", "Walsh", "Price", "Kaur")

REFERRALS = DatasetSpec(
    name="referrals",
    holder=DWP,
    description="Work and Health Programme referrals with the Annex A data items, sent "
    "to the provider through PRaP.",
    fields=(
        field_("referral_id", _V, _P, SemanticType.CODE, "Unique PRaP referral identifier"),
        field_("programme", _V, _P, SemanticType.CODE, "WHP or WHP-JETS"),
        field_("provider", _V, _NP, SemanticType.CODE, "Prime provider referred to"),
        field_("referral_date", _D, _P, SemanticType.DATE, "Referral date"),
        *person_fields(*_PERSON),
        field_("claimant_reference_number", _V, Category.DIRECT_IDENTIFIER, SemanticType.CODE,
               "Claimant reference number"),
        field_("benefit_type", _V, _P, SemanticType.CODE, "Benefit at referral"),
        *(field_(name, _V, _S if name in {"disability_status", "barriers_to_work",
                                            "additional_support"} else _P,
                 SemanticType.FREE_TEXT if "free text" in text else SemanticType.CODE, text)
          for name, text, _ in _CODED),
        field_("driving_licence_endorsements", DataType.BIGINT, _P, SemanticType.OTHER,
               "Endorsement points"),
        field_("previous_job_end_date", _D, _P, SemanticType.DATE, "End of last job"),
        field_("jcp_adviser_name", _V, _P, SemanticType.FULL_NAME, "JCP adviser"),
        field_("jcp_adviser_officer_code", _V, _P, SemanticType.CODE, "JCP adviser officer code"),
        field_("claimant_deceased", _B, _P, SemanticType.FLAG, "Claimant deceased at referral"),
        field_("joint_claimant_title", _V, _P, SemanticType.TITLE, "Joint claimant's title"),
        field_("joint_claimant_name", _V, Category.DIRECT_IDENTIFIER, SemanticType.FULL_NAME,
               "Joint claimant's name"),
        field_("joint_claimant_nino", _V, Category.DIRECT_IDENTIFIER, SemanticType.NINO,
               "Joint claimant's NINO"),
    ),
    missable=("postcode", "telephone_number", "mobile_number", "address_line_1"),
)  # fmt: skip
EVENTS = DatasetSpec(
    name="circumstance_events",
    holder=DWP,
    description="Change-of-circumstances notifications for referred participants, in time order.",
    fields=(
        field_("event_id", _V, _NP, SemanticType.CODE, "Notification number, in time order"),
        field_("event_date", _D, _P, SemanticType.DATE, "When the change happened"),
        field_("notified_date", _D, _P, SemanticType.DATE, "When the provider was told"),
        field_("referral_id", _V, _P, SemanticType.CODE, "Referral the change concerns"),
        field_("provider", _V, _NP, SemanticType.CODE, "Prime provider of the referral"),
        *person_fields("nino"),
        field_("event_type", _V, _P, SemanticType.CODE, "Kind of change"),
        field_("earnings_to_date", DataType.DOUBLE, _P, SemanticType.AMOUNT,
               "Earnings since starting work, GBP (earnings events)"),
    ),
    corrupt=False,
)  # fmt: skip
IDENTITY = DatasetSpec(
    name="identity",
    holder="ground truth",
    description="Each referral's person, with NINO and NHS number.",
    fields=(
        field_("person_id", DataType.BIGINT, _NP, _OTHER, "Synthetic person id"),
        field_("referral_id", _V, _NP, _OTHER, "Referral"),
        *person_fields("nino", "nhs_number"),
        field_("joint_claimant_person_id", DataType.BIGINT, _NP, _OTHER, "Joint claimant, if any"),
    ),
    role="ground_truth",
    corrupt=False,
)
EVENT_TYPES = (
    "starts_work", "first_payment", "earnings_reach_1000", "earnings_reach_2000",
    "earnings_reach_national_threshold", "ends_work", "claim_ends", "change_of_benefit",
    "hospital_admission", "partner_enters_household", "imprisoned", "moves_abroad", "death",
)  # fmt: skip
_TERMINAL = {"moves_abroad", "death"}
_OTHER_CHANGES = (
    ("change", 0.03, "change_of_benefit"),
    ("hospital", 0.02, "hospital_admission"),
    ("partner", 0.02, "partner_enters_household"),
    ("prison", 0.005, "imprisoned"),
)
"""Annex A changes that do not end the programme: (stream, probability, event type)."""


def _p_referral() -> np.ndarray:
    """P(referral | out of work, age) giving about 150,000 referrals at scale 1."""
    ages = np.arange(MAX_AGE + 1)
    p_benefit = np.diff(np.vstack([np.zeros(MAX_AGE + 1), BENEFIT_CUM]), axis=0)
    out_of_work = p_benefit[1:].sum(axis=0) + p_benefit[0] * (1 - UC_IN_WORK)
    living = expected_age_distribution() * alive_at_reference(ages) * out_of_work
    expected = FULL_POPULATION * float(living[18:65].sum())
    return np.where((ages >= 18) & (ages < 65), REFERRALS_AT_SCALE_1 / expected, 0.0)


P_REFERRAL = _p_referral()


class ProviderScenario:
    name = "provider"
    title = "Employment-programme provider (seed 003)"

    def datasets(self) -> tuple[DatasetSpec, ...]:
        return (REFERRALS, EVENTS, IDENTITY)

    def generate(self, run: Run) -> dict[str, Any]:
        run.open(*self.datasets())
        events: list[tuple[int, int, str, str, str, float | None]] = []
        referrals = 0
        for people in run.chunks():
            life = Circumstances(people)
            s = people.population.streams
            out_of_work = (life.benefit > 1) | ((life.benefit == 1) & ~life.uc_in_work)
            referred = out_of_work & (
                s.uniform("prov.referred", people.ids) < P_REFERRAL[people.age]
            )
            who = people.subset(referred)
            ref_ids, jets, day = self._referrals(run, who, life.benefit[referred])
            events += self._timelines(who, ref_ids, jets, day)
            referrals += len(who)
        events.sort(key=lambda e: (e[0], e[1], EVENT_TYPES.index(e[3])))
        for start in range(0, len(events), 1 << 18):
            part = events[start : start + (1 << 18)]
            s = run.population.streams
            idx = np.arange(start, start + len(part), dtype=np.int64)
            day = np.asarray([e[0] for e in part], dtype=np.int64)
            notified = day + s.below("prov.notified", idx, 15)
            run.write(
                EVENTS,
                pa.table(
                    {
                        "event_id": pa.array([f"E{i + 1:09d}" for i in idx.tolist()]),
                        "event_date": dates(day),
                        "notified_date": dates(notified),
                        "referral_id": pa.array([e[2] for e in part], pa.string()),
                        "provider": pa.array(
                            [PROVIDERS[int(e[2][1:]) % 2] for e in part],
                            pa.string(),
                        ),
                        "nino": pa.array([e[4] for e in part], pa.string()),
                        "event_type": pa.array([e[3] for e in part], pa.string()),
                        "earnings_to_date": pa.array([e[5] for e in part], pa.float64()),
                    }
                ),
            )
        kinds: dict[str, int] = {}
        for e in events:
            kinds[e[3]] = kinds.get(e[3], 0) + 1
        return {
            "referrals": referrals,
            "events": len(events),
            "events_by_type": dict(sorted(kinds.items())),
        }

    def _referrals(
        self, run: Run, people: People, benefit: IntArray
    ) -> tuple[list[str], np.ndarray, IntArray]:
        s = people.population.streams
        ids = people.ids
        jets = s.uniform("prov.jets", ids) < 0.55
        day = REFERENCE_DAY + s.below("prov.referral_day", ids, 365)
        number = feistel_permute(ids, 10**9, s.key("id.referral"))
        ref_ids = [f"{'J' if j else 'W'}{int(n):09d}" for j, n in zip(jets, number, strict=True)]
        columns: dict[str, pa.Array] = {
            "referral_id": pa.array(ref_ids, pa.string()),
            "programme": pa.array(np.where(jets, "WHP-JETS", "WHP"), pa.string()),
            "provider": pa.array([PROVIDERS[int(n) % 2] for n in number], pa.string()),
            "referral_date": dates(day),
        }
        columns |= person_columns(people, _PERSON)
        codes = np.asarray([b[0] for b in BENEFITS])
        columns["claimant_reference_number"] = pc.cast(
            pa.array(1_000_000_000 + feistel_permute(ids, 9 * 10**9, s.key("id.crn"))), pa.string()
        )
        columns["benefit_type"] = pa.array(codes[benefit - 1], pa.string())
        for name, _, choices in _CODED:
            weights = np.asarray(_CODED_WEIGHTS.get(name, [1.0] * len(choices)), dtype=np.float64)
            cum = np.cumsum(weights) / weights.sum()
            cum[-1] = 1.0
            pick = np.searchsorted(cum, s.uniform(f"prov.{name}", ids), side="right")
            values = np.asarray(choices)[pick]
            columns[name] = pa.array(values, pa.string(), mask=values == "")
        licence = np.asarray(columns["driving_licence"].to_pylist()) == "Y"
        points = np.where(
            licence & (s.uniform("prov.points", ids) < 0.15),
            3 * (1 + s.below("prov.pts", ids, 3)),
            0,
        )
        columns["driving_licence_endorsements"] = pa.array(points, pa.int64())
        last_job = day - 30 - s.below("prov.last_job", ids, 1500)
        columns["previous_job_end_date"] = dates(last_job, s.uniform("prov.never", ids) > 0.1)
        adviser = s.below("prov.adviser", people.la * 50 + s.below("prov.adv", ids, 50), 64)
        columns["jcp_adviser_name"] = pa.array(
            [f"{_ADVISER_FORENAMES[a % 8]} {_ADVISER_SURNAMES[a // 8]}" for a in adviser.tolist()],
            pa.string(),
        )
        columns["jcp_adviser_officer_code"] = pa.array(
            [f"JCP{int(a):04d}" for a in (people.la * 64 + adviser)]
        )
        columns["claimant_deceased"] = pa.array(np.zeros(len(people), dtype=bool))
        # The joint claimant is the household head, for a third of those who are not the head.
        joint = (~people.is_head) & (s.uniform("prov.joint", ids) < 0.33)
        partner = run.population.people(people.head)
        none = pa.nulls(len(people), pa.string())
        mask = pa.array(joint)
        columns["joint_claimant_title"] = pc.if_else(mask, partner.title, none)
        columns["joint_claimant_name"] = pc.if_else(
            mask, pc.binary_join_element_wise(partner.forename, partner.surname, " "), none
        )
        columns["joint_claimant_nino"] = pc.if_else(mask, partner.nino, none)
        run.emit(REFERRALS, columns, people)
        run.write(
            IDENTITY,
            pa.table(
                {
                    "person_id": pa.array(ids),
                    "referral_id": pa.array(ref_ids, pa.string()),
                    "nino": people.nino,
                    "nhs_number": people.nhs_number,
                    "joint_claimant_person_id": pa.array(people.head, mask=~joint),
                }
            ),
        )
        return ref_ids, jets, day

    def _timelines(
        self, people: People, ref_ids: list[str], jets: np.ndarray, day: IntArray
    ) -> list[tuple[int, int, str, str, str, float | None]]:
        """Each referral's events, consistent in order and with the person's death."""
        s = people.population.streams
        ids = people.ids
        u = {name: s.uniform(f"prov.tl.{name}", ids) for name in (
            "abroad", "abroad_day", "work", "work_day", "pay", "ends", "ends_day", "claim",
            "claim_day", "change", "change_day", "hospital", "hospital_day", "partner",
            "partner_day", "prison", "prison_day", "first_pay")}  # fmt: skip
        ninos = people.nino.to_pylist()
        dies, death_day = people.dies_in_window, people.death_day
        out: list[tuple[int, int, str, str, str, float | None]] = []
        for i in range(len(ids)):
            start, stop = int(day[i]), int(day[i]) + PROGRAMME_DAYS
            end = stop
            timeline: list[tuple[int, str, float | None]] = []
            if dies[i] and start <= death_day[i] < stop:
                end = int(death_day[i])
                timeline.append((end, "death", None))
            if u["abroad"][i] < 0.015:
                abroad = start + int(u["abroad_day"][i] * PROGRAMME_DAYS)
                if abroad < end:
                    end = abroad
                    timeline = [(abroad, "moves_abroad", None)]
            if u["work"][i] < (0.45 if jets[i] else 0.38):
                work = start + 14 + int(u["work_day"][i] * 300)
                weekly = 150.0 + 400.0 * float(u["pay"][i])
                work_end = work + 30 + int(u["ends_day"][i] * 200) if u["ends"][i] < 0.25 else stop
                timeline.append((work, "starts_work", None))
                timeline.append((work + 7 + int(u["first_pay"][i] * 28), "first_payment", None))
                thresholds = [(1000, "earnings_reach_1000")]
                if not jets[i]:
                    thresholds += [
                        (2000, "earnings_reach_2000"),
                        (NATIONAL_THRESHOLD, "earnings_reach_national_threshold"),
                    ]
                for threshold, kind in thresholds:
                    weeks = int(np.ceil(threshold / weekly))
                    when = work + 7 * weeks
                    if when < work_end:
                        timeline.append((when, kind, round(weekly * weeks, 2)))
                if work_end < stop:
                    timeline.append((work_end, "ends_work", None))
                if weekly >= 300 or u["claim"][i] < 0.3:
                    timeline.append((work + 35, "claim_ends", None))
            elif u["claim"][i] < 0.05:
                timeline.append(
                    (start + int(u["claim_day"][i] * PROGRAMME_DAYS), "claim_ends", None)
                )
            for name, p, kind in _OTHER_CHANGES:
                if u[name][i] < p:
                    timeline.append((start + int(u[f"{name}_day"][i] * PROGRAMME_DAYS), kind, None))
            for when, kind, amount in timeline:
                if when < end or (when == end and kind in _TERMINAL):
                    out.append((when, int(ids[i]), ref_ids[i], kind, ninos[i], amount))
        return out
