"""Ending a placement and moving a pupil to another provider: the history stays in the record."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import MINI
from packgen.records.read import load_school
from packgen.web import records
from packgen.web.edits import Workspace
from packgen.web.placement_changes import end_placement, move_placement


@pytest.fixture
def space(tmp_path: Path) -> Workspace:
    school = tmp_path / "mini-school"
    shutil.copytree(MINI, school)
    return Workspace(school, tmp_path / "scratch")


def version(space: Workspace, pupil_id: str) -> str:
    return records.fingerprint(space.pupil_file(pupil_id).read_text(encoding="utf-8"))


def test_ending_a_placement_keeps_it_and_records_when_why_and_what_next(space):
    before = space.pupil_file("p02").read_text(encoding="utf-8")
    change = end_placement(space, "p02", {"ended_on": "2026-10-16", "reason": "Targets met early",
                                          "outcome": "returned_to_school",
                                          "reintegration": "Phased return with a mentor\nfor two weeks"},
                           version(space, "p02"))
    assert change.saved, change
    placement = load_school(space.school).pupils["p02"].placement
    assert placement.provider == "oak-tutors"  # the placement itself is still there
    assert (placement.ended.ended_on, placement.ended.outcome) == (date(2026, 10, 16), "returned_to_school")
    assert placement.ended.reintegration == "Phased return with a mentor\nfor two weeks"
    after = space.pupil_file("p02").read_text(encoding="utf-8")
    assert after.startswith(before.split("placement:")[0])  # the rest of the file as it was


def test_a_mistake_comes_back_beside_its_input_and_nothing_is_saved(space):
    before = space.pupil_file("p02").read_text(encoding="utf-8")
    change = end_placement(space, "p02", {"ended_on": "2026-09-01", "reason": "", "outcome": "returned_to_school"},
                           version(space, "p02"))
    assert not change.saved
    assert set(change.beside) == {"ended_on", "reason"}  # before the start; no reason given
    assert space.pupil_file("p02").read_text(encoding="utf-8") == before


def test_a_record_changed_since_the_page_opened_is_not_overwritten(space):
    stale = version(space, "p02")
    path = space.pupil_file("p02")
    path.write_text(path.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")
    change = end_placement(space, "p02", {"ended_on": "2026-10-16", "reason": "Moved away",
                                          "outcome": "moved_school"}, stale)
    assert not change.saved and "changed" in change.general[0]


def test_moving_to_another_provider_ends_the_placement_and_starts_one_keeping_the_plan(space):
    old = load_school(space.school).pupils["p02"].placement
    change = move_placement(space, "p02", {"ended_on": "2026-10-16", "reason": "Closer to home",
                                           "outcome": "moved_provider", "provider": "hart-vale",
                                           "start_date": "2026-10-19", "hours_per_week": "25"},
                            version(space, "p02"))
    assert change.saved, change
    pupil = load_school(space.school).pupils["p02"]
    (past,) = pupil.past_placements
    assert past.model_dump(exclude={"ended"}) == old.model_dump(exclude={"ended"})
    assert (past.ended.ended_on, past.ended.reason) == (date(2026, 10, 16), "Closer to home")
    new = pupil.placement
    assert (new.provider, new.start_date, new.hours_per_week, new.ended) == ("hart-vale", date(2026, 10, 19), 25, None)
    assert (new.arranged_by, new.category, new.attendance_code) == (old.arranged_by, old.category, old.attendance_code)
    assert new.agreement.signed_on is None and new.sessions == []  # agreed afresh with the new provider


def test_moving_to_a_provider_not_on_file_is_refused_beside_the_provider(space):
    change = move_placement(space, "p02", {"ended_on": "2026-10-16", "reason": "Closer to home",
                                           "outcome": "moved_provider", "provider": "nowhere",
                                           "start_date": "2026-10-19", "hours_per_week": "25"},
                            version(space, "p02"))
    assert not change.saved and "provider" in change.beside
    assert load_school(space.school).pupils["p02"].past_placements == []
