"""The pages about the whole pack rather than one pupil or provider: the cover, the AP register, the
readiness report, and the list of evidence left out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from packgen.documents.context import COVER_LOGO_MM, SchoolLogo, common_context
from packgen.documents.figures import attendance_percent
from packgen.documents.spec import DocumentSpec
from packgen.readiness.table import by_area
from packgen.records.pupil_file import display_name
from packgen.records.school_data import SchoolData

if TYPE_CHECKING:  # for checkers only: the documents layer reads findings, it never runs the rules
    from packgen.readiness.rules import Finding, Rule


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
