"""A document to produce (``DocumentSpec``: template, data, where it goes) and the names each template
may use (``TEMPLATE_CONTEXT``: the contract ``tests/documents/test_templates.py`` checks every template against)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

COMMON_KEYS = ("school", "staff", "governance", "partnership", "letters", "generated_on", "logo")
PUPIL_KEYS = ("pupil_id", "pupil", "placement", "provider")
PROVIDER_KEYS = ("provider_id", "provider")

# Top-level names each template may use. Templates are checked against this before rendering.
TEMPLATE_CONTEXT: Mapping[str, tuple[str, ...]] = {
    "cover.docx": COMMON_KEYS + ("pupil_count", "provider_count", "generated_at", "cover_logo"),
    "register.docx": COMMON_KEYS + ("rows", "counts", "generated_at"),
    "letter.docx": COMMON_KEYS + ("provider", "provider_id", "reply_by", "pupil_count"),
    "agreement.docx": COMMON_KEYS + PUPIL_KEYS,
    "education_plan.docx": COMMON_KEYS + PUPIL_KEYS,
    "review.docx": COMMON_KEYS + PUPIL_KEYS + ("review", "review_number"),
    "visit.docx": COMMON_KEYS + PUPIL_KEYS + ("visit", "visit_number"),
    "summary.docx": COMMON_KEYS
    + PUPIL_KEYS
    + (
        "name",
        "assurance",
        "attendance",
        "attendance_chart",
        "targets",
        "review_count",
        "last_review",
        "visit_count",
        "last_visit",
        "evaluated",
        "findings",
        "areas",
    ),
    "readiness.docx": COMMON_KEYS + ("findings", "areas", "counts", "rules"),
    "assurance.docx": COMMON_KEYS + PROVIDER_KEYS + ("assurance", "pupils", "findings"),
    "checklist.docx": COMMON_KEYS + PROVIDER_KEYS + ("pre_admission",),
    "qa_visit.docx": COMMON_KEYS + PROVIDER_KEYS + ("qa_visit", "qa_number", "evaluated"),
    "evidence_left_out.docx": COMMON_KEYS + ("left_out",),
    "provider_list.docx": COMMON_KEYS + ("providers", "totals"),
    "direction_notice.docx": COMMON_KEYS + PUPIL_KEYS + ("name", "direction", "sessions", "parents"),
    "la_letter.docx": COMMON_KEYS + PUPIL_KEYS + ("name", "sessions", "days"),
    "ending.docx": COMMON_KEYS + PUPIL_KEYS + ("name", "targets", "attendance", "final_review"),
    "briefing.docx": COMMON_KEYS + PROVIDER_KEYS + ("pupils",),
    "governors.docx": COMMON_KEYS + ("term", "before"),
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
