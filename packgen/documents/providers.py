"""A provider's documents: the Appendix 4 letter and its status, the pre-admission checklist, each
quality evaluation, and the briefing sheet about the school's pupils there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from packgen.documents.context import common_context
from packgen.documents.figures import assurance_status, evaluated
from packgen.documents.spec import DocumentSpec
from packgen.records.provider_file import QaVisit
from packgen.records.pupil_file import ParentCarer, display_name
from packgen.records.school_data import SchoolData

if TYPE_CHECKING:  # for checkers only: the documents layer reads findings, it never runs the rules
    from packgen.readiness.rules import Finding


@dataclass(frozen=True)
class BriefingPupil:
    """One of the school's pupils at a provider, as the provider's staff need them on one sheet."""

    name: str
    year_group: int
    sessions: list[str]
    key_adults: list[str]
    first_contact: ParentCarer | None
    absence_arrangement: str | None
    visits: list[date]
    reviews: list[date]
    next_review: date | None


def letter(data: SchoolData, provider_id: str, today: date) -> DocumentSpec:
    provider = data.providers[provider_id]
    # The letter is the request: the reply is due counting from the day it is made and sent.
    reply_by = today + timedelta(days=data.school.letters.reply_within_days)
    pupil_count = sum(1 for p in data.pupils.values() if p.placement.provider == provider_id)
    context = common_context(data, today) | {
        "provider": provider,
        "provider_id": provider_id,
        "reply_by": reply_by,
        "pupil_count": pupil_count,
    }
    return DocumentSpec(
        "letters", provider_id, "letter.docx", "Appendix 4: staff-check assurance request", provider_id, context
    )


def provider_documents(
    data: SchoolData, provider_id: str, today: date, findings: Sequence[Finding]
) -> list[DocumentSpec]:
    """The letter, the Appendix 4 status, the pre-admission checklist and each QA visit, in pack order.

    A checklist not completed and a provider never evaluated still get their page, saying so: an
    inspector must see the gap, not miss it.
    """
    provider = data.providers[provider_id]
    base = common_context(data, today) | {"provider_id": provider_id, "provider": provider}
    placed = sorted(
        (display_name(r) for r in data.pupils.values() if r.placement.provider == provider_id), key=str.casefold
    )
    about = [f for f in findings if (f.subject, f.subject_id) == ("provider", provider_id)]
    checklist = "Pre-admission checklist" if provider.pre_admission else "Pre-admission checklist: not completed"
    docs = [
        letter(data, provider_id, today),
        DocumentSpec(
            "assurance",
            provider_id,
            "assurance.docx",
            "Appendix 4: assurance status",
            provider_id,
            base | {"assurance": assurance_status(provider), "pupils": placed, "findings": about},
        ),
        DocumentSpec(
            "checklists",
            provider_id,
            "checklist.docx",
            checklist,
            provider_id,
            base | {"pre_admission": provider.pre_admission},
        ),
    ]
    recorded = sorted(provider.qa_visits, key=lambda v: v.date)
    visits: list[QaVisit | None] = [*recorded] or [None]
    for number, visit in enumerate(visits, start=1):
        title = f"Quality evaluation {number}: {_day(visit.date)}" if visit else "Quality evaluations: none recorded"
        docs.append(
            DocumentSpec(
                "qa-visits",
                f"{provider_id}-{number:02d}" if visit else f"{provider_id}-none",
                "qa_visit.docx",
                title,
                provider_id,
                base | {"qa_visit": visit, "qa_number": number, "evaluated": evaluated(provider)},
            )
        )
    docs.append(briefing(data, provider_id, today))
    return docs


KEY_ADULT_ROLES = {
    "head_of_year": "head of year",
    "attendance_manager": "attendance",
    "sen_keyworker": "SEN",
    "social_worker": "social worker",
    "virtual_school_rep": "virtual school",
}


def briefing(data: SchoolData, provider_id: str, today: date) -> DocumentSpec:
    """The provider's one sheet: the school's pupils there, their key adults, whom to call, the dates."""
    pupils = []
    for record in sorted(
        (r for r in data.pupils.values() if r.placement.provider == provider_id),
        key=lambda r: display_name(r).casefold(),
    ):
        adults = record.pupil.key_adults
        last = max(record.reviews, key=lambda r: r.date, default=None)
        pupils.append(
            BriefingPupil(
                name=display_name(record),
                year_group=record.pupil.year_group,
                sessions=[f"{s.day} {s.start}–{s.end}" for s in record.placement.sessions],
                key_adults=[
                    f"{getattr(adults, k)} ({role})" for k, role in KEY_ADULT_ROLES.items() if getattr(adults, k)
                ]
                + list(adults.others),
                first_contact=record.pupil.parent_carers[0] if record.pupil.parent_carers else None,
                absence_arrangement=record.placement.safeguarding.absence_arrangement,
                visits=sorted(v.date for v in record.visits),
                reviews=sorted(r.date for r in record.reviews),
                next_review=last.next_review if last else None,
            )
        )
    context = common_context(data, today) | {
        "provider_id": provider_id,
        "provider": data.providers[provider_id],
        "pupils": pupils,
    }
    return DocumentSpec("briefings", provider_id, "briefing.docx", "Briefing: our pupils here", provider_id, context)


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"
