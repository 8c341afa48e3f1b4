"""Seed 003's Annex A, item by item: the catalogue field that carries it and how it leaves.

Annex A lists the data items DWP shares with a Work and Health Programme provider: the
referral items (sent once, with the referral) and the changes of circumstances (sent as
they happen). Each item here names the field of ``dwp/referrals`` (or the ``event_type``
of ``dwp/circumstance_events``) that carries it in Accord's synthetic data, and the
transform the referral agreement applies to it; an item Accord does not carry says so,
so the table in ``docs/lifecycle/referrals.md`` is honest about the gaps. A test checks
that every carried item is in Northfield's agreement with its transform, and that the
documentation's table is this one.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ANNEX_A", "AnnexItem", "carried_fields", "markdown_table"]


@dataclass(frozen=True, slots=True)
class AnnexItem:
    item: str
    """The item as Annex A words it."""
    fields: tuple[str, ...] = ()
    """The ``dwp/referrals`` columns carrying it; empty if Accord does not carry it."""
    events: tuple[str, ...] = ()
    """The ``dwp/circumstance_events`` event types carrying a change item."""
    transform: str = "keep"
    """How the agreement lets it leave (``keep``: as held, for the named provider only)."""
    note: str = ""


ANNEX_A: tuple[AnnexItem, ...] = (
    AnnexItem("Unique PRaP Referral Identifier", ("referral_id",)),
    AnnexItem("Customer Title", ("title",)),
    AnnexItem("Customer Forename", ("forename",)),
    AnnexItem("Customer Surname", ("surname",)),
    AnnexItem("Verified Address (including postcode)",
              ("address_line_1", "address_line_2", "address_line_3", "postcode")),
    AnnexItem("National Insurance Number", ("nino",)),
    AnnexItem("Claimant Reference Number", ("claimant_reference_number",)),
    AnnexItem("Telephone Number", ("telephone_number", "mobile_number")),
    AnnexItem("Disability Status", ("disability_status",)),
    AnnexItem("Employment - Aims, Job Preferences, Preferred Hours, Employment History, "
              "Previous Job Dates",
              ("employment_aims", "job_preferences", "preferred_hours", "employment_history",
               "previous_job_end_date"),
              note="previous job dates: the end date of the last job only"),
    AnnexItem("Driving Licence (Y/N) Endorsements",
              ("driving_licence", "driving_licence_endorsements")),
    AnnexItem("Additional Information", note="not carried: free text held in PRaP"),
    AnnexItem("Other Activities", note="not carried"),
    AnnexItem("Agreed restrictions", note="not carried"),
    AnnexItem("Additional Information (free text on Action Plan)", note="not carried"),
    AnnexItem("Voluntary or Mandatory Referral", ("voluntary_or_mandatory",)),
    AnnexItem("Mandatory Work Related Activity", ("mandatory_work_related_activity",)),
    AnnexItem("JCP Adviser Name (Forename, Surname and Initials)", ("jcp_adviser_name",)),
    AnnexItem("JCP Adviser Officer Code", ("jcp_adviser_officer_code",)),
    AnnexItem("Claimant Deceased", ("claimant_deceased",)),
    AnnexItem("Signing Day", ("signing_day",)),
    AnnexItem("Claim Cycle", ("claim_cycle",)),
    AnnexItem("Claim Pattern", ("claim_pattern",)),
    AnnexItem("Referral date", ("referral_date",)),
    AnnexItem("Voluntary Early Entry Category", ("voluntary_early_entry_category",)),
    AnnexItem("Incident marker", ("incident_marker",)),
    AnnexItem("Child care requirements", ("childcare_requirements",)),
    AnnexItem("Balance of Time", note="not carried"),
    AnnexItem("Welsh spoken & written indicators", ("welsh_spoken", "welsh_written")),
    AnnexItem("Fast Track Status", ("fast_track_status",)),
    AnnexItem("Joint Claimant's name", ("joint_claimant_name",)),
    AnnexItem("Joint Claimant's title", ("joint_claimant_title",)),
    AnnexItem("Joint Claimant's National Insurance Number", ("joint_claimant_nino",)),
    AnnexItem("Disadvantaged group, early entry", note="not carried apart from the voluntary "
              "early entry category"),
    AnnexItem("Barriers to Work", ("barriers_to_work",)),
    AnnexItem("Additional support / reasonable adjustments", ("additional_support",)),
    # The changes of circumstances, as events of dwp/circumstance_events.
    AnnexItem("Admission / discharge hospital", events=("hospital_admission",),
              note="admission only"),
    AnnexItem("Appointee / Power of Attorney", note="not carried"),
    AnnexItem("Change of benefit (e.g. off JSA to IS/ESA)", events=("change_of_benefit",)),
    AnnexItem("Change of conditionality group/labour market regime", note="not carried"),
    AnnexItem("Changes to participant's conditionality", note="not carried"),
    AnnexItem("Changes that affect participant's work-related requirements", note="not carried"),
    AnnexItem("Claim termination / benefit ends", events=("claim_ends",)),
    AnnexItem("Death", events=("death",)),
    AnnexItem("Imprisoned / leaves prison", events=("imprisoned",), note="imprisonment only"),
    AnnexItem("JSA extended period of sickness", note="not carried"),
    AnnexItem("Moves to live abroad", events=("moves_abroad",)),
    AnnexItem("New claim to benefit, for example UC", events=("change_of_benefit",),
              note="as a change of benefit"),
    AnnexItem("Partner enters / leaves household", events=("partner_enters_household",),
              note="enters only"),
    AnnexItem("Part-Time education", note="not carried"),
    AnnexItem("Period of sickness (restrictions and duration)", note="not carried"),
    AnnexItem("Restrictions (for example, attendance)", note="not carried"),
    AnnexItem("Starts / ends work (inc p/t, vol, s/e, permitted)",
              events=("starts_work", "ends_work")),
    AnnexItem("Signing day/cycle (excludes NEA)", ("signing_day", "claim_cycle"),
              note="as at referral; changes not carried"),
    AnnexItem("Outcome of Self-Employment Gateway Interview", note="not carried"),
    AnnexItem("Claimants first payment date", events=("first_payment",)),
    AnnexItem("Claimants earnings reach £1,000", events=("earnings_reach_1000",)),
    AnnexItem("Claimants earnings reach £2,000 (not WHP JETS)", events=("earnings_reach_2000",)),
    AnnexItem("Claimant's earnings reach the National Threshold (not WHP JETS)",
              events=("earnings_reach_national_threshold",),
              note="the amount itself (earnings_to_date) is not shared"),
)  # fmt: skip
"""Every Annex A item, in the seed's order."""


def carried_fields() -> tuple[str, ...]:
    """Every ``dwp/referrals`` column that carries an Annex A item."""
    return tuple(dict.fromkeys(f for item in ANNEX_A for f in item.fields))


def markdown_table() -> str:
    """The mapping as the Markdown table ``docs/lifecycle/referrals.md`` carries."""
    lines = ["| Annex A item | carried by | transform |", "|---|---|---|"]
    for item in ANNEX_A:
        carried = [f"`referrals.{f}`" for f in item.fields]
        carried += [f"`circumstance_events: {e}`" for e in item.events]
        where = ", ".join(carried) or "—"
        if item.note:
            where = f"{where} ({item.note})" if carried else item.note.capitalize()
        transform = item.transform if carried else "—"
        lines.append(f"| {item.item} | {where} | {transform} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - prints the docs table
    import sys

    sys.stdout.write(markdown_table())
