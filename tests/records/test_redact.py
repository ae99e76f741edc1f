"""Redaction for sharing beyond the school: initials for names; no DOB, ethnicity, contacts or scans."""

from __future__ import annotations

import json

import pytest

from packgen.records.read import load_school
from packgen.records.redact import initials, redact
from tests.conftest import DEMO


@pytest.fixture(scope="module")
def demo():
    return load_school(DEMO)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Chloé", "C."),
        ("O'Brien-Nowak", "O.-N."),
        ("Mateo Méndez-Ruiz", "M.M.-R."),
        ("Łucja", "Ł."),
    ],
)
def test_initials_keep_one_letter_per_part(name, expected):
    assert initials(name) == expected


def test_no_pupil_name_survives_anywhere_in_a_redacted_record(demo):
    redacted = redact(demo)
    for pupil_id, original in demo.pupils.items():
        text = json.dumps(redacted.pupils[pupil_id].model_dump(mode="json"), ensure_ascii=False)
        names = {original.pupil.legal_forename, original.pupil.legal_surname, original.pupil.preferred_name}
        for name in names - {None}:
            assert name not in text, (pupil_id, name)


def test_dob_ethnicity_contacts_and_scans_are_dropped_and_the_placement_kept(demo):
    redacted = redact(demo)
    for pupil_id, original in demo.pupils.items():
        pupil = redacted.pupils[pupil_id].pupil
        assert pupil.dob is None and pupil.ethnicity is None and pupil.parent_carers == []
        assert pupil.key_adults.social_worker is None
        placement = redacted.pupils[pupil_id].placement
        assert placement.agreement.evidence is None
        assert placement.start_date == original.placement.start_date
        assert len(redacted.pupils[pupil_id].reviews) == len(original.reviews)
    assert all(p.assurance.evidence is None for p in redacted.providers.values())


def test_redaction_leaves_the_original_untouched(demo):
    before = demo.model_dump(mode="json")
    redact(demo)
    assert demo.model_dump(mode="json") == before


def test_a_name_that_is_also_a_word_is_only_replaced_with_its_capital(demo):
    record = demo.pupils["p01"]
    pupil = record.pupil.model_copy(update={"preferred_name": "Will"})
    placement = record.placement.model_copy(update={"purpose": "Will will attend three days a week."})
    data = demo.model_copy(
        update={"pupils": {"p01": record.model_copy(update={"pupil": pupil, "placement": placement})}}
    )
    assert redact(data).pupils["p01"].placement.purpose == "C. will attend three days a week."
