"""The whole pipeline, as a user runs it: records in, one indexed evidence pack out, read back with pypdf.

One real build of the demo school (real LibreOffice) is shared by the tests of this module; the tests of
bad input then try to rebuild over it and check that the earlier pack survives byte for byte.
"""

from __future__ import annotations

import re
import shutil
import stat
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from packgen.records.pupil_file import display_name
from packgen.records.read import load_school
from tests.conftest import DEMO, MINI, TEMPLATES, edit_record, outline_tree, run_cli


@pytest.fixture(scope="module")
def built(demo_build) -> dict:
    """The demo school's pack (built once for the whole run), read back."""
    reader = PdfReader(demo_build["pack"])
    return demo_build | {
        "reader": reader,
        "texts": [page.extract_text() for page in reader.pages],
        "data": load_school(demo_build["school"]),
    }


def flatten(tree, depth=0):
    for title, page, children in tree:
        yield depth, title, page
        yield from flatten(children, depth + 1)


def test_build_reports_the_pack_and_its_page_count(built):
    pages = len(built["reader"].pages)
    assert str(built["pack"]) in built["result"].output
    assert f"{pages} pages" in built["result"].output
    assert pages > 30


def test_pack_is_private_to_its_owner(built):
    assert stat.S_IMODE(built["pack"].stat().st_mode) == 0o600
    assert stat.S_IMODE(built["pack"].parent.stat().st_mode) == 0o700
    for path in built["pack"].parent.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_sections_come_in_order_with_a_node_per_provider_and_pupil(built):
    tree = outline_tree(built["reader"])
    titles = [title for title, _, _ in tree]
    assert titles == [
        "Contents",
        "Providers used (planning call list)",
        "AP register",
        "Readiness",
        "Providers",
        "Pupils",
    ]
    sections = {title: children for title, _, children in tree}
    data = built["data"]
    assert sorted(t for t, _, _ in sections["Providers"]) == sorted(p.name for p in data.providers.values())
    assert sorted(t for t, _, _ in sections["Pupils"]) == sorted(display_name(r) for r in data.pupils.values())
    pages = [page for _, _, page in flatten(tree)]
    assert pages == sorted(pages), "bookmarks must follow the page order"


def test_each_pupil_has_agreement_plan_reviews_and_visits(built):
    pupils = {title: children for title, _, children in outline_tree(built["reader"])[5][2]}
    for record in built["data"].pupils.values():
        documents = [title for title, _, _ in pupils[display_name(record)]]
        assert documents[:2] == ["Pupil summary", "Commissioning agreement"]
        assert "Education plan" in documents
        assert sum(t.startswith("Review ") for t in documents) == len(record.reviews)
        assert sum(t.startswith("Visit ") for t in documents) == len(record.visits)


def test_contents_page_numbers_are_the_real_pages(built):
    reader, texts = built["reader"], built["texts"]
    tree = outline_tree(reader)
    contents_first = tree[0][1]
    contents_last = tree[1][1] - 1
    contents_text = "\n".join(texts[contents_first - 1 : contents_last])
    listed = [
        (m.group(1).strip(" ."), int(m.group(2)))
        for m in re.finditer(r"^(.+?)[ .]*?(\d+)\s*$", contents_text, flags=re.M)
        # not the footer, nor the line under the heading (school · pack · when it was made)
        if "page" not in m.group(1) and "OFFICIAL" not in m.group(1) and " · " not in m.group(1)
    ]
    bookmarks = [(title, page) for _, title, page in flatten(tree[1:])]
    assert listed == bookmarks


def test_every_page_has_the_footer_with_pack_wide_numbers(built):
    texts = built["texts"]
    school = built["data"].school.school.name
    for number, text in enumerate(texts, start=1):
        assert f"page {number} of {len(texts)}" in text, f"page {number}"
        assert "OFFICIAL-SENSITIVE" in text, f"page {number}"
        assert school in text, f"page {number}"


def test_every_pupil_name_appears_exactly_in_their_pages(built):
    reader, texts = built["reader"], built["texts"]
    pupils = outline_tree(reader)[5][2]
    ends = [page for _, page, _ in pupils[1:]] + [len(texts) + 1]
    by_name = {display_name(r): r for r in built["data"].pupils.values()}
    for (title, first, _), end in zip(pupils, ends):
        record = by_name[title]
        text = " ".join(texts[first - 1 : end - 1])
        assert record.pupil.legal_surname in text and record.pupil.legal_forename in text, title
        assert record.pupil.upn in text, title


def test_register_lists_every_pupil_with_upn(built):
    tree = outline_tree(built["reader"])
    register = " ".join(built["texts"][tree[2][1] - 1 : tree[3][1] - 1])
    for record in built["data"].pupils.values():
        assert record.pupil.upn in register
        assert record.pupil.legal_surname in register


def test_evidence_pdfs_referenced_by_records_are_in_the_pack(built):
    data, reader, texts = built["data"], built["reader"], built["texts"]
    evidence = [r.placement.agreement.evidence for r in data.pupils.values() if r.placement.agreement.evidence]
    evidence += [p.assurance.evidence for p in data.providers.values() if p.assurance.evidence]
    assert evidence, "the demo data should reference evidence"
    marks = [(t, p) for _, t, p in flatten(outline_tree(reader)) if "(evidence)" in t]
    assert len(marks) == len(evidence)
    for path in evidence:
        first_line = PdfReader(built["school"] / path).pages[0].extract_text().splitlines()[0]
        assert any(first_line in texts[page - 1] for _, page in marks), path


def test_every_document_is_written_beside_the_pack_as_docx_and_pdf(built):
    school_out = built["pack"].parent
    data = built["data"]
    for pupil_id, record in data.pupils.items():
        for folder in ("agreements", "education-plans"):
            assert (school_out / folder / f"{pupil_id}.docx").is_file()
            assert (school_out / folder / f"{pupil_id}.pdf").is_file()
        assert len(list((school_out / "reviews").glob(f"{pupil_id}-*.docx"))) == len(record.reviews)
        assert len(list((school_out / "visits").glob(f"{pupil_id}-*.pdf"))) == len(record.visits)
    for provider_id in data.providers:
        assert (school_out / "letters" / f"{provider_id}.pdf").is_file()
    assert not list(school_out.glob(".staging-*")), "staging folders must not be left behind"


def first_pupil(school: Path) -> str:
    return sorted((school / "pupils").glob("*.yaml"))[0].name


BAD_INPUTS = {
    "impossible date": (
        lambda p: p["placement"].update(start_date="2026-13-01"),
        "placement.start_date",
        "is not a date",
    ),
    "unknown key": (lambda p: p["placement"].update(strat_date="2026-09-08"), "strat_date", "start_date"),
    "missing key": (lambda p: p["placement"].pop("arranged_by"), "placement.arranged_by", "required"),
    "wrong type": (lambda p: p["placement"].update(hours_per_week="lots"), "placement.hours_per_week", "number"),
    "end before start": (
        lambda p: p["placement"].update(start_date="2026-09-08", target_end_date="2026-09-01"),
        "placement.target_end_date",
        "",
    ),
    "unknown provider": (
        lambda p: p["placement"].update(provider="no-such-provider"),
        "placement.provider",
        "no-such-provider",
    ),
    "bad UPN": (lambda p: p["pupil"].update(upn="C801200005001"), "pupil.upn", "check letter"),
    "evidence outside the folder": (
        lambda p: p["placement"]["agreement"].update(evidence="../../etc/passwd"),
        "placement.agreement.evidence",
        "..",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_exits_1_naming_file_and_key_and_keeps_the_earlier_pack(built, case, tmp_path):
    change, key, words = BAD_INPUTS[case]
    school = tmp_path / DEMO.name
    shutil.copytree(built["school"], school)
    pupil_file = first_pupil(school)
    edit_record(school / "pupils" / pupil_file, change)
    before = built["pack"].read_bytes()

    for command in (["check", school], ["build", school, "--out", built["out"]]):
        result = run_cli(*command)
        assert result.exit_code == 1, result.output
        assert f"pupils/{pupil_file}" in result.output
        assert key in result.output
        assert words in result.output
    assert built["pack"].read_bytes() == before


def test_yaml_syntax_error_names_the_line(built, tmp_path):
    school = tmp_path / DEMO.name
    shutil.copytree(built["school"], school)
    path = school / "pupils" / first_pupil(school)
    path.write_text(path.read_text(encoding="utf-8") + "placement: [unclosed\n", encoding="utf-8")
    before = built["pack"].read_bytes()
    result = run_cli("build", school, "--out", built["out"])
    assert result.exit_code == 1
    assert re.search(rf"pupils/{path.name}:\d+", result.output), result.output
    assert built["pack"].read_bytes() == before


def test_a_broken_template_fails_cleanly_and_keeps_the_earlier_pack(built, tmp_path):
    from docx import Document

    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    document = Document(templates / "visit.docx")
    document.add_paragraph("{{ no_such_value }}")
    document.save(templates / "visit.docx")
    before = built["pack"].read_bytes()
    result = run_cli("build", built["school"], "--out", built["out"], "--templates", templates)
    assert result.exit_code == 1, result.output
    assert "visit.docx" in result.output and "no_such_value" in result.output
    assert built["pack"].read_bytes() == before
    assert not list(built["pack"].parent.glob(".staging-*"))


def test_agreement_command_writes_docx_and_pdf(demo_copy, tmp_path):
    pupil_id = first_pupil(demo_copy).removesuffix(".yaml")
    out = tmp_path / "out"
    result = run_cli("agreement", demo_copy, pupil_id, "--out", out)
    assert result.exit_code == 0, result.output
    pdf = out / demo_copy.name / "agreements" / f"{pupil_id}.pdf"
    assert (out / demo_copy.name / "agreements" / f"{pupil_id}.docx").is_file()
    record = load_school(demo_copy).pupils[pupil_id]
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert record.pupil.legal_surname in text


def test_agreement_for_an_unknown_pupil_suggests_the_nearest(demo_copy, tmp_path):
    pupil_id = first_pupil(demo_copy).removesuffix(".yaml")
    result = run_cli("agreement", demo_copy, pupil_id + "x", "--out", tmp_path)
    assert result.exit_code == 1
    assert f"did you mean '{pupil_id}'" in result.output


def test_letters_command_writes_one_letter_per_provider(demo_copy, tmp_path):
    result = run_cli("letters", demo_copy, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    data = load_school(demo_copy)
    for provider_id, provider in data.providers.items():
        pdf = tmp_path / demo_copy.name / "letters" / f"{provider_id}.pdf"
        text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
        assert provider.name in text


def test_check_passes_on_the_demo_school():
    result = run_cli("check", DEMO)
    assert result.exit_code == 0, result.output
    assert "No problems found" in result.output


def test_source_date_epoch_stamps_the_cover_instead_of_the_clock(tmp_path, monkeypatch):
    moment = 1795000000
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(moment))
    result = run_cli("build", MINI, "--out", tmp_path, "--quiet")
    assert result.exit_code == 0, result.output
    pages = PdfReader(tmp_path / MINI.name / "evidence-pack.pdf").pages
    cover, contents = pages[0].extract_text(), pages[1].extract_text()
    stamped = datetime.fromtimestamp(moment)
    assert f"Generated {stamped.day} {stamped:%B %Y}" in cover
    assert f"{stamped.day} {stamped:%B %Y} at {stamped:%H:%M}" in contents


def test_a_source_date_epoch_that_is_not_a_number_is_a_user_mistake(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    result = run_cli("build", MINI, "--out", tmp_path, "--quiet")
    assert result.exit_code == 1
    assert "SOURCE_DATE_EPOCH is 'yesterday': it must be a whole number of seconds" in result.output
    assert not (tmp_path / MINI.name).exists()
