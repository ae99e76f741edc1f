"""Documents of one template joined for LibreOffice and cut apart again (packgen/combine.py, docxjoin.py).

The promise: joining changes nothing a reader can see. Each document comes out with the same pages,
pixel for pixel, as when it is converted on its own, carrying nothing of the documents it was joined
with; documents that could lay out differently joined are converted alone.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from pypdf import PdfReader

from packgen.office import batches as combine
from packgen.office.batches import convert_documents, split
from packgen.office.convert import convert
from packgen.office.join import NotJoinable, join, joinable
from packgen.records.pupil_file import display_name
from packgen.records.read import load_school
from tests.conftest import logging_soffice

# Folders of the demo's output and the template each holds documents of.
KINDS = {
    "agreements": "agreement.docx",
    "education-plans": "education_plan.docx",
    "reviews": "review.docx",
    "visits": "visit.docx",
    "summaries": "summary.docx",
    "letters": "letter.docx",
    "assurance": "assurance.docx",
    "checklists": "checklist.docx",
    "qa-visits": "qa_visit.docx",
}


def pixels(pdf: Path) -> list[bytes]:
    """Each page as a small grey image, to compare what a reader sees."""
    pages = len(PdfReader(pdf).pages)
    return [
        subprocess.run(
            ["pdftoppm", "-r", "40", "-gray", "-f", str(n), "-l", str(n), str(pdf)], check=True, capture_output=True
        ).stdout
        for n in range(1, pages + 1)
    ]


@pytest.fixture(scope="module")
def both_ways(demo_build, tmp_path_factory) -> dict:
    """Three filled documents of each template from the demo build, converted joined and alone."""
    root = tmp_path_factory.mktemp("both-ways")
    out = demo_build["out"] / demo_build["school"].name
    documents = []
    for folder, template in KINDS.items():
        for docx in sorted((out / folder).glob("*.docx"))[:3]:
            copy = root / "docx" / folder / docx.name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(docx, copy)
            documents.append((template, copy, root / "joined" / folder / f"{docx.stem}.pdf"))
    log = root / "starts.log"
    soffice = logging_soffice(root, log)
    mp = pytest.MonkeyPatch()
    mp.setenv("PACKGEN_SOFFICE", str(soffice))
    try:
        convert_documents(documents)
    finally:
        mp.undo()
    convert([(docx, root / "alone" / docx.parent.name / f"{docx.stem}.pdf") for _, docx, _ in documents])
    given = [arg for line in log.read_text().splitlines() for arg in line.split() if arg.endswith(".docx")]
    return {"root": root, "documents": documents, "given": given}


def test_documents_of_one_template_go_to_libreoffice_joined(both_ways):
    # 27 documents of 9 templates, given to LibreOffice as far fewer documents.
    assert len(both_ways["documents"]) == 27
    assert len(both_ways["given"]) <= 2 * len(KINDS)


def test_each_joined_document_comes_out_as_it_does_alone(both_ways):
    root = both_ways["root"]
    for _, docx, joined in both_ways["documents"]:
        alone = root / "alone" / docx.parent.name / f"{docx.stem}.pdf"
        assert len(PdfReader(joined).pages) == len(PdfReader(alone).pages), docx
        assert pixels(joined) == pixels(alone), docx


def test_a_joined_document_carries_nothing_of_the_others(both_ways, demo_build):
    data = load_school(demo_build["school"])
    summaries = {docx.stem: pdf for template, docx, pdf in both_ways["documents"] if template == "summary.docx"}
    assert len(summaries) == 3
    for pupil, pdf in summaries.items():
        reader = PdfReader(pdf)
        pictures = {name for page in reader.pages for name in page["/Resources"].get_object().get("/XObject", {})}
        assert len(pictures) == 1, f"{pdf}: pictures of other pupils travel with it: {pictures}"
        text = " ".join("\n".join(page.extract_text() for page in reader.pages).split())
        assert display_name(data.pupils[pupil]) in text
        assert not [other for other in summaries if other != pupil and display_name(data.pupils[other]) in text]


def test_headings_stay_bookmarks_in_each_document(both_ways):
    agreement = next(pdf for template, _, pdf in both_ways["documents"] if template == "agreement.docx")
    alone = both_ways["root"] / "alone" / "agreements" / agreement.name
    titles = [item.title for item in PdfReader(agreement).outline if not isinstance(item, list)]
    assert titles and titles == [item.title for item in PdfReader(alone).outline if not isinstance(item, list)]


def test_every_pdf_is_owner_only(both_ways):
    for _, _, pdf in both_ways["documents"]:
        assert pdf.stat().st_mode & 0o777 == 0o600


# -- what is never joined --------------------------------------------------------------------------


def plain(path: Path, *paragraphs: str, style: str | None = None) -> Path:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text, style=style)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path


def with_page_field(path: Path) -> Path:
    document = Document()
    run = document.sections[0].footer.paragraphs[0].add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.text = text
        run._r.append(element)
    document.add_paragraph("A page that counts itself")
    document.save(path)
    return path


def test_a_document_that_counts_pages_is_not_joined(tmp_path):
    with pytest.raises(NotJoinable, match="field"):
        joinable(with_page_field(tmp_path / "numbered.docx"))


def test_a_numbered_list_is_not_joined_but_bullets_are(tmp_path):
    with pytest.raises(NotJoinable, match="numbered list"):
        joinable(plain(tmp_path / "numbers.docx", "first", "second", style="List Number"))
    joinable(plain(tmp_path / "bullets.docx", "first", "second", style="List Bullet"))


def test_documents_whose_shared_parts_differ_are_not_joined(tmp_path):
    first = plain(tmp_path / "a.docx", "one")
    second = Document()
    second.styles["Normal"].font.size = 20 * 12700  # another template's idea of Normal
    second.add_paragraph("two")
    second.save(tmp_path / "b.docx")
    with pytest.raises(NotJoinable, match="styles"):
        join([first, tmp_path / "b.docx"], tmp_path / "joined.docx")
    assert not (tmp_path / "joined.docx").exists()


def test_documents_that_cannot_be_joined_are_converted_alone_and_all_come_out(tmp_path):
    log = tmp_path / "starts.log"
    plain_ones = [
        ("plain.docx", plain(tmp_path / "in" / f"{n:02d}.docx", f"Plain number {n}"), tmp_path / "out" / f"{n:02d}.pdf")
        for n in range(combine.JOIN_FROM)
    ]
    counting = ("plain.docx", with_page_field(tmp_path / "in" / "counting.docx"), tmp_path / "out" / "counting.pdf")
    mp = pytest.MonkeyPatch()
    mp.setenv("PACKGEN_SOFFICE", str(logging_soffice(tmp_path, log)))
    try:
        convert_documents([*plain_ones, counting])
    finally:
        mp.undo()
    for n, (_, _, pdf) in enumerate(plain_ones):
        reader = PdfReader(pdf)
        assert len(reader.pages) == 1 and f"Plain number {n}" in reader.pages[0].extract_text()
    assert "counts itself" in PdfReader(counting[2]).pages[0].extract_text()
    given = [arg for line in log.read_text().splitlines() for arg in line.split() if arg.endswith(".docx")]
    assert len(given) == 3  # the plain ones joined in two, the one counting pages alone


def test_a_few_documents_are_converted_as_they_are(tmp_path):
    log = tmp_path / "starts.log"
    documents = [
        ("plain.docx", plain(tmp_path / "in" / f"{n}.docx", f"Only {n}"), tmp_path / "out" / f"{n}.pdf")
        for n in range(3)
    ]
    mp = pytest.MonkeyPatch()
    mp.setenv("PACKGEN_SOFFICE", str(logging_soffice(tmp_path, log)))
    try:
        convert_documents(documents)
    finally:
        mp.undo()
    given = [arg for line in log.read_text().splitlines() for arg in line.split() if arg.endswith(".docx")]
    assert len(given) == 3
    assert all(f"Only {n}" in PdfReader(pdf).pages[0].extract_text() for n, (_, _, pdf) in enumerate(documents))


def test_a_pdf_without_the_marks_is_not_cut(tmp_path):
    docx = plain(tmp_path / "alone.docx", "No marks in here")
    pdf = tmp_path / "alone.pdf"
    convert([(docx, pdf)])
    targets = [tmp_path / "a.pdf", tmp_path / "b.pdf"]
    assert split(pdf, targets) is False
    assert not any(target.exists() for target in targets)
