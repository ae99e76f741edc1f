"""PDFs to one evidence pack: cover, contents, the documents, bookmarks and a footer on every page.

The order of work follows what each step needs to know. The documents are appended first, which
gives every entry its first page. The contents is then laid out; how many pages it needs depends
only on the entries, never on the numbers printed in it, so it can be counted before numbering,
then numbered, drawn and put in after the cover. Only then is every page's number final, so the
footers ("page X of N") come last.

Packs run to thousands of pages, so each step costs little per page: an input's reader is closed as
soon as its pages are copied, and a page's own drawing is never decoded and re-encoded to add its
footer (see _stamp_footers).

Text we draw (contents, footers) is real text (typeface.py), searchable and copyable.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.errors import PyPdfError
from pypdf.filters import decode_stream_data
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
)
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas

from packgen._compat.pypdf import add_object, write_names_once
from packgen.errors import InputError, PackgenError, ToolError
from packgen.files import replacing
from packgen.pack.typeface import Runs, Typeface, typeface
from packgen.records.evidence import open_pdf
from packgen.runtime.collection import fewer_collections

CLASSIFICATION = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True)
class PackNode:
    """One entry of the pack: a section, a provider or pupil, or a document.

    ``pdf`` holds this node's own pages (None for a grouping node); its children follow them.
    """

    title: str
    pdf: Path | None = None
    children: tuple[PackNode, ...] = ()


@dataclass(frozen=True)
class PackResult:
    path: Path
    page_count: int


def assemble_pack(
    cover: Path,
    nodes: Sequence[PackNode],
    dest: Path,
    *,
    footer: str,
    contents_title: str = "Contents",
    title: str | None = None,
    password: str | None = None,
    pending: Collection[Path] = (),
    wait: Callable[[], None] | None = None,
    ours: Collection[Path] = (),
) -> PackResult:
    """Write the pack to ``dest``: the cover, the contents, then every node's pages depth first.

    A node's page is the first page of its own PDF, or of its first descendant that has one; a
    node with no pages anywhere below is left out of the contents and the bookmarks. The
    bookmarks are "Contents" followed by the node tree, nested as the tree is. Every page gets a
    footer: ``footer`` on the left, OFFICIAL-SENSITIVE in the middle, "page X of N" on the right.
    The PDF's title is ``title`` (default: ``footer``) and its subject OFFICIAL-SENSITIVE.

    ``dest`` is replaced in one step (mode 0600) only when the whole pack has been written; on
    any failure it is left as it was. An input PDF that cannot be read raises InputError naming it.
    With ``password`` the pack is encrypted with AES-256: it cannot be opened without it.

    PDFs in ``pending`` are still being made when this is called: every other document goes in
    first, then ``wait()`` is called (it returns once they exist, or raises; it is called whenever
    given, pending or not), and they go in at their places. Reading the documents already made
    overlaps the making of the others.

    PDFs in ``ours`` are packgen's own, made by LibreOffice: the check that the pages of every other
    PDF can be decoded (a scan cut short by a failed download, say) is left out for them.
    """
    write_names_once()
    with fewer_collections():
        return _assemble(
            cover,
            nodes,
            Path(dest),
            footer=footer,
            contents_title=contents_title,
            title=title,
            password=password,
            pending=pending,
            wait=wait,
            ours=ours,
        )


def _assemble(
    cover: Path,
    nodes: Sequence[PackNode],
    dest: Path,
    *,
    footer: str,
    contents_title: str,
    title: str | None,
    password: str | None,
    pending: Collection[Path],
    wait: Callable[[], None] | None,
    ours: Collection[Path],
) -> PackResult:
    face = typeface()
    face.check([footer, contents_title, *_titles(nodes)])  # before the slow part, not after it
    writer = PdfWriter()
    documents = [Path(cover), *_documents(nodes)]
    later = {Path(pdf) for pdf in pending}
    own = {Path(pdf) for pdf in ours}
    checked = [pdf not in own for pdf in documents]
    pages = {
        index: _append(writer, pdf, check=checked[index]) for index, pdf in enumerate(documents) if pdf not in later
    }
    if wait is not None:
        wait()
    for index, pdf in enumerate(documents):
        if index not in pages:
            pages[index] = _append(writer, pdf, at=sum(pages[i] for i in range(index)), check=checked[index])
    starts = list(itertools.accumulate((pages[i] for i in range(len(documents))), initial=0))
    cover_pages = pages[0]
    tree = _entries(nodes, 0, iter(starts[1:]))
    entries = list(_walk(tree))

    layout = _paginate(entries, face)
    shift = len(layout)  # the contents pages go in after the cover and push everything back
    for entry in entries:
        entry.first_page += shift
    placements = [_visual_box(page) for page in writer.pages]
    placements[cover_pages:cover_pages] = [(PAGE_W, PAGE_H, _UPRIGHT)] * shift
    drawn = _draw(layout, face, contents_title, footer, placements)
    for offset, page in enumerate(drawn.contents):
        writer.insert_page(page, cover_pages + offset)

    _stamp_footers(writer, drawn)
    for contents_page, rect, target in drawn.links:
        writer.add_annotation(
            page_number=cover_pages + contents_page,
            annotation=Link(rect=rect, target_page_index=target),
        )
    writer.add_outline_item(title=contents_title, page_number=cover_pages)
    _add_outline(writer, tree, None)
    writer.page_mode = "/UseOutlines"
    writer.add_metadata({"/Title": title or footer, "/Subject": CLASSIFICATION, "/Creator": "packgen"})
    # Documents made from the same template carry the same fonts and images; keeping one copy of
    # each made a 300-pupil pack 63 MB instead of 84 MB for 2% more time. Pages share content
    # streams from here on, so nothing may rewrite one after this: pypdf would then drop a shared content stream from all but the first page.
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    if password:
        writer.encrypt(user_password=password, owner_password=None, algorithm="AES-256")
    _write_atomically(writer, dest)
    written = PackResult(path=dest, page_count=len(writer.pages))
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


# -- reading the inputs -------------------------------------------------------------------------


@dataclass
class _Entry:
    depth: int
    title: str
    first_page: int  # 0-based index in the pack
    children: list[_Entry] = field(default_factory=list)


def _append(writer: PdfWriter, pdf: Path, at: int | None = None, check: bool = True) -> int:
    """Add the PDF's pages at the end, or before page ``at``; how many pages it has. With ``check``,
    every page's drawing is decoded once, to find damage."""
    start = len(writer.pages) if at is None else at
    try:
        # Closing the reader drops its copy of the file and the objects it parsed, which the
        # writer has cloned by then.
        # Another's PDF is read only once it is known to be a file that does not inflate without end.
        with open_pdf(pdf) if check else PdfReader(pdf) as reader:
            # Many PDFs are "protected" only against editing, with an empty password to open them.
            if reader.is_encrypted and not reader.decrypt(""):
                raise InputError(f"{pdf}: the PDF needs a password to open; save an unprotected copy")
            if len(reader.pages) == 0:
                raise InputError(f"{pdf}: the PDF has no pages")
            count = len(reader.pages)
            writer.merge(at, reader, import_outline=False)
        # The writer keeps every reader it cloned from, for clones still to come; there are none.
        writer.reset_translation(reader)
    except PackgenError:
        raise
    except OSError as exc:
        raise InputError(f"{pdf}: cannot read the file: {exc.strerror or exc}") from exc
    except Exception as exc:  # a damaged PDF makes pypdf raise many kinds of error, not only its own
        raise InputError(f"{pdf}: not a readable PDF ({type(exc).__name__}: {exc})") from exc
    if not check:
        return count
    # The pages' drawing is copied as it is, still encoded; decoding it once here finds damage
    # while the file can still be named, rather than in a reader's hands. (A stream's own
    # get_data() would keep the decoded copy in memory.) An eighth of the time reading takes.
    try:
        for index in range(start, start + count):
            for part in _content_parts(writer.pages[index]):
                if NameObject("/Filter") in part.get_object():
                    decode_stream_data(part.get_object())
    except Exception as exc:
        raise InputError(f"{pdf}: a page of this PDF is damaged ({type(exc).__name__}: {exc})") from exc
    return count


def _documents(nodes: Sequence[PackNode]) -> Iterator[Path]:
    """Every node's PDF, depth first: the order their pages go in."""
    for node in nodes:
        if node.pdf is not None:
            yield Path(node.pdf)
        yield from _documents(node.children)


def _titles(nodes: Sequence[PackNode]) -> Iterator[str]:
    for node in nodes:
        yield node.title
        yield from _titles(node.children)


def _entries(nodes: Sequence[PackNode], depth: int, starts: Iterator[int]) -> list[_Entry]:
    """The contents entries, given where each document (in the order of ``_documents``) starts and,
    after the last, where the pages end. A node's first page is its own PDF's, or its first
    descendant's; a node with no pages below it has no entry."""
    entries = []
    for node in nodes:
        own = next(starts) if node.pdf is not None else None
        children = _entries(node.children, depth + 1, starts)
        first = own if own is not None else (children[0].first_page if children else None)
        if first is not None:
            entries.append(_Entry(depth, " ".join(node.title.split()), first, children))
    return entries


def _walk(entries: list[_Entry]) -> Iterator[_Entry]:
    for entry in entries:
        yield entry
        yield from _walk(entry.children)


def _add_outline(writer: PdfWriter, entries: list[_Entry], parent: IndirectObject | None) -> None:
    for entry in entries:
        item = writer.add_outline_item(
            title=entry.title,
            page_number=entry.first_page,
            parent=parent,
            bold=entry.depth == 0,
            # Sections open, showing pupils and providers; each of those opens on a click.
            is_open=entry.depth == 0,
        )
        _add_outline(writer, entry.children, item)


# -- the contents ---------------------------------------------------------------------------------

PAGE_W, PAGE_H = A4
LEFT = 2.2 * cm
RIGHT = PAGE_W - 2.2 * cm
FIRST_TOP = PAGE_H - 4.6 * cm  # below the title block
NEXT_TOP = PAGE_H - 3.4 * cm  # below "Contents (continued)"
BOTTOM = 2.2 * cm  # the footer sits below 1 cm
NUMBER_COLUMN = 1.4 * cm
GREY = 0.38


@dataclass(frozen=True)
class _Style:
    size: float
    leading: float
    bold: bool
    indent: float
    space_before: float
    grey: float


def _style(depth: int) -> _Style:
    if depth == 0:
        return _Style(size=11.5, leading=15, bold=True, indent=0, space_before=11, grey=0)
    if depth == 1:
        return _Style(size=10, leading=13.5, bold=False, indent=0.6 * cm, space_before=1.5, grey=0.1)
    return _Style(size=9, leading=12, bold=False, indent=0.6 * cm * depth, space_before=0, grey=GREY)


@dataclass(frozen=True)
class _Placed:
    entry: _Entry
    lines: list[str]
    top: float  # y of the top of its first line's box


def _paginate(entries: list[_Entry], face: Typeface) -> list[list[_Placed]]:
    """Lay the entries out on contents pages; page numbers play no part, so this comes first."""
    wrapped = []
    for entry in entries:
        style = _style(entry.depth)
        width = RIGHT - NUMBER_COLUMN - LEFT - style.indent
        wrapped.append((entry, style, face.wrap(entry.title, style.size, width, style.bold)))

    pages: list[list[_Placed]] = [[]]
    y = FIRST_TOP
    for n, (entry, style, lines) in enumerate(wrapped):
        gap = style.space_before if pages[-1] else 0
        needed = gap + style.leading * len(lines)
        if n + 1 < len(wrapped) and wrapped[n + 1][0].depth > entry.depth:
            needed += wrapped[n + 1][1].leading  # keep a heading (section, pupil) with its first entry
        if y - needed < BOTTOM and pages[-1]:
            pages.append([])
            y, gap = NEXT_TOP, 0
        pages[-1].append(_Placed(entry, lines, y - gap))
        y -= gap + style.leading * len(lines)
    return pages


def _draw_contents(
    canvas: Canvas, layout: list[list[_Placed]], face: Typeface, heading: str, subtitle: str
) -> list[tuple[int, tuple[float, float, float, float], int]]:
    """Draw the contents pages on ``canvas``; each entry's link is (contents page, rect, target page)."""
    links = []
    for number, placed_entries in enumerate(layout):
        canvas.setPageSize(A4)
        if number == 0:
            face.draw(canvas, LEFT, PAGE_H - 2.6 * cm, heading, 22, bold=True)
            canvas.setFillGray(GREY)
            face.draw(canvas, LEFT, PAGE_H - 3.35 * cm, face.fit(subtitle, 10.5, RIGHT - LEFT), 10.5)
            rule = PAGE_H - 3.8 * cm
        else:
            face.draw(canvas, LEFT, PAGE_H - 2.5 * cm, f"{heading} (continued)", 12, bold=True)
            rule = PAGE_H - 2.8 * cm
        canvas.setStrokeGray(0.6)
        canvas.setLineWidth(0.6)
        canvas.line(LEFT, rule, RIGHT, rule)
        for placed in placed_entries:
            links.append((number, _draw_entry(canvas, face, placed), placed.entry.first_page))
        canvas.showPage()
    return links


def _draw_entry(canvas: Canvas, face: Typeface, placed: _Placed) -> tuple[float, float, float, float]:
    style = _style(placed.entry.depth)
    x = LEFT + style.indent
    baseline = placed.top - style.size
    canvas.setFillGray(style.grey)
    for line in placed.lines:
        face.draw(canvas, x, baseline, line, style.size, style.bold)
        baseline -= style.leading
    baseline += style.leading  # back to the last line, where the number goes
    number = str(placed.entry.first_page + 1)
    number_width = face.width(number, style.size, style.bold)
    face.draw(canvas, RIGHT - number_width, baseline, number, style.size, style.bold)

    # Dot leader from the end of the title to the number, drawn (not typed) so the text layer
    # reads "title number".
    start = x + face.width(placed.lines[-1], style.size, style.bold) + 5
    end = RIGHT - number_width - 5
    if end - start > 6:
        canvas.saveState()
        canvas.setStrokeGray(0.55)
        canvas.setLineWidth(0.9)
        canvas.setLineCap(1)
        canvas.setDash([0.01, 3.2])
        canvas.line(start, baseline + 1, end, baseline + 1)
        canvas.restoreState()
    return (x - 2, baseline - 0.3 * style.size, RIGHT + 2, placed.top + 1)


# -- footers --------------------------------------------------------------------------------------

FOOTER_SIZE = 7.5
FOOTER_BASELINE = 0.5 * cm
FOOTER_MARGIN = 1.5 * cm


@dataclass(frozen=True)
class _Footer:
    """One page's footer: where it goes, and its "page X of N" as reportlab encoded it."""

    width: float  # the page's width as seen, which places the text common to all footers
    matrix: tuple[float, ...]  # from the upright view to the page's own space
    number_x: float
    number: Runs


@dataclass(frozen=True)
class _Drawn:
    """All that reportlab drew for a pack, read back with pypdf (not yet in the pack)."""

    contents: list[PageObject]
    links: list[tuple[int, tuple[float, float, float, float], int]]
    fonts: dict[str, IndirectObject]  # by reportlab's name: the fonts the footers are written in
    common: dict[float, list[tuple[float, Runs]]]  # by page width: (x, text) of what all footers say
    footers: list[_Footer]  # one for each page of the pack, in order


def _draw(
    layout: list[list[_Placed]],
    face: Typeface,
    heading: str,
    footer: str,
    placements: list[tuple[float, float, tuple[float, ...]]],
) -> _Drawn:
    """Draw the contents pages, and encode the footers' text in the same reportlab document.

    A footer is text only, so reportlab need not draw a page for each: its fonts encode the
    text, and _stamp_footers writes it onto the pages. The contents and the footers then share
    one copy of each font.
    """
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    links = _draw_contents(canvas, layout, face, heading, footer)
    centre = face.width(CLASSIFICATION, FOOTER_SIZE, bold=True)
    common = {}
    for width in dict.fromkeys(width for width, _, _ in placements):
        room = (width - centre) / 2 - FOOTER_MARGIN - 0.4 * cm  # the footer is cut short before the centre
        common[width] = [
            (FOOTER_MARGIN, face.encode(canvas, face.fit(footer, FOOTER_SIZE, room))),
            ((width - centre) / 2, face.encode(canvas, CLASSIFICATION, bold=True)),
        ]
    footers = []
    for number, (width, _, matrix) in enumerate(placements, start=1):
        text = f"page {number} of {len(placements)}"
        x = width - FOOTER_MARGIN - face.width(text, FOOTER_SIZE)
        footers.append(_Footer(width, matrix, x, face.encode(canvas, text)))
    canvas.save()  # only now: the fonts reportlab embeds hold the characters encoded so far

    contents = _reportlab_pages(buffer)
    used = {name for texts in common.values() for _, runs in texts for name, _ in runs}
    used |= {name for f in footers for name, _ in f.number}
    fonts = contents[0]["/Resources"]["/Font"]  # reportlab gives every page all the document's fonts
    return _Drawn(contents, links, {name: fonts.raw_get(name) for name in used}, common, footers)


def _stamp_footers(writer: PdfWriter, drawn: _Drawn) -> None:
    """Write every page's footer over its own drawing, at its visual bottom.

    The page's /Contents becomes an array: "q", the page's own content streams as they were
    (still encoded: they are never decoded, parsed or compressed again), then "Q" so that nothing
    the drawing left changed (its coordinate system, say) moves the footer, and the footer. Only
    the "page X of N" stream is the page's own; the "q" and the rest of the footer are shared by
    all pages of the same size, and a resources dictionary is copied once for all the pages that
    shared it (LibreOffice gives all of a document's pages the same one).
    """
    # pypdf has no public way to add a new indirect object; streams must be indirect.
    save_state = add_object(writer, _stream(b"q\n"))
    fonts = {name: font.clone(writer) for name, font in drawn.fonts.items()}
    with_fonts: dict[int, tuple[IndirectObject, dict[str, NameObject]]] = {}
    commons: dict[tuple[object, ...], IndirectObject] = {}
    for page, footer in zip(writer.pages, drawn.footers):
        own = page.get(NameObject("/Resources"))
        if isinstance(own, IndirectObject) and own.idnum in with_fonts:
            resources, names = with_fonts[own.idnum]
        else:
            resources, names = _add_fonts(writer, own, fonts)
            if isinstance(own, IndirectObject):
                with_fonts[own.idnum] = resources, names
        key = (footer.width, footer.matrix, *names.values())
        if key not in commons:
            # Left to right, so the text layer reads in the order the eye does.
            texts = " ".join(_show(x, runs, names) for x, runs in drawn.common[footer.width])
            call = f"\nQ q {_numbers(footer.matrix)} cm 0.3 g {texts}\n"
            commons[key] = add_object(writer, _stream(call.encode()))
        number = _show(footer.number_x, footer.number, names) + " Q\n"
        page[NameObject("/Resources")] = resources
        page[NameObject("/Contents")] = ArrayObject(
            [save_state, *_content_parts(page), commons[key], add_object(writer, _stream(number.encode()))]
        )


def _show(x: float, runs: Runs, names: dict[str, NameObject]) -> str:
    """A text object writing ``runs`` from (x, FOOTER_BASELINE), fonts named as in the page's resources."""
    shown = " ".join(f"{names[font]} {FOOTER_SIZE} Tf <{codes.hex()}> Tj" for font, codes in runs)
    return f"BT 1 0 0 1 {_numbers((x, FOOTER_BASELINE))} Tm {shown} ET"


def _add_fonts(
    writer: PdfWriter, own: IndirectObject | DictionaryObject | None, fonts: dict[str, IndirectObject]
) -> tuple[IndirectObject, dict[str, NameObject]]:
    """A copy of a page's resources with the footer's fonts added, under names the page does not use."""
    resources = DictionaryObject(own.get_object() if own is not None else {})
    in_use = DictionaryObject(resources.get(NameObject("/Font"), DictionaryObject()).get_object())
    names = {}
    for name, font in fonts.items():
        names[name] = NameObject("/Packgen" + name.lstrip("/"))
        while names[name] in in_use:
            names[name] = NameObject(names[name] + "_")
        in_use[names[name]] = font
    resources[NameObject("/Font")] = in_use
    return add_object(writer, resources), names


def _content_parts(page: PageObject) -> list:
    """The page's content streams (references to them), in drawing order."""
    contents = page.get(NameObject("/Contents"))
    if contents is None:  # a blank page may have no content at all
        return []
    resolved = contents.get_object()
    if isinstance(resolved, ArrayObject):
        return list(resolved)
    return [contents] if isinstance(resolved, StreamObject) else []


def _stream(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def _numbers(values: tuple[float, ...]) -> str:
    return " ".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in values)


def _visual_box(page: PageObject) -> tuple[float, float, tuple[float, ...]]:
    """The page's size as a reader sees it, and the matrix from that view to the page's own space.

    The footer is drawn upright on a (width, height) page; the matrix turns it by the page's
    /Rotate (clockwise on screen) and moves it onto the visible crop box.
    """
    box = page.cropbox
    x0, y0, x1, y1 = float(box.left), float(box.bottom), float(box.right), float(box.top)
    w, h = x1 - x0, y1 - y0
    rotation = page.rotation % 360
    if rotation == 90:
        return h, w, (0, 1, -1, 0, x1, y0)
    if rotation == 180:
        return w, h, (-1, 0, 0, -1, x1, y1)
    if rotation == 270:
        return h, w, (0, -1, 1, 0, x0, y1)
    return w, h, (1, 0, 0, 1, x0, y0)


_UPRIGHT = (1, 0, 0, 1, 0, 0)

_WIDE_TO_UNICODE = re.compile(rb"<([0-9A-F]{2})> <([0-9A-F]{5,6})>")


def _reportlab_pages(buffer: io.BytesIO) -> list[PageObject]:
    """The pages reportlab drew, with its ToUnicode maps mended for characters beyond U+FFFF.

    reportlab writes such a character (an emoji) as ``<1F600>``, which is not valid UTF-16BE, so
    readers drop it from the text layer; the map wants the surrogate pair ``<D83DDE00>``.
    """
    reader = PdfReader(buffer)
    mended: set[int] = set()
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            cmap = font.get_object().get("/ToUnicode")
            if cmap is None or cmap.indirect_reference.idnum in mended:
                continue
            mended.add(cmap.indirect_reference.idnum)
            cmap = cmap.get_object()
            cmap.set_data(_WIDE_TO_UNICODE.sub(_surrogates, cmap.get_data()))
    return list(reader.pages)


def _surrogates(match: re.Match[bytes]) -> bytes:
    pair = chr(int(match[2], 16)).encode("utf-16-be").hex().upper().encode()
    return b"<" + match[1] + b"> <" + pair + b">"


# -- writing --------------------------------------------------------------------------------------


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
