"""What a school's pack holds before anything is made: its documents, and how the pack arranges them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from packgen.errors import DataError

# Planning brings pydantic and the readiness rules: imported where they are used, so a build with
# nothing to do (every pack up to date) never loads them.
if TYPE_CHECKING:
    from packgen.build.making import Produced
    from packgen.documents.plan import DocumentSpec
    from packgen.documents.wording import Wording
    from packgen.pack.assemble import PackNode
    from packgen.records import evidence
    from packgen.records.school_data import SchoolData


@dataclass(frozen=True)
class PackOptions:
    """How a pack is made beyond the records themselves."""

    password: str | None = None  # encrypt the pack (AES-256); its documents beside it stay as they are
    redact: bool = False  # initials for names; no DOB, ethnicity, contacts or scans; own folder
    skip_bad_evidence: bool = False  # build without unreadable scans, listing them on a page of the pack


DEFAULT_OPTIONS = PackOptions()


@dataclass(frozen=True)
class PackPlan:
    """A school's pack before anything is made: its documents and how the pack arranges them."""

    data: SchoolData
    out: Path
    specs: list[DocumentSpec]
    pack_only: tuple[DocumentSpec, ...]
    cover: DocumentSpec
    provider_list: DocumentSpec
    register: DocumentSpec
    report: DocumentSpec
    provider_docs: dict[str, list[DocumentSpec]]
    pupil_docs: dict[str, list[DocumentSpec]]
    options: PackOptions
    findings: dict[str, int]
    left_out: list[evidence.BadEvidence]
    left_out_page: DocumentSpec | None


def plan_pack(data: SchoolData, out_root: Path, now: datetime, today: date, options: PackOptions) -> PackPlan:
    from packgen.documents import notices
    from packgen.documents import plan as documents
    from packgen.readiness import rules as readiness
    from packgen.records import evidence
    from packgen.records.redact import redact

    if options.redact:
        data = redact(data)
    left_out = evidence.bad_evidence(data)
    if left_out and not options.skip_bad_evidence:
        raise DataError(evidence.problems(left_out))
    data = evidence.without(data, left_out)
    left_out_page = documents.evidence_left_out(data, today, left_out) if left_out else None
    findings = readiness.assess(data, today)
    cover, register = documents.cover(data, now), documents.register(data, now)
    provider_list = notices.provider_list(data, today)
    report = documents.readiness_report(data, today, findings, readiness.RULES)
    provider_docs = {pid: documents.provider_documents(data, pid, today, findings) for pid in data.providers}
    pupil_docs = {
        pid: [documents.summary(data, pid, today, findings), *documents.pupil_documents(data, pid, today)]
        for pid in data.pupils
    }
    pack_only = (cover, provider_list, register, report) + ((left_out_page,) if left_out_page else ())
    specs = [
        *pack_only,
        *(d for docs in provider_docs.values() for d in docs),
        *(d for docs in pupil_docs.values() for d in docs),
    ]
    severities = {level: sum(f.severity == level for f in findings) for level in ("critical", "high", "advisory")}
    return PackPlan(
        data,
        out_root / out_name(data.slug, options),
        specs,
        pack_only,
        cover,
        provider_list,
        register,
        report,
        provider_docs,
        pupil_docs,
        options,
        severities,
        left_out,
        left_out_page,
    )


def pack_tree(plan: PackPlan, made: dict[str, Produced]) -> list[PackNode]:
    """The pack's contents after its cover, each document at its place, with the scans of signed
    agreements and returned assurances beside the documents they answer."""
    from packgen.documents import plan as documents
    from packgen.pack.assemble import PackNode

    data = plan.data
    folder = Path(data.folder)
    providers = []
    for pid, provider in sorted(data.providers.items(), key=lambda kv: kv[1].name.casefold()):
        docs = []
        for spec in plan.provider_docs[pid]:
            docs.append(PackNode(spec.title, made[spec.stem].pdf))
            if spec.template == "assurance.docx" and provider.assurance.evidence:
                docs.append(PackNode("Returned assurance (evidence)", folder / provider.assurance.evidence))
        providers.append(PackNode(provider.name, children=tuple(docs)))

    pupils = []
    for pid, record in sorted(data.pupils.items(), key=lambda kv: documents.display_name(kv[1]).casefold()):
        docs = []
        for spec in plan.pupil_docs[pid]:
            docs.append(PackNode(spec.title, made[spec.stem].pdf))
            if spec.template == "agreement.docx" and record.placement.agreement.evidence:
                docs.append(PackNode("Signed agreement (evidence)", folder / record.placement.agreement.evidence))
        pupils.append(PackNode(documents.display_name(record), children=tuple(docs)))

    tree = [
        # The planning call's list of providers opens the pack, right after the cover.
        PackNode(plan.provider_list.title, made[plan.provider_list.stem].pdf),
        PackNode(plan.register.title, made[plan.register.stem].pdf),
        PackNode(plan.report.title, made[plan.report.stem].pdf),
        PackNode("Providers", children=tuple(providers)),
        PackNode("Pupils", children=tuple(pupils)),
    ]
    if plan.left_out_page:  # right after the findings, so nobody misses that the pack is incomplete
        tree.insert(3, PackNode(plan.left_out_page.title, made[plan.left_out_page.stem].pdf))
    return tree


def out_name(slug: str, options: PackOptions) -> str:
    """A redacted pack and its documents get a folder of their own, never mixed with the full ones."""
    return f"{slug}-redacted" if options.redact else slug


def stamp(now: datetime | None) -> datetime:
    """The time a build is stamped with (default: now), to the second."""
    return (now or datetime.now()).replace(microsecond=0)


def generated(words: Wording, now: datetime) -> str:
    """When a pack was made, as its contents page says under the heading: "generated 6 December 2026
    at 14:05" (the cover and the register give the day alone)."""
    from packgen.documents.wording import date_and_time

    return f"generated {date_and_time(words, now)}"
