"""Half terms and terms: the English default calendar, a school's own dates, and counting term time."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from packgen.records.calendar import Calendar, easter_sunday, english_half_terms, period_at
from packgen.records.school_file import TermDate


def term_dates(*rows: tuple[str, str, str]) -> list[TermDate]:
    return [TermDate.model_validate({"name": n, "starts": s, "ends": e}) for n, s, e in rows]


def test_the_default_half_terms_of_2026_to_2027():
    assert [(h.name, h.starts, h.ends, h.term) for h in english_half_terms(2026)] == [
        ("Autumn 1", date(2026, 9, 1), date(2026, 10, 23), "Autumn term 2026"),
        ("Autumn 2", date(2026, 11, 2), date(2026, 12, 18), "Autumn term 2026"),
        ("Spring 1", date(2027, 1, 4), date(2027, 2, 12), "Spring term 2027"),
        ("Spring 2", date(2027, 2, 22), date(2027, 3, 25), "Spring term 2027"),  # Easter is 28 March
        ("Summer 1", date(2027, 4, 12), date(2027, 5, 28), "Summer term 2027"),
        ("Summer 2", date(2027, 6, 7), date(2027, 7, 20), "Summer term 2027"),
    ]


@pytest.mark.parametrize(
    "year, easter",
    [
        (2008, date(2008, 3, 23)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter_sunday_including_the_earliest_and_latest_of_the_century(year, easter):
    assert easter_sunday(year) == easter


@pytest.mark.parametrize("year", range(2000, 2101))
def test_every_default_year_has_six_half_terms_in_order_of_a_plausible_length(year):
    halves = english_half_terms(year)
    assert len(halves) == 6
    for half, following in itertools.pairwise(halves):
        holiday = (following.starts - half.ends).days - 1
        assert 2 <= holiday <= 20, (half, following)
    for half in halves:
        assert half.starts.weekday() < 5 and half.ends.weekday() < 5, half
        assert timedelta(weeks=3) <= half.ends - half.starts <= timedelta(weeks=9), half


def test_the_default_calendar_covers_a_year_either_side_so_it_can_name_the_period_before():
    calendar = Calendar.for_school([], date(2026, 9, 7), date(2026, 11, 23))
    assert calendar.covers(date(2025, 9, 1)) and calendar.covers(date(2027, 8, 31))
    index = period_at(calendar.half_terms, date(2026, 9, 7))
    assert calendar.half_terms[index - 1].name == "Summer 2"


def test_a_holiday_belongs_to_the_half_term_just_ended():
    calendar = Calendar.for_school([], date(2026, 10, 28), date(2026, 10, 28))
    assert calendar.half_terms[period_at(calendar.half_terms, date(2026, 10, 28))].name == "Autumn 1"


def test_a_schools_own_dates_replace_the_default_and_cover_only_themselves():
    calendar = Calendar.for_school(
        term_dates(("Autumn 2 2026", "2026-11-02", "2026-12-18"), ("Autumn 1 2026", "2026-09-02", "2026-10-23")),
        date(2026, 9, 7),
        date(2026, 11, 23),
    )
    assert [h.name for h in calendar.half_terms] == ["Autumn 1 2026", "Autumn 2 2026"]
    assert calendar.covers(date(2026, 10, 28))
    assert not calendar.covers(date(2026, 9, 1)) and not calendar.covers(date(2027, 1, 5))
    assert period_at(calendar.half_terms, date(2027, 1, 5)) is None


def test_half_terms_are_grouped_into_terms_by_name_or_else_by_the_month_they_start():
    calendar = Calendar.for_school(
        term_dates(
            ("HT1", "2026-09-02", "2026-10-23"),
            ("HT2", "2026-11-02", "2026-12-18"),
            ("HT3", "2027-01-05", "2027-02-12"),
            ("Summer 1", "2027-03-29", "2027-05-28"),
        ),
        date(2026, 9, 2),
        date(2027, 5, 1),
    )
    assert [(t.name, t.starts, t.ends) for t in calendar.terms()] == [
        ("Autumn term 2026", date(2026, 9, 2), date(2026, 12, 18)),
        ("Spring term 2027", date(2027, 1, 5), date(2027, 2, 12)),
        ("Summer term 2027", date(2027, 3, 29), date(2027, 5, 28)),
    ]


def test_term_days_count_only_days_inside_half_terms():
    calendar = Calendar.for_school([], date(2026, 10, 19), date(2026, 11, 6))
    # 20 to 23 October, then 2 to 6 November: the half-term week in between does not count.
    assert calendar.term_days(date(2026, 10, 19), date(2026, 11, 6)) == (9, True)


def test_term_days_say_when_the_schools_dates_do_not_cover_the_stretch():
    calendar = Calendar.for_school(
        term_dates(("Autumn 2", "2026-11-02", "2026-12-18")), date(2026, 10, 19), date(2026, 11, 6)
    )
    assert calendar.term_days(date(2026, 10, 19), date(2026, 11, 6)) == (5, False)
