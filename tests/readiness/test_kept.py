"""Findings kept between looks give what assessing afresh gives; only what an edit touched is worked out again."""

from __future__ import annotations

from datetime import date, timedelta

from packgen.readiness.kept import KeptFindings
from packgen.readiness.rules import assess
from packgen.records.school_cache import SchoolCache
from tests.conftest import DEMO_TODAY, edit_record

TODAY = date.fromisoformat(DEMO_TODAY)


def test_the_same_findings_as_assessing_afresh_and_only_an_edited_pupils_worked_out_again(demo_copy):
    school, kept = SchoolCache(demo_copy), KeptFindings()
    data = school.load()
    assert kept.assess(data, TODAY) == assess(data, TODAY)
    subjects = len(data.pupils) + len(data.providers) + 1
    assert kept.worked_out == subjects
    assert kept.assess(school.load(), TODAY) == assess(data, TODAY)
    assert kept.worked_out == subjects

    edit_record(demo_copy / "pupils" / "p05.yaml", lambda r: r.pop("reviews", None))
    data = school.load()
    assert kept.assess(data, TODAY) == assess(data, TODAY)
    assert kept.worked_out == subjects + 2  # the pupil, and the provider they are placed with

    later = TODAY + timedelta(days=40)
    assert kept.assess(data, later) == assess(data, later)  # another day: everything again
    assert kept.worked_out == 2 * subjects + 2


def test_an_edit_to_the_school_file_works_everything_out_again(demo_copy):
    school, kept = SchoolCache(demo_copy), KeptFindings()
    data = school.load()
    kept.assess(data, TODAY)
    before = kept.worked_out
    path = demo_copy / "school.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    data = school.load()
    assert kept.assess(data, TODAY) == assess(data, TODAY)
    assert kept.worked_out == 2 * before
