"""Filled documents of one template converted by LibreOffice as one document, then cut apart again.

Why: LibreOffice spends about 0.08 s on every document it opens and exports, whatever its length
(loading the package and its styles, setting up the export, embedding the fonts). Measured here,
thirty education plans joined into one converted in 5.2 s of processor time against 7.5 s one by
one, page for page the same (docs/performance.md). How documents are joined, and which never are:
join.py. The joined PDF is cut at each member's named destination.

Only documents of one kind are joined, and a kind is a template's documents for one pack. A PDF cut
from a joined one keeps the subsets of the fonts LibreOffice embedded for all of its members: members
of one pack only, joined as they would be if that pack were built alone, make a pack the same size
however many schools are built at once (joined across schools, each school's pack carried other
schools' font subsets and grew by half).

Every document is converted with the same export options, joined or not (``soffice.PDF_EXPORT``), so the
two ways give the same pages: tests compare them as images for every template that is joined.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject

from packgen.errors import ToolError
from packgen.files import private_dirs, replacing, run_folder
from packgen.office.convert import DEFAULT_SETTINGS, ConvertSettings, convert
from packgen.office.join import MARK, NotJoinable, Package, check, join_packages
from packgen.runtime.workers import default_workers, forked_map

# Members per joined document: enough to spread LibreOffice's cost per document thin, few enough
# that a long document does not swell LibreOffice's memory or leave one worker with all the work.
MAX_MEMBERS = 20
# Fewer documents than this are converted as they are: joining and cutting apart cost more than the
# ~0.08 s a document it saves (a rebuild after an edit makes about ten).
JOIN_FROM = 16


def split(joined: Path, targets: Sequence[Path]) -> bool:
    """Cut the PDF of a joined document into one PDF per member, written to ``targets`` (0600).

    False, writing nothing, if the members' first pages cannot all be found in order.
    """
    reader = PdfReader(joined)
    destinations = reader.named_destinations
    starts: list[int] = []
    for number in range(len(targets)):
        found = destinations.get(f"/{MARK}{number}")
        page_number = None if found is None else reader.get_destination_page_number(found)
        if page_number is None:  # no such mark, or one on no page of the document
            return False
        starts.append(page_number)
    ends = [*starts[1:], len(reader.pages)]
    if starts[0] != 0 or any(end <= start for start, end in zip(starts, ends)):
        return False
    outline = _outline(reader, reader.outline)
    for target, start, end in zip(targets, starts, ends):
        writer = PdfWriter()
        for index in range(start, end):
            page = reader.pages[index]
            # LibreOffice gives every page of a document the same resources: each member's pictures
            # would travel in every other member's PDF (another pupil's chart in this one's).
            # Not page.get(): pypdf resolves an indirect object only when indexed.
            resources = page["/Resources"] if "/Resources" in page else None  # noqa: SIM401
            if isinstance(resources, DictionaryObject) and "/XObject" in resources:  # only then is the drawing read
                page[NameObject("/Resources")] = _used(resources, page.get_contents())
            writer.add_page(page)
        _add_outline(writer, outline, start, end, None)
        if reader.metadata:
            writer.add_metadata({key: value for key, value in reader.metadata.items() if isinstance(value, str)})
        with replacing(Path(target)) as stream:
            writer.write(stream)
    return True


_DRAWN = re.compile(rb"/([^\s/\[\]<>(){}%]+)\s*Do\b")


def _used(resources: DictionaryObject, content) -> DictionaryObject:
    """``resources`` with only the pictures and forms ``content`` draws (forms pruned likewise)."""
    drawn = resources.get("/XObject")
    if drawn is None:
        return resources
    names = {name.decode("latin-1") for name in _DRAWN.findall(content.get_data() if content is not None else b"")}
    kept = DictionaryObject()
    for key, reference in drawn.get_object().items():
        if key[1:] in names:
            item = reference.get_object()
            if item.get("/Subtype") == "/Form" and "/Resources" in item:
                item[NameObject("/Resources")] = _used(item["/Resources"].get_object(), item)
            kept[NameObject(key)] = reference
    pruned = DictionaryObject(resources)
    pruned[NameObject("/XObject")] = kept
    return pruned


@dataclass
class _Heading:
    title: str
    page: int
    children: list[_Heading]


def _outline(reader: PdfReader, items: list) -> list[_Heading]:
    """LibreOffice's bookmarks (the headings), as a tree with page numbers."""
    headings: list[_Heading] = []
    for item in items:
        if isinstance(item, list):
            if headings:
                headings[-1].children = _outline(reader, item)
            continue
        page = reader.get_destination_page_number(item)
        if page is not None and page >= 0:
            headings.append(_Heading(str(item.title), page, []))
    return headings


def _add_outline(writer: PdfWriter, headings: list[_Heading], start: int, end: int, parent) -> None:
    for heading in headings:
        if start <= heading.page < end:
            item = writer.add_outline_item(title=heading.title, page_number=heading.page - start, parent=parent)
            _add_outline(writer, heading.children, start, end, item)


def convert_documents(
    documents: Sequence[tuple[str, Path, Path]],
    settings: ConvertSettings = DEFAULT_SETTINGS,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> None:
    """Convert (kind, .docx, .pdf to write) documents, joining those of one kind where they can be.

    A kind is a template's file name, or ``<pack>/<template>`` to keep packs apart (see above).

    As ``convert.convert`` otherwise: all or nothing, PDFs owner-only, ToolError naming a document that
    failed, ``settings.ready`` for documents still being written, ``settings.head_start`` (used only for
    too few to join).
    Joining can cost time but never a document: if LibreOffice fails on a joined document, or its PDF
    cannot be cut at every member, those members are converted one by one.
    """
    if len(documents) < JOIN_FROM:
        # So few that LibreOffice's start, not its cost per document, is what they wait for.
        count = min(settings.workers or default_workers(), max(len(documents), 1))
        convert([(docx, pdf) for _, docx, pdf in documents], replace(settings, workers=count), on_progress=on_progress)
        return
    if settings.ready is not None:
        settings.ready()  # joined, they must all be there first
    count = min(settings.workers or default_workers(), len(documents))
    # Written and joined by now, and too many for the head start's few places.
    joining = replace(settings, workers=count, ready=None, head_start=None)
    with run_folder("packgen-join-") as work:
        jobs = _jobs(documents, work, count)
        # Everything is made in the work folder and moved into place only once all of it is made.
        made = {docx: work / "pdf" / f"{number:05d}.pdf" for number, (_, docx, _) in enumerate(documents)}
        joined = {docx: work / f"{docx.stem}.pdf" for docx, members in jobs.items() if len(members) > 1}
        try:
            convert(
                [(docx, joined.get(docx) or made[docx]) for docx in jobs],
                joining,
                on_progress=on_progress and _in_documents(len(documents), on_progress),
            )
            cuts = [(joined[docx], members) for docx, members in jobs.items() if docx in joined]
            whole = forked_map(lambda cut: split(cut[0], [made[member] for member, _ in cut[1]]), cuts, minimum=4)
            again = [member for (_, members), ok in zip(cuts, whole) if not ok for member, _ in members]
        except ToolError:
            if not joined:
                raise
            # Whatever LibreOffice failed on, the documents alone will show: either they convert, or the
            # error names the very document it cannot take.
            again = [docx for _, docx, _ in documents]
        convert([(docx, made[docx]) for docx in again], joining)
        for _, docx, pdf in documents:
            private_dirs(Path(pdf).parent)
            shutil.move(made[docx], pdf)


def _jobs(documents: Sequence[tuple[str, Path, Path]], work: Path, workers: int) -> dict[Path, list[tuple[Path, Path]]]:
    """What LibreOffice is given: each .docx to convert, with the (member .docx, .pdf) it stands for.

    Each kind's joinable documents are joined into at least one document per worker, so the
    workers share every kind out evenly, and at most MAX_MEMBERS to a document.
    """
    by_kind: dict[str, list[tuple[Path, Path]]] = {}
    for kind, docx, pdf in documents:
        by_kind.setdefault(kind, []).append((docx, pdf))
    per_pack: dict[str, int] = {}
    for kind, of_kind in by_kind.items():
        per_pack[_pack(kind)] = per_pack.get(_pack(kind), 0) + len(of_kind)
    pieces: list[tuple[list[tuple[Path, Path]], Path]] = []
    singles: dict[Path, list[tuple[Path, Path]]] = {}
    for kind, of_template in by_kind.items():
        if per_pack[_pack(kind)] < JOIN_FROM:  # as that pack alone would be converted
            singles |= {docx: [(docx, pdf)] for docx, pdf in of_template}
            continue
        count = max(-(-len(of_template) // MAX_MEMBERS), min(workers, len(of_template) // 2), 1)
        pieces += [
            (of_template[n::count], work / f"{len(pieces) + n:04d}-{Path(kind).stem}.docx") for n in range(count)
        ]
    return singles | {docx: members for piece in forked_map(_piece, pieces, minimum=4) for docx, members in piece}


def _pack(kind: str) -> str:
    return kind.rpartition("/")[0]


def _piece(piece: tuple[list[tuple[Path, Path]], Path]) -> list[tuple[Path, list[tuple[Path, Path]]]]:
    """One piece of a template's documents: those that can be joined, joined into ``dest``; the others alone."""
    documents, dest = piece
    jobs, chunk, packages = [], [], []
    for docx, pdf in documents:
        try:
            package = Package.read(docx)
            check(package)
        except NotJoinable:
            jobs.append((docx, [(docx, pdf)]))
            continue
        chunk.append((docx, pdf))
        packages.append(package)
    if len(chunk) > 1:
        try:
            join_packages(packages, [docx for docx, _ in chunk], dest)
            return [*jobs, (dest, chunk)]
        except NotJoinable:
            pass
    return jobs + [(docx, [(docx, pdf)]) for docx, pdf in chunk]


def _in_documents(documents: int, report: Callable[[int, int], None]) -> Callable[[int, int], None]:
    """Progress in documents when LibreOffice reports it in jobs of several documents each (jobs finish
    in no fixed order; the average size is near enough for a progress bar)."""
    return lambda done, jobs: report(min(documents, round(done * documents / max(jobs, 1))), documents)
