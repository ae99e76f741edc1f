"""The build, top to bottom: load → documents → render → convert → assemble → publish.

Every command that produces files goes through ``produce()``, so the agreement, the letters and the
pack share one way of writing output: everything is made in a private staging folder beside the
output, and only a complete, successful run is moved into place. A failed run leaves whatever was there
before exactly as it was.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from . import documents, readiness
from .assemble import PackNode, assemble_pack
from .convert import convert_to_pdf
from .documents import DocumentSpec
from .errors import InputError
from .load import load_school
from .models import SchoolData
from .render import Renderer

DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PACK_NAME = "evidence-pack.pdf"


@dataclass(frozen=True)
class Produced:
    """One document as written: its editable .docx and its .pdf."""

    spec: DocumentSpec
    docx: Path
    pdf: Path


@dataclass(frozen=True)
class PackBuilt:
    path: Path
    page_count: int
    documents: list[Produced]
    pupils: int
    providers: int


def build_agreement(folder: Path, pupil_id: str, out_root: Path, *, templates: Path = DEFAULT_TEMPLATES,
                    now: datetime | None = None) -> Produced:
    data = load_school(folder)
    if pupil_id not in data.pupils:
        raise InputError(_unknown("pupil", pupil_id, data.pupils, f"{folder}/pupils"))
    spec = documents.agreement(data, pupil_id, _now(now).date())
    return produce([spec], _school_out(out_root, data), templates)[0]


def build_letters(folder: Path, out_root: Path, *, provider_id: str | None = None,
                  templates: Path = DEFAULT_TEMPLATES, now: datetime | None = None) -> list[Produced]:
    data = load_school(folder)
    if provider_id is not None and provider_id not in data.providers:
        raise InputError(_unknown("provider", provider_id, data.providers, f"{folder}/providers"))
    ids = [provider_id] if provider_id else list(data.providers)
    today = _now(now).date()
    return produce([documents.letter(data, i, today) for i in ids], _school_out(out_root, data), templates)


def build_pack(folder: Path, out_root: Path, *, templates: Path = DEFAULT_TEMPLATES,
               now: datetime | None = None, today: date | None = None) -> PackBuilt:
    """The evidence pack. ``now`` stamps the cover and register; ``today`` (default: now's date) is the day
    the records are judged on, so a pack built for a given day always holds the same findings."""
    data = load_school(folder)
    now = _now(now)
    today = today or now.date()
    findings = readiness.assess(data, today)
    cover, register = documents.cover(data, now), documents.register(data, now)
    report = documents.readiness_report(data, today, findings, readiness.RULES)
    provider_docs = {pid: documents.provider_documents(data, pid, today, findings) for pid in data.providers}
    pupil_docs = {pid: [documents.summary(data, pid, today, findings), *documents.pupil_documents(data, pid, today)]
                  for pid in data.pupils}
    pack_only = (cover, register, report)
    specs = [*pack_only, *(d for docs in provider_docs.values() for d in docs),
             *(d for docs in pupil_docs.values() for d in docs)]

    out = _school_out(out_root, data)
    with _staging(out) as stage:
        made = {p.spec.stem: p for p in _render_and_convert(specs, stage, templates)}
        tree = _pack_tree(data, made, provider_docs, pupil_docs, register, report)
        pack = assemble_pack(made[cover.stem].pdf, tree, stage / PACK_NAME,
                             footer=f"{data.school.school.name} · Evidence pack")
        published = _publish([made[s.stem] for s in specs if s not in pack_only], stage, out)
        os.replace(stage / PACK_NAME, out / PACK_NAME)
    return PackBuilt(out / PACK_NAME, pack.page_count, published, len(data.pupils), len(data.providers))


def produce(specs: Sequence[DocumentSpec], out: Path, templates: Path) -> list[Produced]:
    """Render and convert ``specs``, then move them into ``out`` only once all of them succeeded."""
    with _staging(out) as stage:
        return _publish(_render_and_convert(specs, stage, templates), stage, out)


def _render_and_convert(specs: Sequence[DocumentSpec], stage: Path, templates: Path) -> list[Produced]:
    renderer = Renderer(templates)
    docx_files = []
    for spec in specs:
        dest = stage / f"{spec.stem}.docx"
        _private_dir(dest.parent)
        renderer.render(spec.template, spec.context, dest)
        docx_files.append(dest)
    pdf_files = convert_to_pdf(docx_files, stage, base=stage)
    return [Produced(spec, docx, pdf) for spec, docx, pdf in zip(specs, docx_files, pdf_files, strict=True)]


def _publish(made: Sequence[Produced], stage: Path, out: Path) -> list[Produced]:
    """Move finished documents from the staging folder to their places in ``out``."""
    published = []
    for item in made:
        docx = out / f"{item.spec.stem}.docx"
        pdf = out / f"{item.spec.stem}.pdf"
        _private_dir(docx.parent)
        os.replace(item.docx, docx)
        os.replace(item.pdf, pdf)
        published.append(Produced(item.spec, docx, pdf))
    return published


def _pack_tree(data: SchoolData, made: dict[str, Produced], provider_docs: dict[str, list[DocumentSpec]],
               pupil_docs: dict[str, list[DocumentSpec]], register: DocumentSpec,
               report: DocumentSpec) -> list[PackNode]:
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
    """A private folder beside the output, on the same file system so moves out of it are atomic."""
    _private_dir(out)
    stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _private_dir(path: Path) -> None:
    """Create ``path`` (and parents) readable by the owner only, whatever the umask."""
    missing = []
    for p in (path, *path.parents):
        if p.exists():
            break
        missing.append(p)
    path.mkdir(parents=True, exist_ok=True)
    for p in missing:
        os.chmod(p, 0o700)


def _school_out(out_root: Path, data: SchoolData) -> Path:
    return out_root / data.slug


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now()).replace(microsecond=0)


def _unknown(kind: str, wanted: str, known, where: str) -> str:
    close = difflib.get_close_matches(wanted, list(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known) or 'none'})"
    return f"{where}: there is no {kind} '{wanted}'{hint}"
