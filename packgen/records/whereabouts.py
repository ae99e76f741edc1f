"""Where every pupil should be at a given moment: the inspector's first question, answered from the records.

From each placement's timetable (``placement.sessions``): a pupil in a session is at the provider; a
pupil with no session during the school day is expected at school (part-time placements) or is
*unaccounted for* when nothing says where they should be. Term dates decide holidays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from packgen.records.calendar import Calendar
from packgen.records.fields import Person
from packgen.records.pupil_file import display_name
from packgen.records.school_data import SchoolData

Place = Literal["provider", "school", "unaccounted", "not expected"]
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Whereabouts:
    pupil_id: str
    name: str
    place: Place
    location: str  # provider name and address, the school, or why nobody is expected
    until: str | None  # when the current session ends ("14:30"), if in one
    contact: Person | None
    reason: str  # why we think so, in a few words


def whereabouts(data: SchoolData, at: datetime) -> list[Whereabouts]:
    """Every pupil's expected place at ``at``, unaccounted-for pupils first, then by name."""
    settings = data.school.pack
    calendar = Calendar.for_school(settings.term_dates, at.date(), at.date())
    in_term = any(h.starts <= at.date() <= h.ends for h in calendar.half_terms)
    clock = f"{at:%H:%M}"
    school_day = at.weekday() < 5 and settings.school_day.starts <= clock < settings.school_day.ends
    rows = [_one(data, pupil_id, at, in_term and school_day, clock) for pupil_id in data.pupils]
    return sorted(rows, key=lambda w: (w.place != "unaccounted", w.name.casefold()))


def _one(data: SchoolData, pupil_id: str, at: datetime, school_time: bool, clock: str) -> Whereabouts:
    record = data.pupils[pupil_id]
    placement = record.placement
    provider = data.provider_of(pupil_id)
    school = data.school
    school_contact = school.staff.attendance_lead or school.staff.ap_lead
    name = display_name(record)

    def row(place: Place, location: str, contact: Person | None, reason: str, until: str | None = None):
        return Whereabouts(pupil_id, name, place, location, until, contact, reason)

    if not school_time:
        return row("not expected", "outside the school day or term", None, "no education expected now")
    if (end := placement.ended) and placement.ended_by(at.date()):
        ended = f"placement at {provider.name} ended {end.ended_on:%d %b %Y}"
        if end.outcome in ("returned_to_school", "other"):
            return row("school", school.school.name, school_contact, ended)
        return row("not expected", "no longer in alternative provision", None, ended)
    if at.date() < placement.start_date:
        return row("school", school.school.name, school_contact, f"placement starts {placement.start_date:%d %b %Y}")
    if placement.target_end_date and at.date() > placement.target_end_date:
        return row(
            "unaccounted",
            f"placement at {provider.name} passed its end date",
            school_contact,
            f"target end date {placement.target_end_date:%d %b %Y} has passed: confirm where the pupil is",
        )
    todays = sorted((s for s in placement.sessions if s.day == DAYS[at.weekday()]), key=lambda s: s.start)
    provider_contact = provider.contacts.attendance or provider.contacts.lead
    at_provider = f"{provider.name}, {provider.address}"
    for session in todays:
        if session.start <= clock < session.end:
            return row(
                "provider",
                at_provider,
                provider_contact,
                f"timetabled {session.start}–{session.end}",
                until=session.end,
            )
    if todays:  # a provider day, but between the school day's edges and the session: travelling or just left
        hours = ", ".join(f"{s.start}–{s.end}" for s in todays)
        return row("provider", at_provider, provider_contact, f"timetabled there today {hours}, not in session now")
    if not placement.sessions:
        return row(
            "unaccounted",
            f"{provider.name} (no timetable recorded)",
            school_contact,
            "no sessions recorded for this placement",
        )
    if placement.part_time:
        return row(
            "school", school.school.name, school_contact, "part-time placement: not timetabled at the provider now"
        )
    return row(
        "unaccounted",
        "no session now at the provider",
        school_contact,
        "full-time placement with no session at this time",
    )
