"""Assembling the evidence pack from PDFs, read back with pypdf and poppler's pdftotext."""

from __future__ import annotations

import gc
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import RectangleObject
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from packgen.errors import InputError
from packgen.pack.assemble import PackNode, assemble_pack
from packgen.pack.earlier import EarlierPack
from packgen.pack.inputs import content_parts
from tests.conftest import PEAK_LINE, REPO, pdf_bomb

FOOTER = "Szkoła Şişli & Brookfield Academy · Evidence pack"
PUPIL = "Zoë O'Brien-Łukasz <Jr> 😀 שלום"


def make_pdf(path: Path, *labels: str, size: tuple[float, float] = A4) -> Path:
    """A PDF with one page per label, the label written near the top of its page."""
    canvas = Canvas(str(path), pagesize=size)
    for label in labels:
        canvas.setFont("Helvetica", 14)
        canvas.drawString(72, size[1] - 90, label)
        canvas.showPage()
    canvas.save()
    return path


def rotated(path: Path, degrees: int) -> Path:
    """The PDF with /Rotate set on every page: shown turned, drawn as before."""
    writer = PdfWriter(clone_from=path)
    for page in writer.pages:
        page.rotate(degrees)
    writer.write(path)
    return path


def cropped(path: Path, box: tuple[float, float, float, float]) -> Path:
    """The PDF with every page's visible area (crop box) cut down to ``box``."""
    writer = PdfWriter(clone_from=path)
    for page in writer.pages:
        page.cropbox = RectangleObject(box)
    writer.write(path)
    return path


def outline_tree(reader: PdfReader, items: list | None = None) -> list:
    """The bookmarks as [(title, 1-based page, [children...]), ...]."""
    tree: list = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            tree[-1] = (*tree[-1][:2], outline_tree(reader, item))
        else:
            tree.append((item.title, reader.get_destination_page_number(item) + 1, []))
    return tree


def flatten(tree: list) -> list[tuple[str, int]]:
    return [pair for title, page, children in tree for pair in [(title, page), *flatten(children)]]


def contents_pages(reader: PdfReader) -> list[int]:
    """0-based indexes of the contents pages (they follow the one-page covers used here)."""
    pages = []
    while reader.pages[1 + len(pages)].extract_text().startswith("Contents"):
        pages.append(1 + len(pages))
    return pages


def printed_contents(reader: PdfReader) -> list[tuple[str, int]]:
    """(title, page number) as printed in the contents, in order."""
    entries = []
    for index in contents_pages(reader):
        for line in reader.pages[index].extract_text().splitlines():
            match = re.fullmatch(r"(.+?) (\d+)", line)
            if match and "OFFICIAL-SENSITIVE" not in line:  # not the footer
                entries.append((match[1], int(match[2])))
    return entries


def link_targets(reader: PdfReader) -> list[int]:
    """1-based target page of each link on the contents pages, in order."""
    page_numbers = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages, start=1)}
    targets = []
    for index in contents_pages(reader):
        for annotation in reader.pages[index].get("/Annots", []):
            annotation = annotation.get_object()
            assert annotation["/Subtype"] == "/Link"
            targets.append(page_numbers[annotation["/Dest"][0].idnum])
    return targets


def footer_box(pdf: Path, page_number: int) -> tuple[float, float, float, float]:
    """Where poppler sees the word "page" of the footer, in the page's visible area: (x0, y0, x1, y1), y down."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-cropbox", "-f", str(page_number), "-l", str(page_number), str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">page<', out)
    assert len(words) == 1, out
    x0, y0, x1, y1 = map(float, words[0])
    return x0, y0, x1, y1


def drawings(pdf: Path) -> list[bytes]:
    """The encoded bytes of each stream in a PDF made here (reportlab compresses them, then ASCII85)."""
    return [data.rstrip() for data in re.findall(rb"stream\r?\n(.*?)endstream", pdf.read_bytes(), re.DOTALL)]


def graphics_state_balance(page: PageObject) -> tuple[int, int]:
    """(depth at the end, lowest depth reached) of the page's q/Q nesting; (0, 0) when balanced."""
    depth = lowest = 0
    for _, operator in page.get_contents().operations:
        depth += {b"q": 1, b"Q": -1}.get(operator, 0)
        lowest = min(lowest, depth)
    return depth, lowest


@pytest.fixture
def school(tmp_path: Path) -> dict[str, Path]:
    return {
        "cover": make_pdf(tmp_path / "cover.pdf", "COVER PAGE"),
        "register": make_pdf(tmp_path / "register.pdf", "REGISTER ONE", "REGISTER TWO", size=landscape(A4)),
        "readiness": rotated(make_pdf(tmp_path / "readiness.pdf", "READINESS TURNED"), 90),
        "agreement": make_pdf(tmp_path / "agreement.pdf", "AGREEMENT A1", "AGREEMENT A2", "AGREEMENT A3"),
        "plan": make_pdf(tmp_path / "plan.pdf", "PLAN P1"),
        "agreement2": make_pdf(tmp_path / "agreement2.pdf", "SECOND AGREEMENT 1", "SECOND AGREEMENT 2"),
    }


def school_nodes(pdfs: dict[str, Path]) -> list[PackNode]:
    return [
        PackNode("AP register", pdfs["register"]),
        PackNode("Readiness", pdfs["readiness"]),
        PackNode("Providers", children=(PackNode("Provider with nothing yet"),)),
        PackNode(
            "Pupils",
            children=(
                PackNode(
                    PUPIL,
                    children=(
                        PackNode("Commissioning agreement", pdfs["agreement"]),
                        PackNode("Education plan", pdfs["plan"]),
                    ),
                ),
                PackNode("Sam Smith", children=(PackNode("Commissioning agreement", pdfs["agreement2"]),)),
            ),
        ),
    ]


def test_pack_order_bookmarks_contents_and_links_agree(tmp_path, school):
    result = assemble_pack(school["cover"], school_nodes(school), tmp_path / "pack.pdf", footer=FOOTER)

    reader = PdfReader(result.path)
    assert result.page_count == len(reader.pages) == 1 + 1 + 2 + 1 + 3 + 1 + 2
    assert outline_tree(reader) == [
        ("Contents", 2, []),
        ("AP register", 3, []),
        ("Readiness", 5, []),
        (
            "Pupils",
            6,
            [
                (PUPIL, 6, [("Commissioning agreement", 6, []), ("Education plan", 9, [])]),
                ("Sam Smith", 10, [("Commissioning agreement", 10, [])]),
            ],
        ),
    ]  # "Providers" has no pages anywhere below it, so it is left out
    bookmarks = flatten(outline_tree(reader))[1:]
    assert printed_contents(reader) == bookmarks
    assert link_targets(reader) == [page for _, page in bookmarks]

    # Every document's own pages are where the contents says, with their content intact.
    expected_first_words = [
        "COVER PAGE",
        "Contents",
        "REGISTER ONE",
        "REGISTER TWO",
        "READINESS TURNED",
        "AGREEMENT A1",
        "AGREEMENT A2",
        "AGREEMENT A3",
        "PLAN P1",
        "SECOND AGREEMENT 1",
        "SECOND AGREEMENT 2",
    ]
    for page, words in zip(reader.pages, expected_first_words):
        assert words in page.extract_text()


def test_documents_still_being_made_go_in_at_their_places(tmp_path, school):
    # The cover, the first pupil's plan and the last document are made while the rest are read.
    late = {name: school[name] for name in ("cover", "plan", "agreement2")}
    made_later = tmp_path / "made-later"
    made_later.mkdir()
    for pdf in late.values():
        pdf.rename(made_later / pdf.name)
    waited = []

    def finish_making() -> None:
        waited.append(True)
        for pdf in late.values():
            (made_later / pdf.name).rename(pdf)

    together = assemble_pack(
        school["cover"],
        school_nodes(school),
        tmp_path / "pack.pdf",
        footer=FOOTER,
        pending=set(late.values()),
        wait=finish_making,
    )
    in_order = assemble_pack(school["cover"], school_nodes(school), tmp_path / "in-order.pdf", footer=FOOTER)

    assert waited == [True]
    first, second = PdfReader(together.path), PdfReader(in_order.path)
    assert outline_tree(first) == outline_tree(second)
    assert [page.extract_text() for page in first.pages] == [page.extract_text() for page in second.pages]


def test_pages_taken_from_the_pack_before_read_as_pages_from_their_own_pdfs(tmp_path, school):
    ours = list(school.values())
    before = assemble_pack(school["cover"], school_nodes(school), tmp_path / "before.pdf", footer=FOOTER, ours=ours)
    assert before.placed[school["plan"]] == (8, 1) and before.placed[school["register"]] == (2, 2)
    # The plan was made again, and is now two pages: every page after it moves on one.
    make_pdf(school["plan"], "PLAN P1", "PLAN P2")
    unchanged = {pdf: placed for pdf, placed in before.placed.items() if pdf not in (school["plan"], school["cover"])}
    earlier = EarlierPack(before.path, unchanged)

    taken = assemble_pack(
        school["cover"], school_nodes(school), tmp_path / "taken.pdf", footer=FOOTER, ours=ours, earlier=earlier
    )
    fresh = assemble_pack(school["cover"], school_nodes(school), tmp_path / "fresh.pdf", footer=FOOTER, ours=ours)

    assert taken.kept == 2 + 1 + 3 + 2 and fresh.kept == 0
    first, second = PdfReader(taken.path), PdfReader(fresh.path)
    assert [page.extract_text() for page in first.pages] == [page.extract_text() for page in second.pages]
    assert outline_tree(first) == outline_tree(second)
    assert [graphics_state_balance(page) for page in first.pages] == [(0, 0)] * len(first.pages)
    assert [len(content_parts(page)) for page in first.pages] == [len(content_parts(page)) for page in second.pages]


def test_a_pack_before_that_is_not_as_recorded_is_not_taken_from(tmp_path, school):
    ours = list(school.values())
    plain = assemble_pack(school["cover"], school_nodes(school), tmp_path / "plain.pdf", footer=FOOTER, ours=ours)
    for earlier in (
        EarlierPack(school["agreement"], {school["agreement"]: (0, 3)}),  # a PDF the pack did not write
        EarlierPack(plain.path, {school["agreement"]: (9, 3)}),  # pages beyond its end
        EarlierPack(tmp_path / "gone.pdf", {school["agreement"]: (5, 3)}),
    ):
        pack = assemble_pack(
            school["cover"], school_nodes(school), tmp_path / "pack.pdf", footer=FOOTER, ours=ours, earlier=earlier
        )
        assert pack.kept == 0
        texts = [page.extract_text() for page in PdfReader(pack.path).pages]
        assert texts == [page.extract_text() for page in PdfReader(plain.path).pages]


def test_a_failure_while_waiting_leaves_no_pack(tmp_path, school):
    def broken() -> None:
        raise InputError("the plan could not be made")

    with pytest.raises(InputError, match="could not be made"):
        assemble_pack(
            school["cover"],
            school_nodes(school),
            tmp_path / "pack.pdf",
            footer=FOOTER,
            pending={school["plan"]},
            wait=broken,
        )
    assert not (tmp_path / "pack.pdf").exists()


def test_every_page_has_the_footer_with_pack_wide_numbers(tmp_path, school):
    result = assemble_pack(school["cover"], school_nodes(school), tmp_path / "pack.pdf", footer=FOOTER)

    reader = PdfReader(result.path)
    total = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"{FOOTER} OFFICIAL-SENSITIVE page {number} of {total}" in text


@pytest.mark.parametrize(
    ("page_number", "view_width", "view_height"),
    [
        (1, A4[0], A4[1]),  # the cover, portrait
        (3, A4[1], A4[0]),  # the register, a landscape page
        (5, A4[1], A4[0]),  # readiness: a portrait page shown turned by /Rotate 90
    ],
)
def test_the_footer_sits_upright_at_the_bottom_of_the_page_as_seen(
    tmp_path, school, page_number, view_width, view_height
):
    pack = assemble_pack(school["cover"], school_nodes(school), tmp_path / "pack.pdf", footer=FOOTER).path

    x0, y0, x1, y1 = footer_box(pack, page_number)
    assert x1 - x0 > y1 - y0  # a word laid along the line, not turned on its side
    assert view_height - 1.0 / 2.54 * 72 < y0 < y1 <= view_height  # within 1 cm of the bottom edge
    assert view_width * 0.75 < x0 < view_width  # bottom right


@pytest.mark.parametrize(
    ("source", "page_view"),
    [
        (lambda pdf: rotated(pdf, 180), (700, 500)),  # upside down
        (lambda pdf: rotated(pdf, 270), (500, 700)),  # turned left
        # An odd size whose visible area does not start at the page's origin, turned right.
        (lambda pdf: rotated(cropped(pdf, (50, 40, 650, 460)), 90), (420, 600)),
    ],
)
def test_the_footer_follows_any_turn_and_visible_area(tmp_path, school, source, page_view):
    evidence = source(make_pdf(tmp_path / "evidence.pdf", "EVIDENCE", size=(700, 500)))

    nodes = [PackNode("Evidence", evidence)]
    pack = assemble_pack(school["cover"], nodes, tmp_path / "pack.pdf", footer=FOOTER).path

    view_width, view_height = page_view
    x0, y0, x1, y1 = footer_box(pack, 3)
    assert x1 - x0 > y1 - y0
    assert view_height - 1.0 / 2.54 * 72 < y0 < y1 <= view_height
    assert view_width * 0.75 < x0 < x1 <= view_width
    assert "EVIDENCE" in PdfReader(pack).pages[2].extract_text()


def test_a_page_that_leaves_its_drawing_scaled_still_gets_the_same_footer(tmp_path, school):
    scaled = tmp_path / "scaled.pdf"
    canvas = Canvas(str(scaled))
    canvas.transform(3, 0, 0, 3, 0, 0)  # never undone: reportlab does not wrap a page in q ... Q
    canvas.setFillColorRGB(1, 0, 0)
    canvas.drawString(20, 200, "SCALED THREE TIMES")
    canvas.showPage()
    canvas.save()

    nodes = [PackNode("Scaled", scaled)]
    pack = assemble_pack(school["cover"], nodes, tmp_path / "pack.pdf", footer=FOOTER).path

    assert footer_box(pack, 3) == pytest.approx(footer_box(pack, 1), abs=0.5)  # as on the cover
    reader = PdfReader(pack)
    assert "SCALED THREE TIMES" in reader.pages[2].extract_text()
    assert all(graphics_state_balance(page) == (0, 0) for page in reader.pages)


def test_each_page_keeps_its_own_drawing_byte_for_byte(tmp_path, school):
    result = assemble_pack(school["cover"], school_nodes(school), tmp_path / "pack.pdf", footer=FOOTER)

    packed = result.path.read_bytes()
    for name in ("cover", "register", "readiness", "agreement", "plan", "agreement2"):
        for drawing in drawings(school[name]):
            assert drawing in packed  # copied still encoded, never decoded and compressed again
    reader = PdfReader(result.path)
    assert all(graphics_state_balance(page) == (0, 0) for page in reader.pages)


def test_pages_sharing_one_drawing_each_keep_it_and_get_their_own_footer(tmp_path, school):
    # pypdf has dropped a content stream shared between pages from all but the first (its issue #4111).
    source = PdfReader(make_pdf(tmp_path / "one.pdf", "THE SAME DRAWING"))
    twice = PdfWriter()
    twice.add_page(source.pages[0])
    twice.add_page(source.pages[0])
    twice.write(tmp_path / "twice.pdf")
    written = PdfReader(tmp_path / "twice.pdf")
    assert written.pages[0].raw_get("/Contents") == written.pages[1].raw_get("/Contents")  # one stream, two pages
    nodes = [PackNode("Twice", tmp_path / "twice.pdf"), PackNode("Twice again", tmp_path / "twice.pdf")]

    reader = PdfReader(assemble_pack(school["cover"], nodes, tmp_path / "pack.pdf", footer=FOOTER).path)

    assert len(reader.pages) == 6
    for number, page in enumerate(reader.pages[2:], start=3):
        text = page.extract_text()
        assert "THE SAME DRAWING" in text
        assert text.endswith(f"{FOOTER} OFFICIAL-SENSITIVE page {number} of 6")
        assert graphics_state_balance(page) == (0, 0)


def test_names_in_any_script_stay_text(tmp_path, school):
    result = assemble_pack(school["cover"], school_nodes(school), tmp_path / "pack.pdf", footer=FOOTER)

    reader = PdfReader(result.path)
    assert PUPIL in [title for title, _ in printed_contents(reader)]
    poppler = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(result.path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Zoë O'Brien-Łukasz <Jr> 😀" in poppler and "שלום" in poppler
    assert FOOTER in poppler


def test_a_long_contents_runs_over_several_pages_and_still_numbers_right(tmp_path, school):
    pupils = tuple(
        PackNode(f"Pupil {n:03d}", children=(PackNode("One-page summary", school["plan"]),)) for n in range(120)
    )
    nodes = [PackNode("AP register", school["register"]), PackNode("Pupils", children=pupils)]

    result = assemble_pack(school["cover"], nodes, tmp_path / "pack.pdf", footer=FOOTER)

    reader = PdfReader(result.path)
    contents = contents_pages(reader)
    assert len(contents) >= 2
    assert reader.pages[2].extract_text().startswith("Contents (continued)")
    first_document_page = 1 + len(contents) + 1
    assert "REGISTER ONE" in reader.pages[first_document_page - 1].extract_text()
    bookmarks = flatten(outline_tree(reader))[1:]
    assert len(bookmarks) == 1 + 1 + 120 * 2
    assert printed_contents(reader) == bookmarks
    assert link_targets(reader) == [page for _, page in bookmarks]
    assert result.page_count == 1 + len(contents) + 2 + 120


def test_a_damaged_pdf_is_named_and_the_old_pack_is_left_alone(tmp_path, school):
    dest = tmp_path / "pack.pdf"
    dest.write_bytes(b"%PDF- the pack from last week")
    damaged = tmp_path / "visit-record.pdf"
    damaged.write_bytes(b"%PDF-1.7\nthis file was cut short by a failed download")
    nodes = [*school_nodes(school), PackNode("Visit record", damaged)]

    with pytest.raises(InputError, match=re.escape(str(damaged))):
        assemble_pack(school["cover"], nodes, dest, footer=FOOTER)

    assert dest.read_bytes() == b"%PDF- the pack from last week"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_page_whose_drawing_cannot_be_decoded_is_named(tmp_path, school):
    evidence = make_pdf(tmp_path / "evidence.pdf", "EVIDENCE")
    data = evidence.read_bytes()
    drawing = re.search(rb"stream\r?\n(.*?)endstream", data, re.DOTALL)
    # Damage inside the page's drawing; the file's structure is intact, so it opens. ("u" is the
    # largest ASCII85 digit: a run of them cannot be decoded, which pypdf reports as an error.)
    evidence.write_bytes(data[: drawing.start(1)] + b"u" * len(drawing[1]) + data[drawing.end(1) :])

    with pytest.raises(InputError, match=re.escape(str(evidence)) + ".*damaged"):
        assemble_pack(school["cover"], [PackNode("Evidence", evidence)], tmp_path / "pack.pdf", footer=FOOTER)
    # packgen's own documents are LibreOffice's output: their drawing is not decoded to look.
    pack = assemble_pack(
        school["cover"], [PackNode("Evidence", evidence)], tmp_path / "pack.pdf", footer=FOOTER, ours=[evidence]
    )
    assert pack.page_count == PdfReader(school["cover"]).get_num_pages() + 2


def test_a_pdf_whose_drawing_is_stored_uncompressed_goes_in(tmp_path, school):
    plain = tmp_path / "plain.pdf"
    canvas = Canvas(str(plain), pageCompression=0)
    canvas.drawString(72, 700, "PLAIN DRAWING")
    canvas.showPage()
    canvas.save()
    assert b"(PLAIN DRAWING) Tj" in plain.read_bytes()

    result = assemble_pack(school["cover"], [PackNode("Plain", plain)], tmp_path / "pack.pdf", footer=FOOTER)

    assert "PLAIN DRAWING" in PdfReader(result.path).pages[2].extract_text()


def encrypted(path: Path, *, open_password: str) -> Path:
    writer = PdfWriter(clone_from=path)
    writer.encrypt(user_password=open_password, owner_password="owner-only-secret", algorithm="AES-256")
    writer.write(path)
    return path


def test_a_pdf_locked_only_against_editing_goes_in_but_one_needing_a_password_does_not(tmp_path, school):
    locked_for_editing = encrypted(make_pdf(tmp_path / "dbs-letter.pdf", "DBS LETTER"), open_password="")
    needs_password = encrypted(make_pdf(tmp_path / "report.pdf", "REPORT"), open_password="secret")

    result = assemble_pack(
        school["cover"], [PackNode("Provider letter", locked_for_editing)], tmp_path / "pack.pdf", footer=FOOTER
    )
    assert "DBS LETTER" in PdfReader(result.path).pages[2].extract_text()

    with pytest.raises(InputError, match=re.escape(str(needs_password)) + ".*password"):
        assemble_pack(school["cover"], [PackNode("Report", needs_password)], tmp_path / "pack.pdf", footer=FOOTER)


def test_the_pack_is_private_and_labelled(tmp_path, school):
    dest = tmp_path / "pack.pdf"
    dest.write_bytes(b"old")
    dest.chmod(0o644)

    assemble_pack(school["cover"], school_nodes(school), dest, footer=FOOTER, title="Evidence pack for Brookfield")

    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    metadata = PdfReader(dest).metadata
    assert metadata.title == "Evidence pack for Brookfield"
    assert metadata.subject == "OFFICIAL-SENSITIVE"


def test_a_pack_with_a_password_is_encrypted_with_aes_256(tmp_path, school):
    dest = tmp_path / "pack.pdf"
    assemble_pack(
        school["cover"], school_nodes(school), dest, footer="Brookfield · Evidence pack", password="correct horse"
    )
    reader = PdfReader(dest)
    assert reader.is_encrypted
    assert reader.decrypt("wrong") == 0
    assert reader.decrypt("correct horse") != 0
    encrypt = reader.trailer["/Encrypt"].get_object()
    assert (encrypt["/Filter"], encrypt["/V"], encrypt["/R"]) == ("/Standard", 5, 6)  # AES-256 (PDF 2.0)
    assert encrypt["/CF"]["/StdCF"]["/CFM"] == "/AESV3"
    assert "page 1 of" in reader.pages[0].extract_text()


def pypdf_objects() -> int:
    """pypdf's objects alive or awaiting the cycle collector."""
    return sum(1 for obj in gc.get_objects() if str(getattr(type(obj), "__module__", "")).startswith("pypdf"))


def test_a_written_pack_frees_its_objects_without_waiting_for_the_cycle_collector(tmp_path, school, monkeypatch):
    # A build runs the collector seldom (collector.py); a process that builds again (the web page's)
    # must not carry the last pack's objects into the next build.
    counts = {}
    write = PdfWriter.write

    def counted(self, stream):
        counts["written"] = pypdf_objects()
        return write(self, stream)

    monkeypatch.setattr(PdfWriter, "write", counted)
    gc.collect()
    before = pypdf_objects()
    gc.disable()
    try:
        assemble_pack(school["cover"], school_nodes(school), tmp_path / "pack.pdf", footer="Oakfield")
        left = pypdf_objects() - before
    finally:
        gc.enable()
    gc.collect()
    made = counts["written"] - before
    assert made > 1000 and left < made / 3  # what stays is the closed readers' few leftovers


ASSEMBLE_MEASURED = (
    PEAK_LINE
    + """
import sys
from pathlib import Path
from packgen.errors import InputError
from packgen.pack.assemble import PackNode, assemble_pack
from packgen.pack.earlier import EarlierPack
from packgen.pack.inputs import content_parts
try:
    assemble_pack(Path(sys.argv[1]), [PackNode("Evidence", Path(sys.argv[2]))], Path(sys.argv[3]), footer="Pack")
except InputError as error:
    print(error)
print(f"peak-rss-kb={peak_kb()}")
"""
)


def test_a_pdf_that_inflates_without_end_is_refused_by_name_in_bounded_memory(tmp_path, school):
    bomb = pdf_bomb(tmp_path / "visit-record.pdf")  # 1 MB that inflates to 1.4 GB
    dest = tmp_path / "pack.pdf"

    done = subprocess.run(
        [sys.executable, "-c", ASSEMBLE_MEASURED, school["cover"], bomb, dest],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert f"{bomb}: inflates to more than" in done.stdout
    peak_mb = int(re.search(r"peak-rss-kb=(\d+)", done.stdout)[1]) // 1024
    assert peak_mb < 150, f"reading a 1 MB PDF took {peak_mb} MB"
    assert not dest.exists()
