"""What a head needs on inspection day: where every pupil is now, this morning and this afternoon, who
to ring, and what is overdue (reviews, visits, providers' staff-check replies)."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, render_template

from packgen.mail.replies import status as reply_states
from packgen.readiness import rules as readiness
from packgen.records.pupil_file import display_name
from packgen.records.whereabouts import whereabouts
from packgen.web.app import settings, today
from packgen.web.views import school_data

where_pages = Blueprint("where", __name__)

MORNING, AFTERNOON = time(10, 0), time(14, 0)  # a moment well inside each register session
OVERDUE_RULES = {"R4": "Review overdue", "R5": "Visit overdue", "R15": "Decision overdue at the end date"}


@where_pages.get("/where-now")
def where_now():
    data = school_data()
    day = today()
    clock = datetime.now().time().replace(second=0, microsecond=0)
    now = datetime.combine(day, clock)
    upns = {pid: r.pupil.upn for pid, r in data.pupils.items()}
    moments = [
        ("Now", now),
        ("Morning", datetime.combine(day, MORNING)),
        ("Afternoon", datetime.combine(day, AFTERNOON)),
    ]
    by_pupil: dict[str, list] = {pid: [] for pid in data.pupils}
    for title, at in moments:
        for w in whereabouts(data, at):
            by_pupil[w.pupil_id].append((title, at, w))
    # Anyone whose place is not known at some point today comes first; then by name.
    pupils = sorted(
        by_pupil.values(),
        key=lambda seen: (all(w.place != "unaccounted" for _, _, w in seen), seen[0][2].name.casefold()),
    )
    expected = any(w.place != "not expected" for seen in pupils for _, _, w in seen)
    unknown = sum(any(w.place == "unaccounted" for _, _, w in seen) for seen in pupils)
    return render_template(
        "where_now.html", moment=now, day=day, upns=upns, pupils=pupils, expected=expected, unknown=unknown
    )


@where_pages.get("/overdue")
def overdue():
    data = school_data()
    late = [
        (OVERDUE_RULES[f.rule], f)
        for f in readiness.assess(data, today())
        if f.rule in OVERDUE_RULES and f.status == "fail"
    ]
    replies = [s for s in reply_states(data, today()) if s.overdue]
    names = {pid: display_name(r) for pid, r in data.pupils.items()}
    return render_template(
        "overdue.html", late=late, replies=replies, names=names, can_send=settings().smtp is not None
    )
