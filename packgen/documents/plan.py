"""What a school yields: the documents to render, each with its template and its data.

This module decides *which* documents exist and *what data* each template sees; it knows nothing of
Word, LibreOffice or PDF. Every template receives the common school context plus its own objects (the
contract that ``tests/test_templates.py`` checks each template against).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from packgen.documents.chart import AttendanceChart
from packgen.documents.fill import Drawing
from packgen.readiness.table import by_area
from packgen.records.models import ParentCarer, Provider, PupilFile, QaVisit, SchoolData, display_name

if TYPE_CHECKING:  # for checkers only: the documents layer reads findings, it never runs the rules
    from packgen.readiness.rules import Finding, Rule

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
CHART_WIDTH_MM = 95


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


@dataclass(frozen=True)
class FindingCounts:
    critical: int
    high: int
    advisory: int
    total: int
    pupils: int  # pupils with at least one finding
    providers: int  # providers with at least one finding


@dataclass(frozen=True)
class RuleCount:
    id: str
    title: str
    source: str
    fail: int
    unknown: int


def common_context(data: SchoolData, today: date) -> dict[str, Any]:
    s = data.school
    return {
        "school": s.school,
        "staff": s.staff,
        "governance": s.governance,
        "partnership": s.partnership,
        "letters": s.letters,
        "generated_on": today,
        "logo": SchoolLogo.of(data.folder),
    }


def pupil_context(data: SchoolData, pupil_id: str, today: date) -> dict[str, Any]:
    record = data.pupils[pupil_id]
    return common_context(data, today) | {
        "pupil_id": pupil_id,
        "pupil": record.pupil,
        "placement": record.placement,
        "provider": data.provider_of(pupil_id),
    }


def agreement(data: SchoolData, pupil_id: str, today: date) -> DocumentSpec:
    return DocumentSpec(
        "agreements",
        pupil_id,
        "agreement.docx",
        "Commissioning agreement",
        pupil_id,
        pupil_context(data, pupil_id, today),
    )


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
    visits: list[QaVisit | None] = sorted(provider.qa_visits, key=lambda v: v.date) or [None]
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


def readiness_report(data: SchoolData, today: date, findings: Sequence[Finding], rules: Sequence[Rule]) -> DocumentSpec:
    """Every finding under its evaluation area, worst first (as given); the headline counts; and every rule
    with its tally."""
    severities = [f.severity for f in findings]
    counts = FindingCounts(
        critical=severities.count("critical"),
        high=severities.count("high"),
        advisory=severities.count("advisory"),
        total=len(findings),
        pupils=len({f.subject_id for f in findings if f.subject == "pupil"}),
        providers=len({f.subject_id for f in findings if f.subject == "provider"}),
    )
    tallies = [
        RuleCount(
            rule.id,
            rule.title,
            rule.source,
            sum(f.rule == rule.id and f.status == "fail" for f in findings),
            sum(f.rule == rule.id and f.status == "unknown" for f in findings),
        )
        for rule in rules
    ]
    context = common_context(data, today) | {
        "findings": list(findings),
        "areas": by_area(findings),
        "counts": counts,
        "rules": tallies,
    }
    return DocumentSpec("pack", "readiness", "readiness.docx", "Readiness", data.slug, context)


LOGO_FILE = "logo.png"  # the school's logo, kept in its folder (uploaded on the page's settings)
HEADER_LOGO_MM = (28.0, 11.0)  # the most width and height the logo's box in each page heading has
COVER_LOGO_MM = (60.0, 25.0)


@dataclass(frozen=True)
class SchoolLogo(Drawing):
    """The logo as a template value; ``digest`` makes a new logo a new cover for the cache."""

    path: str
    digest: str
    width_mm: float

    @classmethod
    def of(cls, folder: str, box: tuple[float, float] = HEADER_LOGO_MM) -> SchoolLogo | None:
        """The logo as large as fits ``box`` (width, height in mm), or None when the school has none."""
        path = Path(folder) / LOGO_FILE
        if not path.is_file():
            return None
        data = path.read_bytes()
        with Image.open(path) as picture:
            width, height = picture.size
        most_wide, most_high = box
        return cls(str(path), hashlib.sha256(data).hexdigest(), min(most_wide, most_high * width / max(height, 1)))

    def image(self) -> bytes:
        return Path(self.path).read_bytes()


def cover(data: SchoolData, now: datetime) -> DocumentSpec:
    context = common_context(data, now.date()) | {
        "cover_logo": SchoolLogo.of(data.folder, COVER_LOGO_MM),
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
    flag_names = [
        name
        for name, on in (
            ("LAC", flags.lac),
            ("EHCP", flags.ehcp),
            ("SEN support", flags.sen_support),
            ("CP", flags.cp),
            ("CIN", flags.cin),
            ("EHA", flags.eha),
        )
        if on
    ]
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
        day, _, rating = rated.get(number, (None, 0, None))
        statuses.append(TargetStatus(number, target.text, rating, day))
    return statuses


def evaluated(provider: Provider) -> Evaluated:
    latest: dict[str, date] = {}
    for visit in provider.qa_visits:
        latest[visit.focus] = max(visit.date, latest.get(visit.focus, visit.date))
    return Evaluated(**{focus: latest.get(focus) for focus in Evaluated.__dataclass_fields__})


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _providers_in_use(data: SchoolData) -> list[str]:
    return sorted({p.placement.provider for p in data.pupils.values()})


def evidence_left_out(data: SchoolData, today: date, left_out: Sequence[Any]) -> DocumentSpec:
    """The page that lists scans a ``--skip-bad-evidence`` build could not put into the pack.

    ``left_out`` items have ``record``, ``key``, ``path`` and ``reason`` (evidence.BadEvidence)."""
    return DocumentSpec(
        "pack",
        "evidence-left-out",
        "evidence_left_out.docx",
        "Evidence left out",
        data.slug,
        common_context(data, today) | {"left_out": list(left_out)},
    )
