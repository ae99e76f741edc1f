"""The governors' termly report on alternative provision: what happened this term, beside the term before.

Placements started, reviewed and ended, the outcomes rated at reviews, the readiness findings as at the
end of each term, and an estimate of what the placements cost: each placement's cost (day, session,
week...) spread over the weeks of term it ran. Terms are the school's own (school.yaml
pack.term_dates), or England's usual ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from packgen.documents.context import common_context
from packgen.documents.spec import DocumentSpec
from packgen.errors import InputError
from packgen.readiness.rules import assess
from packgen.records.calendar import Calendar, Period
from packgen.records.pupil_file import PupilFile, display_name
from packgen.records.school_data import SchoolData

RATINGS = ("achieved", "on_track", "some_progress", "not_yet", "not_assessed")
HALF_TERMS_A_YEAR, TERMS_A_YEAR = 6, 3


@dataclass(frozen=True)
class PlacementLine:
    name: str
    provider: str
    category: str
    on: date
    destination: str | None = None


@dataclass(frozen=True)
class RatingCount:
    rating: str
    count: int


@dataclass(frozen=True)
class TermFigures:
    name: str
    starts: date
    ends: date
    started: list[PlacementLine]
    ended: list[PlacementLine]
    reviews: int
    reviewed_pupils: int
    open_at_end: int
    ratings: list[RatingCount]
    cost: float
    cost_unknown: int  # placements running this term with no cost recorded
    critical: int
    high: int
    advisory: int


def find_term(data: SchoolData, wanted: str) -> tuple[Period, Period | None]:
    """The term called ``wanted`` (``Autumn term 2026``, or ``autumn 2026``) and the one before it."""
    days = [r.placement.start_date for r in data.pupils.values()] or [date.today()]
    terms = Calendar.for_school(data.school.pack.term_dates, min(days), max(days)).terms()
    words = set(wanted.casefold().replace("term", " ").split())
    for index, term in enumerate(terms):
        if words == set(term.name.casefold().replace("term", " ").split()):
            return term, terms[index - 1] if index else None
    raise InputError(
        f"--term '{wanted}' is not a term packgen knows for this school: the terms are "
        f"{', '.join(t.name for t in terms)}"
    )


def _weeks(record: PupilFile, term: Period) -> float:
    """Weeks of this term the placement ran (holidays inside a term are few enough to ignore)."""
    first = max(record.placement.start_date, term.starts)
    last = min(record.placement.ended_on or term.ends, term.ends)
    return max(0, (last - first).days + 1) / 7


def _cost(record: PupilFile, term: Period) -> float | None:
    cost = record.placement.cost
    if cost is None:
        return None
    weeks = _weeks(record, term)
    days = len({s.day for s in record.placement.sessions})
    per_week = {"day": cost.amount * days, "session": cost.amount * len(record.placement.sessions), "week": cost.amount}
    if cost.per in per_week:
        return per_week[cost.per] * weeks
    if cost.per == "placement":
        return cost.amount if term.starts <= record.placement.start_date <= term.ends else 0.0
    share = {
        "half_term": cost.amount * HALF_TERMS_A_YEAR / TERMS_A_YEAR,
        "term": cost.amount,
        "year": cost.amount / TERMS_A_YEAR,
    }[cost.per]
    term_weeks = ((term.ends - term.starts).days + 1) / 7
    return share * min(1.0, weeks / term_weeks) if term_weeks else 0.0


def figures(data: SchoolData, term: Period, today: date) -> TermFigures:
    def line(record: PupilFile, on: date) -> PlacementLine:
        return PlacementLine(
            display_name(record),
            data.providers[record.placement.provider].name,
            record.placement.category,
            on,
            record.placement.destination,
        )

    records = list(data.pupils.values())
    started = [line(r, r.placement.start_date) for r in records if term.starts <= r.placement.start_date <= term.ends]
    ended = [
        line(r, r.placement.ended_on)
        for r in records
        if r.placement.ended_on and term.starts <= r.placement.ended_on <= term.ends
    ]
    reviews = [(r, v) for r in records for v in r.reviews if term.starts <= v.date <= term.ends]
    ratings: list[str] = [p.rating for _, v in reviews for p in v.progress if p.rating]
    running = [
        r
        for r in records
        if r.placement.start_date <= term.ends and (r.placement.ended_on is None or r.placement.ended_on >= term.starts)
    ]
    costs = [_cost(r, term) for r in running]
    findings = assess(data, min(term.ends, today))  # as at the term's end, or today for the term under way
    severities = [f.severity for f in findings]
    return TermFigures(
        name=term.name,
        starts=term.starts,
        ends=term.ends,
        started=sorted(started, key=lambda p: (p.on, p.name)),
        ended=sorted(ended, key=lambda p: (p.on, p.name)),
        reviews=len(reviews),
        reviewed_pupils=len({id(r) for r, _ in reviews}),
        open_at_end=sum(
            r.placement.start_date <= term.ends and (r.placement.ended_on is None or r.placement.ended_on > term.ends)
            for r in records
        ),
        ratings=[RatingCount(k, ratings.count(k)) for k in RATINGS if ratings.count(k)],
        cost=round(sum(c for c in costs if c is not None), 2),
        cost_unknown=costs.count(None),
        critical=severities.count("critical"),
        high=severities.count("high"),
        advisory=severities.count("advisory"),
    )


def governors_report(data: SchoolData, term_name: str, today: date) -> DocumentSpec:
    term, before = find_term(data, term_name)
    context = common_context(data, today) | {
        "term": figures(data, term, today),
        "before": figures(data, before, today) if before else None,
    }
    slug = term.name.casefold().replace(" ", "-")
    return DocumentSpec(
        "reports", f"governors-{slug}", "governors.docx", f"Governors' report: {term.name}", data.slug, context
    )
