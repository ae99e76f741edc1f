"""The rules added or changed for the guidance in force from November 2025, each at its edges: the two
registration tests, notice of a direction counted in school days, the half term, the codes of the 2024
regulations, and the optional and advisory checks on unregistered providers.

The example school is the one the other readiness tests use (Oak Lane, pupil p1 at provider "canal").
"""

from __future__ import annotations

from datetime import date

import pytest

from packgen.readiness.rules import (
    assess,
    r1_registration,
    r4_reviews,
    r7_part_time_plan,
    r8_attendance_code,
    r18_la_told,
    r19_direction_notice,
    r20_reintegration,
    r21_national_standards,
    r22_unregistered_limits,
)
from packgen.records.calendar import Calendar
from packgen.records.school_file import TermDate
from tests.conftest import UNREGISTERED, assert_finding, example, full_time_pupils, placement, week

TODAY = date(2026, 11, 23)
TERMS = [  # Autumn 2 2026 ends on Friday 18 December; Spring 1 2027 starts on Tuesday 5 January
    {"name": "Autumn 1 2026", "starts": "2026-09-02", "ends": "2026-10-23"},
    {"name": "Autumn 2 2026", "starts": "2026-11-02", "ends": "2026-12-18"},
    {"name": "Spring 1 2027", "starts": "2027-01-05", "ends": "2027-02-12"},
]
CWS = {"readiness": {"registration_law": "cws-act-2026"}}


# ---------------------------------------------------------------- R1: two editions of the registration test


def test_r1_four_full_time_pupils_are_not_enough_for_an_illegal_school_and_five_are():
    four = example(provider=UNREGISTERED, more_pupils=full_time_pupils(4))
    five = example(provider=UNREGISTERED, more_pupils=full_time_pupils(5))
    assert r1_registration(four, "canal", TODAY).severity == "high"
    assert_finding(r1_registration(five, "canal", TODAY), "fail", "critical", "5 of our pupils full time")


@pytest.mark.parametrize("flag", ["lac", "ehcp"])
def test_r1_one_looked_after_or_ehc_plan_pupil_is_enough_under_both_tests(flag):
    for school in ({}, CWS):
        data = example(provider=UNREGISTERED, school=school, pupil={"pupil": {"flags": {flag: True}}})
        assert r1_registration(data, "canal", TODAY).severity == "critical", school


def test_r1_sen_support_alone_counts_only_under_the_2026_act():
    sen = {"pupil": {"flags": {"sen_support": True}}}
    in_force = example(provider=UNREGISTERED, pupil=sen)
    act_2026 = example(provider=UNREGISTERED, pupil=sen, school=CWS)
    assert_finding(
        r1_registration(in_force, "canal", TODAY),
        "fail",
        "high",
        "substantial part",
        "Test applied: Education Act 1996 s463, in force",
    )
    assert_finding(
        r1_registration(act_2026, "canal", TODAY),
        "fail",
        "critical",
        "special educational needs (SEN support counts)",
        "Test applied: Children's Wellbeing and Schools Act 2026 s43, not yet in force",
    )


def test_r1_the_2026_test_is_in_force_only_from_the_commencement_date_the_school_records():
    def status(commenced: str | None) -> str:
        school = {"readiness": {"registration_law": "cws-act-2026", "cws_act_commenced_on": commenced}}
        return r1_registration(example(provider=UNREGISTERED, school=school), "canal", TODAY).message

    assert "not yet in force: no commencement date is set" in status(None)
    assert "not yet in force: it commences on 1 Jan 2027" in status("2027-01-01")
    assert "in force from 23 Nov 2026" in status("2026-11-23")


def test_r1_full_time_hours_can_be_set_until_regulations_define_them():
    sixteen_hours = {"pupil": {"flags": {"lac": True}}} | placement(
        hours_per_week=16, sessions=week("Mon Tue Wed Thu", "09:00", "13:00")
    )
    default = example(provider=UNREGISTERED, pupil=sixteen_hours)
    set_to_15 = example(provider=UNREGISTERED, pupil=sixteen_hours, school={"readiness": {"full_time_hours": 15}})
    assert r1_registration(default, "canal", TODAY).severity == "high"  # four days: substantial, not full time
    assert_finding(r1_registration(set_to_15, "canal", TODAY), "fail", "critical", "full time taken as 15 hours")


# ---------------------------------------------------------------- R19: notice of a direction, in school days


def directed(notice: str, starts: str, **more) -> dict:
    direction = {
        "directed": True,
        "directed_on": notice,
        "ends_on": "2027-02-12",
        "notice_given_on": notice,
        "report_to": "D. Khan at reception",
        "reasons": "fighting",
        "objectives": "no more fights",
    } | more
    return {"placement": {"off_site_direction": direction, "start_date": starts}}


def notice_finding(notice: str, starts: str, **more):
    data = example(pupil=directed(notice, starts, **more), school={"pack": {"term_dates": TERMS}})
    return r19_direction_notice(data, "p1", TODAY)


def test_r19_two_school_days_over_a_weekend_are_enough_and_one_is_not():
    assert notice_finding("2026-11-12", "2026-11-16") is None  # Thursday for Monday: Thu, Fri
    assert_finding(
        notice_finding("2026-11-13", "2026-11-16"), "fail", "high", "1 school day before", "at least 2"
    )  # Friday for Monday


def test_r19_holidays_are_not_school_days():
    # Thursday 17 December for Tuesday 5 January: Thu and Fri before the Christmas holiday count.
    assert notice_finding("2026-12-17", "2027-01-05") is None
    # Friday 18 December for 5 January: one school day, however many calendar days.
    assert_finding(notice_finding("2026-12-18", "2027-01-05"), "fail", "high", "1 school day before")
    # Given during the holiday for the first day of term: none.
    assert_finding(notice_finding("2027-01-02", "2027-01-05"), "fail", "high", "0 school days before")


def test_r19_unknown_when_the_term_dates_do_not_reach_the_notice():
    data = example(pupil=directed("2027-03-01", "2027-03-02"), school={"pack": {"term_dates": TERMS}})
    assert_finding(r19_direction_notice(data, "p1", TODAY), "unknown", "high", "do not cover")


def test_r19_fails_without_a_notice_and_names_what_a_notice_leaves_out():
    data = example(pupil=directed("2026-11-12", "2026-11-16", notice_given_on=None))
    assert_finding(r19_direction_notice(data, "p1", TODAY), "fail", "high", "no record of the written notice")
    missing = notice_finding("2026-11-10", "2026-11-16", report_to=None, objectives=None)
    assert_finding(missing, "fail", "high", "who the pupil reports to on the first day and the objectives")


def test_r19_does_not_apply_without_a_direction():
    assert r19_direction_notice(example(), "p1", TODAY) is None


def test_school_days_count_the_notice_day_and_stop_before_the_first_day():
    calendar = Calendar.for_school([TermDate.model_validate(t) for t in TERMS], date(2026, 9, 1), date(2027, 2, 1))
    assert calendar.school_days(date(2026, 11, 12), date(2026, 11, 16)) == (2, True)
    assert calendar.school_days(date(2026, 12, 18), date(2027, 1, 5)) == (1, True)
    assert calendar.school_days(date(2026, 11, 16), date(2026, 11, 16)) == (0, True)


# ---------------------------------------------------------------- R4: a half term to the day


def test_r4_a_review_exactly_a_half_term_of_term_time_ago_is_still_on_time_and_a_day_later_is_not():
    # One unbroken term, so a half term of term time (seven weeks) is 49 days after the review.
    terms = {"pack": {"term_dates": [{"name": "Autumn 2026", "starts": "2026-09-01", "ends": "2026-12-18"}]}}
    reviewed = {"reviews": [{"date": "2026-10-05", "decision": "continue"}]}
    on_time = example(school=terms, pupil=reviewed)
    assert r4_reviews(on_time, "p1", date(2026, 11, 23)) is None  # 49 days after 5 Oct
    assert_finding(r4_reviews(on_time, "p1", date(2026, 11, 24)), "fail", "high", "more than a half term")


# ---------------------------------------------------------------- R7 and R8: the 2024 codes


def test_c2_needs_a_time_limited_plan_even_when_the_hours_say_full_time():
    c2 = placement(sessions_not_at_provider="C2")
    assert_finding(r7_part_time_plan(example(pupil=c2), "p1", TODAY), "fail", "high", "no part-time plan", "marked C2")
    with_plan = placement(
        sessions_not_at_provider="C2",
        part_time_plan={"reason": "medical", "review_on": "2026-12-01", "ends_on": "2027-01-29"},
    )
    assert r7_part_time_plan(example(pupil=with_plan), "p1", TODAY) is None


def test_r8_c2_on_a_full_time_placement_is_a_contradiction_and_present_codes_never_fit():
    assert_finding(
        r8_attendance_code(example(pupil=placement(sessions_not_at_provider="C2")), "p1", TODAY),
        "unknown",
        "high",
        "marked C2",
    )
    assert_finding(
        r8_attendance_code(example(pupil=placement(attendance_code="/")), "p1", TODAY), "fail", "high", "marked '/'"
    )
    la = placement(arranged_by="local_authority", attendance_code="K")
    assert r8_attendance_code(example(pupil=la), "p1", TODAY) is None


# ---------------------------------------------------------------- R18, R20, R21, R22


def test_r18_the_la_must_be_told_of_a_school_placement_but_knows_of_its_own():
    untold = example(pupil=placement(la_notified_on=None))
    told = r18_la_told(untold, "p1", TODAY)
    assert_finding(told, "fail", "high", "Westshire")
    assert (told.record_key, told.command) == ("placement.la_notified_on", "packgen la-letter")
    own = example(pupil=placement(la_notified_on=None, arranged_by="local_authority", attendance_code="K"))
    assert r18_la_told(own, "p1", TODAY) is None


def test_r20_the_plan_needs_a_reintegration_plan_with_dated_steps():
    assert_finding(
        r20_reintegration(example(pupil=placement(reintegration_timeline=[])), "p1", TODAY),
        "fail",
        "high",
        "no timeline",
    )
    neither = example(pupil=placement(reintegration=None, reintegration_timeline=[]))
    assert_finding(r20_reintegration(neither, "p1", TODAY), "fail", "high", "no reintegration plan", "and timeline")


def test_r21_is_advisory_and_only_for_unregistered_providers():
    assert r21_national_standards(example(), "canal", TODAY) is None
    assert_finding(
        r21_national_standards(example(provider=UNREGISTERED), "canal", TODAY),
        "fail",
        "advisory",
        "voluntary national standards",
    )
    says_no = example(provider=UNREGISTERED | {"national_standards": {"meets": False}})
    assert_finding(r21_national_standards(says_no, "canal", TODAY), "fail", "advisory", "does not meet")
    says_yes = example(provider=UNREGISTERED | {"national_standards": {"meets": True, "stated_on": "2026-09-01"}})
    assert r21_national_standards(says_yes, "canal", TODAY) is None


def test_r22_applies_only_when_the_school_switches_it_on():
    three_days = placement(hours_per_week=15, sessions=week("Mon Tue Wed"))
    off = example(provider=UNREGISTERED, pupil=three_days)
    on = example(provider=UNREGISTERED, pupil=three_days, school={"readiness": {"unregistered_limits": True}})
    assert r22_unregistered_limits(off, "p1", TODAY) is None
    assert_finding(r22_unregistered_limits(on, "p1", TODAY), "fail", "advisory", "3 days a week", "not yet law")
    two_days = example(
        provider=UNREGISTERED,
        pupil=placement(hours_per_week=10, sessions=week("Mon Tue")),
        school={"readiness": {"unregistered_limits": True}},
    )
    assert r22_unregistered_limits(two_days, "p1", TODAY) is None


def test_r22_twelve_weeks_full_time_to_the_day():
    limits = {"readiness": {"unregistered_limits": True}}
    # Starts Monday 7 Sep 2026: twelve weeks end on Sunday 29 Nov 2026.
    twelve = example(provider=UNREGISTERED, school=limits, pupil=placement(target_end_date="2026-11-29"))
    longer = example(provider=UNREGISTERED, school=limits, pupil=placement(target_end_date="2026-11-30"))
    assert r22_unregistered_limits(twelve, "p1", TODAY) is None
    assert_finding(r22_unregistered_limits(longer, "p1", TODAY), "fail", "advisory", "longer than 12 weeks")


def test_every_finding_names_its_evaluation_area():
    data = example(provider=UNREGISTERED, pupil=placement(la_notified_on=None, reintegration_timeline=[]))
    areas = {f.rule: f.area for f in assess(data, TODAY)}
    assert areas == {
        "R1": "leadership_and_governance",
        "R18": "leadership_and_governance",
        "R20": "inclusion",
        "R21": "leadership_and_governance",
    }
