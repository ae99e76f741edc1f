"""The rules about a pupil's plan and how it is followed: the plan itself, reviews, visits, the decision at
its end and the way back (R3-R5, R15, R20).

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

from packgen.readiness.findings import Finding, Pupil, absent
from packgen.readiness.findings import and_ as _and
from packgen.readiness.findings import arranged as _arranged
from packgen.readiness.findings import day as _day
from packgen.records.calendar import Calendar, period_at
from packgen.records.school_data import SchoolData

HALF_TERM = timedelta(weeks=7)
VISIT_GRACE = timedelta(weeks=2)


def r3_written_plan(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A written plan: its purpose, a baseline to measure against, targets and a target end date."""
    pupil = Pupil(data, pupil_id)
    placement = pupil.placement
    baseline = placement.baseline
    missing = absent(
        ("purpose", placement.purpose),
        ("baseline", baseline.attendance_percent is not None or baseline.notes),
        ("targets", placement.targets),
        ("target end date", placement.target_end_date),
    )
    if not missing:
        return None
    return pupil.fail(
        "R3",
        f"{pupil.name}: the education plan has no {_and(missing)}. Agree and record "
        f"{'them' if len(missing) > 1 else 'it'} with the provider, the pupil and parents.",
    )


def r4_reviews(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """A review within every half term of term time since the last one (or the start)."""
    pupil = Pupil(data, pupil_id)
    placement = pupil.placement
    if placement.start_date > today:
        return None
    last = max((r for r in pupil.record.reviews if r.date <= today), key=lambda r: r.date, default=None)
    if last:
        anchor, since, planned = last.date, f"last review on {_day(last.date)}", last.next_review
    else:
        plan = placement.part_time_plan
        anchor, since = placement.start_date, f"placement started on {_day(placement.start_date)}"
        planned = plan.review_on if plan else None
    if planned is not None and planned < today:
        return pupil.fail(
            "R4",
            f"{pupil.name}: the review planned for {_day(planned)} is not recorded ({since}). "
            "Hold the review, or record its minutes if it took place.",
        )
    calendar = Calendar.for_school(data.school.pack.term_dates, anchor, today)
    term_days, complete = calendar.term_days(anchor, today)
    if term_days > HALF_TERM.days:
        return pupil.fail(
            "R4",
            f"{pupil.name} has had no review for more than a half term since the {since}. Hold a review with the "
            "provider, the pupil and parents, and record it.",
        )
    if not complete:
        return pupil.term_dates_short(
            "R4",
            f"do not cover {_day(anchor)} to {_day(today)}",
            f"whether a half term has passed since the {since}",
        )
    return None


def r5_visits(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """Staff from school have visited the pupil this half term (school-arranged) or this term (others)."""
    pupil = Pupil(data, pupil_id)
    placement = pupil.placement
    if placement.start_date > today - VISIT_GRACE:
        return None
    termly = placement.arranged_by != "school"
    calendar = Calendar.for_school(data.school.pack.term_dates, today, today)
    periods = calendar.terms() if termly else calendar.half_terms
    index = period_at(periods, today)
    if index is not None and today < periods[index].starts + VISIT_GRACE:
        index = index - 1 if index > 0 else None
    if index is None:
        return pupil.term_dates_short(
            "R5",
            f"do not say which {'term' if termly else 'half term'} {_day(today)} is in",
            "whether a visit is due",
        )
    period = periods[index]
    since = max(period.starts, placement.start_date)
    if any(since <= visit.date <= today for visit in pupil.record.visits):
        return None
    every = f"term (the {_arranged(placement.arranged_by)} arranged this placement)" if termly else "half term"
    began = (
        f"{period.name} began on {_day(period.starts)}"
        if since == period.starts
        else f"the placement started on {_day(since)}"
    )
    return pupil.fail(
        "R5",
        f"No visit to {pupil.name} is recorded since {began}. Staff from school should visit at least once a "
        f"{every}: visit, and record what was seen.",
    )


def r15_end_decision(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """Once the target end date has passed, a review has decided what happens next."""
    pupil = Pupil(data, pupil_id)
    placement = pupil.placement
    end = placement.target_end_date
    if placement.start_date > today:
        return None
    if end is None:
        return pupil.unknown(
            "R15",
            f"{pupil.name}: the placement has no target end date, so it is not known whether it has run past it. "
            "Set one and review the placement against it.",
        )
    if end >= today:
        return None
    reviews = [r for r in pupil.record.reviews if r.date <= today]
    if any(r.decision in ("end", "reintegrate") or r.date >= end for r in reviews):
        return None
    return pupil.fail(
        "R15",
        f"{pupil.name}: the placement passed its target end date ({_day(end)}) with no decision recorded. Review "
        "it and record whether it ends, continues to a new end date, or the pupil returns to school.",
    )


def r20_reintegration(data: SchoolData, pupil_id: str, today: date) -> Finding | None:
    """The personalised plan says how the placement ends (back to school, or the next step after Year 11),
    with dated steps towards it."""
    pupil = Pupil(data, pupil_id)
    missing = absent(
        ("reintegration plan (how the placement ends)", pupil.placement.reintegration),
        ("timeline (dated steps towards it)", pupil.placement.reintegration_timeline),
    )
    if not missing:
        return None
    return pupil.fail(
        "R20",
        f"{pupil.name}: the personalised plan has no {_and(missing)}. Agree with the provider, the pupil and "
        "parents how and when the pupil returns to school full time (or moves on after Year 11), and record the "
        "steps with their dates.",
    )
