"""The rules about attendance, off-site directions and telling others (R6-R8, R18, R19, R22).

Each is ``check(data, pupil_id, today) -> Finding | None``; ``None`` means the rule is met. School days
(R19) are counted on the school's own term dates (school.yaml ``pack.term_dates``), or the English default.
"""

from __future__ import annotations

from datetime import date, timedelta

from packgen.readiness.findings import Finding, Pupil, absent
from packgen.readiness.findings import and_ as _and
from packgen.readiness.findings import arranged as _arranged
from packgen.readiness.findings import contradiction as _contradiction
from packgen.readiness.findings import day as _day
from packgen.readiness.findings import days_of as _days
from packgen.readiness.findings import direction_contradicts as _direction_contradicts
from packgen.readiness.findings import hours as _hours
from packgen.records.calendar import Calendar
from packgen.records.school_data import SchoolData

FULL_TIME_HOURS = 18  # the hours a week below which a placement is recorded as part time
NOTICE_SCHOOL_DAYS = 2  # SI 2010/1156 reg 3: notice at least two school days before the first day
# Providers where a pupil can be registered as well, so dual registration (code D) is possible.
SCHOOL_KINDS = ("registered_ap", "pupil_referral_unit", "independent_school")


def r6_off_site_direction(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A direction off site has an end date within the longest period the school allows, and the local
    authority that maintains the pupil's EHC plan has been told."""
    pupil = Pupil(data, pupil_id)
    direction = pupil.placement.off_site_direction
    if not direction.directed:
        if _direction_contradicts(pupil.record):
            return pupil.unknown("R6", _contradiction(pupil.name))
        return None
    missing = absent(
        ("the date it ends", direction.ends_on),
        (
            "when the local authority that maintains the EHC plan was told",
            direction.la_notified_on or not pupil.record.pupil.flags.ehcp,
        ),
    )
    if missing:
        return pupil.fail(
            "R6",
            f"{pupil.name} is directed off site, but the record does not give {_and(missing)}. A direction must "
            "be time-limited, and the local authority that maintains a pupil's EHC plan must be given notice of "
            "it: put this right and record the dates.",
        )
    limit = data.school.readiness.direction_max_weeks
    starts, ends = pupil.placement.start_date, direction.ends_on
    if limit and ends is not None and ends > starts + timedelta(weeks=limit, days=-1):
        weeks = -(-((ends - starts).days + 1) // 7)
        return pupil.fail(
            "R6",
            f"{pupil.name} is directed off site from {_day(starts)} to {_day(ends)}, about {weeks} weeks: "
            f"longer than the {limit} weeks the school allows (set in School settings). Review the direction "
            "and end it sooner, or record the decision to extend it.",
            record_key="readiness.direction_max_weeks in school.yaml",
        )
    return None


def r7_part_time_plan(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A part-time timetable (under 18 hours a week, or sessions marked C2) has a current, time-limited
    plan with a review date."""
    pupil = Pupil(data, pupil_id)
    placement = pupil.placement
    hours = placement.hours_per_week
    if placement.sessions:
        timetabled = sum(s.hours for s in placement.sessions)
        if (timetabled < FULL_TIME_HOURS) != placement.part_time:
            return pupil.unknown(
                "R7",
                f"{pupil.name}: the placement is recorded as {_hours(hours)} a week but the sessions add up to "
                f"{_hours(timetabled)}, so it is not known whether it is part time. Correct one of them.",
            )
    marked_c2 = placement.sessions_not_at_provider == "C2"
    if not placement.part_time and not marked_c2:
        return None
    plan = placement.part_time_plan
    undated = plan and absent(("review date", plan.review_on), ("end date", plan.ends_on))
    if plan is None:
        problem = "there is no part-time plan"
    elif undated:
        problem = f"the part-time plan has no {_and(undated)}"
    elif plan.ends_on is not None and plan.ends_on < today:
        problem = f"the part-time plan ended on {_day(plan.ends_on)}"
    else:
        return None
    why = f"is on {_hours(hours)} a week (part time)" if placement.part_time else "is on a part-time timetable"
    code = (
        (
            " The sessions away from the provider are marked C2, which the 2024 regulations allow only for a "
            "temporary part-time timetable agreed with a parent."
        )
        if marked_c2
        else ""
    )
    return pupil.fail(
        "R7",
        f"{pupil.name} {why} and {problem}.{code} Agree a time-limited plan with a review date that moves towards "
        "full-time education, and record it.",
    )


def r8_attendance_code(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """The register code fits the placement (2024 regulations): K for provision the local authority
    arranged, B for a supervised approved educational activity, D for dual registration at another school;
    online provision is B only when supervised; C2 only with a part-time timetable."""
    pupil = Pupil(data, pupil_id)
    placement, provider, name = pupil.placement, pupil.provider, pupil.name
    code = placement.attendance_code
    expected = "K" if placement.arranged_by == "local_authority" else "B"
    right = f"{expected}{' (or D if dual registered there)' if provider.kind in SCHOOL_KINDS else ''}"
    if code is None:
        return pupil.unknown(
            "R8",
            f"{name}: the attendance code used for sessions at {provider.name} is not recorded. "
            f"Record it (it should be {right}).",
            record_key="placement.attendance_code",
        )
    fits = code == expected or (code == "D" and provider.kind in SCHOOL_KINDS)
    if not fits:
        return pupil.fail(
            "R8",
            f"{name}: sessions at {provider.name} are marked '{code}', which does not fit a placement "
            f"arranged by the {_arranged(placement.arranged_by)}. Use {right}, and correct past marks.",
            record_key="placement.attendance_code",
        )
    if code == "B" and provider.kind == "online" and not placement.supervised_by:
        return pupil.unknown(
            "R8",
            f"{name}: online sessions with {provider.name} are marked B, which is right only if someone the "
            "school has approved supervises them. Record who does; if nobody does, B cannot be used.",
            record_key="placement.supervised_by",
        )
    if placement.sessions_not_at_provider == "C2" and not placement.part_time:
        return pupil.unknown(
            "R8",
            f"{name}: sessions away from {provider.name} are marked C2 (part-time timetable), but the placement "
            f"is recorded as full time ({_hours(placement.hours_per_week)} a week). Correct the hours or the code.",
        )
    return None


def r18_la_told(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """The local authority has been told of a placement the school or its partnership commissioned."""
    pupil = Pupil(data, pupil_id)
    placement = pupil.placement
    if placement.arranged_by == "local_authority":
        return None
    if placement.la_notified_on or placement.off_site_direction.la_notified_on:
        return None
    return pupil.fail(
        "R18",
        f"{pupil.name}: there is no record that the local authority ({data.school.school.la}) was told of this "
        f"placement at {pupil.provider.name}, commissioned by the {_arranged(placement.arranged_by)}. Write to "
        "tell it of the placement, and record the date the letter was sent.",
        record_key="placement.la_notified_on",
        command="packgen la-letter",
    )


def r19_direction_notice(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """Written notice of a direction reached parents at least two school days before it began, and said
    what the regulations ask: address, who to report to, days and times, reasons and objectives."""
    pupil = Pupil(data, pupil_id)
    placement = pupil.placement
    direction = placement.off_site_direction
    if not direction.directed:
        return None
    name = pupil.name
    notice, starts = direction.notice_given_on, placement.start_date
    if notice is None:
        return pupil.fail(
            "R19",
            f"{name} is directed off site, and there is no record of the written notice to parents. Give it at "
            f"least {NOTICE_SCHOOL_DAYS} school days before the placement starts, and record the date it was given.",
            record_key="placement.off_site_direction.notice_given_on",
            command="packgen notice",
        )
    calendar = Calendar.for_school(data.school.pack.term_dates, min(notice, starts), max(notice, starts))
    school_days, complete = calendar.school_days(notice, starts)
    if school_days < NOTICE_SCHOOL_DAYS and not complete:
        return pupil.term_dates_short(
            "R19",
            f"do not cover {_day(notice)} to {_day(starts)}",
            "whether the notice to parents came two school days before the placement",
        )
    if school_days < NOTICE_SCHOOL_DAYS:
        counted = f"{school_days} school day{'s' if school_days != 1 else ''}"
        return pupil.fail(
            "R19",
            f"{name}: the notice of the direction was given to parents on {_day(notice)}, {counted} before the "
            f"placement began on {_day(starts)}; the regulations ask for at least {NOTICE_SCHOOL_DAYS}. For the "
            "next direction give notice earlier; for this one, record why it could not wait.",
        )
    missing = absent(
        ("who the pupil reports to on the first day", direction.report_to),
        ("the days and times", placement.sessions),
        ("the reasons", direction.reasons),
        ("the objectives", direction.objectives),
    )
    if missing:
        return pupil.fail(
            "R19",
            f"{name}: the record of the notice to parents does not give {_and(missing)}. The notice must say "
            "them: record them, and send parents a corrected notice if theirs left them out.",
        )
    return None


def r22_unregistered_limits(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """Optional: the DfE's proposed limits on unregistered provision (12 weeks full time, or two days a week
    part time), for schools that choose to follow them before they become law."""
    settings = data.school.readiness
    pupil = Pupil(data, pupil_id)
    placement, provider, name = pupil.placement, pupil.provider, pupil.name
    if not settings.unregistered_limits or provider.registration.status == "registered":
        return None
    proposed = (
        "The DfE has proposed this limit for unregistered provision (it is not yet law); the school has "
        "chosen to check it."
    )
    if placement.hours_per_week >= settings.full_time_hours:
        ends = placement.target_end_date
        if ends is None:
            return pupil.unknown(
                "R22",
                f"{name} is full time at {provider.name}, which is unregistered, and the placement has no target "
                f"end date, so it is not known whether it stays within 12 weeks. {proposed}",
            )
        if ends > placement.start_date + timedelta(weeks=12, days=-1):
            return pupil.fail(
                "R22",
                f"{name} is full time at {provider.name}, which is unregistered, from {_day(placement.start_date)} "
                f"to {_day(ends)}: longer than 12 weeks. {proposed}",
            )
        return None
    days = _days(pupil.record)
    if len(days) > 2:
        return pupil.fail(
            "R22",
            f"{name} is at {provider.name}, which is unregistered, {len(days)} days a week: more than two days "
            f"a week part time. {proposed}",
        )
    return None
