"""packgen.render: filling a Word template with record text, safely and exactly.

Each test builds a tiny template with python-docx, fills it through the Renderer, and reads the
result back the way Word would (python-docx and the raw XML).
"""

from __future__ import annotations

import base64
import posixpath
import re
import stat
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from lxml import etree

from packgen.documents.fill import Renderer, template_variable_problems
from packgen.documents.pictures import Picture
from packgen.documents.trim import trimmed
from packgen.errors import TemplateProblem, ToolError
from packgen.records.fields import Person
from packgen.records.pupil_file import Session
from tests.conftest import TEMPLATES, fill, make_template

LABELS = TEMPLATES / "labels.yaml"


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
    person = Person(name="A. Khan", role="Lead", email="lead@bridge.example", phone="01234 222333")
    session = Session.model_validate({"day": "Mon", "from": "09:30", "to": "14:00"})
    out = fill(
        folder,
        "{{ lead|contact }}",
        "{{ s.day|label }} {{ s.start }}–{{ s.end }} ({{ s.hours|number }} h)",
        lead=person,
        s=session,
    )
    assert body_texts(out) == ["A. Khan (Lead), lead@bridge.example, 01234 222333", "Monday 09:30–14:00 (4.5 h)"]


# ---------------------------------------------------------------- filters print the words in labels.yaml


@pytest.mark.parametrize(
    ("expression", "value", "printed"),
    [
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
        ("{{ v|contact }}", Person(name="R. Patel"), "R. Patel"),
        ("{{ v|contact }}", None, "Not recorded"),
        ("{{ v|recorded }}", "", "Not recorded"),
        ("{{ v|join(', ')|recorded }}", [], "Not recorded"),
        ("{{ v|join(', ')|recorded }}", ["CAMHS", "Youth & Family"], "CAMHS, Youth & Family"),
    ],
)
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
    with pytest.raises(TemplateProblem, match=r"has no attribute 'nmae'.*Hello"):
        fill(folder, "Hello {{ person.nmae }}", person=Person(name="R. Patel"))


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
    with pytest.raises(TemplateProblem, match=re.escape("notes.docx: is not a Word document")):
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
    with pytest.raises(ToolError, match=re.escape("a-file/t.docx: cannot be written")):
        Renderer(folder).render("t.docx", {}, folder.parent / "a-file" / "t.docx")


def test_a_renderer_reads_each_template_once(folder):
    renderer = Renderer(folder)
    make_template(folder, "first {{ n }}")
    renderer.render("t.docx", {"n": 1}, folder / "1.docx")
    make_template(folder, "changed on disk {{ n }}")
    renderer.render("t.docx", {"n": 2}, folder / "2.docx")
    assert body_texts(folder / "2.docx") == ["first 2"]


# ---------------------------------------------------------------- what a filled document holds

STYLES_WITH_EFFECTS = "word/stylesWithEffects.xml"
THUMBNAIL = "docProps/thumbnail.jpeg"
PNG = base64.b64decode(  # one pixel
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def package_problems(path: Path) -> list[str]:
    """What makes Word call a .docx damaged: a relationship to a part that is not there, a part
    without a content type, a content type for a part that is not there."""
    parts = members(path)
    names = {name.lower() for name in parts}
    types = etree.fromstring(parts["[Content_Types].xml"])
    defaults = {default.get("Extension").lower() for default in types.iter(f"{CT}Default")}
    overrides = {override.get("PartName").lstrip("/").lower() for override in types.iter(f"{CT}Override")}
    problems = [f"a content type for /{name}, which is not there" for name in sorted(overrides - names)]
    problems += [
        f"no content type for {name}"
        for name in sorted(parts)
        if name != "[Content_Types].xml"
        and name.lower() not in overrides
        and name.rsplit(".", 1)[-1].lower() not in defaults
    ]
    for name in sorted(name for name in parts if name.endswith(".rels")):
        source_folder = posixpath.dirname(posixpath.dirname(name))
        for rel in etree.fromstring(parts[name]):
            target = posixpath.normpath(posixpath.join("/", source_folder, rel.get("Target"))).lstrip("/")
            if rel.get("TargetMode") != "External" and target.lower() not in names:
                problems.append(f"{name} leads to {target}, which is not there")
    return problems


def edit_package(path: Path, name: str, change) -> None:
    parts = members(path)
    parts[name] = change(parts[name])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for member, data in parts.items():
            package.writestr(member, data)


def style_ids(path: Path) -> set[str]:
    styles = etree.fromstring(members(path)["word/styles.xml"])
    return {style.get(qn("w:styleId")) for style in styles.iter(qn("w:style"))}


def test_a_filled_document_leaves_out_what_only_word_2010_and_file_browsers_read(folder):
    name = make_template(folder, "Dear {{ name }},")
    assert {STYLES_WITH_EFFECTS, THUMBNAIL} <= set(members(folder / name))  # as python-docx saves one
    out = Renderer(folder).render(name, {"name": "R. Patel"}, folder.parent / "out.docx")
    parts = members(out)
    assert STYLES_WITH_EFFECTS not in parts and THUMBNAIL not in parts
    assert b"stylesWithEffects" not in parts["[Content_Types].xml"] + parts["word/_rels/document.xml.rels"]
    assert b"thumbnail" not in parts["_rels/.rels"]
    assert package_problems(out) == []
    assert body_texts(out) == ["Dear R. Patel,"]


def test_a_template_without_them_fills_the_same(folder):
    renderer = Renderer(folder)
    first = renderer.render(make_template(folder, "Dear {{ name }},"), {"name": "R. Patel"}, folder / "plain.docx")
    assert STYLES_WITH_EFFECTS not in members(first)
    out = renderer.render("plain.docx", {"name": "A. Khan"}, folder.parent / "out.docx")
    assert body_texts(out) == ["Dear R. Patel,"]  # the first fill left no tag to fill
    assert package_problems(out) == []


def test_the_template_as_trimmed_is_a_whole_package_itself(folder):
    # python-docx writes a filled document's content types afresh, so look at the template as held
    name = make_template(folder, "{{ name }}")
    (folder / "held.docx").write_bytes(trimmed((folder / name).read_bytes()))
    assert STYLES_WITH_EFFECTS not in members(folder / "held.docx")
    assert package_problems(folder / "held.docx") == []


def test_a_leftover_part_that_something_else_uses_is_kept(folder):
    name = make_template(folder, "{{ name }}")
    picture = (
        b'<Relationship Id="rId99" Target="../docProps/thumbnail.jpeg" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"/>'
    )
    edit_package(
        folder / name,
        "word/_rels/document.xml.rels",
        lambda xml: xml.replace(b"</Relationships>", picture + b"</Relationships>"),
    )
    out = Renderer(folder).render(name, {"name": "R. Patel"}, folder.parent / "out.docx")
    assert THUMBNAIL in members(out) and STYLES_WITH_EFFECTS not in members(out)
    assert package_problems(out) == []


def test_styles_nothing_refers_to_are_left_out(folder):
    document = Document()
    document.add_paragraph("{{ title }}", style="Heading 1")
    document.add_paragraph("Dear {{ name }},")
    document.save(str(folder / "t.docx"))
    out = Renderer(folder).render("t.docx", {"title": "Review", "name": "R. Patel"}, folder.parent / "out.docx")
    kept = style_ids(out)
    assert {"Heading1", "Heading1Char", "Normal"} <= kept  # used, linked, based on
    assert "Title" not in kept and "Heading2" not in kept
    assert len(kept) < len(style_ids(folder / "t.docx")) / 4


def test_a_style_chosen_by_a_tag_keeps_every_style(folder):
    document = Document()
    paragraph = document.add_paragraph("{{ title }}", style="Heading 1")
    paragraph._p.pPr.pStyle.set(qn("w:val"), "{{ style }}")
    document.save(str(folder / "t.docx"))
    out = Renderer(folder).render("t.docx", {"title": "Review", "style": "Title"}, folder.parent / "out.docx")
    assert Document(str(out)).paragraphs[0].style.name == "Title"
    assert style_ids(out) == style_ids(folder / "t.docx")


def test_documents_of_one_template_share_their_styles_settings_and_numbering_byte_for_byte(folder):
    renderer = Renderer(folder)
    name = make_template(folder, "Dear {{ name }},")
    first = members(renderer.render(name, {"name": "R. Patel"}, folder / "1.docx"))
    second = members(renderer.render(name, {"name": "A. Khan"}, folder / "2.docx"))
    for part in ("word/styles.xml", "word/settings.xml", "word/numbering.xml", "word/theme/theme1.xml"):
        assert first[part] == second[part]
    assert first["word/document.xml"] != second["word/document.xml"]


def test_a_picture_prints_as_the_image(folder):
    out = fill(folder, "Attendance:", "{{ chart }}", chart=Picture(PNG, width_mm=40))
    [image] = [name for name in members(out) if name.startswith("word/media/")]
    assert members(out)[image] == PNG
    [shape] = Document(str(out)).inline_shapes
    assert round(shape.width.mm) == 40
    assert package_problems(out) == []


def test_tabs_and_line_breaks_become_words_own_only_where_printed(folder):
    out = fill(folder, "{{ a }}", "plain {{ b }}", a="one\ttwo\nthree", b="text")
    first, second = document_xml(out).iter(qn("w:p"))
    assert len(first.findall(f".//{qn('w:tab')}")) == 1 and len(first.findall(f".//{qn('w:br')}")) == 1
    assert second.find(f".//{qn('w:tab')}") is None and second.find(f".//{qn('w:br')}") is None
    assert body_texts(out) == ["one\ttwo\nthree", "plain text"]


def test_every_part_of_a_filled_document_is_compressed(folder):
    with zipfile.ZipFile(fill(folder, "{{ name }}", name="R. Patel")) as package:
        assert {info.compress_type for info in package.infolist()} == {zipfile.ZIP_DEFLATED}


# ---------------------------------------------------------------- checking templates before filling


def test_the_check_reports_names_a_template_is_not_given(folder):
    make_template(folder, "{{ school.name }} and {{ pupil.name }}", header="{{ partnership }}")
    assert template_variable_problems(folder, {"t.docx": ["school", "partnership"]}) == [
        "t.docx: uses 'pupil', which is not given to this template (it is given: partnership, school)"
    ]


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
        f"{folder / 'gone.docx'}: the template cannot be read (No such file or directory)"
    ]


# ---------------------------------------------------------------- compiled templates kept between runs


def test_compiled_templates_are_kept_and_a_damaged_one_is_compiled_again(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    name = make_template(folder, "Pupil: {{ name }}", "{% if late %}Late starts{% endif %}")
    kept = tmp_path / "cache" / "packgen" / "templates"

    first = Renderer(folder).render(name, {"name": "Amara Okafor", "late": True}, tmp_path / "1.docx")
    stored = sorted(kept.iterdir())
    assert stored and stat.S_IMODE(kept.stat().st_mode) == 0o700
    for entry in stored:
        entry.write_bytes(b"not a compiled template")  # damaged, or left by another Jinja
    again = Renderer(folder).render(name, {"name": "Amara Okafor", "late": True}, tmp_path / "2.docx")

    assert body_texts(first) == body_texts(again) == ["Pupil: Amara Okafor", "Late starts"]


def test_a_changed_template_is_never_filled_from_the_old_compiled_one(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    name = make_template(folder, "Version one for {{ name }}")
    Renderer(folder).render(name, {"name": "Bea"}, tmp_path / "1.docx")
    make_template(folder, "Version two for {{ name }}")
    changed = Renderer(folder).render(name, {"name": "Bea"}, tmp_path / "2.docx")
    assert body_texts(changed) == ["Version two for Bea"]


def test_a_templates_preparation_is_kept_and_fills_the_same_document(folder, tmp_path, monkeypatch):
    # Trimming the package and docxtpl's clean-up of the XML are done once per template, not per run.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    name = make_template(folder, "Pupil: {{ name }}", "{% if late %}Late starts{% endif %}", header="{{ name }}")
    first = Renderer(folder).render(name, {"name": "Amara Okafor", "late": True}, tmp_path / "1.docx")

    def never(*args):
        raise AssertionError("prepared again")

    monkeypatch.setattr("packgen.documents.fill.trimmed", never)
    monkeypatch.setattr("docxtpl.DocxTemplate.patch_xml", never)
    again = Renderer(folder).render(name, {"name": "Amara Okafor", "late": True}, tmp_path / "2.docx")

    with zipfile.ZipFile(first) as one, zipfile.ZipFile(again) as two:
        assert one.namelist() == two.namelist()
        assert all(one.read(part) == two.read(part) for part in one.namelist())
    assert body_texts(again) == ["Pupil: Amara Okafor", "Late starts"]
