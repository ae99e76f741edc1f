"""Documents made on their own, outside the pack: a pupil's agreement, notice or letter to the local
authority, the providers' letters and list, the governors' report, one pupil's case bundle.

Each loads the school, checks the pupil or provider asked for is in it, plans its documents and makes
them as the pack's are (making.produce), into the school's output folder.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from packgen.build.making import Produced, Progress, produce
from packgen.build.planning import generated, stamp
from packgen.documents import DEFAULT_TEMPLATES
from packgen.errors import InputError

if TYPE_CHECKING:
    from packgen.documents.plan import DocumentSpec
    from packgen.pack.assemble import PackResult
    from packgen.records.school_data import SchoolData


def build_agreement(
    folder: Path, pupil_id: str, out_root: Path, *, templates: Path = DEFAULT_TEMPLATES, now: datetime | None = None
) -> Produced:
    from packgen.documents import plan as documents

    return _pupil_document(folder, pupil_id, out_root, templates, now, documents.agreement)


def build_provider_list(
    folder: Path, out_root: Path, *, templates: Path = DEFAULT_TEMPLATES, now: datetime | None = None
) -> tuple[Produced, DocumentSpec]:
    """The list of providers the inspection planning call asks for, as .docx and .pdf (and its data)."""
    from packgen.documents import notices

    today = stamp(now).date()
    made = _make(folder, out_root, templates, lambda data: [notices.provider_list(data, today)])[0]
    return made, made.spec


def build_direction_notice(
    folder: Path, pupil_id: str, out_root: Path, *, templates: Path = DEFAULT_TEMPLATES, now: datetime | None = None
) -> Produced:
    """The notice to parents of a pupil's off-site direction."""
    from packgen.documents import notices

    def notice(data: SchoolData, pupil_id: str, today: date) -> DocumentSpec:
        if not data.pupils[pupil_id].placement.off_site_direction.directed:
            raise InputError(
                f"{folder}/pupils/{pupil_id}.yaml: placement.off_site_direction.directed is not true, so "
                "there is no direction to give notice of."
            )
        return notices.direction_notice(data, pupil_id, today)

    return _pupil_document(folder, pupil_id, out_root, templates, now, notice)


def build_la_letter(
    folder: Path, pupil_id: str, out_root: Path, *, templates: Path = DEFAULT_TEMPLATES, now: datetime | None = None
) -> Produced:
    """The letter telling the local authority of a pupil's placement."""
    from packgen.documents import notices

    return _pupil_document(folder, pupil_id, out_root, templates, now, notices.la_letter)


def build_letters(
    folder: Path,
    out_root: Path,
    *,
    provider_id: str | None = None,
    templates: Path = DEFAULT_TEMPLATES,
    now: datetime | None = None,
) -> list[Produced]:
    from packgen.documents import plan as documents

    today = stamp(now).date()

    def plan(data: SchoolData) -> list[DocumentSpec]:
        if provider_id is not None and provider_id not in data.providers:
            raise InputError(_unknown("provider", provider_id, data.providers, f"{folder}/providers"))
        return [documents.letter(data, i, today) for i in ([provider_id] if provider_id else data.providers)]

    return _make(folder, out_root, templates, plan)


def build_governors_report(
    folder: Path, term: str, out_root: Path, *, templates: Path = DEFAULT_TEMPLATES, today: date | None = None
) -> Produced:
    """The governors' termly report for ``term`` (compared with the term before), as .docx and .pdf."""
    from packgen.documents.governors import governors_report

    day = today or stamp(None).date()
    return _make(folder, out_root, templates, lambda data: [governors_report(data, term, day)])[0]


def build_case_bundle(
    folder: Path,
    pupil_id: str,
    out_root: Path,
    *,
    templates: Path = DEFAULT_TEMPLATES,
    today: date | None = None,
    on_progress: Progress | None = None,
) -> PackResult:
    """One pupil's documents alone in a small indexed PDF, for an inspector sampling cases: the summary,
    agreement (with its signed scan), plan, reviews, visits and, once ended, the end-of-placement review."""
    from packgen.documents import plan as documents
    from packgen.documents.wording import LABELS_FILE, load_wording
    from packgen.pack.assemble import PackNode, assemble_pack
    from packgen.readiness import rules as readiness

    data = _load(folder, pupil_id)
    now = stamp(None)
    day = today or now.date()
    findings = readiness.assess(data, day)
    specs = [
        documents.summary(data, pupil_id, day, findings),
        *documents.pupil_documents(data, pupil_id, day),
        documents.cover(data, now),
    ]
    out = out_root / data.slug
    made = {p.spec.stem: p for p in produce(specs, out, templates, on_progress)}
    record = data.pupils[pupil_id]
    nodes = []
    for spec in specs[:-1]:
        nodes.append(PackNode(spec.title, made[spec.stem].pdf))
        if spec.template == "agreement.docx" and record.placement.agreement.evidence:
            nodes.append(
                PackNode("Signed agreement (evidence)", Path(data.folder) / record.placement.agreement.evidence)
            )
    name = documents.display_name(record)
    return assemble_pack(
        made[specs[-1].stem].pdf,
        [PackNode(name, children=tuple(nodes))],
        out / "cases" / f"{pupil_id}.pdf",
        footer=f"{data.school.school.name}: {name}",
        title=f"Case sample: {name}",
        made=generated(load_wording(templates / LABELS_FILE), now),
    )


def _pupil_document(
    folder: Path,
    pupil_id: str,
    out_root: Path,
    templates: Path,
    now: datetime | None,
    plan: Callable[[SchoolData, str, date], DocumentSpec],
) -> Produced:
    """The one document ``plan`` gives for a pupil (the school, the pupil's id, the day), made."""
    today = stamp(now).date()
    return _make(folder, out_root, templates, lambda data: [plan(data, pupil_id, today)], pupil_id)[0]


def _make(
    folder: Path,
    out_root: Path,
    templates: Path,
    plan: Callable[[SchoolData], list[DocumentSpec]],
    pupil_id: str | None = None,
) -> list[Produced]:
    """The documents ``plan`` gives for the school in ``folder`` (of pupil ``pupil_id``, if given),
    made into the school's output folder."""
    data = _load(folder, pupil_id)
    return produce(plan(data), out_root / data.slug, templates)


def _load(folder: Path, pupil_id: str | None) -> SchoolData:
    """The school in ``folder``; InputError if ``pupil_id`` is given and none of its pupils."""
    from packgen.records.read import load_school

    data = load_school(folder)
    if pupil_id is not None and pupil_id not in data.pupils:
        raise InputError(_unknown("pupil", pupil_id, data.pupils, f"{folder}/pupils"))
    return data


def _unknown(kind: str, wanted: str, known: Iterable[str], where: str) -> str:
    known = list(known)
    close = difflib.get_close_matches(wanted, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known) or 'none'})"
    return f"{where}: there is no {kind} '{wanted}'{hint}"
