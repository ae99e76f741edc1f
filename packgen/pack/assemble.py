"""PDFs to one evidence pack: cover, contents, the documents, bookmarks and a footer on every page.

The order of work follows what each step needs to know. The documents are appended first, which
gives every entry its first page. The contents is then laid out; how many pages it needs depends
only on the entries, never on the numbers printed in it, so it can be counted before numbering,
then numbered, drawn and put in after the cover. Only then is every page's number final, so the
footers ("page X of N") come last.

Packs run to thousands of pages, so each step costs little per page: an input's reader is closed as
soon as its pages are copied, and a page's own drawing is never decoded and re-encoded to add its
footer (footers.py).

Text we draw (contents, footers) is real text (typeface.py), searchable and copyable.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfWriter
from pypdf.annotations import Link
from pypdf.errors import PyPdfError

from packgen._compat.pypdf import write_names_once
from packgen.errors import ToolError
from packgen.files import replacing
from packgen.pack.contents import PAGE_H, PAGE_W, paginate
from packgen.pack.earlier import EarlierPack, EarlierPages, Unusable
from packgen.pack.fonts import share_fonts
from packgen.pack.footers import CLASSIFICATION, UPRIGHT, draw, stamp_footers, visual_box
from packgen.pack.inputs import append_pdf
from packgen.pack.outline import PackNode, add_outline, entry_tree, pdfs_in_order, titles, walk
from packgen.pack.typeface import typeface
from packgen.runtime.collection import fewer_collections


@dataclass(frozen=True)
class PackResult:
    """The pack as written. ``placed``: where each of packgen's own documents is in it, by its PDF
    (first page counted from 0, page count), for the next build to take unchanged ones from
    (earlier.py); ``kept``: how many pages this build took from the earlier pack."""

    path: Path
    page_count: int
    placed: dict[Path, tuple[int, int]] = field(default_factory=dict)
    kept: int = 0


def assemble_pack(
    cover: Path,
    nodes: Sequence[PackNode],
    dest: Path,
    *,
    footer: str,
    contents_title: str = "Contents",
    title: str | None = None,
    made: str | None = None,
    password: str | None = None,
    pending: Collection[Path] = (),
    wait: Callable[[], None] | None = None,
    ours: Collection[Path] = (),
    earlier: EarlierPack | None = None,
) -> PackResult:
    """Write the pack to ``dest``: the cover, the contents, then every node's pages depth first.

    A node's page is the first page of its own PDF, or of its first descendant that has one; a
    node with no pages anywhere below is left out of the contents and the bookmarks. The
    bookmarks are "Contents" followed by the node tree, nested as the tree is. Every page gets a
    footer: ``footer`` on the left, OFFICIAL-SENSITIVE in the middle, "page X of N" on the right.
    The PDF's title is ``title`` (default: ``footer``) and its subject OFFICIAL-SENSITIVE. ``made``,
    when the pack was made in words, follows ``footer`` under the contents' heading.

    ``dest`` is replaced in one step (mode 0600) only when the whole pack has been written; on
    any failure it is left as it was. An input PDF that cannot be read raises InputError naming it.
    With ``password`` the pack is encrypted with AES-256: it cannot be opened without it.

    PDFs in ``pending`` are still being made when this is called: every other document goes in
    first, then ``wait()`` is called (it returns once they exist, or raises; it is called whenever
    given, pending or not), and they go in at their places. Reading the documents already made
    overlaps the making of the others.

    PDFs in ``ours`` are packgen's own, made by LibreOffice: the check that the pages of every other
    PDF can be decoded (a scan cut short by a failed download, say) is left out for them.

    ``earlier`` is the pack the last build wrote and where its unchanged documents' pages are: those
    are taken from it (earlier.py), with the same result as from their own PDFs. If it is not as
    recorded, every document is read from its own PDF.
    """
    write_names_once()
    assemble = functools.partial(
        _assemble,
        cover,
        nodes,
        Path(dest),
        footer=footer,
        contents_title=contents_title,
        title=title,
        made=made,
        password=password,
        pending=pending,
        wait=wait,
        ours=ours,
    )
    with fewer_collections():
        try:
            return assemble(earlier=earlier)
        except Unusable:
            return assemble(earlier=None)


def _assemble(
    cover: Path,
    nodes: Sequence[PackNode],
    dest: Path,
    *,
    footer: str,
    contents_title: str,
    title: str | None,
    made: str | None,
    password: str | None,
    pending: Collection[Path],
    wait: Callable[[], None] | None,
    ours: Collection[Path],
    earlier: EarlierPack | None,
) -> PackResult:
    face = typeface()
    subtitle = footer if made is None else f"{footer} · {made}"
    face.check([subtitle, contents_title, *titles(nodes)])  # before the slow part, not after it
    writer = PdfWriter()
    documents = [Path(cover), *pdfs_in_order(nodes)]
    later = {Path(pdf) for pdf in pending}
    own = {Path(pdf) for pdf in ours}
    checked = [pdf not in own for pdf in documents]
    pages: dict[int, int] = {}
    kept = 0
    taken = EarlierPages(earlier) if earlier is not None and earlier.pages else None
    try:
        for index, pdf in enumerate(documents):
            if pdf in later:
                continue
            if taken is not None and pdf in own and taken.has(pdf):
                pages[index] = taken.append(writer, pdf)
                kept += pages[index]
            else:
                pages[index] = append_pdf(writer, pdf, check=checked[index])
    finally:
        if taken is not None:
            taken.close(writer)
    if wait is not None:
        wait()
    for index, pdf in enumerate(documents):
        if index not in pages:
            pages[index] = append_pdf(writer, pdf, at=sum(pages[i] for i in range(index)), check=checked[index])
    starts = list(itertools.accumulate((pages[i] for i in range(len(documents))), initial=0))
    share_fonts(
        writer.pages[page]
        for index, pdf in enumerate(documents)
        if pdf in own
        for page in range(starts[index], starts[index + 1])
    )
    cover_pages = pages[0]
    tree = entry_tree(nodes, 0, iter(starts[1:]))
    entries = list(walk(tree))

    layout = paginate(entries, face)
    shift = len(layout)  # the contents pages go in after the cover and push everything back
    for entry in entries:
        entry.first_page += shift
    placements = [visual_box(page) for page in writer.pages]
    placements[cover_pages:cover_pages] = [(PAGE_W, PAGE_H, UPRIGHT)] * shift
    drawn = draw(layout, face, contents_title, subtitle, footer, placements)
    for offset, page in enumerate(drawn.contents):
        writer.insert_page(page, cover_pages + offset)

    stamp_footers(writer, drawn)
    for contents_page, rect, target in drawn.links:
        writer.add_annotation(
            page_number=cover_pages + contents_page,
            annotation=Link(rect=rect, target_page_index=target),
        )
    writer.add_outline_item(title=contents_title, page_number=cover_pages)
    add_outline(writer, tree, None)
    writer.page_mode = "/UseOutlines"
    writer.add_metadata({"/Title": title or footer, "/Subject": CLASSIFICATION, "/Creator": "packgen"})
    # Documents made from the same template carry the same fonts and images; keeping one copy of
    # each made a 300-pupil pack 63 MB instead of 84 MB for 2% more time. The fonts' copies left
    # unreferenced by share_fonts are left out here too. Pages share content streams from here on,
    # so nothing may rewrite one after this: pypdf would then drop a shared content stream from all
    # but the first page.
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    if password:
        writer.encrypt(user_password=password, owner_password=None, algorithm="AES-256")
    _write_atomically(writer, dest)
    placed = {
        pdf: (starts[index] + (shift if index else 0), pages[index])
        for index, pdf in enumerate(documents)
        if pdf in own
    }
    written = PackResult(path=dest, page_count=len(writer.pages), placed=placed, kept=kept)
    _release(writer)
    return written


def _release(writer: PdfWriter) -> None:
    """Free a written pack's objects at once.

    pypdf's objects point back at the writer that holds them, so they would wait, cycles and all,
    for the cycle collector, which runs seldom during a build (collector.py): a process that builds
    again (the web page's) held the last pack's objects into the next build (measured: 240 MB more
    at 100 pupils). Emptied of them, the writer holds nothing, and they are freed as it is dropped.
    """
    for value in vars(writer).values():
        if isinstance(value, (list, dict)):
            value.clear()


def _write_atomically(writer: PdfWriter, dest: Path) -> None:
    """Write the pack owner-only and replace ``dest`` with it in one step, the file and the rename
    both on disk before this returns (files.py)."""
    try:
        with replacing(dest, durable=True) as out:
            writer.write(out)
    except OSError as exc:
        raise ToolError(f"cannot write the pack to {dest}: {exc.strerror or exc}") from exc
    except PyPdfError as exc:
        raise ToolError(f"pypdf could not write the pack to {dest}: {exc}") from exc
