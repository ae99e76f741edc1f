"""Ending a placement and moving a pupil to another provider: the history stays in the record."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from packgen.records.census import census_return
from packgen.records.pupil_file import PupilFile
from packgen.records.read import load_school
from packgen.records.school_cache import SchoolCache
from packgen.web import edits, record_saving
from packgen.web.placement_changes import end_form, move_form, move_placement
from tests.conftest import MINI

WORDS = {"returned_to_school": "Returned to school full time", "moved_provider": "Moved to another provider"}


@pytest.fixture
def space(tmp_path: Path) -> edits.Workspace:
    school = tmp_path / "mini-school"
    shutil.copytree(MINI, school)
    return edits.Workspace(school, SchoolCache(school))


def version(space: edits.Workspace, pupil_id: str) -> str:
    return record_saving.version_of(space.file(f"pupils/{pupil_id}.yaml").read_bytes())


def day(name: str, value: str) -> dict[str, str]:
    d, m, y = value.split()
    return {f"{name}-day": d, f"{name}-month": m, f"{name}-year": y}


def end(space, typed: dict, pupil_id: str = "p02", stale: str | None = None) -> edits.Outcome:
    return edits.save(
        space,
        f"pupils/{pupil_id}.yaml",
        PupilFile,
        end_form(WORDS),
        typed,
        version=stale or version(space, pupil_id),
        prefix=("placement", "ended"),
    )


def test_ending_a_placement_keeps_it_and_records_when_why_and_what_next(space):
    before = space.file("pupils/p02.yaml").read_text(encoding="utf-8")
    outcome = end(
        space,
        day("ended_on", "16 10 2026")
        | {
            "reason": "Targets met early",
            "outcome": "returned_to_school",
            "reintegration": "Phased return with a mentor\nfor two weeks",
            "destination": "Year 9 at Mini School full time",
        },
    )
    assert outcome.saved, outcome
    data = load_school(space.school)
    placement = data.pupils["p02"].placement
    assert placement.provider == "oak-tutors"  # the placement itself is still there
    assert (placement.ended.ended_on, placement.ended.outcome) == (date(2026, 10, 16), "returned_to_school")
    assert placement.ended.destination == "Year 9 at Mini School full time"
    # What the census return and the reports read comes from the one record of the end.
    row = next(r for r in census_return(data, date(2027, 1, 21)).rows if r["UPN"] == data.pupils["p02"].pupil.upn)
    assert row["Leaving date"] == "2026-10-16"
    assert (placement.ended_on, placement.destination) == (date(2026, 10, 16), "Year 9 at Mini School full time")
    assert placement.ended.reintegration == "Phased return with a mentor\nfor two weeks"
    after = space.file("pupils/p02.yaml").read_text(encoding="utf-8")
    assert after.startswith(before.split("placement:")[0])  # the rest of the file as it was


def test_a_mistake_comes_back_beside_its_field_and_nothing_is_saved(space):
    before = space.file("pupils/p02.yaml").read_text(encoding="utf-8")
    outcome = end(space, day("ended_on", "1 9 2026") | {"reason": "", "outcome": "returned_to_school"})
    assert not outcome.saved
    assert set(outcome.beside) == {"ended_on", "reason"}  # before the start; no reason given
    assert space.file("pupils/p02.yaml").read_text(encoding="utf-8") == before


def test_a_record_changed_since_the_page_opened_is_not_overwritten(space):
    stale = version(space, "p02")
    path = space.file("pupils/p02.yaml")
    path.write_text(path.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")
    outcome = end(
        space, day("ended_on", "16 10 2026") | {"reason": "Moved away", "outcome": "moved_school"}, stale=stale
    )
    assert not outcome.saved and outcome.stale


def move(space, typed: dict) -> edits.Outcome:
    spec = move_form({"hart-vale": "Hart & Vale", "oak-tutors": "Oak Street Tutors"}, WORDS, "Riverside Centre")
    return move_placement(space, "p02", spec, typed, version(space, "p02"))


def test_moving_to_another_provider_ends_the_placement_and_starts_one_keeping_the_plan(space):
    old = load_school(space.school).pupils["p02"].placement
    outcome = move(
        space,
        day("ended_on", "16 10 2026")
        | day("start_date", "19 10 2026")
        | {"reason": "Closer to home", "provider": "hart-vale", "hours_per_week": "25"},
    )
    assert outcome.saved, outcome
    pupil = load_school(space.school).pupils["p02"]
    (past,) = pupil.past_placements
    assert past.model_dump(exclude={"ended"}) == old.model_dump(exclude={"ended"})
    assert (past.ended.ended_on, past.ended.reason, past.ended.outcome) == (
        date(2026, 10, 16),
        "Closer to home",
        "moved_provider",
    )
    new = pupil.placement
    assert (new.provider, new.start_date, new.hours_per_week, new.ended) == ("hart-vale", date(2026, 10, 19), 25, None)
    assert (new.arranged_by, new.category, new.attendance_code) == (old.arranged_by, old.category, old.attendance_code)
    assert new.agreement.signed_on is None and new.sessions == []  # agreed afresh with the new provider


def test_a_move_without_a_provider_or_start_is_refused_beside_those_fields(space):
    before = space.file("pupils/p02.yaml").read_text(encoding="utf-8")
    outcome = move(space, day("ended_on", "16 10 2026") | {"reason": "Closer to home", "hours_per_week": "25"})
    assert not outcome.saved and {"provider", "start_date"} <= set(outcome.beside)
    assert space.file("pupils/p02.yaml").read_text(encoding="utf-8") == before
