"""One copy of each font in a pack: documents converted together carry the same font subsets, and the
pack keeps one of each; read back with pypdf, pages compared as text."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, IndirectObject, NameObject
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from packgen.pack.assemble import PackNode, assemble_pack
from packgen.pack.fonts import share_fonts

FONT_FILES = (
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


@pytest.fixture(scope="module")
def embedded_font() -> str:
    path = next(p for p in FONT_FILES if Path(p).is_file())
    pdfmetrics.registerFont(TTFont("SharedTestSans", path))
    return "SharedTestSans"


def make_pdf(path: Path, font: str, *lines: str) -> Path:
    """One page per line, written in an embedded (subset) TrueType font as LibreOffice writes them."""
    canvas = Canvas(str(path), pagesize=A4)
    for line in lines:
        canvas.setFont(font, 14)
        canvas.drawString(72, 760, line)
        canvas.showPage()
    canvas.save()
    return path


def fonts_of(page) -> set[int]:
    """The embedded fonts a page uses (not reportlab's Helvetica, nor the pack's footer fonts)."""
    fonts = page["/Resources"].get_object()["/Font"].get_object()
    return {
        ref.idnum
        for name, ref in fonts.items()
        if "/FontDescriptor" in ref.get_object() and not name.startswith("/Packgen")
    }


@pytest.fixture
def documents(tmp_path: Path, embedded_font: str) -> dict[str, Path]:
    return {
        "cover": make_pdf(tmp_path / "cover.pdf", "Helvetica", "COVER"),
        # The same words, so the same subset: as documents of one template converted together.
        "first": make_pdf(tmp_path / "first.pdf", embedded_font, "Agreement for Zoë", "Agreement for Zoë"),
        "second": make_pdf(tmp_path / "second.pdf", embedded_font, "Agreement for Zoë"),
        # Other letters beyond ASCII: a subset of its own (reportlab's ASCII subset is the same in all).
        "other": make_pdf(tmp_path / "other.pdf", embedded_font, "Plan for Łukasz Şahin"),
    }


def build(documents: dict[str, Path], dest: Path, ours: list[Path]) -> PdfReader:
    nodes = [PackNode(name, documents[name]) for name in ("first", "second", "other")]
    assemble_pack(documents["cover"], nodes, dest, footer="Test · Evidence pack", ours=ours)
    return PdfReader(dest)


def test_documents_carrying_the_same_font_share_one_copy_and_read_the_same(tmp_path, documents):
    shared = build(documents, tmp_path / "shared.pdf", list(documents.values()))
    kept = build(documents, tmp_path / "kept.pdf", [])  # nobody's own: left exactly as they came
    first, second, other = 2, 4, 5  # after the cover and one contents page
    for reader in (shared, kept):
        words = [page.extract_text().splitlines()[0] for page in reader.pages[first:]]
        assert words == ["Agreement for Zoë", "Agreement for Zoë", "Agreement for Zoë", "Plan for Łukasz Şahin"]
    assert fonts_of(shared.pages[first])
    assert fonts_of(shared.pages[first]) == fonts_of(shared.pages[second])
    assert fonts_of(shared.pages[other]) - fonts_of(shared.pages[first])  # another subset stays its own
    assert fonts_of(kept.pages[first]).isdisjoint(fonts_of(kept.pages[second]))
    assert (tmp_path / "shared.pdf").stat().st_size < (tmp_path / "kept.pdf").stat().st_size
    # The copies are gone from the file, with everything they led to: one descriptor for each font.
    used = set().union(*(fonts_of(page) for page in shared.pages))
    assert len(descriptors(shared)) == len(used)
    assert len(descriptors(kept)) == len(set().union(*(fonts_of(page) for page in kept.pages)))


def descriptors(reader: PdfReader) -> list[int]:
    """Every font descriptor in the file, whether anything uses it or not."""
    found = []
    for number in range(1, reader.trailer["/Size"]):
        try:
            obj = reader.get_object(number)
        except Exception:  # a free entry: numbers left unused
            continue
        if isinstance(obj, DictionaryObject) and obj.get("/Type") == "/FontDescriptor":
            found.append(number)
    return found


def test_a_font_that_loops_back_on_itself_is_left_as_it_is(tmp_path, documents):
    writer = PdfWriter()
    for name in ("first", "second"):
        writer.append(documents[name])
    fonts = [fonts_of(page) for page in writer.pages]
    for page in writer.pages:  # each font's descriptor made to point back at its font
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            if "/FontDescriptor" in font:  # the embedded font, not reportlab's Helvetica
                font["/FontDescriptor"][NameObject("/Loop")] = IndirectObject(ref.idnum, 0, writer)
    share_fonts(writer.pages)  # reportlab's Helvetica, which has no descriptor, may be shared
    assert [fonts_of(page) for page in writer.pages] == fonts
