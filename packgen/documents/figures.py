"""Figures worked out from the records for documents to show: attendance against the baseline, each
target's latest rating, a provider's Appendix 4 reply counted, and when each area was last evaluated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from packgen.records.provider_file import Provider
from packgen.records.pupil_file import PupilFile


@dataclass(frozen=True)
class AssuranceStatus:
    """A provider's Appendix 4 reply, counted, for the lines that sum it up."""

    requested_on: date | None
    received_on: date | None
    checks: int  # staff checks the letter asks about
    confirmed: int
    not_applicable: int
    not_confirmed: int  # answered no, or left blank
    practice: int  # training and policy questions
    practice_confirmed: int
    staff_named: int
    evidence: bool  # a scan of the reply is filed and goes into the pack


@dataclass(frozen=True)
class AttendanceSummary:
    baseline: float | None  # before the placement
    overall: float | None  # every recorded period together
    latest: float | None  # the most recent period with possible sessions
    latest_from: date | None
    latest_to: date | None


@dataclass(frozen=True)
class TargetStatus:
    """A target with its most recent rating from any review or visit."""

    number: int
    text: str
    rating: str | None
    rated_on: date | None


@dataclass(frozen=True)
class Evaluated:
    """When the school last evaluated each area at a provider (Appendices 1 to 3); None if never."""

    quality_of_education: date | None
    progress: date | None
    personal_development: date | None


def attendance_percent(record: PupilFile) -> float | None:
    """Attendance across every recorded period; None when nothing is recorded (never 0 by default)."""
    possible = sum(a.possible_sessions for a in record.attendance)
    attended = sum(a.attended_sessions for a in record.attendance)
    return 100 * attended / possible if possible else None


def assurance_status(provider: Provider) -> AssuranceStatus:
    assurance = provider.assurance
    checks = [getattr(assurance.checks, name) for name in type(assurance.checks).model_fields]
    practice = [getattr(assurance.practice, name) for name in type(assurance.practice).model_fields]
    return AssuranceStatus(
        requested_on=assurance.requested_on,
        received_on=assurance.received_on,
        checks=len(checks),
        confirmed=checks.count(True),
        not_applicable=checks.count("not_applicable"),
        not_confirmed=sum(value is not True and value != "not_applicable" for value in checks),
        practice=len(practice),
        practice_confirmed=practice.count(True),
        staff_named=len(assurance.staff_named),
        evidence=assurance.evidence is not None,
    )


def attendance_summary(record: PupilFile) -> AttendanceSummary:
    latest = max((a for a in record.attendance if a.possible_sessions), key=lambda a: a.end, default=None)
    return AttendanceSummary(
        baseline=record.placement.baseline.attendance_percent,
        overall=attendance_percent(record),
        latest=latest.percent if latest else None,
        latest_from=latest.start if latest else None,
        latest_to=latest.end if latest else None,
    )


def target_statuses(record: PupilFile) -> list[TargetStatus]:
    """Each target's most recent rating; on the same day a review's rating outranks a visit's."""
    rated: dict[int, tuple[date, int, str]] = {}
    meetings = [(r.date, 1, r.progress) for r in record.reviews] + [(v.date, 0, v.progress) for v in record.visits]
    for day, rank, progress in meetings:
        for entry in progress:
            if entry.rating and (entry.target not in rated or (day, rank) > rated[entry.target][:2]):
                rated[entry.target] = (day, rank, entry.rating)
    statuses = []
    for number, target in enumerate(record.placement.targets, start=1):
        latest: tuple[date | None, int, str | None] = rated.get(number, (None, 0, None))
        rated_on, _, rating = latest
        statuses.append(TargetStatus(number, target.text, rating, rated_on))
    return statuses


def evaluated(provider: Provider) -> Evaluated:
    latest: dict[str, date] = {}
    for visit in provider.qa_visits:
        latest[visit.focus] = max(visit.date, latest.get(visit.focus, visit.date))
    return Evaluated(**{focus: latest.get(focus) for focus in Evaluated.__dataclass_fields__})
