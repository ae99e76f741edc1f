"""Readiness rules, each shown by example: a record that meets it, one that fails it, one it cannot decide.

Every example starts from a small fictional school (Oak Lane School: one pupil, "p1", at one provider,
"canal") that meets every rule, and changes only what the example is about.
"""

from __future__ import annotations

from datetime import date

from packgen.readiness.rules import (
    RULES,
    assess,
    r1_registration,
    r2_staff_checks,
    r3_written_plan,
    r4_reviews,
    r5_visits,
    r6_off_site_direction,
    r7_part_time_plan,
    r8_attendance_code,
    r9_absence_and_emergency,
    r10_dsl_contacts,
    r11_agencies,
    r12_agreement,
    r13_consent,
    r14_la_approval,
    r15_end_decision,
    r16_upn,
    r17_governance,
)
from packgen.readiness.table import rule_table
from packgen.records.read import load_school
from packgen.records.school_data import SchoolData
from tests.conftest import (
    DEMO,
    UNREGISTERED,
    assert_finding,
    demo_gaps,
    example,
    full_time_pupils,
    merged,
    placement,
    week,
)

TODAY = date(2026, 11, 23)  # a Monday, three weeks into the default Autumn 2 (2 Nov to 18 Dec 2026)


# ---------------------------------------------------------------- the example school


def test_the_example_school_meets_every_rule():
    assert assess(example(), TODAY) == []


# ---------------------------------------------------------------- R1 registration


def test_r1_a_registered_provider_raises_nothing():
    assert r1_registration(example(), "canal", TODAY) is None


def test_r1_an_unregistered_provider_with_five_full_time_pupils_may_be_an_illegal_school():
    data = example(provider=UNREGISTERED, more_pupils=full_time_pupils(5))
    assert_finding(
        r1_registration(data, "canal", TODAY), "fail", "critical", "5 of our pupils full time", "illegal school"
    )


def test_r1_one_full_time_looked_after_or_ehcp_pupil_is_enough_for_an_illegal_school():
    for flag in ("lac", "ehcp"):
        data = example(provider=UNREGISTERED, pupil={"pupil": {"flags": {flag: True}}})
        assert_finding(
            r1_registration(data, "canal", TODAY), "fail", "critical", "looked after or has an EHC plan", "Amir Example"
        )


def test_r1_four_full_time_pupils_are_warned_about_but_not_called_an_illegal_school():
    data = example(provider=UNREGISTERED, more_pupils=full_time_pupils(4))
    assert_finding(r1_registration(data, "canal", TODAY), "fail", "high", "substantial part", "Pupil4")


def test_r1_three_short_days_a_week_are_the_substantial_part_of_a_pupils_education():
    three_mornings = placement(hours_per_week=12, sessions=week("Mon Tue Wed", "09:00", "13:00"))
    data = example(provider=UNREGISTERED, pupil=three_mornings)
    assert_finding(r1_registration(data, "canal", TODAY), "fail", "high", "Amir Example", "3 or more days")


def test_r1_any_other_unregistered_provider_is_one_the_inspector_will_ask_about():
    data = example(provider=UNREGISTERED, pupil=placement(hours_per_week=10, sessions=week("Mon Tue")))
    assert_finding(r1_registration(data, "canal", TODAY), "fail", "advisory", "will ask why you chose it")


def test_r1_post_16_pupils_and_colleges_are_outside_the_law_on_illegal_schools():
    sixth_former = example(provider=UNREGISTERED, pupil={"pupil": {"year_group": 12, "flags": {"ehcp": True}}})
    college = example(provider=UNREGISTERED | {"kind": "college"}, more_pupils=full_time_pupils(5))
    assert_finding(r1_registration(sixth_former, "canal", TODAY), "fail", "advisory")
    assert_finding(r1_registration(college, "canal", TODAY), "fail", "advisory")


def test_r1_unknown_when_a_part_time_pupils_days_are_not_recorded():
    data = example(provider=UNREGISTERED, pupil=placement(hours_per_week=12, sessions=[]))
    assert_finding(r1_registration(data, "canal", TODAY), "unknown", "high", "Record each pupil's sessions")


# ---------------------------------------------------------------- R2 staff-check assurance


def test_r2_a_returned_letter_confirming_every_check_passes():
    assert r2_staff_checks(example(), "canal", TODAY) is None


def test_r2_fails_when_the_letter_has_not_come_back():
    data = example(provider={"assurance": {"received_on": None}})
    assert_finding(
        r2_staff_checks(data, "canal", TODAY), "fail", "critical", "requested on 1 Sep 2026", "Chase D. Khan"
    )


def test_r2_fails_when_a_check_is_not_confirmed_or_wrongly_called_not_applicable():
    data = example(provider={"assurance": {"checks": {"prohibition": False, "identity": "not_applicable"}}})
    assert_finding(
        r2_staff_checks(data, "canal", TODAY), "fail", "critical", "identity checks, prohibition from teaching"
    )


def test_r2_unknown_when_a_returned_letter_leaves_a_check_blank():
    data = example(provider={"assurance": {"checks": {"right_to_work": None}}})
    assert_finding(r2_staff_checks(data, "canal", TODAY), "unknown", "critical", "right to work")


# ---------------------------------------------------------------- R3 written plan


def test_r3_a_plan_with_purpose_baseline_targets_and_end_date_passes():
    assert r3_written_plan(example(), "p1", TODAY) is None
    described = placement(baseline={"attendance_percent": None, "notes": "Walked out of 23 lessons last term"})
    assert r3_written_plan(example(pupil=described), "p1", TODAY) is None


def test_r3_fails_naming_each_missing_part():
    data = example(pupil=placement(purpose=None, targets=[]))
    assert_finding(r3_written_plan(data, "p1", TODAY), "fail", "high", "no purpose and targets")


def test_r3_has_no_unknown_a_missing_baseline_or_end_date_is_a_fail():
    data = example(pupil=placement(baseline={"attendance_percent": None}, target_end_date=None))
    assert_finding(r3_written_plan(data, "p1", TODAY), "fail", "high", "baseline and target end date")


# ---------------------------------------------------------------- R4 reviews


def test_r4_a_review_within_the_half_term_with_its_next_date_not_yet_passed_passes():
    assert r4_reviews(example(), "p1", TODAY) is None
    due_today = {"reviews": [{"date": "2026-10-19", "decision": "continue", "next_review": "2026-11-23"}]}
    assert r4_reviews(example(pupil=due_today), "p1", TODAY) is None


def test_r4_fails_when_the_planned_review_date_has_passed():
    data = example(pupil={"reviews": [{"date": "2026-10-19", "decision": "continue", "next_review": "2026-11-16"}]})
    assert_finding(r4_reviews(data, "p1", TODAY), "fail", "high", "planned for 16 Nov 2026")


def test_an_ended_placement_needs_no_more_reviews_visits_or_end_decision_but_keeps_its_other_evidence():
    overdue = {
        "reviews": [{"date": "2026-10-19", "decision": "continue", "next_review": "2026-11-16"}],
        "visits": [],
        "placement": {"target_end_date": "2026-11-13", "consent": {"parent_signed_on": None}},
    }
    running = {f.rule for f in assess(example(pupil=overdue), TODAY)}
    assert {"R4", "R5", "R13", "R15"} <= running
    ended = merged(
        overdue, placement(ended={"ended_on": "2026-11-13", "reason": "Targets met", "outcome": "returned_to_school"})
    )
    assert {f.rule for f in assess(example(pupil=ended), TODAY)} == running - {"R4", "R5", "R15"}
    next_week = merged(ended, placement(ended={"ended_on": "2026-11-30"}))  # still running today
    assert {f.rule for f in assess(example(pupil=next_week), TODAY)} == running


def test_r4_fails_when_no_review_followed_the_start_within_a_half_term():
    data = example(pupil={"reviews": []})
    assert_finding(r4_reviews(data, "p1", TODAY), "fail", "high", "since the placement started on 7 Sep 2026")


def test_r4_counts_term_time_only_so_a_half_term_holiday_does_not_make_a_review_late():
    # 26 Sep to 23 Nov is 58 days, but the autumn half-term week leaves 49 of term time: exactly a half term.
    on_time = example(pupil={"reviews": [{"date": "2026-09-26", "decision": "continue"}]})
    late = example(pupil={"reviews": [{"date": "2026-09-25", "decision": "continue"}]})
    assert r4_reviews(on_time, "p1", TODAY) is None
    assert_finding(r4_reviews(late, "p1", TODAY), "fail", "high", "the last review on 25 Sep 2026")


def test_r4_unknown_when_the_schools_term_dates_do_not_reach_back_to_the_last_review():
    autumn_2_only = {"pack": {"term_dates": [{"name": "Autumn 2", "starts": "2026-11-02", "ends": "2026-12-18"}]}}
    data = example(school=autumn_2_only)
    assert_finding(r4_reviews(data, "p1", TODAY), "unknown", "high", "the school's term dates do not cover")


def test_r4_fails_even_with_term_dates_missing_when_the_known_ones_already_hold_a_half_term():
    autumn = {
        "pack": {
            "term_dates": [
                {"name": "Autumn 1", "starts": "2026-09-01", "ends": "2026-10-23"},
                {"name": "Autumn 2", "starts": "2026-11-02", "ends": "2026-12-18"},
            ]
        }
    }
    data = example(school=autumn, pupil={"reviews": [{"date": "2026-06-15", "decision": "continue"}]})
    assert_finding(r4_reviews(data, "p1", TODAY), "fail", "high")


def test_r4_a_placement_that_has_not_started_is_not_judged():
    assert r4_reviews(example(pupil=placement(start_date="2026-12-01")), "p1", TODAY) is None


# ---------------------------------------------------------------- R5 visits


def test_r5_a_visit_this_half_term_passes():
    assert r5_visits(example(), "p1", TODAY) is None


def test_r5_fails_when_the_last_visit_was_last_half_term():
    data = example(pupil={"visits": [{"date": "2026-10-20", "by": "B. Lead", "purpose": "visit"}]})
    assert_finding(
        r5_visits(data, "p1", TODAY), "fail", "high", "since Autumn 2 began on 2 Nov 2026", "once a half term"
    )


def test_r5_in_the_first_two_weeks_of_a_half_term_last_half_terms_visit_still_counts():
    data = example(pupil={"visits": [{"date": "2026-10-20", "by": "B. Lead", "purpose": "visit"}]})
    assert r5_visits(data, "p1", date(2026, 11, 10)) is None
    assert_finding(
        r5_visits(example(pupil={"visits": []}), "p1", date(2026, 11, 10)),
        "fail",
        "high",
        "since the placement started on 7 Sep 2026",
    )


def test_r5_a_partnership_or_la_placement_needs_a_visit_each_term_not_each_half_term():
    september_visit = {"visits": [{"date": "2026-09-21", "by": "B. Lead", "purpose": "visit"}]}
    for arranged_by in ("partnership", "local_authority"):
        termly = example(pupil=september_visit | placement(arranged_by=arranged_by, attendance_code="K"))
        assert r5_visits(termly, "p1", TODAY) is None
    assert_finding(r5_visits(example(pupil=september_visit), "p1", TODAY), "fail", "high")
    unvisited = example(pupil={"visits": []} | placement(arranged_by="partnership"))
    assert_finding(r5_visits(unvisited, "p1", TODAY), "fail", "high", "once a term (the partnership arranged")


def test_r5_a_visit_dated_after_today_does_not_count():
    data = example(pupil={"visits": [{"date": "2026-12-01", "by": "B. Lead", "purpose": "visit"}]})
    assert_finding(r5_visits(data, "p1", TODAY), "fail", "high")


def test_r5_a_placement_under_two_weeks_old_is_not_yet_due_a_visit():
    assert r5_visits(example(pupil={"visits": []} | placement(start_date="2026-11-16")), "p1", TODAY) is None


def test_r5_unknown_when_the_schools_term_dates_do_not_include_today():
    spring_only = {"pack": {"term_dates": [{"name": "Spring 1", "starts": "2027-01-04", "ends": "2027-02-12"}]}}
    assert_finding(r5_visits(example(school=spring_only), "p1", TODAY), "unknown", "high", "which half term")


# ---------------------------------------------------------------- R6 off-site direction


DIRECTED = {"directed": True, "directed_on": "2026-09-01", "ends_on": "2026-12-18", "la_notified_on": "2026-09-02"}


def test_r6_a_direction_with_an_end_date_and_the_la_told_passes():
    assert r6_off_site_direction(example(pupil=placement(off_site_direction=DIRECTED)), "p1", TODAY) is None


def test_r6_fails_without_an_end_date_or_without_telling_the_la_that_maintains_an_ehc_plan():
    data = example(
        pupil={"pupil": {"flags": {"ehcp": True}}}
        | placement(off_site_direction=DIRECTED | {"ends_on": None, "la_notified_on": None})
    )
    assert_finding(
        r6_off_site_direction(data, "p1", TODAY),
        "fail",
        "high",
        "the date it ends and when the local authority that maintains the EHC plan was told",
    )


def test_r6_needs_no_direction_notice_to_the_la_without_an_ehc_plan():
    data = example(pupil=placement(off_site_direction=DIRECTED | {"la_notified_on": None}))
    assert r6_off_site_direction(data, "p1", TODAY) is None


def test_r6_fails_when_the_direction_is_longer_than_the_school_allows_and_passes_on_the_last_allowed_day():
    # The placement starts on Monday 7 Sep 2026: eight weeks end on Sunday 1 Nov 2026.
    allowed = {"readiness": {"direction_max_weeks": 8}}
    on_the_day = example(school=allowed, pupil=placement(off_site_direction=DIRECTED | {"ends_on": "2026-11-01"}))
    a_day_over = example(school=allowed, pupil=placement(off_site_direction=DIRECTED | {"ends_on": "2026-11-02"}))
    assert r6_off_site_direction(on_the_day, "p1", TODAY) is None
    assert_finding(
        r6_off_site_direction(a_day_over, "p1", TODAY), "fail", "high", "longer than the 8 weeks", "about 9 weeks"
    )


def test_r6_unknown_when_the_record_says_not_directed_but_gives_direction_dates():
    data = example(pupil=placement(off_site_direction={"directed": False, "directed_on": "2026-09-01"}))
    assert_finding(r6_off_site_direction(data, "p1", TODAY), "unknown", "high", "Correct the record")


# ---------------------------------------------------------------- R7 part-time plan


PART_TIME = {"hours_per_week": 10, "sessions": week("Mon Tue")}


def test_r7_a_part_time_placement_with_a_current_plan_passes():
    plan = {"reason": "building up", "review_on": "2026-12-01", "ends_on": "2027-01-29"}
    assert r7_part_time_plan(example(pupil=placement(**PART_TIME, part_time_plan=plan)), "p1", TODAY) is None


def test_r7_fails_part_time_without_a_plan():
    data = example(pupil=placement(**PART_TIME))
    assert_finding(r7_part_time_plan(data, "p1", TODAY), "fail", "high", "10 hours a week", "no part-time plan")


def test_r7_fails_when_the_plan_has_no_review_date_or_has_ended():
    no_review = example(pupil=placement(**PART_TIME, part_time_plan={"reason": "r", "ends_on": "2027-01-29"}))
    ended = example(
        pupil=placement(**PART_TIME, part_time_plan={"reason": "r", "review_on": "2026-10-01", "ends_on": "2026-11-06"})
    )
    assert_finding(r7_part_time_plan(no_review, "p1", TODAY), "fail", "high", "no review date")
    assert_finding(r7_part_time_plan(ended, "p1", TODAY), "fail", "high", "ended on 6 Nov 2026")


def test_r7_unknown_when_the_hours_and_the_timetable_disagree():
    data = example(pupil=placement(hours_per_week=25, sessions=week("Mon Tue")))
    assert_finding(r7_part_time_plan(data, "p1", TODAY), "unknown", "high", "25 hours", "add up to 10 hours")


# ---------------------------------------------------------------- R8 attendance code


def test_r8_codes_that_fit_who_arranged_the_placement_pass():
    assert r8_attendance_code(example(), "p1", TODAY) is None
    assert (
        r8_attendance_code(example(pupil=placement(arranged_by="local_authority", attendance_code="K")), "p1", TODAY)
        is None
    )
    assert r8_attendance_code(example(pupil=placement(attendance_code="D")), "p1", TODAY) is None


def test_r8_fails_a_code_that_does_not_fit():
    la_marked_b = example(pupil=placement(arranged_by="local_authority"))
    present = example(pupil=placement(attendance_code="/"))
    dual_at_unregistered = example(provider=UNREGISTERED, pupil=placement(attendance_code="D"))
    assert_finding(r8_attendance_code(la_marked_b, "p1", TODAY), "fail", "high", "marked 'B'", "Use K")
    assert_finding(r8_attendance_code(present, "p1", TODAY), "fail", "high", "marked '/'")
    assert_finding(r8_attendance_code(dual_at_unregistered, "p1", TODAY), "fail", "high", "marked 'D'")


def test_r8_unknown_when_no_code_is_recorded():
    data = example(pupil=placement(attendance_code=None))
    assert_finding(r8_attendance_code(data, "p1", TODAY), "unknown", "high", "should be B (or D")


def test_r8_online_sessions_marked_b_need_someone_recorded_as_supervising():
    online = {"kind": "online", "registration": {"status": "unregistered", "urn": None}}
    assert_finding(r8_attendance_code(example(provider=online), "p1", TODAY), "unknown", "high", "supervises")
    supervised = example(provider=online, pupil=placement(supervised_by="Learning mentor in the school library"))
    assert r8_attendance_code(supervised, "p1", TODAY) is None


# ---------------------------------------------------------------- R9 absence and emergency contacts


def test_r9_an_agreed_absence_arrangement_and_contacts_sent_pass():
    assert r9_absence_and_emergency(example(), "p1", TODAY) is None


def test_r9_the_providers_checklist_arrangement_is_enough_for_absence():
    data = example(pupil=placement(safeguarding={"absence_arrangement": None}))
    assert r9_absence_and_emergency(data, "p1", TODAY) is None


def test_r9_fails_with_no_arrangement_anywhere_and_no_record_of_contacts_sent():
    data = example(
        provider={"pre_admission": {"absence_arrangement": None, "emergency_contacts_sent": False}},
        pupil=placement(safeguarding={"absence_arrangement": None, "emergency_details_sent_on": None}),
    )
    assert_finding(
        r9_absence_and_emergency(data, "p1", TODAY), "fail", "high", "who contacts whom", "emergency contacts"
    )


def test_r9_unknown_when_only_the_providers_checklist_says_contacts_were_sent():
    data = example(pupil=placement(safeguarding={"emergency_details_sent_on": None}))
    assert_finding(r9_absence_and_emergency(data, "p1", TODAY), "unknown", "high", "Record the date")


# ---------------------------------------------------------------- R10 DSL contacts


def test_r10_both_dsls_known_to_each_other_passes():
    assert r10_dsl_contacts(example(), "p1", TODAY) is None


def test_r10_fails_when_the_provider_has_no_dsl_or_ours_was_not_given():
    no_dsl = example(provider={"contacts": {"dsl": None}})
    not_given = example(pupil=placement(safeguarding={"dsl_contact_shared": False}))
    assert_finding(r10_dsl_contacts(no_dsl, "p1", TODAY), "fail", "high", "no designated safeguarding lead")
    assert_finding(r10_dsl_contacts(not_given, "p1", TODAY), "fail", "high", "have not been given")


def test_r10_unknown_when_nobody_recorded_whether_our_dsl_was_shared():
    data = example(pupil=placement(safeguarding={"dsl_contact_shared": None}))
    assert_finding(r10_dsl_contacts(data, "p1", TODAY), "unknown", "high", "not recorded")


# ---------------------------------------------------------------- R11 agencies


def pupil_with(flags: dict, **adults) -> dict:
    return {"pupil": {"flags": flags, "key_adults": adults}}


def test_r11_vulnerable_pupils_with_their_agencies_named_pass():
    assert r11_agencies(example(pupil=pupil_with({"lac": True}, virtual_school_rep="F. Virtual")), "p1", TODAY) is None
    assert (
        r11_agencies(
            example(pupil=pupil_with({"ehcp": True, "cin": True}, sen_keyworker="G. Sen", social_worker="H. Social")),
            "p1",
            TODAY,
        )
        is None
    )


def test_r11_fails_critically_for_each_agency_missing():
    data = example(pupil=pupil_with({"lac": True, "lac_la": "Eastshire", "ehcp": True, "cin": True}))
    assert_finding(
        r11_agencies(data, "p1", TODAY),
        "fail",
        "critical",
        "virtual school (Eastshire)",
        "SEN caseworker",
        "child in need",
    )


def test_r11_a_child_protection_pupils_part_time_timetable_needs_a_core_group_meeting():
    cp = pupil_with({"cp": True}, social_worker="H. Social")
    without = example(pupil=cp | placement(**PART_TIME, part_time_plan={"reason": "r"}))
    agreed = example(pupil=cp | placement(**PART_TIME, part_time_plan={"reason": "r", "core_group_on": "2026-09-01"}))
    assert_finding(r11_agencies(without, "p1", TODAY), "fail", "critical", "core group")
    assert r11_agencies(agreed, "p1", TODAY) is None


def test_r11_has_no_unknown_an_agency_not_recorded_is_a_fail():
    assert_finding(
        r11_agencies(example(pupil=pupil_with({"cp": True})), "p1", TODAY), "fail", "critical", "social worker"
    )


# ---------------------------------------------------------------- R12 commissioning agreement


NO_AGREEMENT = {"signed_on": None, "signed_by_provider": None, "signed_by_school": None}


def test_r12_a_dated_agreement_signed_by_both_sides_passes():
    assert r12_agreement(example(), "p1", TODAY) is None


def test_r12_fails_with_no_agreement():
    data = example(pupil=placement(agreement=NO_AGREEMENT))
    assert_finding(
        r12_agreement(data, "p1", TODAY), "fail", "high", "no signed commissioning agreement", "Canal Street Centre"
    )


def test_r12_unknown_when_the_date_or_a_signatory_is_missing():
    undated = example(pupil=placement(agreement={"signed_on": None}))
    half = example(pupil=placement(agreement={"signed_by_provider": None}))
    assert_finding(r12_agreement(undated, "p1", TODAY), "unknown", "high", "not when")
    assert_finding(r12_agreement(half, "p1", TODAY), "unknown", "high", "who signed for the provider")


# ---------------------------------------------------------------- R13 consent


NO_CONSENT = {"parent_signed_on": None}


def test_r13_consent_given_or_a_direction_passes():
    assert r13_consent(example(), "p1", TODAY) is None
    assert r13_consent(example(pupil=placement(consent=NO_CONSENT, off_site_direction=DIRECTED)), "p1", TODAY) is None


def test_r13_fails_without_consent_when_not_directed():
    assert_finding(
        r13_consent(example(pupil=placement(consent=NO_CONSENT)), "p1", TODAY),
        "fail",
        "high",
        "Amir Example is not directed",
    )


def test_r13_unknown_when_it_is_unclear_whether_the_pupil_is_directed():
    data = example(pupil=placement(consent=NO_CONSENT, off_site_direction={"ends_on": "2026-12-18"}))
    assert_finding(r13_consent(data, "p1", TODAY), "unknown", "high", "Consent is needed unless")


# ---------------------------------------------------------------- R14 LA approval


def test_r14_approval_audited_within_a_year_passes_and_a_pru_needs_none():
    assert r14_la_approval(example(), "canal", TODAY) is None
    pru = example(provider={"kind": "pupil_referral_unit", "la_approved": None})
    assert r14_la_approval(pru, "canal", TODAY) is None


def test_r14_fails_without_approval_or_with_an_audit_over_a_year_old():
    none = example(provider={"la_approved": None})
    refused = example(provider={"la_approved": {"approved": False}})
    stale = example(provider={"la_approved": {"audited_on": "2025-11-22"}})
    assert_finding(r14_la_approval(none, "canal", TODAY), "fail", "high", "no record of local authority approval")
    assert_finding(r14_la_approval(refused, "canal", TODAY), "fail", "high", "not having")
    assert_finding(r14_la_approval(stale, "canal", TODAY), "fail", "high", "22 Nov 2025, more than a year ago")
    assert r14_la_approval(example(provider={"la_approved": {"audited_on": "2025-11-23"}}), "canal", TODAY) is None


def test_r14_unknown_when_approved_but_the_audit_date_is_missing():
    data = example(provider={"la_approved": {"audited_on": None}})
    assert_finding(r14_la_approval(data, "canal", TODAY), "unknown", "high", "Record the audit date")


# ---------------------------------------------------------------- R15 decision at the end date


def test_r15_a_placement_before_its_end_date_passes():
    assert r15_end_decision(example(), "p1", TODAY) is None


def test_r15_fails_past_the_end_date_with_no_decision():
    data = example(pupil=placement(target_end_date="2026-11-13"))
    assert_finding(r15_end_decision(data, "p1", TODAY), "fail", "high", "13 Nov 2026")


def test_r15_a_review_at_or_after_the_end_date_or_a_decision_to_end_passes():
    continued = example(pupil=placement(target_end_date="2026-10-16"))  # the review of 19 Oct came after it
    ending = example(
        pupil={
            "placement": {"target_end_date": "2026-11-13"},
            "reviews": [{"date": "2026-10-19", "decision": "reintegrate"}],
        }
    )
    assert r15_end_decision(continued, "p1", TODAY) is None
    assert r15_end_decision(ending, "p1", TODAY) is None


def test_r15_unknown_without_a_target_end_date():
    data = example(pupil=placement(target_end_date=None))
    assert_finding(r15_end_decision(data, "p1", TODAY), "unknown", "high", "no target end date")


# ---------------------------------------------------------------- R16 UPN


def with_upn(data: SchoolData, upn: str) -> SchoolData:
    """The school with p1's UPN replaced without validation, as a record made outside load_school might be."""
    record = data.pupils["p1"]
    changed = record.model_copy(update={"pupil": record.pupil.model_copy(update={"upn": upn})})
    return data.model_copy(update={"pupils": {"p1": changed}})


def test_r16_a_permanent_upn_with_the_right_check_letter_passes():
    assert r16_upn(example(), "p1", TODAY) is None


def test_r16_fails_a_wrong_check_letter():
    assert_finding(r16_upn(with_upn(example(), "A801200005001"), "p1", TODAY), "fail", "advisory", "wrong check letter")


def test_r16_unknown_for_a_temporary_upn():
    data = example(pupil={"pupil": {"upn": "A80120000501A"}})
    assert_finding(r16_upn(data, "p1", TODAY), "unknown", "advisory", "temporary UPN")


# ---------------------------------------------------------------- R17 governance


def test_r17_approval_by_a_named_board_on_a_date_passes():
    assert r17_governance(example(), "oak-lane", TODAY) is None


def test_r17_fails_with_no_record_of_approval():
    data = example(school={"governance": {"ap_use_approved_by": None, "approved_on": None}})
    assert_finding(r17_governance(data, "oak-lane", TODAY), "fail", "high", "Oak Lane School has no record")


def test_r17_unknown_when_the_date_or_the_board_is_missing():
    undated = example(school={"governance": {"approved_on": None}})
    unnamed = example(school={"governance": {"ap_use_approved_by": None}})
    assert_finding(r17_governance(undated, "oak-lane", TODAY), "unknown", "high", "but not when")
    assert_finding(r17_governance(unnamed, "oak-lane", TODAY), "unknown", "high", "by whom")


# ---------------------------------------------------------------- assess() and the rule table


def test_the_rule_table_lists_r1_to_r23_once_each_with_a_source_and_an_area():
    assert [rule.id for rule in RULES] == [f"R{n}" for n in range(1, 24)]
    assert all(rule.title and rule.source and rule.severities and rule.area for rule in RULES)


def test_assess_lists_findings_worst_first_each_naming_its_subject_and_source():
    data = example(
        provider=UNREGISTERED | {"assurance": {"received_on": None}},
        pupil=placement(hours_per_week=10, sessions=week("Mon Tue"), attendance_code=None),
        school={"governance": {"approved_on": None}},
    )
    findings = assess(data, TODAY)
    assert [(f.rule, f.severity, f.status) for f in findings] == [
        ("R2", "critical", "fail"),
        ("R7", "high", "fail"),
        ("R8", "high", "unknown"),
        ("R17", "high", "unknown"),
        ("R1", "advisory", "fail"),
        ("R21", "advisory", "fail"),
    ]
    by_rule = {f.rule: f for f in findings}
    assert (by_rule["R2"].subject, by_rule["R2"].subject_id, by_rule["R2"].subject_name) == (
        "provider",
        "canal",
        "Canal Street Centre",
    )
    assert (by_rule["R7"].subject, by_rule["R7"].subject_id, by_rule["R7"].subject_name) == (
        "pupil",
        "p1",
        "Amir Example",
    )
    assert (by_rule["R17"].subject, by_rule["R17"].subject_id) == ("school", "oak-lane")
    assert by_rule["R2"].source == rule_table().source(rule_table().rule("R2"))
    assert by_rule["R2"].source.startswith("Keeping children safe in education 2025 (Department for Education, 2025)")
    assert (by_rule["R2"].area, by_rule["R7"].area, by_rule["R17"].area) == (
        "safeguarding",
        "attendance_and_behaviour",
        "leadership_and_governance",
    )


def test_assess_orders_rule_numbers_as_numbers_and_then_pupils_by_name():
    data = example(
        pupil={"pupil": {"legal_forename": "Zak"}}
        | placement(consent=NO_CONSENT, safeguarding={"dsl_contact_shared": None}),
        more_pupils={"p2": {"pupil": {"legal_forename": "Bea"}} | placement(consent=NO_CONSENT)},
    )
    assert [(f.rule, f.subject_name) for f in assess(data, TODAY)] == [
        ("R13", "Bea Example"),
        ("R13", "Zak Example"),
        ("R10", "Zak Example"),
    ]


# ---------------------------------------------------------------- the demo school


def test_the_demo_school_shows_exactly_the_gaps_its_gaps_page_lists():
    findings = assess(load_school(DEMO), date(2026, 11, 23))
    found = [(f.rule, f.subject, f.subject_id, f.severity, f.status) for f in findings]
    assert len(found) == len(set(found))  # one finding per rule and subject
    assert set(found) == demo_gaps()
