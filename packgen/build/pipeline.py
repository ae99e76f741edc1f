"""The build, top to bottom: load → documents → render → convert → assemble → publish.

Every command that produces files goes through ``produce()``, so the agreement, the letters and the
pack share one way of writing output: everything is made in a private staging folder beside the
output, and only a complete, successful run is moved into place. A failed run leaves whatever was there
before exactly as it was.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from packgen.build.cache import (
    DocumentCache,
    Keys,
    built_before,
    documents_in_place,
    forget_pack_state,
    load_pack_state,
    pack_inputs,
    save_pack_state,
)
from packgen.build.lock import exclusive
from packgen.documents import DEFAULT_TEMPLATES
from packgen.errors import DataError, InputError, ToolError
from packgen.files import private_dirs, run_folder
from packgen.runtime.collection import fewer_collections
from packgen.runtime.workers import PARALLEL_FROM, default_workers

# Filling, converting and assembling bring pydantic, docxtpl, pypdf and reportlab: imported where they
# are used, so a build with nothing to do (every pack up to date) never loads them.
if TYPE_CHECKING:
    from packgen.documents.fill import Renderer
    from packgen.documents.plan import DocumentSpec
    from packgen.office.convert import ConvertSettings, HeadStart
    from packgen.pack.assemble import PackNode, PackResult
    from packgen.records import evidence
    from packgen.records.models import SchoolData

PACK_NAME = "evidence-pack.pdf"
# A build that makes at most one in this many of a pack's documents reads the others into the pack
# while LibreOffice converts: a rebuild after an edit (see build_packs).
OVERLAP_SHARE = 4

# on_progress(step, done, total) for the long steps: "render", "convert", "assemble".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Produced:
    """One document as written: its editable .docx and its .pdf."""

    spec: DocumentSpec
    docx: Path
    pdf: Path


@dataclass(frozen=True)
class PackOptions:
    """How a pack is made beyond the records themselves."""

    password: str | None = None  # encrypt the pack (AES-256); its documents beside it stay as they are
    redact: bool = False  # initials for names; no DOB, ethnicity, contacts or scans; own folder
    skip_bad_evidence: bool = False  # build without unreadable scans, listing them on a page of the pack


@dataclass(frozen=True)
class PackBuilt:
    """A pack as built. ``documents`` are its documents beside it: those this build wrote, and those
    unchanged since the last build, left where they were (none at all when ``up_to_date``: the pack
    and its documents were already as they would be made). Of all the pack's documents (the cover,
    register and readiness report too), ``made`` were rendered and converted and ``reused`` came from
    the cache or were left in place."""

    path: Path
    page_count: int
    documents: list[Produced]
    pupils: int
    providers: int
    made: int = 0
    reused: int = 0
    up_to_date: bool = False
    findings: dict[str, int] = field(default_factory=dict)  # how many readiness findings of each severity
    left_out: list[evidence.BadEvidence] = field(default_factory=list)  # scans skipped by skip_bad_evidence


def build_agreement(
    folder: Path, pupil_id: str, out_root: Path, *, templates: Path = DEFAULT_TEMPLATES, now: datetime | None = None
) -> Produced:
    from packgen.documents import plan as documents
    from packgen.records.read import load_school

    data = load_school(folder)
    if pupil_id not in data.pupils:
        raise InputError(_unknown("pupil", pupil_id, data.pupils, f"{folder}/pupils"))
    spec = documents.agreement(data, pupil_id, _now(now).date())
    return produce([spec], _school_out(out_root, data), templates)[0]


def build_provider_list(
    folder: Path, out_root: Path, *, templates: Path = DEFAULT_TEMPLATES, now: datetime | None = None
) -> tuple[Produced, DocumentSpec]:
    """The list of providers the inspection planning call asks for, as .docx and .pdf (and its data)."""
    from packgen.documents import notices
    from packgen.records.read import load_school

    data = load_school(folder)
    spec = notices.provider_list(data, _now(now).date())
    return produce([spec], _school_out(out_root, data), templates)[0], spec


def build_direction_notice(
    folder: Path, pupil_id: str, out_root: Path, *, templates: Path = DEFAULT_TEMPLATES, now: datetime | None = None
) -> Produced:
    """The notice to parents of a pupil's off-site direction."""
    from packgen.documents import notices
    from packgen.records.read import load_school

    data = load_school(folder)
    if pupil_id not in data.pupils:
        raise InputError(_unknown("pupil", pupil_id, data.pupils, f"{folder}/pupils"))
    if not data.pupils[pupil_id].placement.off_site_direction.directed:
        raise InputError(
            f"{folder}/pupils/{pupil_id}.yaml: placement.off_site_direction.directed is not true, so "
            "there is no direction to give notice of."
        )
    spec = notices.direction_notice(data, pupil_id, _now(now).date())
    return produce([spec], _school_out(out_root, data), templates)[0]


def build_la_letter(
    folder: Path, pupil_id: str, out_root: Path, *, templates: Path = DEFAULT_TEMPLATES, now: datetime | None = None
) -> Produced:
    """The letter telling the local authority of a pupil's placement."""
    from packgen.documents import notices
    from packgen.records.read import load_school

    data = load_school(folder)
    if pupil_id not in data.pupils:
        raise InputError(_unknown("pupil", pupil_id, data.pupils, f"{folder}/pupils"))
    spec = notices.la_letter(data, pupil_id, _now(now).date())
    return produce([spec], _school_out(out_root, data), templates)[0]


def build_letters(
    folder: Path,
    out_root: Path,
    *,
    provider_id: str | None = None,
    templates: Path = DEFAULT_TEMPLATES,
    now: datetime | None = None,
) -> list[Produced]:
    from packgen.documents import plan as documents
    from packgen.records.read import load_school

    data = load_school(folder)
    if provider_id is not None and provider_id not in data.providers:
        raise InputError(_unknown("provider", provider_id, data.providers, f"{folder}/providers"))
    ids = [provider_id] if provider_id else list(data.providers)
    today = _now(now).date()
    return produce([documents.letter(data, i, today) for i in ids], _school_out(out_root, data), templates)


def build_governors_report(
    folder: Path, term: str, out_root: Path, *, templates: Path = DEFAULT_TEMPLATES, today: date | None = None
) -> Produced:
    """The governors' termly report for ``term`` (compared with the term before), as .docx and .pdf."""
    from packgen.documents.governors import governors_report
    from packgen.records.read import load_school

    data = load_school(folder)
    spec = governors_report(data, term, today or _now(None).date())
    return produce([spec], _school_out(out_root, data), templates)[0]


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
    from packgen.pack.assemble import PackNode, assemble_pack
    from packgen.readiness import rules as readiness
    from packgen.records.read import load_school

    data = load_school(folder)
    if pupil_id not in data.pupils:
        raise InputError(_unknown("pupil", pupil_id, data.pupils, f"{folder}/pupils"))
    day = today or _now(None).date()
    findings = readiness.assess(data, day)
    specs = [
        documents.summary(data, pupil_id, day, findings),
        *documents.pupil_documents(data, pupil_id, day),
        documents.cover(data, _now(None)),
    ]
    out = _school_out(out_root, data)
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
    )


def build_pack(
    folder: Path,
    out_root: Path,
    *,
    templates: Path = DEFAULT_TEMPLATES,
    now: datetime | None = None,
    today: date | None = None,
    on_progress: Progress | None = None,
    options: PackOptions = PackOptions(),
) -> PackBuilt:
    """The evidence pack. ``now`` stamps the cover and register; ``today`` (default: now's date) is the day
    the records are judged on, so a pack built for a given day always holds the same findings.
    What is redone on a rebuild, and ``on_progress``: see ``build_packs``."""
    return build_packs(
        [folder], out_root, templates=templates, now=now, today=today, on_progress=on_progress, options=options
    )[0]


def build_packs(
    folders: Sequence[Path],
    out_root: Path,
    *,
    templates: Path = DEFAULT_TEMPLATES,
    now: datetime | None = None,
    today: date | None = None,
    on_progress: Progress | None = None,
    options: PackOptions = PackOptions(),
) -> list[PackBuilt]:
    """One evidence pack per school folder, in order; all their documents share one pool of LibreOffice
    workers.

    A pack whose inputs (every file of its school folder and of ``templates``, packgen, the days) are
    as when it was last built, and whose files are as that build left them, is left alone
    (``up_to_date``; its cover keeps the time it was made). Otherwise each document found in the
    cache is reused and only the others are rendered and converted. Every school is loaded before
    anything is written, so a data problem in one stops them all. An encrypted pack is always made
    again (the password is never stored to compare); a redacted one goes to ``<school>-redacted``.
    """
    with fewer_collections():
        return _build_packs(folders, out_root, templates, _now(now), today, on_progress or _quiet, options)


def _build_packs(
    folders: Sequence[Path],
    out_root: Path,
    templates: Path,
    now: datetime,
    today: date | None,
    progress: Progress,
    options: PackOptions,
) -> list[PackBuilt]:
    today = today or now.date()
    names = [_out_name(Path(folder).resolve().name, options) for folder in folders]
    if len(set(names)) < len(names):
        raise InputError(
            "two of the school folders have the same name, so their packs would overwrite each "
            "other in the output folder; build them one at a time with different --out folders"
        )
    results: dict[int, PackBuilt] = {}
    to_build: list[tuple[int, Path, str]] = []
    for number, (folder, name) in enumerate(zip(folders, names)):
        out = Path(out_root) / name
        inputs = pack_inputs(folder, templates, (now.date(), today), skip=Path(out_root))
        # An encrypted pack is noted as such, so a later plain build never takes it as up to date.
        inputs += f"-redacted={options.redact}-skip={options.skip_bad_evidence}-encrypted={bool(options.password)}"
        state = None if options.password else load_pack_state(out, inputs)
        if state is not None:
            results[number] = PackBuilt(
                out / PACK_NAME,
                state["page_count"],
                [],
                state["pupils"],
                state["providers"],
                reused=state["documents"],
                up_to_date=True,
                findings=state.get("findings", {}),
            )
        else:
            to_build.append((number, Path(folder), inputs))

    if not to_build:
        return [results[number] for number in range(len(folders))]
    from packgen.documents.fill import Renderer
    from packgen.records.read import load_school

    with ExitStack() as stack:
        # A pack built before is most likely rebuilt after an edit: a few documents to make.
        head_start = (
            _head_start(stack) if len(to_build) == 1 and built_before(Path(out_root) / names[to_build[0][0]]) else None
        )
        plans = [
            _Planned(number, inputs, _plan_pack(load_school(folder), Path(out_root), now, today, options))
            for number, folder, inputs in to_build
        ]
        stages = [stack.enter_context(_staging(p.plan.out)) for p in plans]
        renderer = Renderer(templates)
        made, to_make = _look_up(
            [
                _Batch(p.plan.specs, stage, p.plan.out, documents_in_place(p.plan.out))
                for p, stage in zip(plans, stages)
            ],
            renderer,
        )
        if len(plans) == 1 and to_make and len(to_make) * OVERLAP_SHARE <= len(plans[0].plan.specs):
            # A rebuild that makes a few documents: the pack reads the others while LibreOffice works.
            # Leaving the pool waits for its thread, so LibreOffice never writes into a removed folder.
            pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="packgen-convert"))
            conversion = _fill_while_converting(pool, to_make, renderer, progress, head_start)
            packs = [
                _assemble(
                    plans[0].plan,
                    made[0],
                    stages[0],
                    progress,
                    pending={m.pdf for m in to_make},
                    wait=conversion.result,
                )
            ]
        else:
            _fill(to_make, renderer, progress)
            _convert(to_make, progress)
            # Every pack is assembled before any is published: one that fails leaves all as they were.
            packs = [_assemble(p.plan, batch, stage, progress) for p, stage, batch in zip(plans, stages, made)]
        for p, stage, batch, pack in zip(plans, stages, made, packs):
            results[p.number] = _publish_pack(p.plan, batch, stage, pack, p.inputs)
    return [results[number] for number in range(len(folders))]


@dataclass(frozen=True)
class _PackPlan:
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


def _plan_pack(data: SchoolData, out_root: Path, now: datetime, today: date, options: PackOptions) -> _PackPlan:
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
    return _PackPlan(
        data,
        out_root / _out_name(data.slug, options),
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


def _assemble(
    plan: _PackPlan,
    batch: _Made,
    stage: Path,
    progress: Progress,
    pending: set[Path] = frozenset(),
    wait: Callable[[], None] | None = None,
) -> PackResult:
    """The pack from its made documents, in the staging folder (those in ``pending`` once ``wait``
    has returned: they are still being made)."""
    from packgen.pack.assemble import PackNode, assemble_pack

    made = {p.spec.stem: p for p in batch.produced}
    tree = _pack_tree(plan.data, made, plan.provider_docs, plan.pupil_docs, plan.register, plan.report)
    # The planning call's list of providers opens the pack, right after the cover.
    tree.insert(0, PackNode(plan.provider_list.title, made[plan.provider_list.stem].pdf))
    if plan.left_out_page:  # right after the findings, so nobody misses that the pack is incomplete
        tree.insert(3, PackNode(plan.left_out_page.title, made[plan.left_out_page.stem].pdf))
    kind = "Evidence pack (redacted)" if plan.options.redact else "Evidence pack"

    def made_at_last() -> None:
        if wait is not None:
            wait()
        progress("assemble", 0, 1)  # only now, so it never interleaves with the conversion's reports

    pack = assemble_pack(
        made[plan.cover.stem].pdf,
        tree,
        stage / PACK_NAME,
        footer=f"{plan.data.school.school.name} · {kind}",
        password=plan.options.password,
        pending=pending,
        wait=made_at_last,
        ours=[p.pdf for p in batch.produced],
    )
    progress("assemble", 1, 1)
    return pack


def _publish_pack(plan: _PackPlan, batch: _Made, stage: Path, pack: PackResult, inputs: str) -> PackBuilt:
    """Move the pack and its documents into place, and note what they were made from."""
    data, out = plan.data, plan.out
    made = {p.spec.stem: p for p in batch.produced}
    forget_pack_state(out)
    published = _publish([made[s.stem] for s in plan.specs if s not in plan.pack_only], stage, out)
    os.replace(stage / PACK_NAME, out / PACK_NAME)
    save_pack_state(
        out,
        inputs,
        [out / PACK_NAME, *(f for p in published for f in (p.docx, p.pdf))],
        page_count=pack.page_count,
        pupils=len(data.pupils),
        providers=len(data.providers),
        documents=len(batch.produced),
        findings=plan.findings,
        keys={p.spec.stem: batch.keys[p.spec.stem] for p in published if p.spec.stem in batch.keys},
    )
    DocumentCache(out).prune(batch.keys.values())
    return PackBuilt(
        out / PACK_NAME,
        pack.page_count,
        published,
        len(data.pupils),
        len(data.providers),
        made=batch.made,
        reused=len(batch.produced) - batch.made,
        findings=plan.findings,
        left_out=plan.left_out,
    )


def produce(
    specs: Sequence[DocumentSpec], out: Path, templates: Path, on_progress: Progress | None = None
) -> list[Produced]:
    """Render and convert ``specs`` (reusing those in the cache), then move them into ``out`` only once all
    of them succeeded."""
    from packgen.documents.fill import Renderer

    progress = on_progress or _quiet
    with _staging(out) as stage:
        renderer = Renderer(templates)
        made, to_make = _look_up([_Batch(specs, stage, out, {})], renderer)
        _fill(to_make, renderer, progress)
        _convert(to_make, progress)
        return _publish(made[0].produced, stage, out)


@dataclass(frozen=True)
class _Made:
    produced: list[Produced]  # in the order of the specs: in the staging folder, or left in place
    keys: dict[str, str]  # the cache keys they were made or found under, by stem
    made: int  # how many were rendered and converted (the rest came from the cache)


@dataclass(frozen=True)
class _ToMake:
    """A document to make: its spec, where its .docx and .pdf go, and the cache (and key) to keep it under."""

    spec: DocumentSpec
    docx: Path
    pdf: Path
    cache: DocumentCache
    key: str | None


@dataclass(frozen=True)
class _Batch:
    """One school's documents to look up: where they are staged, where they go, and which the last
    build left in place there (by stem: the key each was made under)."""

    specs: Sequence[DocumentSpec]
    stage: Path
    out: Path
    placed: dict[str, str]


@dataclass(frozen=True)
class _Planned:
    """A school's pack to build: its place among the folders asked for, its inputs' digest, its plan."""

    number: int
    inputs: str
    plan: _PackPlan


def _look_up(batches: Sequence[_Batch], renderer: Renderer) -> tuple[list[_Made], list[_ToMake]]:
    """Each batch (specs, staging folder, output folder, documents in place there) as documents: those
    the last build left in the output folder under the same key stay there; those in its cache are
    copied into the staging folder; the others are listed to be made (rendered, converted, cached)."""
    # A key holds only the data its template reads: an edit remakes only documents that print it.
    keys = Keys(renderer.templates_dir, data_read=renderer.data_read, template_digest=renderer.template_digest)
    results, to_make = [], []
    for batch in batches:
        specs, stage, out, placed = batch.specs, batch.stage, batch.out, batch.placed
        cache = DocumentCache(out)
        produced, found, made = [], {}, 0
        for spec in specs:
            key = keys.key(spec.template, spec.context)
            if key is not None and placed.get(spec.stem) == key:
                # Unchanged since the last build: copying it out of the cache to move it back would
                # cost a second for every thousand documents and change nothing.
                produced.append(Produced(spec, out / f"{spec.stem}.docx", out / f"{spec.stem}.pdf"))
                found[spec.stem] = key
                continue
            docx, pdf = stage / f"{spec.stem}.docx", stage / f"{spec.stem}.pdf"
            private_dirs(docx.parent)
            if key is None or not cache.fetch(key, docx, pdf):
                to_make.append(_ToMake(spec, docx, pdf, cache, key))
                made += 1
            if key is not None:
                found[spec.stem] = key
            produced.append(Produced(spec, docx, pdf))
        results.append(_Made(produced, found, made))
    return results, to_make


def _fill(to_make: Sequence[_ToMake], renderer: Renderer, progress: Progress) -> None:
    from packgen.build.parallel_fill import fill_documents

    fill_documents(
        renderer,
        [(m.spec.template, m.spec.context, m.docx) for m in to_make],
        on_progress=lambda done, total: progress("render", done, total),
    )


def _fill_while_converting(
    pool: ThreadPoolExecutor,
    to_make: Sequence[_ToMake],
    renderer: Renderer,
    progress: Progress,
    head_start: HeadStart | None = None,
) -> Future[None]:
    """Fill ``to_make``, and convert them in ``pool``'s thread: the conversion, to wait for.

    LibreOffice gets one core fewer than usual: the pack reads the other documents on the one left
    (measured at 30 pupils: 1.1 s for the rebuild against 1.35 s with every core converting).
    Fewer documents than it is worth forking for are filled here, one by one, while LibreOffice
    starts: its start (0.2 s) is as long as filling four, and it takes each as it is written (see
    ConvertSettings' ``ready``). More are filled first, on every core: forking needs no other thread
    running.
    """
    from packgen.office.convert import ConvertSettings

    settings = ConvertSettings(workers=max(1, default_workers() - 1), head_start=head_start)
    if len(to_make) >= PARALLEL_FROM:
        _fill(to_make, renderer, progress)
        return pool.submit(_convert, to_make, progress, settings)
    filled: Future[None] = Future()

    def after_filling(step: str, done: int, total: int) -> None:  # one step at a time for the progress bar
        if filled.done():
            progress(step, done, total)

    conversion = pool.submit(_convert, to_make, after_filling, replace(settings, ready=filled.result))
    try:
        _fill(to_make, renderer, progress)
    except BaseException as exc:
        filled.set_exception(exc)
        raise
    filled.set_result(None)
    return conversion


def _convert(to_make: Sequence[_ToMake], progress: Progress, settings: ConvertSettings | None = None) -> None:
    """Every document of every batch in one run of the LibreOffice workers, then into the cache."""
    from packgen.office.batches import convert_documents
    from packgen.office.convert import DEFAULT_SETTINGS

    # Joined only within a pack, so a pack's PDFs are the same whichever packs are built with it.
    convert_documents(
        [(f"{m.cache.out.name}/{m.spec.template}", m.docx, m.pdf) for m in to_make],
        settings or DEFAULT_SETTINGS,
        on_progress=lambda done, total: progress("convert", done, total),
    )
    for m in to_make:
        if m.key is not None:
            m.cache.store(m.key, m.docx, m.pdf)


def _head_start(stack: ExitStack) -> HeadStart | None:
    """A LibreOffice started now, while the records are read (convert.HeadStart); None if it cannot
    start: then nothing is lost but time, and a build with nothing to convert never needed it."""
    from packgen.office.convert import HeadStart

    try:
        return stack.enter_context(HeadStart())
    except ToolError:
        return None


def _publish(made: Sequence[Produced], stage: Path, out: Path) -> list[Produced]:
    """Move finished documents from the staging folder to their places in ``out``."""
    published = []
    for item in made:
        docx = out / f"{item.spec.stem}.docx"
        pdf = out / f"{item.spec.stem}.pdf"
        if (item.docx, item.pdf) == (docx, pdf):  # left in place: as the last build wrote it
            published.append(item)
            continue
        private_dirs(docx.parent)
        os.replace(item.docx, docx)
        os.replace(item.pdf, pdf)
        published.append(Produced(item.spec, docx, pdf))
    return published


def _pack_tree(
    data: SchoolData,
    made: dict[str, Produced],
    provider_docs: dict[str, list[DocumentSpec]],
    pupil_docs: dict[str, list[DocumentSpec]],
    register: DocumentSpec,
    report: DocumentSpec,
) -> list[PackNode]:
    from packgen.documents import plan as documents
    from packgen.pack.assemble import PackNode

    folder = Path(data.folder)
    providers = []
    for pid, provider in sorted(data.providers.items(), key=lambda kv: kv[1].name.casefold()):
        docs = []
        for spec in provider_docs[pid]:
            docs.append(PackNode(spec.title, made[spec.stem].pdf))
            if spec.template == "assurance.docx" and provider.assurance.evidence:
                docs.append(PackNode("Returned assurance (evidence)", folder / provider.assurance.evidence))
        providers.append(PackNode(provider.name, children=tuple(docs)))

    pupils = []
    for pid, record in sorted(data.pupils.items(), key=lambda kv: documents.display_name(kv[1]).casefold()):
        docs = []
        for spec in pupil_docs[pid]:
            docs.append(PackNode(spec.title, made[spec.stem].pdf))
            if spec.template == "agreement.docx" and record.placement.agreement.evidence:
                docs.append(PackNode("Signed agreement (evidence)", folder / record.placement.agreement.evidence))
        pupils.append(PackNode(documents.display_name(record), children=tuple(docs)))

    return [
        PackNode(register.title, made[register.stem].pdf),
        PackNode(report.title, made[report.stem].pdf),
        PackNode("Providers", children=tuple(providers)),
        PackNode("Pupils", children=tuple(pupils)),
    ]


@contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A private folder beside the output, on the same file system so moves out of it are atomic. One a
    killed run left behind is removed (see files.run_folder)."""
    private_dirs(out)
    with exclusive(out, f"the output for {out.name}"), run_folder(".staging-", out) as stage:
        yield stage


def _school_out(out_root: Path, data: SchoolData) -> Path:
    return out_root / data.slug


def _out_name(slug: str, options: PackOptions) -> str:
    """A redacted pack and its documents get a folder of their own, never mixed with the full ones."""
    return f"{slug}-redacted" if options.redact else slug


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now()).replace(microsecond=0)


def _quiet(step: str, done: int, total: int) -> None:
    """No progress reports wanted."""


def _unknown(kind: str, wanted: str, known, where: str) -> str:
    close = difflib.get_close_matches(wanted, list(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known) or 'none'})"
    return f"{where}: there is no {kind} '{wanted}'{hint}"
