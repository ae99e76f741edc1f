"""What a school yields: the documents to render, each with its template and its data.

This module decides *which* documents exist and *what data* each template sees; it knows nothing of
Word, LibreOffice or PDF. Every template receives the common school context plus its own objects (the
contract that ``tests/test_templates.py`` checks each template against).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .models import PupilFile, SchoolData

COMMON_KEYS = ("school", "staff", "governance", "partnership", "letters", "generated_on")
PUPIL_KEYS = ("pupil_id", "pupil", "placement", "provider")

# Top-level names each template may use. Templates are checked against this before rendering.
TEMPLATE_CONTEXT: Mapping[str, tuple[str, ...]] = {
    "cover.docx": COMMON_KEYS + ("pupil_count", "provider_count", "generated_at"),
    "register.docx": COMMON_KEYS + ("rows", "counts", "generated_at"),
    "letter.docx": COMMON_KEYS + ("provider", "provider_id", "reply_by", "pupil_count"),
    "agreement.docx": COMMON_KEYS + PUPIL_KEYS,
    "education_plan.docx": COMMON_KEYS + PUPIL_KEYS,
    "review.docx": COMMON_KEYS + PUPIL_KEYS + ("review", "review_number"),
    "visit.docx": COMMON_KEYS + PUPIL_KEYS + ("visit", "visit_number"),
}


@dataclass(frozen=True)
class DocumentSpec:
    """One document to produce.

    ``folder``/``name`` place it in the output tree (``agreements/p01``); ``owner`` is the provider or
    pupil id it belongs to, ``title`` is what the contents page and bookmarks call it.
    """

    folder: str
    name: str
    template: str
    title: str
    owner: str
    context: Mapping[str, Any]

    @property
    def stem(self) -> str:
        return f"{self.folder}/{self.name}"


@dataclass(frozen=True)
class RegisterRow:
    pupil_id: str
    name: str
    upn: str
    year_group: int
    flags: str
    category: str
    arranged_by: str
    provider: str
    registration: str
    hours_per_week: float
    start_date: date
    target_end_date: date | None
    last_review: date | None
    next_review: date | None
    last_visit: date | None
    attendance_percent: float | None


@dataclass(frozen=True)
class RegisterCounts:
    pupils: int
    providers: int
    part_time: int
    unregistered_providers: int
    lac: int
    ehcp: int
    cp: int
    cin: int
    directed: int


def common_context(data: SchoolData, today: date) -> dict[str, Any]:
    s = data.school
    return {
        "school": s.school,
        "staff": s.staff,
        "governance": s.governance,
        "partnership": s.partnership,
        "letters": s.letters,
        "generated_on": today,
    }


def _pupil_context(data: SchoolData, pupil_id: str, today: date) -> dict[str, Any]:
    record = data.pupils[pupil_id]
    return common_context(data, today) | {
        "pupil_id": pupil_id,
        "pupil": record.pupil,
        "placement": record.placement,
        "provider": data.provider_of(pupil_id),
    }


def agreement(data: SchoolData, pupil_id: str, today: date) -> DocumentSpec:
    return DocumentSpec("agreements", pupil_id, "agreement.docx", "Commissioning agreement", pupil_id,
                        _pupil_context(data, pupil_id, today))


def letter(data: SchoolData, provider_id: str, today: date) -> DocumentSpec:
    provider = data.providers[provider_id]
    requested = provider.assurance.requested_on
    reply_by = requested + timedelta(days=data.school.letters.reply_within_days) if requested else None
    pupil_count = sum(1 for p in data.pupils.values() if p.placement.provider == provider_id)
    context = common_context(data, today) | {
        "provider": provider,
        "provider_id": provider_id,
        "reply_by": reply_by,
        "pupil_count": pupil_count,
    }
    return DocumentSpec("letters", provider_id, "letter.docx", "Appendix 4: staff-check assurance request",
                        provider_id, context)


def pupil_documents(data: SchoolData, pupil_id: str, today: date) -> list[DocumentSpec]:
    """The agreement, education plan, and every review and visit, in the order the pack shows them."""
    record = data.pupils[pupil_id]
    base = _pupil_context(data, pupil_id, today)
    docs = [
        agreement(data, pupil_id, today),
        DocumentSpec("education-plans", pupil_id, "education_plan.docx", "Education plan", pupil_id, base),
    ]
    for number, review in enumerate(sorted(record.reviews, key=lambda r: r.date), start=1):
        docs.append(DocumentSpec("reviews", f"{pupil_id}-{number:02d}", "review.docx",
                                 f"Review {number}: {review.date:%d %b %Y}".replace(" 0", " "), pupil_id,
                                 base | {"review": review, "review_number": number}))
    for number, visit in enumerate(sorted(record.visits, key=lambda v: v.date), start=1):
        docs.append(DocumentSpec("visits", f"{pupil_id}-{number:02d}", "visit.docx",
                                 f"Visit {number}: {visit.date:%d %b %Y}".replace(" 0", " "), pupil_id,
                                 base | {"visit": visit, "visit_number": number}))
    return docs


def cover(data: SchoolData, now: datetime) -> DocumentSpec:
    context = common_context(data, now.date()) | {
        "pupil_count": len(data.pupils),
        "provider_count": len(_providers_in_use(data)),
        "generated_at": now,
    }
    return DocumentSpec("pack", "cover", "cover.docx", "Cover", data.slug, context)


def register(data: SchoolData, now: datetime) -> DocumentSpec:
    rows = [register_row(data, pupil_id) for pupil_id in data.pupils]
    rows.sort(key=lambda r: (r.provider.casefold(), r.name.casefold()))
    context = common_context(data, now.date()) | {
        "rows": rows,
        "counts": register_counts(data),
        "generated_at": now,
    }
    return DocumentSpec("pack", "register", "register.docx", "AP register", data.slug, context)


def register_row(data: SchoolData, pupil_id: str) -> RegisterRow:
    record = data.pupils[pupil_id]
    pupil, placement = record.pupil, record.placement
    provider = data.provider_of(pupil_id)
    flags = pupil.flags
    flag_names = [name for name, on in (("LAC", flags.lac), ("EHCP", flags.ehcp), ("SEN support", flags.sen_support),
                                        ("CP", flags.cp), ("CIN", flags.cin), ("EHA", flags.eha)) if on]
    last_review = max(record.reviews, key=lambda r: r.date, default=None)
    return RegisterRow(
        pupil_id=pupil_id,
        name=display_name(record),
        upn=pupil.upn,
        year_group=pupil.year_group,
        flags=", ".join(flag_names),
        category=placement.category,
        arranged_by=placement.arranged_by,
        provider=provider.name,
        registration=provider.registration.status,
        hours_per_week=placement.hours_per_week,
        start_date=placement.start_date,
        target_end_date=placement.target_end_date,
        last_review=last_review.date if last_review else None,
        next_review=last_review.next_review if last_review else None,
        last_visit=max((v.date for v in record.visits), default=None),
        attendance_percent=attendance_percent(record),
    )


def register_counts(data: SchoolData) -> RegisterCounts:
    pupils = list(data.pupils.values())
    in_use = _providers_in_use(data)
    return RegisterCounts(
        pupils=len(pupils),
        providers=len(in_use),
        part_time=sum(p.placement.part_time for p in pupils),
        unregistered_providers=sum(data.providers[i].registration.status == "unregistered" for i in in_use),
        lac=sum(p.pupil.flags.lac for p in pupils),
        ehcp=sum(p.pupil.flags.ehcp for p in pupils),
        cp=sum(p.pupil.flags.cp for p in pupils),
        cin=sum(p.pupil.flags.cin for p in pupils),
        directed=sum(p.placement.off_site_direction.directed for p in pupils),
    )


def display_name(record: PupilFile) -> str:
    """Legal name as recorded, with the preferred name in brackets when the pupil uses another."""
    pupil = record.pupil
    if pupil.preferred_name and pupil.preferred_name != pupil.legal_forename:
        return f"{pupil.full_name} ({pupil.preferred_name})"
    return pupil.full_name


def attendance_percent(record: PupilFile) -> float | None:
    """Attendance across every recorded period; None when nothing is recorded (never 0 by default)."""
    possible = sum(a.possible_sessions for a in record.attendance)
    attended = sum(a.attended_sessions for a in record.attendance)
    return 100 * attended / possible if possible else None


def _providers_in_use(data: SchoolData) -> list[str]:
    return sorted({p.placement.provider for p in data.pupils.values()})

