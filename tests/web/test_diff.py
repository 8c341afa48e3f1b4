"""The field-by-field diff of two requests or agreement versions."""

from __future__ import annotations

from accord.core.governance.request import SharingRequest
from accord.web.diff import Change, ChangeKind, document_changes, model_changes, render
from tests.web.decide_helpers import document


def test_items_are_matched_by_name_not_position() -> None:
    before = {"fields": [{"name": "a", "transform": {"kind": "keep", "argument": ""}}]}
    after = {
        "fields": [
            {"name": "b", "transform": {"kind": "keep", "argument": ""}},
            {"name": "a", "transform": {"kind": "band", "argument": "0,18,65"}},
        ]
    }
    assert document_changes(before, after) == [
        Change(ChangeKind.ADDED, "Field b", "", "name: b; transform: keep"),
        Change(ChangeKind.CHANGED, "Field a, transform", "keep", "band(0,18,65)"),
    ]


def test_reordering_is_not_a_change() -> None:
    one, two = {"name": "a"}, {"name": "b"}
    assert document_changes({"fields": [one, two]}, {"fields": [two, one]}) == []


def test_values_are_written_out_and_empty_means_not_given() -> None:
    assert document_changes({"linkage": False}, {"linkage": True}) == [
        Change(ChangeKind.CHANGED, "Linkage", "no", "yes")
    ]
    assert document_changes({"gateway": ""}, {"gateway": "dea-2017-part5"}) == [
        Change(ChangeKind.ADDED, "Gateway", "", "dea-2017-part5")
    ]
    assert document_changes({"gateway": "x"}, {"gateway": None}) == [
        Change(ChangeKind.REMOVED, "Gateway", "x", "")
    ]
    assert document_changes({"gateway": None}, {"gateway": ""}) == []
    assert render(None) == "not given"


def test_members_of_a_list_of_words_are_added_and_removed() -> None:
    assert document_changes(
        {"channels": ["bulk_package", "in_place_query"]},
        {"channels": ["in_place_query", "delta_sharing"]},
    ) == [
        Change(ChangeKind.ADDED, "Channels", "", "delta_sharing"),
        Change(ChangeKind.REMOVED, "Channels", "bulk_package", ""),
    ]


def test_two_revisions_of_a_request() -> None:
    before = SharingRequest.parse(document())
    after_doc = document(dpia={"reference": "LCC-DPIA-8", "outcome": "mitigated"})
    after_doc["datasets"][0]["cohort"] = "weekly_amount > 50"
    after = SharingRequest.parse(after_doc)
    changes = model_changes(before, after)
    assert Change(ChangeKind.CHANGED, "DPIA, reference", "LCC-DPIA-7", "LCC-DPIA-8") in changes
    assert (
        Change(ChangeKind.ADDED, "Dataset dwp/carers_allowance, cohort", "", "weekly_amount > 50")
        in changes
    )
    assert len(changes) == 2
    assert model_changes(None, after) == []
    assert model_changes(after, after) == []


def test_a_cohort_reads_as_words() -> None:
    from accord.core.governance.presentation import cohort_in_words

    assert cohort_in_words("") == "every record in the dataset (no cohort)"
    assert cohort_in_words("weekly_amount > 50 and in_area(postcode)") == (
        "only records where weekly amount is more than 50, and postcode is in the areas "
        "the recipient serves"
    )
    assert cohort_in_words("benefit in ('IS', 'JSA')") == (
        "only records where benefit is one of \u201cIS\u201d, \u201cJSA\u201d"
    )
    assert cohort_in_words("age(date_of_birth) between 16 and 64") == (
        "only records where the age in whole years from date of birth is between 16 and 64"
    )
    assert cohort_in_words("claim_start >= '2020-01-06'").endswith("at least 6 January 2020")
    assert "does not parse" in cohort_in_words("weekly_amount >")
