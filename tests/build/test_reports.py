"""The governors' termly report and a pupil's case-sample bundle: built for real, read back from the PDF."""

from __future__ import annotations

import re
from datetime import date

from pypdf import PdfReader

from packgen.documents.governors import figures, find_term
from packgen.records.read import load_school
from tests.conftest import DEMO, edit_record, outline_tree, run_cli


def pdf_text(path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def test_the_governors_report_compares_the_term_with_the_one_before(demo_copy, tmp_path):
    edit_record(
        demo_copy / "pupils" / "p01.yaml",
        lambda r: r["placement"].update(
            ended={
                "ended_on": "2026-12-11",
                "reason": "Targets met",
                "outcome": "returned_to_school",
                "destination": "Full time at Brookfield",
            }
        ),
    )
    result = run_cli("report", demo_copy, "--term", "autumn 2026", "--today", "2026-12-18", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    pdf = tmp_path / demo_copy.name / "reports" / "governors-autumn-term-2026.pdf"
    text = pdf_text(pdf)
    data = load_school(demo_copy)
    autumn, summer = find_term(data, "Autumn term 2026")
    assert summer.name == "Summer term 2026"
    now, before = figures(data, autumn, date(2026, 12, 18)), figures(data, summer, date(2026, 12, 18))
    started = [r for r in data.pupils.values() if autumn.starts <= r.placement.start_date <= autumn.ends]
    assert len(now.started) == len(started) == 17 and len(before.started) == 1
    assert [p.name for p in now.ended] == ["Chloé O'Brien-Nowak (Chlo)"]
    reviews = sum(autumn.starts <= v.date <= autumn.ends for r in data.pupils.values() for v in r.reviews)
    assert now.reviews == reviews
    for words in (
        "Autumn term 2026",
        "Summer term 2026",
        f"Placements started {len(started)} 1",
        "Full time at Brookfield",
        "Chloé O'Brien-Nowak (Chlo) (Bridge Learning Centre)",
        f"Reviews held (pupils reviewed) {reviews} ({now.reviewed_pupils})",
        "On track",
    ):
        assert words in text, words


def test_an_unknown_term_is_a_clear_error(tmp_path):
    result = run_cli("report", DEMO, "--term", "winter 2026", "--out", tmp_path)
    assert result.exit_code == 1 and "Autumn term 2026" in result.output


def test_a_case_sample_holds_that_pupils_documents_alone(tmp_path):
    result = run_cli("build", DEMO, "--pupil", "p07", "--today", "2026-11-23", "--out", tmp_path, "--quiet")
    assert result.exit_code == 0, result.output
    bundle = tmp_path / DEMO.name / "cases" / "p07.pdf"
    assert bundle.stat().st_mode & 0o777 == 0o600
    reader = PdfReader(bundle)
    data = load_school(DEMO)
    record = data.pupils["p07"]
    tree = outline_tree(reader)
    titles = [title for title, _, children in tree for title, _, _ in children] + [t for t, _, _ in tree]
    assert "Pupil summary" in titles and "Commissioning agreement" in titles and "Education plan" in titles
    assert sum(t.startswith("Review ") for t in titles) == len(record.reviews)
    assert sum(t.startswith("Visit ") for t in titles) == len(record.visits)
    text = pdf_text(bundle)
    assert record.pupil.legal_surname in text
    assert re.search(r"· generated \d{1,2} [A-Z][a-z]+ \d{4} at \d\d:\d\d", reader.pages[1].extract_text())
    others = [r.pupil.legal_surname for i, r in data.pupils.items() if i != "p07"]
    assert not [name for name in others if name in text]


def test_a_case_sample_for_an_unknown_pupil_is_refused(tmp_path):
    result = run_cli("build", DEMO, "--pupil", "p99", "--out", tmp_path)
    assert result.exit_code == 1 and "p99" in result.output
