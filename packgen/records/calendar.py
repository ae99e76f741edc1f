"""School half terms and terms: the calendar the visit and review rules are judged against.

A school may list its own half terms in school.yaml (``pack.term_dates``). Without them packgen uses an
approximation of the usual English pattern, computed for any academic year:

=========  ============================================  =============================================
half term  starts                                        ends
=========  ============================================  =============================================
Autumn 1   1 September (next Monday if a weekend)       Friday before the last Monday of October
Autumn 2   the Monday a week after that                  last weekday on or before 20 December
Spring 1   4 January (next Monday if a weekend)          Friday before the Monday on or after 12 February
Spring 2   the Monday a week after that                  the day before the Easter holiday
Summer 1   the Monday after the Easter holiday           Friday before the last Monday of May
Summer 2   the Monday a week after that                  last weekday on or before 20 July
=========  ============================================  =============================================

The Easter holiday is a fortnight: from Good Friday when Easter falls in March, otherwise from the Monday
before Easter Sunday. Local authorities set their own dates, so these can be a few days out (the Easter
break most of all). The rules only need to know which half term a day falls in and roughly how much term
time has passed, for which a few days do not matter; a school that wants exact answers lists its dates.

Half terms are grouped into terms (autumn, spring, summer) by their name when it says which, otherwise
by the month they start in (August to December autumn, January to March spring, April to July summer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from packgen.records.school_file import TermDate

SEASONS = ("autumn", "spring", "summer")


@dataclass(frozen=True)
class Period:
    """A half term or a term: its name and its first and last days (both inclusive)."""

    name: str
    starts: date
    ends: date


@dataclass(frozen=True)
class HalfTerm(Period):
    term: str  # e.g. "Spring term 2027": half terms sharing it make one term


def academic_year(day: date) -> int:
    """The calendar year in which ``day``'s academic year began (September to August)."""
    return day.year if day.month >= 9 else day.year - 1


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def english_half_terms(year: int) -> tuple[HalfTerm, ...]:
    """The approximate half terms of the academic year starting in September ``year`` (see module doc)."""
    autumn_break = _last_monday(year, 10)
    february_break = _monday_on_or_after(date(year + 1, 2, 12))
    easter = easter_sunday(year + 1)
    # An early Easter puts the fortnight's break after it, a later one around it.
    spring_ends, summer_starts = (
        (easter - timedelta(days=3), easter + timedelta(days=15))
        if easter.month == 3
        else (easter - timedelta(days=9), easter + timedelta(days=8))
    )
    may_break = _last_monday(year + 1, 5)
    week = timedelta(days=7)
    spans = (
        ("Autumn 1", _weekday_on_or_after(date(year, 9, 1)), autumn_break - timedelta(days=3)),
        ("Autumn 2", autumn_break + week, _weekday_on_or_before(date(year, 12, 20))),
        ("Spring 1", _weekday_on_or_after(date(year + 1, 1, 4)), february_break - timedelta(days=3)),
        ("Spring 2", february_break + week, spring_ends),
        ("Summer 1", summer_starts, may_break - timedelta(days=3)),
        ("Summer 2", may_break + week, _weekday_on_or_before(date(year + 1, 7, 20))),
    )
    return tuple(HalfTerm(name, starts, ends, _term_name(name, starts)) for name, starts, ends in spans)


@dataclass(frozen=True)
class Calendar:
    """The half terms known for a stretch of time, in date order.

    ``covers(day)`` says whether the calendar can place ``day``: a day in a holiday between two known
    half terms is covered (it belongs to the half term just ended), a day outside them all is not.
    """

    half_terms: tuple[HalfTerm, ...]

    @classmethod
    def for_school(cls, term_dates: Sequence[TermDate], first: date, last: date) -> Calendar:
        """The school's own half terms if it lists any, else the English default from ``first`` to ``last``.

        The default reaches a year either side, so it always covers both days and can name the half
        term and term before ``first``.
        """
        if term_dates:
            listed = (HalfTerm(t.name, t.starts, t.ends, _term_name(t.name, t.starts)) for t in term_dates)
            return cls(tuple(sorted(listed, key=lambda h: h.starts)))
        years = range(academic_year(first) - 1, academic_year(last) + 2)
        return cls(tuple(h for year in years for h in english_half_terms(year)))

    def covers(self, day: date) -> bool:
        return bool(self.half_terms) and self.half_terms[0].starts <= day <= self.half_terms[-1].ends

    def terms(self) -> tuple[Period, ...]:
        """Whole terms, each from the start of its first half term to the end of its last."""
        grouped: dict[str, list[HalfTerm]] = {}
        for half in self.half_terms:
            grouped.setdefault(half.term, []).append(half)
        return tuple(Period(name, halves[0].starts, halves[-1].ends) for name, halves in grouped.items())

    def term_days(self, after: date, upto: date) -> tuple[int, bool]:
        """Days of term time after ``after`` up to and including ``upto``, and whether the calendar
        covers that whole stretch (when it does not, the count is only what the known half terms hold)."""
        days = 0
        for half in self.half_terms:
            first, last = max(half.starts, after + timedelta(days=1)), min(half.ends, upto)
            days += max(0, (last - first).days + 1)
        return days, self.covers(after) and self.covers(upto)

    def school_days(self, first: date, before: date) -> tuple[int, bool]:
        """Weekdays in term from ``first`` (inclusive) to ``before`` (exclusive), and whether the calendar
        covers that whole stretch. A notice given on a school day counts that day: notice given on
        Thursday for a Monday start is two school days before it."""
        days = 0
        for half in self.half_terms:
            day, last = max(half.starts, first), min(half.ends, before - timedelta(days=1))
            while day <= last:
                days += day.weekday() < 5
                day += timedelta(days=1)
        return days, self.covers(first) and self.covers(before - timedelta(days=1))


def period_at(periods: Sequence[Period], day: date) -> int | None:
    """Index of the period ``day`` falls in, or of the one just ended if ``day`` is in a holiday;
    None when ``day`` is before the first period or after the last."""
    if not periods or not periods[0].starts <= day <= periods[-1].ends:
        return None
    return max(i for i, period in enumerate(periods) if period.starts <= day)


def _term_name(half_term_name: str, starts: date) -> str:
    lowered = half_term_name.casefold()
    season = next((s for s in SEASONS if s in lowered), None)
    if season is None:
        season = "autumn" if starts.month >= 8 else "spring" if starts.month <= 3 else "summer"
    return f"{season.capitalize()} term {starts.year}"


def _weekday_on_or_after(day: date) -> date:
    return day + timedelta(days=7 - day.weekday() if day.weekday() >= 5 else 0)


def _weekday_on_or_before(day: date) -> date:
    return day - timedelta(days=day.weekday() - 4 if day.weekday() >= 5 else 0)


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=-day.weekday() % 7)


def _last_monday(year: int, month: int) -> date:
    last_day = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last_day - timedelta(days=last_day.weekday())
