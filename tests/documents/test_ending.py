"""The end-of-placement review, filled from a demo pupil whose placement ended, converted by LibreOffice."""

from __future__ import annotations

from datetime import date

from pypdf import PdfReader

from packgen.build.pipeline import produce
from packgen.documents import plan
from packgen.records.read import load_school
from tests.conftest import TEMPLATES, edit_record


def test_an_ended_placement_gets_its_review_in_the_pack_and_it_reads_back(demo_copy, tmp_path):
    def end(record):
        record["placement"].update(ended_on="2027-02-12", destination="Back at Brookfield full time, Year 10 group 10R")
    edit_record(demo_copy / "pupils" / "p01.yaml", end)
    data = load_school(demo_copy)
    specs = plan.pupil_documents(data, "p01", date(2027, 2, 15))
    ending = [s for s in specs if s.template == "ending.docx"]
    assert len(ending) == 1 and ending[0].title == "End-of-placement review"
    assert not [s for s in plan.pupil_documents(data, "p02", date(2027, 2, 15)) if s.template == "ending.docx"]
    made = produce(ending, tmp_path / "out", TEMPLATES)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(made[0].pdf).pages)
    for words in ("End-of-placement review", "Chloé O'Brien-Nowak", "Bridge Learning Centre", "12 February 2027", "82%",
                  "Back at Brookfield full time, Year 10 group 10R",
                  "Stay in every lesson for the whole lesson", "16 November 2026"):
        assert words in text, words
    record = data.pupils["p01"]
    for status in plan.target_statuses(record):  # each target's outcome is its latest rating
        assert status.rating is not None
