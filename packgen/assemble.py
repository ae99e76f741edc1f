"""PDFs to one evidence pack: cover, contents, the documents, bookmarks and a footer on every page.

The order of work follows what each step needs to know. The documents are appended first, which
gives every entry its first page. The contents is then laid out; how many pages it needs depends
only on the entries, never on the numbers printed in it, so it can be counted before numbering,
then numbered, drawn and put in after the cover. Only then is every page's number final, so the
footers ("page X of N") come last.

Text we draw (contents, footers) is real text in Liberation Sans, with DejaVu Sans for the
characters Liberation lacks, so a school or pupil name in any script stays searchable and copyable.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
)
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from packgen.errors import InputError, PackgenError, ToolError

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
    """
    dest = Path(dest)
    face = _typeface()
    writer = PdfWriter()
    sources: list[str] = []  # the file each page came from, to name it if a page is damaged
    _append(writer, Path(cover), sources)
    cover_pages = len(writer.pages)
    tree = _append_tree(writer, nodes, 0, sources)
    entries = list(_walk(tree))

    layout = _paginate(entries, face)
    shift = len(layout)  # the contents pages go in after the cover and push everything back
    for entry in entries:
        entry.first_page += shift
    contents, links = _draw_contents(layout, face, contents_title, footer)
    for offset, page in enumerate(contents):
        writer.insert_page(page, cover_pages + offset)
        sources.insert(cover_pages + offset, "the contents")

    _stamp_footers(writer, sources, face, footer)
    for contents_page, rect, target in links:
        writer.add_annotation(
            page_number=cover_pages + contents_page,
            annotation=Link(rect=rect, target_page_index=target),
        )
    writer.add_outline_item(title=contents_title, page_number=cover_pages)
    _add_outline(writer, tree, None)
    writer.page_mode = "/UseOutlines"
    writer.add_metadata({"/Title": title or footer, "/Subject": CLASSIFICATION, "/Creator": "packgen"})
    # After the footers were merged and each page's content re-compressed; the other order
    # corrupts pages that share content (pypdf issue #4111).
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    if password:
        writer.encrypt(user_password=password, owner_password=None, algorithm="AES-256")
    _write_atomically(writer, dest)
    return PackResult(path=dest, page_count=len(writer.pages))


# -- reading the inputs -------------------------------------------------------------------------


@dataclass
class _Entry:
    depth: int
    title: str
    first_page: int  # 0-based index in the pack
    children: list[_Entry] = field(default_factory=list)


def _append(writer: PdfWriter, pdf: Path, sources: list[str]) -> None:
    try:
        reader = PdfReader(pdf)
        # Many PDFs are "protected" only against editing, with an empty password to open them.
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"{pdf}: the PDF needs a password to open; save an unprotected copy")
        if len(reader.pages) == 0:
            raise InputError(f"{pdf}: the PDF has no pages")
        writer.append(reader, import_outline=False)
    except PackgenError:
        raise
    except OSError as exc:
        raise InputError(f"{pdf}: cannot read the file: {exc.strerror or exc}") from exc
    except Exception as exc:  # a damaged PDF makes pypdf raise many kinds of error, not only its own
        raise InputError(f"{pdf}: not a readable PDF ({type(exc).__name__}: {exc})") from exc
    sources.extend([str(pdf)] * (len(writer.pages) - len(sources)))


def _append_tree(
    writer: PdfWriter, nodes: Sequence[PackNode], depth: int, sources: list[str]
) -> list[_Entry]:
    # Pages go in depth first, so a node's first page is wherever the writer stood before it:
    # its own PDF if it has one, else its first descendant's.
    entries = []
    for node in nodes:
        start = len(writer.pages)
        if node.pdf is not None:
            _append(writer, Path(node.pdf), sources)
        children = _append_tree(writer, node.children, depth + 1, sources)
        if len(writer.pages) > start:
            entries.append(_Entry(depth, " ".join(node.title.split()), start, children))
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


# -- fonts ----------------------------------------------------------------------------------------

# (regular, bold) in order of preference; Debian's fonts-liberation, then fonts-dejavu-core.
_FONT_FILES = (
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
)


class _Typeface:
    """A sans-serif with fallbacks: each character is drawn in the first font that has it."""

    def __init__(self, regular: list[TTFont], bold: list[TTFont]):
        self._chains = {False: regular, True: bold}
        for chain in self._chains.values():
            for font in chain:
                pdfmetrics.registerFont(font)

    def runs(self, text: str, bold: bool = False) -> list[tuple[str, str]]:
        """``text`` as (font name, piece) runs."""
        chain = self._chains[bold]
        runs: list[tuple[str, str]] = []
        for char in text:
            font = next((f for f in chain if ord(char) in f.face.charToGlyph), None)
            if font is None:
                # No installed font can draw it (an emoji, say). reportlab would write code 0
                # and the character would vanish from the text; mapping it to the font's
                # "missing glyph" keeps it in the text layer, searchable, drawn as a box.
                font = chain[0]
                font.face.charToGlyph[ord(char)] = 0
            if runs and runs[-1][0] == font.fontName:
                runs[-1] = (font.fontName, runs[-1][1] + char)
            else:
                runs.append((font.fontName, char))
        return runs

    def width(self, text: str, size: float, bold: bool = False) -> float:
        return sum(pdfmetrics.stringWidth(piece, name, size) for name, piece in self.runs(text, bold))

    def draw(self, canvas: Canvas, x: float, y: float, text: str, size: float, bold: bool = False) -> None:
        line = canvas.beginText(x, y)
        for name, piece in self.runs(_visual_order(text), bold):
            line.setFont(name, size)
            line.textOut(piece)
        canvas.drawText(line)

    def fit(self, text: str, size: float, width: float, bold: bool = False) -> str:
        """``text``, cut short with an ellipsis if it is wider than ``width``."""
        if self.width(text, size, bold) <= width:
            return text
        while text and self.width(text + "…", size, bold) > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def wrap(self, text: str, size: float, width: float, bold: bool = False) -> list[str]:
        lines: list[str] = []
        line = ""
        for word in text.split(" "):
            candidate = f"{line} {word}" if line else word
            if self.width(candidate, size, bold) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while len(word) > 1 and self.width(word, size, bold) > width:  # longer than a line
                cut = len(word) - 1
                while cut > 1 and self.width(word[:cut], size, bold) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
        return lines


_RTL = {"R", "AL"}
_BETWEEN_RTL = {"WS", "ON", "CS", "ES", "ET", "NSM", "BN", "EN", "AN"}
_RTL_RUN = re.compile(r"R(?:[nd]*R)*")
_DIGITS = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]+")


def _visual_order(text: str) -> str:
    """Right-to-left words (Hebrew, Arabic) turned round for drawing left to right.

    PDF text is stored in the order it is seen, and readers and text extractors turn
    right-to-left runs back; drawn in typing order, "שלום" would show and copy reversed. Enough of
    the Unicode bidi rules for names: a run of right-to-left letters, with the spaces and
    punctuation between them, is reversed, digits inside it keep their order. (Arabic letters
    are not joined: reportlab shapes text only with uharfbuzz, which we do not depend on.)
    """
    kinds = "".join(
        "R" if k in _RTL else "d" if k in ("EN", "AN") else "n" if k in _BETWEEN_RTL else "L"
        for k in map(unicodedata.bidirectional, text)
    )
    out = list(text)
    for run in _RTL_RUN.finditer(kinds):
        piece = text[run.start() : run.end()][::-1]
        out[run.start() : run.end()] = _DIGITS.sub(lambda m: m.group()[::-1], piece)
    return "".join(out)


@cache
def _typeface() -> _Typeface:
    families = [(r, b if Path(b).exists() else r) for r, b in _FONT_FILES if Path(r).exists()]
    if not families:
        raise ToolError(
            "no font to draw the pack's contents and footers: install Liberation Sans "
            "(on Debian or Ubuntu: `apt-get install fonts-liberation`)"
        )
    regular = [TTFont(f"PackgenSans{n}", r) for n, (r, _) in enumerate(families)]
    bold = [TTFont(f"PackgenSans{n}-Bold", b) for n, (_, b) in enumerate(families)]
    return _Typeface(regular, bold)


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


def _paginate(entries: list[_Entry], face: _Typeface) -> list[list[_Placed]]:
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
    layout: list[list[_Placed]], face: _Typeface, heading: str, subtitle: str
) -> tuple[list[PageObject], list[tuple[int, tuple[float, float, float, float], int]]]:
    """The contents pages, and each entry's link: (contents page, rect, target page)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    links = []
    for number, placed_entries in enumerate(layout):
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
    canvas.save()
    return _reportlab_pages(buffer), links


def _draw_entry(canvas: Canvas, face: _Typeface, placed: _Placed) -> tuple[float, float, float, float]:
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


def _stamp_footers(writer: PdfWriter, sources: list[str], face: _Typeface, footer: str) -> None:
    """Draw every page's footer at its visual bottom, whatever its size and /Rotate."""
    total = len(writer.pages)
    placements = [_visual_box(page) for page in writer.pages]
    centre = face.width(CLASSIFICATION, FOOTER_SIZE, bold=True)
    left_texts: dict[float, str] = {}  # by page width: the footer, shortened if it would reach the centre
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pageCompression=1)
    for number, (width, height, _) in enumerate(placements, start=1):
        canvas.setPageSize((width, height))
        canvas.setFillGray(0.3)
        if width not in left_texts:
            room = (width - centre) / 2 - FOOTER_MARGIN - 0.4 * cm
            left_texts[width] = face.fit(footer, FOOTER_SIZE, room)
        # Left to right, so the text layer reads in the order the eye does.
        face.draw(canvas, FOOTER_MARGIN, FOOTER_BASELINE, left_texts[width], FOOTER_SIZE)
        face.draw(canvas, (width - centre) / 2, FOOTER_BASELINE, CLASSIFICATION, FOOTER_SIZE, bold=True)
        right = f"page {number} of {total}"
        right_x = width - FOOTER_MARGIN - face.width(right, FOOTER_SIZE)
        face.draw(canvas, right_x, FOOTER_BASELINE, right, FOOTER_SIZE)
        canvas.showPage()
    canvas.save()
    overlays = _reportlab_pages(buffer)
    for index, (page, (width, height, matrix)) in enumerate(zip(writer.pages, placements)):
        form = _as_form(overlays[index], width, height).clone(writer)
        try:
            _draw_over(page, form, matrix)
        except Exception as exc:  # the page's own content stream is decoded here for the first time
            raise InputError(
                f"{sources[index]}: a page of this PDF is damaged ({type(exc).__name__}: {exc})"
            ) from exc


# Why not pypdf's merge_transformed_page: it parses the footer's content stream three times for
# every page; stamping 1,320 LibreOffice pages took ~6 s that way and ~2.5 s like this (drawing
# the footers included), where the footer is a Form XObject called by a few bytes appended to
# the page's own content, which is never parsed.


def _as_form(overlay: PageObject, width: float, height: float) -> IndirectObject:
    """The footer page reportlab drew, turned into a Form XObject (its content and resources)."""
    reference = overlay[NameObject("/Contents")]
    stream = reference.get_object()
    stream[NameObject("/Type")] = NameObject("/XObject")
    stream[NameObject("/Subtype")] = NameObject("/Form")
    stream[NameObject("/BBox")] = ArrayObject(FloatObject(v) for v in (0, 0, width, height))
    stream[NameObject("/Resources")] = overlay[NameObject("/Resources")]
    return reference


def _draw_over(page: PageObject, form: IndirectObject, matrix: tuple[float, ...]) -> None:
    # The page's own resources dictionary is often shared by all the pages of its document
    # (LibreOffice does this): give the page its own copy before adding its footer to it.
    resources = DictionaryObject(page.get(NameObject("/Resources"), DictionaryObject()).get_object())
    xobjects = DictionaryObject(resources.get(NameObject("/XObject"), DictionaryObject()).get_object())
    name = NameObject("/PackgenFooter")
    while name in xobjects:
        name = NameObject(name + "_")
    xobjects[name] = form
    resources[NameObject("/XObject")] = xobjects
    page[NameObject("/Resources")] = resources

    content = page.get_contents()
    if content is None:  # a blank page may have no content at all
        content = ContentStream(None, page.indirect_reference.pdf)
    # q ... Q: whatever the page's drawing leaves changed (its coordinate system, say) is undone
    # before the footer is drawn.
    content.isolate_graphics_state()
    call = "q " + " ".join(f"{v:.4f}" for v in matrix) + f" cm {name} Do Q\n"
    content.set_data(content.get_data() + call.encode())
    page.replace_contents(ArrayObject([content]))
    page.compress_content_streams()


def _visual_box(page: PageObject) -> tuple[float, float, tuple[float, float, float, float, float, float]]:
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
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)  # 0600
    except OSError as exc:
        raise ToolError(f"cannot write the pack in {dest.parent}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as out:
            writer.write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, dest)
        _fsync_folder(dest.parent)  # so the rename itself survives a power cut
    except BaseException as exc:
        Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ToolError(f"cannot write the pack to {dest}: {exc.strerror or exc}") from exc
        if isinstance(exc, PyPdfError):
            raise ToolError(f"pypdf could not write the pack to {dest}: {exc}") from exc
        raise


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
