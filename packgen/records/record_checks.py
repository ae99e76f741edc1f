"""Checks within one record that its model alone cannot make: dates and times the right way round,
a year group that fits the date of birth, weekly hours that match the sessions, progress against
targets that exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from packgen.errors import Problem
from packgen.records.explain import quoted
from packgen.records.provider_file import Provider
from packgen.records.pupil_file import PupilFile
from packgen.records.school_file import SchoolFile
from packgen.records.yaml_tree import key_text

if TYPE_CHECKING:
    from packgen.records.record_file import LoadedRecord


def each_valid(items: list | None) -> list[tuple[int, Any]]:
    """The position and value of each list item known to be valid (see LoadedRecord.view)."""
    return [(i, item) for i, item in enumerate(items or []) if item is not None]


def _in_order(
    record: LoadedRecord,
    earlier: tuple[tuple, Any],
    later: tuple[tuple, Any],
    *,
    strictly: bool = False,
    blame_later: bool = True,
) -> Iterator[Problem]:
    """A problem when two dates (or times) come the wrong way round; ``strictly`` forbids them being equal."""
    (first_path, first), (second_path, second) = earlier, later
    if first is None or second is None or second > first or (second == first and not strictly):
        return
    if blame_later:
        words = "is on or before" if second == first else "is before"
        yield record.problem(second_path, f"{quoted(second)} {words} {key_text(first_path)} ({first})")
    else:
        words = "is on or after" if second == first else "is after"
        yield record.problem(first_path, f"{quoted(first)} {words} {key_text(second_path)} ({second})")


def _school_checks(record: LoadedRecord) -> Iterator[Problem]:
    pack = record.view.pack
    for i, term in each_valid(pack and pack.term_dates):
        yield from _in_order(
            record, (("pack", "term_dates", i, "starts"), term.starts), (("pack", "term_dates", i, "ends"), term.ends)
        )


def _provider_checks(record: LoadedRecord) -> Iterator[Problem]:
    if assurance := record.view.assurance:
        yield from _in_order(
            record,
            (("assurance", "requested_on"), assurance.requested_on),
            (("assurance", "received_on"), assurance.received_on),
        )


def _pupil_checks(record: LoadedRecord) -> Iterator[Problem]:
    pupil, placement = record.view.pupil, record.view.placement
    if pupil and placement:
        yield from _in_order(
            record,
            (("pupil", "dob"), pupil.dob),
            (("placement", "start_date"), placement.start_date),
            strictly=True,
            blame_later=False,
        )
    if (
        pupil
        and placement
        and None not in (pupil.dob, pupil.year_group, placement.start_date)
        and pupil.dob < placement.start_date
    ):  # a birth after the start is reported already
        yield from _year_group_check(record, pupil.dob, pupil.year_group, placement.start_date)
    if placement:
        yield from _placement_checks(record, placement)
    for i, review in each_valid(record.view.reviews):
        yield from _in_order(
            record,
            (("reviews", i, "date"), review.date),
            (("reviews", i, "next_review"), review.next_review),
            strictly=True,
        )
    for i, period in each_valid(record.view.attendance):
        yield from _in_order(record, (("attendance", i, "from"), period.start), (("attendance", i, "to"), period.end))
        if (
            None not in (period.attended_sessions, period.possible_sessions)
            and period.attended_sessions > period.possible_sessions
        ):
            possible = key_text(("attendance", i, "possible_sessions"))
            yield record.problem(
                ("attendance", i, "attended_sessions"),
                f"{quoted(period.attended_sessions)} is more than {possible} ({period.possible_sessions})",
            )
    if placement and placement.targets is not None:
        count = len(placement.targets)
        have = f"placement.targets has {count}: number them 1 to {count}" if count else "placement.targets is empty"
        for section in ("reviews", "visits"):
            for i, entry in each_valid(getattr(record.view, section)):
                for j, progress in each_valid(entry.progress):
                    if progress.target is not None and progress.target > count:
                        yield record.problem(
                            (section, i, "progress", j, "target"),
                            f"{quoted(progress.target)} is not a target number ({have})",
                        )


def _year_group_check(record: LoadedRecord, dob: date, year_group: int, start: date) -> Iterator[Problem]:
    """A year group more than one away from the date of birth is almost surely a typing mistake. English
    year groups run September to August: Year N is the year a child turns N + 5 by 31 August."""
    school_year = start.year if start.month >= 9 else start.year - 1
    born_year = dob.year if dob.month >= 9 else dob.year - 1
    expected = school_year - born_year - 5
    if abs(year_group - expected) > 1:
        yield record.problem(
            ("pupil", "year_group"),
            f"'{year_group}' does not fit the date of birth "
            f"({dob.isoformat()}): a pupil born then is in Year {expected} when the placement starts",
        )


def _placement_checks(record: LoadedRecord, placement: Any) -> Iterator[Problem]:
    at = ("placement",)
    yield from _in_order(
        record, (at + ("start_date",), placement.start_date), (at + ("target_end_date",), placement.target_end_date)
    )
    yield from _in_order(
        record,
        (at + ("agreed_at_meeting",), placement.agreed_at_meeting),
        (at + ("start_date",), placement.start_date),
        blame_later=False,
    )
    if ended := placement.ended:
        yield from _in_order(
            record, (at + ("start_date",), placement.start_date), (at + ("ended", "ended_on"), ended.ended_on)
        )
    if direction := placement.off_site_direction:
        yield from _in_order(
            record,
            (at + ("off_site_direction", "directed_on"), direction.directed_on),
            (at + ("off_site_direction", "ends_on"), direction.ends_on),
        )
    if plan := placement.part_time_plan:
        yield from _in_order(
            record,
            (at + ("part_time_plan", "review_on"), plan.review_on),
            (at + ("part_time_plan", "ends_on"), plan.ends_on),
        )
    sessions = each_valid(placement.sessions)
    wrong_way = [
        problem
        for i, session in sessions
        for problem in _in_order(
            record,
            (at + ("sessions", i, "from"), session.start),
            (at + ("sessions", i, "to"), session.end),
            strictly=True,
        )
    ]
    yield from wrong_way
    known = (
        sessions
        and len(sessions) == len(placement.sessions)
        and not wrong_way
        and placement.hours_per_week is not None
        and all(s.start and s.end for _, s in sessions)
    )
    if known:
        total = sum(session.hours for _, session in sessions)
        if abs(total - placement.hours_per_week) > 0.5:
            yield record.problem(
                at + ("hours_per_week",),
                f"{quoted(f'{placement.hours_per_week:g}')} does not "
                f"match the sessions, which add up to {total:.4g} hours a week",
            )


CHECKS = {SchoolFile: _school_checks, Provider: _provider_checks, PupilFile: _pupil_checks}
