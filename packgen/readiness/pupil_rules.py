"""The rules about each pupil's plan, reviews, visits and safeguarding (R3-R5, R9-R13, R15, R16, R20).

Each is ``check(data, pupil_id, today) -> Finding | None``; ``None`` means the rule is met.

Time
  Dates are judged against ``today``; reviews and visits dated after it are ignored, and a placement that has
  not started yet is not judged on reviews, visits or its end date. Half terms come from school.yaml
  ``pack.term_dates`` or, without them, the English default in ``packgen.records.calendar``.
  R4: a review is overdue when more than a half term of term time (7 weeks, holidays not counted) has passed
      since the last review (or the start), or when the date the last review (or the part-time plan) set for
      the next one has passed.
  R5: the period is the half term (school-arranged) or the term (partnership or local authority arranged) that
      today is in, or the one just ended during a holiday. For the first two weeks of a period a visit in
      the previous one still counts, so a new half term does not make every pupil overdue on its first day;
      a placement under two weeks old is not yet due a visit.
"""

from __future__ import annotations

from datetime import date, timedelta

from packgen.readiness.findings import Finding
from packgen.readiness.findings import and_ as _and
from packgen.readiness.findings import arranged as _arranged
from packgen.readiness.findings import contradiction as _contradiction
from packgen.readiness.findings import day as _day
from packgen.readiness.findings import direction_contradicts as _direction_contradicts
from packgen.readiness.findings import pupil_finding as _finding
from packgen.records.calendar import Calendar, period_at
from packgen.records.models import SchoolData, display_name
from packgen.records.upn import upn_problem

HALF_TERM = timedelta(weeks=7)
VISIT_GRACE = timedelta(weeks=2)


def r3_written_plan(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A written plan: its purpose, a baseline to measure against, targets and a target end date."""
    record = data.pupils[pupil_id]
    placement = record.placement
    baseline = placement.baseline
    missing = [
        part
        for part, present in (
            ("purpose", placement.purpose),
            ("baseline", baseline.attendance_percent is not None or baseline.notes),
            ("targets", placement.targets),
            ("target end date", placement.target_end_date),
        )
        if not present
    ]
    if not missing:
        return None
    return _finding(
        "R3",
        data,
        pupil_id,
        "fail",
        (
            f"{display_name(record)}: the education plan has no {_and(missing)}. Agree and record "
            f"{'them' if len(missing) > 1 else 'it'} with the provider, the pupil and parents."
        ),
    )


def r4_reviews(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A review within every half term of term time since the last one (or the start)."""
    record = data.pupils[pupil_id]
    placement = record.placement
    if placement.start_date > today:
        return None
    name = display_name(record)
    last = max((r for r in record.reviews if r.date <= today), key=lambda r: r.date, default=None)
    if last:
        anchor, since, planned = last.date, f"last review on {_day(last.date)}", last.next_review
    else:
        plan = placement.part_time_plan
        anchor, since = placement.start_date, f"placement started on {_day(placement.start_date)}"
        planned = plan.review_on if plan else None
    if planned is not None and planned < today:
        return _finding(
            "R4",
            data,
            pupil_id,
            "fail",
            (
                f"{name}: the review planned for {_day(planned)} is not recorded ({since}). "
                "Hold the review, or record its minutes if it took place."
            ),
        )
    calendar = Calendar.for_school(data.school.pack.term_dates, anchor, today)
    term_days, complete = calendar.term_days(anchor, today)
    if term_days > HALF_TERM.days:
        return _finding(
            "R4",
            data,
            pupil_id,
            "fail",
            (
                f"{name} has had no review for more than a half term since the {since}. Hold a review with the "
                "provider, the pupil and parents, and record it."
            ),
        )
    if not complete:
        return _finding(
            "R4",
            data,
            pupil_id,
            "unknown",
            (
                f"{name}: the term dates in school.yaml do not cover {_day(anchor)} to {_day(today)}, so it is not "
                f"known whether a half term has passed since the {since}. Add the missing half terms."
            ),
        )
    return None


def r5_visits(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """Staff from school have visited the pupil this half term (school-arranged) or this term (others)."""
    record = data.pupils[pupil_id]
    placement = record.placement
    if placement.start_date > today - VISIT_GRACE:
        return None
    name = display_name(record)
    termly = placement.arranged_by != "school"
    calendar = Calendar.for_school(data.school.pack.term_dates, today, today)
    periods = calendar.terms() if termly else calendar.half_terms
    index = period_at(periods, today)
    if index is not None and today < periods[index].starts + VISIT_GRACE:
        index = index - 1 if index > 0 else None
    if index is None:
        return _finding(
            "R5",
            data,
            pupil_id,
            "unknown",
            (
                f"{name}: the term dates in school.yaml do not say which {'term' if termly else 'half term'} "
                f"{_day(today)} is in, so it is not known whether a visit is due. Add the missing half terms."
            ),
        )
    period = periods[index]
    since = max(period.starts, placement.start_date)
    if any(since <= visit.date <= today for visit in record.visits):
        return None
    every = f"term (the {_arranged(placement.arranged_by)} arranged this placement)" if termly else "half term"
    began = (
        f"{period.name} began on {_day(period.starts)}"
        if since == period.starts
        else f"the placement started on {_day(since)}"
    )
    return _finding(
        "R5",
        data,
        pupil_id,
        "fail",
        (
            f"No visit to {name} is recorded since {began}. Staff from school should visit at least once a "
            f"{every}: visit, and record what was seen."
        ),
    )


def r9_absence_and_emergency(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """An agreed absence arrangement (who contacts whom) and the pupil's emergency contacts sent."""
    record = data.pupils[pupil_id]
    placement = record.placement
    provider = data.provider_of(pupil_id)
    checklist = provider.pre_admission
    name = display_name(record)
    arranged = placement.safeguarding.absence_arrangement or (checklist and checklist.absence_arrangement)
    sent = placement.safeguarding.emergency_details_sent_on is not None
    missing = [] if arranged else ["no agreed arrangement for absence (who contacts whom, by when)"]
    if not sent and not (checklist and checklist.emergency_contacts_sent):
        missing.append(f"no record that {provider.name} has been sent the pupil's emergency contacts")
    if missing:
        return _finding(
            "R9", data, pupil_id, "fail", (f"{name}: {_and(missing)}. Agree it with {provider.name} and record it.")
        )
    if not sent:
        return _finding(
            "R9",
            data,
            pupil_id,
            "unknown",
            (
                f"{name}: {provider.name}'s pre-admission checklist says emergency contacts were sent, but not "
                "when this pupil's were. Record the date they were sent."
            ),
        )
    return None


def r10_dsl_contacts(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """Each side can reach the other's designated safeguarding lead."""
    record = data.pupils[pupil_id]
    provider = data.provider_of(pupil_id)
    shared = record.placement.safeguarding.dsl_contact_shared
    name = display_name(record)
    problems = []
    if provider.contacts.dsl is None:
        problems.append(f"{provider.name} has no designated safeguarding lead recorded")
    if shared is False:
        problems.append(f"our DSL's contact details have not been given to {provider.name}")
    if problems:
        return _finding(
            "R10",
            data,
            pupil_id,
            "fail",
            (
                f"{name}: {_and(problems)}. Exchange DSL names and numbers so a concern reaches the right "
                "person the same day."
            ),
        )
    if shared is None:
        return _finding(
            "R10",
            data,
            pupil_id,
            "unknown",
            (f"{name}: it is not recorded whether {provider.name} has our DSL's contact details. Check and record it."),
        )
    return None


def r11_agencies(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A looked-after, EHCP, CP or CIN pupil's placement involves the agency responsible for them (named
    as a key adult); a CP pupil's part-time timetable follows a core group meeting."""
    record = data.pupils[pupil_id]
    pupil, placement = record.pupil, record.placement
    flags, adults = pupil.flags, pupil.key_adults
    missing = []
    if flags.lac and not adults.virtual_school_rep:
        missing.append(f"the virtual school{f' ({flags.lac_la})' if flags.lac_la else ''} for a looked-after child")
    if flags.ehcp and not adults.sen_keyworker:
        missing.append("the SEN caseworker for a pupil with an EHCP")
    if (flags.cp or flags.cin) and not adults.social_worker:
        missing.append(f"the social worker for a pupil on a {'child protection' if flags.cp else 'child in need'} plan")
    plan = placement.part_time_plan
    if flags.cp and placement.part_time and not (plan and plan.core_group_on):
        missing.append("a core group meeting before the part-time timetable began")
    if not missing:
        return None
    return _finding(
        "R11",
        data,
        pupil_id,
        "fail",
        (
            f"{display_name(record)}: the placement has no record of {_and(missing)}. Consult them now, and record "
            "who was involved and when."
        ),
    )


def r12_agreement(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A commissioning agreement signed by the provider (or partnership) and the school."""
    record = data.pupils[pupil_id]
    agreement = record.placement.agreement
    name = display_name(record)
    unsigned = [
        side
        for side, by in (("the provider", agreement.signed_by_provider), ("the school", agreement.signed_by_school))
        if not by
    ]
    if agreement.signed_on is None and len(unsigned) == 2:
        return _finding(
            "R12",
            data,
            pupil_id,
            "fail",
            (
                f"{name} has no signed commissioning agreement. Agree it with "
                f"{data.provider_of(pupil_id).name}, have both sides sign it, and record the date."
            ),
        )
    if agreement.signed_on is None:
        return _finding(
            "R12",
            data,
            pupil_id,
            "unknown",
            (f"{name}: the commissioning agreement names who signed but not when. Record the date it was signed."),
        )
    if unsigned:
        return _finding(
            "R12",
            data,
            pupil_id,
            "unknown",
            (
                f"{name}: the commissioning agreement is dated {_day(agreement.signed_on)}, but who signed for "
                f"{_and(unsigned)} is not recorded. Check the signed copy and record it."
            ),
        )
    return None


def r13_consent(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A parent's or carer's consent, unless the school has directed the pupil off site."""
    record = data.pupils[pupil_id]
    placement = record.placement
    if placement.off_site_direction.directed or placement.consent.parent_signed_on is not None:
        return None
    name = display_name(record)
    if _direction_contradicts(record):
        return _finding(
            "R13",
            data,
            pupil_id,
            "unknown",
            _contradiction(name) + (" Consent is needed unless the pupil is directed."),
        )
    return _finding(
        "R13",
        data,
        pupil_id,
        "fail",
        (
            f"{name} is not directed off site, and there is no record of a parent or carer's consent. Ask them "
            "to sign the consent form, and record the date."
        ),
    )


def r15_end_decision(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """Once the target end date has passed, a review has decided what happens next."""
    record = data.pupils[pupil_id]
    placement = record.placement
    name = display_name(record)
    end = placement.target_end_date
    if placement.start_date > today:
        return None
    if end is None:
        return _finding(
            "R15",
            data,
            pupil_id,
            "unknown",
            (
                f"{name}: the placement has no target end date, so it is not known whether it has run past it. "
                "Set one and review the placement against it."
            ),
        )
    if end >= today:
        return None
    reviews = [r for r in record.reviews if r.date <= today]
    if any(r.decision in ("end", "reintegrate") or r.date >= end for r in reviews):
        return None
    return _finding(
        "R15",
        data,
        pupil_id,
        "fail",
        (
            f"{name}: the placement passed its target end date ({_day(end)}) with no decision recorded. Review it and "
            "record whether it ends, continues to a new end date, or the pupil returns to school."
        ),
    )


def r16_upn(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """The UPN's check letter is right, and the UPN is the permanent one.

    ``load_school`` already refuses a UPN with a wrong check letter, so the fail case guards records made
    another way; a temporary UPN is valid but means the permanent one is not recorded.
    """
    record = data.pupils[pupil_id]
    upn = record.pupil.upn
    name = display_name(record)
    problem = upn_problem(upn)
    if problem:
        return _finding("R16", data, pupil_id, "fail", f"{name}: the UPN {problem}. Correct it from the school's MIS.")
    if upn[-1].isalpha():
        return _finding(
            "R16",
            data,
            pupil_id,
            "unknown",
            (f"{name} has a temporary UPN ({upn}). Replace it with the permanent UPN once it is known."),
        )
    return None


def r20_reintegration(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """The personalised plan says how the placement ends (back to school, or the next step after Year 11),
    with dated steps towards it."""
    record = data.pupils[pupil_id]
    placement = record.placement
    missing = [
        part
        for part, present in (
            ("reintegration plan (how the placement ends)", placement.reintegration),
            ("timeline (dated steps towards it)", placement.reintegration_timeline),
        )
        if not present
    ]
    if not missing:
        return None
    return _finding(
        "R20",
        data,
        pupil_id,
        "fail",
        (
            f"{display_name(record)}: the personalised plan has no {_and(missing)}. Agree with the provider, the "
            "pupil and parents how and when the pupil returns to school full time (or moves on after Year 11), "
            "and record the steps with their dates."
        ),
    )
