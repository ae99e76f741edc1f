"""Documents leaders are asked for, filled from the demo records and converted by LibreOffice, read back."""

from __future__ import annotations

from datetime import date

from pypdf import PdfReader

from packgen.build.making import produce
from packgen.documents import plan
from packgen.documents.figures import target_statuses
from packgen.records.read import load_school
from tests.conftest import DEMO, TEMPLATES, edit_record


def test_an_ended_placement_gets_its_review_in_the_pack_and_it_reads_back(demo_copy, tmp_path):
    def end(record):
        record["placement"]["ended"] = {
            "ended_on": "2027-02-12",
            "reason": "Targets met",
            "outcome": "returned_to_school",
            "destination": "Back at Brookfield full time, Year 10 group 10R",
        }

    edit_record(demo_copy / "pupils" / "p01.yaml", end)
    data = load_school(demo_copy)
    specs = plan.pupil_documents(data, "p01", date(2027, 2, 15))
    ending = [s for s in specs if s.template == "ending.docx"]
    assert len(ending) == 1 and ending[0].title == "End-of-placement review"
    assert not [s for s in plan.pupil_documents(data, "p02", date(2027, 2, 15)) if s.template == "ending.docx"]
    made = produce(ending, tmp_path / "out", TEMPLATES)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(made[0].pdf).pages)
    for words in (
        "End-of-placement review",
        "Chloé O'Brien-Nowak",
        "Bridge Learning Centre",
        "12 February 2027",
        "82%",
        "Back at Brookfield full time, Year 10 group 10R",
        "Stay in every lesson for the whole lesson",
        "16 November 2026",
    ):
        assert words in text, words
    record = data.pupils["p01"]
    for status in target_statuses(record):  # each target's outcome is its latest rating
        assert status.rating is not None


def pdf_text(path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def test_each_provider_gets_a_briefing_on_its_pupils_in_the_pack(tmp_path):
    data = load_school(DEMO)
    specs = plan.provider_documents(data, "bridge-learning-centre", date(2026, 11, 23), [])
    assert specs[-1].template == "briefing.docx"
    made = produce([specs[-1]], tmp_path / "out", TEMPLATES)
    text = pdf_text(made[0].pdf)
    there = [r for r in data.pupils.values() if r.placement.provider == "bridge-learning-centre"]
    assert there
    for record in there:
        assert plan.display_name(record) in text
        for visit in record.visits:
            assert f"{visit.date.day} {visit.date:%B %Y}" in text
    staff = data.school.staff
    assert f"{staff.dsl.name} (designated safeguarding lead)" in text and "Briefing for Bridge Learning Centre" in text
    assert "Mon 09:30–14:30" in text and "Maeve O'Brien (mother), 07700 900101" in text
