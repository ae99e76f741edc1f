"""packgen.render: filling a Word template with record text, safely and exactly.

Each test builds a tiny template with python-docx, fills it through the Renderer, and reads the
result back the way Word would (python-docx and the raw XML).
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from lxml import etree

from packgen import models
from packgen.errors import TemplateProblem, ToolError
from packgen.render import Renderer, template_variable_problems

LABELS = Path(__file__).resolve().parent.parent / "templates" / "labels.yaml"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A templates folder holding the project's labels.yaml and nothing else yet."""
    templates = tmp_path / "templates"
    templates.mkdir()
    shutil.copy(LABELS, templates / "labels.yaml")
    return templates


def make_template(folder: Path, *paragraphs: str, header: str | None = None, name: str = "t.docx") -> str:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if header is not None:
        document.sections[0].header.paragraphs[0].text = header
    document.save(str(folder / name))
    return name


def fill(folder: Path, *paragraphs: str, header: str | None = None, **context) -> Path:
    """Make a template of these paragraphs, fill it with ``context``, return the filled file."""
    name = make_template(folder, *paragraphs, header=header)
    return Renderer(folder).render(name, context, folder.parent / "out" / name)


def body_texts(path: Path) -> list[str]:
    return [p.text for p in Document(str(path)).paragraphs]


def document_xml(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as package:
        return etree.fromstring(package.read("word/document.xml"))


# ---------------------------------------------------------------- record text is printed exactly

AWKWARD = [
    "Tom & Jerry <x> \"q\" 'a'",
    "Zoë Łucja Ştefan Nuñez-Ødegård",
    "Emoji 🎉👩🏽‍🏫 and symbols © ½ → ✓",
    "מרים כהן and مريم",  # right-to-left scripts inside left-to-right text
    "</w:t></w:r><w:r><w:t>injected",
    "x" * 5000,
]


@pytest.mark.parametrize("value", AWKWARD)
def test_record_text_round_trips_exactly(folder, value):
    out = fill(folder, "Name: {{ name }}", name=value)
    assert body_texts(out) == [f"Name: {value}"]


def test_line_breaks_become_word_line_breaks(folder):
    out = fill(folder, "{{ notes }}", notes="first\nsecond\r\nthird")
    paragraph = document_xml(out).find(f".//{qn('w:p')}")
    assert len(paragraph.findall(f".//{qn('w:br')}")) == 2
    assert body_texts(out) == ["first\nsecond\nthird"]


@pytest.mark.parametrize("value", ["{{ 7*7 }}", "{% if true %}yes{% endif %}", "{_{ x }_} {_% y %_}", "{#c#}"])
def test_template_code_in_a_record_stays_text(folder, value):
    out = fill(folder, "{{ notes }}", notes=value)
    assert body_texts(out) == [value]


def test_characters_xml_forbids_are_dropped_not_fatal(folder):
    out = fill(folder, "{{ notes }}", notes="a\x00b\x07c\x1bd\x0ce\ufffff\x85g\ttab")
    document_xml(out)  # still well-formed
    assert body_texts(out) == ["abcdefg\ttab"]


def test_a_missing_optional_value_prints_nothing(folder):
    assert body_texts(fill(folder, "[{{ phone }}]", phone=None)) == ["[]"]


def test_headers_are_filled_too(folder):
    out = fill(folder, "body", header="{{ school }} – OFFICIAL-SENSITIVE", school="Brookfield & Co")
    assert Document(str(out)).sections[0].header.paragraphs[0].text == "Brookfield & Co – OFFICIAL-SENSITIVE"


def test_a_tag_word_split_into_runs_still_fills(folder):
    document = Document()
    paragraph = document.add_paragraph("Dear {{ pro")
    paragraph.add_run("vider }},").bold = True  # as Word does when half a tag is reformatted
    document.save(str(folder / "split.docx"))
    out = Renderer(folder).render("split.docx", {"provider": "A. Khan"}, folder / "out.docx")
    assert body_texts(out) == ["Dear A. Khan,"]
    assert template_variable_problems(folder, {"split.docx": ["provider"]}) == []


def test_models_fill_templates_directly(folder):
    person = models.Person(name="A. Khan", role="Lead", email="lead@bridge.example", phone="01234 222333")
    session = models.Session.model_validate({"day": "Mon", "from": "09:30", "to": "14:00"})
    out = fill(folder, "{{ lead|contact }}", "{{ s.day|label }} {{ s.start }}–{{ s.end }} ({{ s.hours|number }} h)",
               lead=person, s=session)
    assert body_texts(out) == ["A. Khan (Lead), lead@bridge.example, 01234 222333", "Monday 09:30–14:00 (4.5 h)"]


# ---------------------------------------------------------------- filters print the words in labels.yaml


@pytest.mark.parametrize(("expression", "value", "printed"), [
    ("{{ v|date }}", date(2026, 9, 7), "7 September 2026"),
    ("{{ v|date('short') }}", date(2026, 9, 7), "7 Sep 2026"),
    ("{{ v|date }}", None, "Not recorded"),
    ("{{ v|datetime }}", datetime(2026, 9, 7, 14, 5), "7 September 2026 at 14:05"),
    ("{{ v|yesno }}", True, "Yes"),
    ("{{ v|yesno }}", False, "No"),
    ("{{ v|yesno }}", None, "Not recorded"),
    ("{{ v|yesno }}", "not_applicable", "Not applicable"),
    ("{{ v|label }}", "at_risk_full_time", "At risk of permanent exclusion: full-time programme"),
    ("{{ v|label }}", "half_term", "per half term"),
    ("{{ v|label }}", "no_such_code", "no_such_code"),
    ("{{ v|money }}", 1200, "£1,200.00"),
    ("{{ v|money }}", 87.5, "£87.50"),
    ("{{ v|percent }}", 61, "61%"),
    ("{{ v|percent }}", 78.5, "79%"),
    ("{{ v|percent }}", None, "Not recorded"),
    ("{{ v|number }}", 15.0, "15"),
    ("{{ v|number }}", 12.5, "12.5"),
    ("{{ v|contact }}", models.Person(name="R. Patel"), "R. Patel"),
    ("{{ v|contact }}", None, "Not recorded"),
    ("{{ v|recorded }}", "", "Not recorded"),
    ("{{ v|join(', ')|recorded }}", [], "Not recorded"),
    ("{{ v|join(', ')|recorded }}", ["CAMHS", "Youth & Family"], "CAMHS, Youth & Family"),
])
def test_filters(folder, expression, value, printed):
    assert body_texts(fill(folder, expression, v=value)) == [printed]


def test_staff_change_wording_in_labels_yaml_without_quotes(folder):
    text = (folder / "labels.yaml").read_text(encoding="utf-8")
    (folder / "labels.yaml").write_text(text.replace("  yes: Yes", "  yes: Yes, confirmed"), encoding="utf-8")
    assert body_texts(fill(folder, "{{ v|yesno }}", v=True)) == ["Yes, confirmed"]


def test_a_broken_labels_file_names_the_file_and_key(folder):
    text = (folder / "labels.yaml").read_text(encoding="utf-8")
    (folder / "labels.yaml").write_text(text.replace("  not_recorded: Not recorded\n", ""), encoding="utf-8")
    with pytest.raises(TemplateProblem, match=r"labels\.yaml: answers\.not_recorded: Field required"):
        Renderer(folder)


def test_a_missing_labels_file_is_a_template_problem(tmp_path):
    with pytest.raises(TemplateProblem, match="labels file is missing"):
        Renderer(tmp_path)


def test_a_filter_given_the_wrong_kind_of_value_is_a_template_problem(folder):
    with pytest.raises(TemplateProblem, match="the date filter was given '2026-09-07'"):
        fill(folder, "{{ v|date }}", v="2026-09-07")


# ---------------------------------------------------------------- broken templates are TemplateProblems


def test_an_undefined_variable_names_the_template_and_the_paragraph(folder):
    with pytest.raises(TemplateProblem) as caught:
        fill(folder, "First paragraph", "Dear {{ pupil.name }},", school="Brookfield")
    message = str(caught.value)
    assert message.startswith("t.docx: 'pupil' is undefined")
    assert '(in the paragraph "Dear {{ pupil.name }},")' in message
    assert message.endswith("; this template is given: school")
    assert caught.value.__cause__ is not None


def test_a_misspelt_attribute_is_named(folder):
    with pytest.raises(TemplateProblem, match="has no attribute 'nmae'.*Hello"):
        fill(folder, "Hello {{ person.nmae }}", person=models.Person(name="R. Patel"))


def test_a_syntax_error_names_the_template(folder):
    with pytest.raises(TemplateProblem, match=r"^t\.docx: .*'endfor'"):
        fill(folder, "{% for x in items %}{{ x }}", "{% endfr %}", items=[])


def test_the_sandbox_keeps_templates_away_from_python_internals(folder):
    with pytest.raises(TemplateProblem, match="unsafe"):
        fill(folder, "{{ ''.__class__.__mro__[1].__subclasses__() }}")


def test_a_missing_template_names_its_path(folder):
    with pytest.raises(TemplateProblem, match=r"templates/nothing\.docx: the template cannot be read"):
        Renderer(folder).render("nothing.docx", {}, folder / "out.docx")


def test_a_file_that_is_not_a_word_document_is_a_template_problem(folder):
    (folder / "notes.docx").write_text("not a zip", encoding="utf-8")
    with pytest.raises(TemplateProblem, match="notes.docx: is not a Word document"):
        Renderer(folder).render("notes.docx", {}, folder / "out.docx")
    [problem] = template_variable_problems(folder, {"notes.docx": []})
    assert problem.startswith("notes.docx: is not a Word document that can be opened")


# ---------------------------------------------------------------- the file written


def test_output_is_owner_only_and_replaces_the_old_file_whole(folder):
    destination = folder.parent / "out" / "t.docx"
    destination.parent.mkdir()
    destination.write_bytes(b"old")
    destination.chmod(0o644)
    renderer = Renderer(folder)
    make_template(folder, "{{ name }}")
    renderer.render("t.docx", {"name": "new"}, destination)
    assert stat.S_IMODE(destination.stat().st_mode) == 0o600
    assert body_texts(destination) == ["new"]
    assert [p.name for p in destination.parent.iterdir()] == ["t.docx"]


def test_a_failed_fill_leaves_the_old_file_untouched(folder):
    destination = folder.parent / "out" / "t.docx"
    destination.parent.mkdir()
    destination.write_bytes(b"old")
    make_template(folder, "{{ missing }}")
    with pytest.raises(TemplateProblem):
        Renderer(folder).render("t.docx", {}, destination)
    assert destination.read_bytes() == b"old"
    assert [p.name for p in destination.parent.iterdir()] == ["t.docx"]


def test_an_unwritable_destination_is_a_tool_error(folder):
    (folder.parent / "a-file").write_text("")
    make_template(folder, "x")
    with pytest.raises(ToolError, match="a-file/t.docx: cannot be written"):
        Renderer(folder).render("t.docx", {}, folder.parent / "a-file" / "t.docx")


def test_a_renderer_reads_each_template_once(folder):
    renderer = Renderer(folder)
    make_template(folder, "first {{ n }}")
    renderer.render("t.docx", {"n": 1}, folder / "1.docx")
    make_template(folder, "changed on disk {{ n }}")
    renderer.render("t.docx", {"n": 2}, folder / "2.docx")
    assert body_texts(folder / "2.docx") == ["first 2"]


# ---------------------------------------------------------------- checking templates before filling


def test_the_check_reports_names_a_template_is_not_given(folder):
    make_template(folder, "{{ school.name }} and {{ pupil.name }}", header="{{ partnership }}")
    assert template_variable_problems(folder, {"t.docx": ["school", "partnership"]}) == [
        "t.docx: uses 'pupil', which is not given to this template (it is given: partnership, school)"]


def test_the_check_accepts_loop_variables_and_docxtpl_row_tags(folder):
    document = Document()
    table = document.add_table(rows=3, cols=1)
    table.cell(0, 0).text = "{%tr for t in targets %}"
    table.cell(1, 0).text = "{{ loop.index }}. {{ t.text }}"
    table.cell(2, 0).text = "{%tr endfor %}"
    document.save(str(folder / "loop.docx"))
    assert template_variable_problems(folder, {"loop.docx": ["targets"]}) == []


def test_the_check_reports_a_tag_broken_across_paragraphs(folder):
    make_template(folder, "Dear {{ provider.", "name }}")
    problems = template_variable_problems(folder, {"t.docx": ["provider"]})
    assert len(problems) == 2
    assert problems[0].startswith("t.docx (body): the tag around '{{' in \"Dear {{ provider.\" does not open and close")
    assert "'}}'" in problems[1]


def test_the_check_reports_syntax_errors_and_unknown_filters_with_their_paragraph(folder):
    make_template(folder, "fine", "{% if x %}no end")
    make_template(folder, "{{ when|dat }}", name="filter.docx")
    problems = template_variable_problems(folder, {"t.docx": ["x"], "filter.docx": ["when"]})
    assert problems[0].startswith("t.docx (body): Unexpected end of template")
    assert problems[1] == "filter.docx (body): No filter named 'dat' (in the paragraph \"{{ when|dat }}\")"


def test_the_check_reports_a_missing_template(folder):
    assert template_variable_problems(folder, {"gone.docx": []}) == [
        f"{folder / 'gone.docx'}: the template cannot be read (No such file or directory)"]
