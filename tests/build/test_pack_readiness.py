"""Inspection readiness in the pack: the Readiness section, each pupil's one-page summary with its attendance
chart, and each provider's assurance, checklist and quality-evaluation pages.

The demo school is built once for the module (real LibreOffice), as on 23 November 2026: the day
data/brookfield-academy/GAPS.md lists its deliberate gaps for. The pack is read back with pypdf. Text is
compared with all white space removed, because table cells wrap lines wherever the column ends.
"""

from __future__ import annotations

import re
import shutil
import struct
import zipfile
from datetime import date
from types import SimpleNamespace

import pytest
from docx import Document
from pypdf import PdfReader

from packgen.documents import plan as documents
from packgen.documents.chart import attendance_chart
from packgen.documents.figures import assurance_status
from packgen.documents.fill import Renderer
from packgen.documents.pack_pages import register_row
from packgen.documents.pictures import Picture
from packgen.documents.pupils import CHART_WIDTH_MM
from packgen.errors import TemplateProblem
from packgen.readiness.rules import RULES, assess, by_area
from packgen.records.pupil_file import AttendancePeriod
from packgen.records.read import load_school
from tests.conftest import DEMO, REPO, outline_tree

TODAY = date(2026, 11, 23)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def pack(demo_build) -> SimpleNamespace:
    reader = PdfReader(demo_build["pack"])
    data = load_school(DEMO)
    texts = [page.extract_text() for page in reader.pages]
    tree = outline_tree(reader)
    return SimpleNamespace(
        reader=reader,
        texts=texts,
        tree=tree,
        sections={t: (p, c) for t, p, c in tree},
        data=data,
        findings=assess(data, TODAY),
    )


def pages_of(pack, first: int, end: int) -> str:
    """The text of pages first .. end - 1 (1-based), squashed."""
    return squash(" ".join(pack.texts[first - 1 : end - 1]))


def section_text(pack, title: str) -> str:
    titles = [t for t, _, _ in pack.tree]
    first = pack.sections[title][0]
    following = titles.index(title) + 1
    end = pack.tree[following][1] if following < len(titles) else len(pack.texts) + 1
    return pages_of(pack, first, end)


def children(pack, section: str) -> dict[str, list[tuple[str, int, list]]]:
    return {title: kids for title, _, kids in pack.sections[section][1]}


# ---------------------------------------------------------------- the Readiness section


def test_the_planning_call_list_opens_the_pack_and_readiness_comes_right_after_the_register(pack):
    assert [t for t, _, _ in pack.tree] == [
        "Contents",
        "Providers used (planning call list)",
        "AP register",
        "Readiness",
        "Providers",
        "Pupils",
    ]


def test_the_planning_call_list_gives_each_providers_address_registration_urn_and_placements(pack):
    text = section_text(pack, "Providers used (planning call list)")
    for provider_id, provider in pack.data.providers.items():
        placed = [r.placement for r in pack.data.pupils.values() if r.placement.provider == provider_id]
        urn = f", URN {provider.registration.urn}" if provider.registration.urn else ""
        assert squash(f"{provider.name} {provider.address}") in text, provider_id
        assert squash(f"{provider.registration.status.capitalize()}{urn}") in text, provider_id
        for placement in placed:
            assert squash(f"{placement.hours_per_week:g} hours a week") in text, provider_id


def test_readiness_shows_every_finding_under_its_area_worst_first_naming_rule_and_subject(pack):
    assert len(pack.findings) == 21, "the demo's deliberate gaps (GAPS.md)"
    text = section_text(pack, "Readiness")
    findings_part = text[: text.index(squash("Every rule"))]
    position = 0
    for group in by_area(pack.findings):  # the toolkit's order; within each, worst first
        position = findings_part.index(squash(group.heading), position)
        for finding in group.findings:
            row = findings_part.find(squash(f"{finding.rule} {finding.subject_name}"), position)
            assert row >= 0, f"{finding.rule} {finding.subject_name} missing or out of order"
            position = findings_part.index(squash(finding.message), row)
    assert findings_part.count("Source:") == len(pack.findings), "one row per finding, no more"


def test_readiness_headline_counts_findings_by_severity(pack):
    severities = [f.severity for f in pack.findings]
    headline = (
        f"{severities.count('critical')} critical, {severities.count('high')} high, "
        f"{severities.count('advisory')} advisory"
    )
    assert headline == "2 critical, 16 high, 3 advisory"
    assert squash(headline) in section_text(pack, "Readiness")


def test_readiness_lists_every_rule_with_its_counts_and_met_when_none(pack):
    text = section_text(pack, "Readiness")
    rules_part = text[text.index(squash("Every rule")) :]
    for rule in RULES:
        mine = [f for f in pack.findings if f.rule == rule.id]
        fail, unknown = sum(f.status == "fail" for f in mine), sum(f.status == "unknown" for f in mine)
        result = "Not met" if fail else "Not known" if unknown else "Met"
        assert squash(f"{rule.id} {rule.title} {rule.source} {fail} {unknown} {result}") in rules_part, rule.id
    upn = next(rule for rule in RULES if rule.id == "R16")
    assert squash(f"R16 UPN {upn.source} 0 0 Met") in rules_part  # GAPS.md: no R16 findings


# ---------------------------------------------------------------- the register


def test_register_has_a_row_for_each_pupil_with_name_upn_and_where(pack):
    register = section_text(pack, "AP register")
    for pupil_id in pack.data.pupils:
        row = register_row(pack.data, pupil_id)
        assert squash(f"{row.name} {row.upn} {row.year_group}") in register, row.name
        assert squash(f"{row.provider} {row.registration.capitalize()}") in register, row.name


# ---------------------------------------------------------------- pupils: summary first, one page, with its chart


def test_each_pupil_starts_with_a_one_page_summary_naming_them_with_the_chart(pack):
    pupils = children(pack, "Pupils")
    bookmark = {title: page for title, page, _ in pack.sections["Pupils"][1]}
    by_name = {documents.display_name(r): r for r in pack.data.pupils.values()}
    assert sorted(pupils) == sorted(by_name)
    for name, docs in pupils.items():
        record = by_name[name]
        (first_title, first_page, _), (_, next_page, _) = docs[0], docs[1]
        assert first_title == "Pupil summary" and first_page == bookmark[name], name
        assert next_page == first_page + 1, f"{name}: the summary is not one page"
        page = pack.reader.pages[first_page - 1]
        assert squash(name) in squash(pack.texts[first_page - 1])
        assert record.pupil.upn in pack.texts[first_page - 1]
        chart = attendance_chart(
            record.attendance, record.placement.baseline.attendance_percent, width_mm=CHART_WIDTH_MM
        )
        width, height = struct.unpack(">II", chart[16:24])  # the PNG header
        assert [(i.image.width, i.image.height) for i in page.images] == [(width, height)], name


def test_a_summary_shows_its_pupils_findings_and_its_providers(pack):
    pupils = children(pack, "Pupils")
    shown = 0
    for pid, record in pack.data.pupils.items():
        page = pupils[documents.display_name(record)][0][1]
        text = squash(pack.texts[page - 1])
        for finding in pack.findings:
            about = (finding.subject, finding.subject_id) in (("pupil", pid), ("provider", record.placement.provider))
            assert (squash(finding.message) in text) == about, f"{pid}: {finding.rule} {finding.subject_name}"
            shown += about
    assert shown > 0


def test_pupils_other_documents_follow_their_summary(pack):
    for name, docs in children(pack, "Pupils").items():
        assert [t for t, _, _ in docs][:2] == ["Pupil summary", "Commissioning agreement"], name
        assert not pack.reader.pages[docs[1][1] - 1].images, "only the summary carries a chart"


# ---------------------------------------------------------------- providers: assurance, checklist, QA


def test_each_provider_has_letter_assurance_evidence_checklist_and_evaluations_in_order(pack):
    providers = children(pack, "Providers")
    for provider in pack.data.providers.values():
        titles = [t for t, _, _ in providers[provider.name]]
        expected = ["Appendix 4: staff-check assurance request", "Appendix 4: assurance status"]
        expected += ["Returned assurance (evidence)"] if provider.assurance.evidence else []
        expected += ["Pre-admission checklist" if provider.pre_admission else "Pre-admission checklist: not completed"]
        expected += [
            f"Quality evaluation {n}: {v.date.day} {v.date:%b %Y}"
            for n, v in enumerate(sorted(provider.qa_visits, key=lambda v: v.date), start=1)
        ] or ["Quality evaluations: none recorded"]
        expected += ["Briefing: our pupils here"]
        assert titles == expected, provider.name


def document_pages(pack, provider_name: str, title: str) -> str:
    docs = children(pack, "Providers")[provider_name]
    index = [t for t, _, _ in docs].index(title)
    following = [p for _, p, _ in docs[index + 1 :]]
    later = [p for t, p, _ in pack.sections["Providers"][1] if p > docs[index][1]]
    end = (following or later or [pack.sections["Pupils"][0]])[0]
    return pages_of(pack, docs[index][1], end)


def test_provider_pages_state_assurance_checklist_and_evaluations_from_the_records(pack):
    missing_qa = 0
    for provider in pack.data.providers.values():
        assurance = document_pages(pack, provider.name, "Appendix 4: assurance status")
        status = assurance_status(provider)
        assert squash(f"Staff checks {status.confirmed} of {status.checks} confirmed") in assurance
        returned = provider.assurance.received_on is not None
        assert (squash("Written assurance has not been returned.") in assurance) == (not returned), provider.name

        assert provider.pre_admission, "every demo provider has one; a missing one is in test_templates"
        checklist = document_pages(pack, provider.name, "Pre-admission checklist")
        assert squash(f"completed on {provider.pre_admission.completed_on.day}") in checklist, provider.name
        assert (
            squash(
                f"{provider.pre_admission.monitoring_visits.by}, {provider.pre_admission.monitoring_visits.frequency}"
            )
            in checklist
        )

        if not provider.qa_visits:
            missing_qa += 1
            gap = document_pages(pack, provider.name, "Quality evaluations: none recorded")
            assert squash(f"No quality-assurance visit to {provider.name} is recorded.") in gap
        for n, visit in enumerate(sorted(provider.qa_visits, key=lambda v: v.date), start=1):
            page = document_pages(pack, provider.name, f"Quality evaluation {n}: {visit.date.day} {visit.date:%b %Y}")
            for area, judgement in visit.judgements.items():
                assert squash(f"{area} {judgement}") in page, (provider.name, area)
            assert all(squash(action) in page for action in visit.actions)
    assert missing_qa, "the demo has providers never evaluated: their gap must show"


# ---------------------------------------------------------------- pictures in templates (the chart: test_chart.py)


def period(start: str, end: str, possible: int, attended: int) -> AttendancePeriod:
    return AttendancePeriod.model_validate(
        {"from": start, "to": end, "possible_sessions": possible, "attended_sessions": attended}
    )


WEEKS = [period("2026-09-07", "2026-10-23", 60, 47), period("2026-11-02", "2026-11-20", 30, 28)]


@pytest.fixture
def one_tag(tmp_path):
    """A templates folder with one template, tag.docx, whose only paragraph is the given tag."""

    def make(tag: str) -> Renderer:
        folder = tmp_path / "templates"
        folder.mkdir(exist_ok=True)
        shutil.copy(REPO / "packgen" / "templates" / "labels.yaml", folder)
        document = Document()
        document.add_paragraph(tag)
        document.save(folder / "tag.docx")
        return Renderer(folder)

    return make


def test_a_picture_prints_as_an_image(one_tag, tmp_path):
    out = one_tag("Chart: {{ chart }}").render(
        "tag.docx", {"chart": Picture(attendance_chart(WEEKS, 61), 60)}, tmp_path / "out.docx"
    )
    with zipfile.ZipFile(out) as package:
        media = [n for n in package.namelist() if n.startswith("word/media/")]
        assert len(media) == 1 and package.read(media[0]) == attendance_chart(WEEKS, 61)
    assert Document(out).inline_shapes[0].width.mm == pytest.approx(60, abs=0.1)


@pytest.mark.parametrize(
    "tag",
    ["{{ chart._inline.tpl.save('stolen.docx') }}", "{{ chart.tpl }}", "{{ chart.__html__() }}", "{{ chart.png }}"],
)
def test_a_template_cannot_reach_through_a_picture(one_tag, tmp_path, tag, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TemplateProblem, match=re.escape("tag.docx")):
        one_tag(tag).render("tag.docx", {"chart": Picture(attendance_chart(WEEKS, 61), 60)}, tmp_path / "out.docx")
    assert not (tmp_path / "stolen.docx").exists()
