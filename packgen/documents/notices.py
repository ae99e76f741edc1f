"""Documents that tell others about placements: the list of providers the inspection planning call asks
for, the notice to parents of an off-site direction, and the letter telling the local authority of a new
placement. Like the rest of the documents layer, this only decides what data each template sees; the wording is in the templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from packgen.documents.context import common_context, pupil_context
from packgen.documents.spec import DocumentSpec
from packgen.records.pupil_file import Session, display_name
from packgen.records.school_data import SchoolData

DAY_ORDER = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class PlacementLine:
    """One pupil's placement at a provider, as the planning-call list gives it (no names: a count will do)."""

    start_date: date
    target_end_date: date | None
    hours_per_week: float
    days: str  # "Mon, Tue, Wed"; empty when the sessions are not recorded
    category: str
    arranged_by: str


@dataclass(frozen=True)
class ProviderLine:
    provider_id: str
    name: str
    kind: str
    address: str
    registration: str
    urn: str | None
    pupils: int
    placements: tuple[PlacementLine, ...]


@dataclass(frozen=True)
class ProviderListTotals:
    providers: int
    pupils: int
    unregistered: int


def provider_list(data: SchoolData, today: date) -> DocumentSpec:
    """Every provider the school's pupils attend, with what the inspection planning call asks about each."""
    lines = []
    for provider_id, provider in sorted(data.providers.items(), key=lambda kv: kv[1].name.casefold()):
        placed = sorted(
            (r.placement for r in data.pupils.values() if r.placement.provider == provider_id),
            key=lambda p: (p.start_date, p.hours_per_week),
        )
        if not placed:
            continue
        lines.append(
            ProviderLine(
                provider_id=provider_id,
                name=provider.name,
                kind=provider.kind,
                address=provider.address,
                registration=provider.registration.status,
                urn=provider.registration.urn,
                pupils=len(placed),
                placements=tuple(
                    PlacementLine(
                        p.start_date, p.target_end_date, p.hours_per_week, _days(p.sessions), p.category, p.arranged_by
                    )
                    for p in placed
                ),
            )
        )
    totals = ProviderListTotals(
        len(lines), sum(line.pupils for line in lines), sum(line.registration != "registered" for line in lines)
    )
    context = common_context(data, today) | {"providers": lines, "totals": totals}
    return DocumentSpec(
        "pack", "provider-list", "provider_list.docx", "Providers used (planning call list)", data.slug, context
    )


def direction_notice(data: SchoolData, pupil_id: str, today: date) -> DocumentSpec:
    """The written notice to parents that a pupil is directed off site, filled from the pupil's record."""
    record = data.pupils[pupil_id]
    context = pupil_context(data, pupil_id, today) | {
        "name": display_name(record),
        "direction": record.placement.off_site_direction,
        "sessions": _in_week_order(record.placement.sessions),
        "parents": record.pupil.parent_carers,
    }
    return DocumentSpec("notices", pupil_id, "direction_notice.docx", "Notice of off-site direction", pupil_id, context)


def la_letter(data: SchoolData, pupil_id: str, today: date) -> DocumentSpec:
    """The letter telling the local authority of a placement the school (or its partnership) commissioned."""
    record = data.pupils[pupil_id]
    context = pupil_context(data, pupil_id, today) | {
        "name": display_name(record),
        "sessions": _in_week_order(record.placement.sessions),
        "days": _days(record.placement.sessions),
    }
    return DocumentSpec(
        "la-letters", pupil_id, "la_letter.docx", "Placement notice to the local authority", pupil_id, context
    )


def _in_week_order(sessions: list[Session]) -> list[Session]:
    return sorted(sessions, key=lambda s: (DAY_ORDER.index(s.day), s.start))


def _days(sessions: list[Session]) -> str:
    return ", ".join(day for day in DAY_ORDER if any(s.day == day for s in sessions))
