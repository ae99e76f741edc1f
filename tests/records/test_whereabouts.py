"""`packgen where`: where each pupil should be at a moment, from timetables, term dates and the school day."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from packgen.records.pupil_file import PlacementEnd, Session
from packgen.records.read import load_school
from packgen.records.whereabouts import whereabouts
from tests.conftest import DEMO, run_cli

TUESDAY_10AM = datetime(2026, 11, 24, 10, 0)


@pytest.fixture(scope="module")
def demo():
    return load_school(DEMO)


def with_placement(data, pupil_id, **changes):
    """The school with one pupil's placement changed, as if the office had edited the record."""
    record = data.pupils[pupil_id]
    placement = record.placement.model_copy(update=changes)
    pupils = data.pupils | {pupil_id: record.model_copy(update={"placement": placement})}
    return data.model_copy(update={"pupils": pupils})


def find(rows, pupil_id):
    return next(w for w in rows if w.pupil_id == pupil_id)


def session(day, start, end):
    return Session.model_validate({"day": day, "from": start, "to": end})


def test_a_pupil_in_a_session_is_at_the_provider_with_its_attendance_contact(demo):
    data = with_placement(
        demo, "p01", sessions=[session("Tue", "09:30", "14:30")], hours_per_week=5, target_end_date=None
    )
    w = find(whereabouts(data, TUESDAY_10AM), "p01")
    provider = data.provider_of("p01")
    assert w.place == "provider" and provider.name in w.location and provider.address in w.location
    assert w.until == "14:30"
    assert w.contact == (provider.contacts.attendance or provider.contacts.lead)


def test_a_part_time_pupil_with_no_session_today_is_expected_at_school(demo):
    data = with_placement(
        demo, "p01", sessions=[session("Mon", "09:30", "14:30")], hours_per_week=5, target_end_date=None
    )
    w = find(whereabouts(data, TUESDAY_10AM), "p01")
    assert w.place == "school" and w.location == demo.school.school.name


def test_a_full_time_pupil_with_no_session_today_is_unaccounted_for_and_listed_first(demo):
    sessions = [session(day, "09:00", "15:00") for day in ("Mon", "Wed", "Thu")] + [session("Fri", "09:00", "12:00")]
    data = with_placement(demo, "p01", sessions=sessions, hours_per_week=21, target_end_date=None)
    rows = whereabouts(data, TUESDAY_10AM)
    assert find(rows, "p01").place == "unaccounted"
    assert [w.place for w in rows].index("unaccounted") == 0


def test_a_placement_without_a_timetable_or_past_its_end_is_unaccounted_for(demo):
    no_timetable = with_placement(demo, "p01", sessions=[], target_end_date=None)
    assert find(whereabouts(no_timetable, TUESDAY_10AM), "p01").place == "unaccounted"
    ended = with_placement(demo, "p01", target_end_date=datetime(2026, 11, 20).date())
    assert "passed its end date" in find(whereabouts(ended, TUESDAY_10AM), "p01").location


def test_a_pupil_whose_placement_ended_is_back_at_school_or_no_longer_expected(demo):
    full_time = [session(day, "09:00", "15:00") for day in ("Mon", "Tue", "Wed", "Thu", "Fri")]
    back = PlacementEnd(ended_on=date(2026, 11, 20), reason="Targets met", outcome="returned_to_school")
    returned = with_placement(demo, "p01", sessions=full_time, hours_per_week=30, ended=back)
    w = find(whereabouts(returned, TUESDAY_10AM), "p01")
    assert (w.place, w.location) == ("school", demo.school.school.name) and "ended 20 Nov 2026" in w.reason
    moved = back.model_copy(update={"outcome": "moved_school"})
    gone = find(whereabouts(with_placement(demo, "p01", sessions=full_time, ended=moved), TUESDAY_10AM), "p01")
    assert (gone.place, gone.contact) == ("not expected", None)
    later = back.model_copy(update={"ended_on": date(2026, 12, 1)})  # ends next week: still there today
    assert (
        find(
            whereabouts(with_placement(demo, "p01", sessions=full_time, hours_per_week=30, ended=later), TUESDAY_10AM),
            "p01",
        ).place
        == "provider"
    )


def test_nobody_is_expected_at_weekends_evenings_or_in_the_holidays(demo):
    for moment in (datetime(2026, 11, 28, 10, 0), datetime(2026, 11, 24, 19, 0), datetime(2026, 12, 29, 10, 0)):
        assert {w.place for w in whereabouts(demo, moment)} == {"not expected"}, moment


def test_the_cli_flags_the_unaccounted_for(demo):
    result = run_cli("where", DEMO, "--at", "2026-11-24 10:00")
    assert result.exit_code == 0, result.output
    unaccounted = [w for w in whereabouts(demo, TUESDAY_10AM) if w.place == "unaccounted"]
    assert unaccounted, "the demo school has a placement past its end date"
    for w in unaccounted:
        assert f"!! {w.name}" in result.output
    assert f"{len(unaccounted)} pupil" in result.output
