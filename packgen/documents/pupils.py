"""A pupil's documents: the commissioning agreement, education plan, each review and visit, the
end-of-placement review, and the one-page summary for inspectors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from packgen.documents.chart import AttendanceChart
from packgen.documents.context import pupil_context
from packgen.documents.figures import assurance_status, attendance_summary, evaluated, target_statuses
from packgen.documents.spec import DocumentSpec
from packgen.readiness.table import by_area
from packgen.records.pupil_file import display_name
from packgen.records.school_data import SchoolData

if TYPE_CHECKING:  # for checkers only: the documents layer reads findings, it never runs the rules
    from packgen.readiness.rules import Finding

CHART_WIDTH_MM = 95


def agreement(data: SchoolData, pupil_id: str, today: date) -> DocumentSpec:
    return DocumentSpec(
        "agreements",
        pupil_id,
        "agreement.docx",
        "Commissioning agreement",
        pupil_id,
        pupil_context(data, pupil_id, today),
    )


def pupil_documents(data: SchoolData, pupil_id: str, today: date) -> list[DocumentSpec]:
    """The agreement, education plan, and every review and visit, in the order the pack shows them."""
    record = data.pupils[pupil_id]
    base = pupil_context(data, pupil_id, today)
    docs = [
        agreement(data, pupil_id, today),
        DocumentSpec("education-plans", pupil_id, "education_plan.docx", "Education plan", pupil_id, base),
    ]
    for number, review in enumerate(sorted(record.reviews, key=lambda r: r.date), start=1):
        docs.append(
            DocumentSpec(
                "reviews",
                f"{pupil_id}-{number:02d}",
                "review.docx",
                f"Review {number}: {review.date:%d %b %Y}".replace(" 0", " "),
                pupil_id,
                base | {"review": review, "review_number": number},
            )
        )
    for number, visit in enumerate(sorted(record.visits, key=lambda v: v.date), start=1):
        docs.append(
            DocumentSpec(
                "visits",
                f"{pupil_id}-{number:02d}",
                "visit.docx",
                f"Visit {number}: {visit.date:%d %b %Y}".replace(" 0", " "),
                pupil_id,
                base | {"visit": visit, "visit_number": number},
            )
        )
    if record.placement.ended_on:
        docs.append(ending(data, pupil_id, today))
    return docs


def ending(data: SchoolData, pupil_id: str, today: date) -> DocumentSpec:
    """The end-of-placement review: each target's outcome, attendance against the baseline, where next."""
    record = data.pupils[pupil_id]
    context = pupil_context(data, pupil_id, today) | {
        "name": display_name(record),
        "targets": target_statuses(record),
        "attendance": attendance_summary(record),
        "final_review": max(record.reviews, key=lambda r: r.date, default=None),
    }
    return DocumentSpec("endings", pupil_id, "ending.docx", "End-of-placement review", pupil_id, context)


def summary(data: SchoolData, pupil_id: str, today: date, findings: Sequence[Finding]) -> DocumentSpec:
    """One page answering the inspector's questions about this pupil, with its and its provider's findings."""
    record = data.pupils[pupil_id]
    placement = record.placement
    last_review = max(record.reviews, key=lambda r: r.date, default=None)
    mine = [f for f in findings if (f.subject, f.subject_id) in (("pupil", pupil_id), ("provider", placement.provider))]
    context = pupil_context(data, pupil_id, today) | {
        "name": display_name(record),
        "assurance": assurance_status(data.provider_of(pupil_id)),
        "attendance": attendance_summary(record),
        "attendance_chart": AttendanceChart.of(
            record.attendance, placement.baseline.attendance_percent, CHART_WIDTH_MM
        ),
        "targets": target_statuses(record),
        "review_count": len(record.reviews),
        "last_review": last_review,
        "visit_count": len(record.visits),
        "last_visit": max(record.visits, key=lambda v: v.date, default=None),
        "evaluated": evaluated(data.provider_of(pupil_id)),
        "findings": mine,
        "areas": by_area(mine),
    }
    return DocumentSpec("summaries", pupil_id, "summary.docx", "Pupil summary", pupil_id, context)
