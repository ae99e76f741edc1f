"""Templates that take pictures or text from outside themselves are refused, naming the template."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from packgen.documents import links
from packgen.documents.fill import Renderer
from packgen.documents.links import outside_references
from packgen.errors import TemplateProblem
from tests.conftest import MINI, TEMPLATES, link_outside, make_docx, run_cli, run_measured


@pytest.fixture
def templates(tmp_path) -> Path:
    """A copy of the standard templates that a test may change."""
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    return folder


def test_check_refuses_a_template_showing_a_picture_from_a_web_address(templates, web_server):
    address = f"http://127.0.0.1:{web_server.server_port}/logo.png"
    link_outside(templates / "cover.docx", address)

    result = run_cli("check", MINI, "--templates", templates)

    assert result.exit_code == 1, result.output
    assert f"{templates / 'cover.docx'}: the template links to a picture at {address}" in result.output
    assert "Insert > Pictures > This Device" in result.output
    assert web_server.requests == []


def test_a_build_with_such_a_template_stops_before_anything_is_converted(templates, web_server, tmp_path):
    link_outside(templates / "cover.docx", f"http://127.0.0.1:{web_server.server_port}/logo.png")

    result = run_cli("build", MINI, "--templates", templates, "--out", tmp_path / "out", "--quiet")

    assert result.exit_code == 1, result.output
    assert "cover.docx: the template links to a picture at" in result.output
    assert web_server.requests == []
    assert not list((tmp_path / "out").rglob("*.pdf"))


def test_a_picture_linked_from_a_file_on_this_computer_is_refused_too(templates):
    link_outside(templates / "letter.docx", "file:///etc/hostname")
    with pytest.raises(TemplateProblem, match=r"letter\.docx: the template links to a picture at file:///etc/hostname"):
        Renderer(templates).template_digest("letter.docx")


@pytest.mark.parametrize(
    "kind, words",
    [
        ("oleObject", "an embedded object"),
        ("attachedTemplate", "its Word template"),
        ("subDocument", "a sub-document"),
        ("frame", "a frame"),
    ],
)
def test_every_kind_of_outside_link_but_a_hyperlink_is_found(tmp_path, kind, words):
    docx = link_outside(make_docx(tmp_path / "t.docx", "Text"), "https://example.org/thing", kind=kind, body="")
    assert outside_references(docx.read_bytes()) == [f"{words} at https://example.org/thing"]


def test_a_hyperlink_to_a_web_page_is_fine(templates):
    link = (
        '<w:p><w:hyperlink xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        'r:id="rIdOutside"><w:r><w:t>Guidance</w:t></w:r></w:hyperlink></w:p>'
    )
    link_outside(templates / "letter.docx", "https://www.gov.uk/government/publications", kind="hyperlink", body=link)

    assert outside_references((templates / "letter.docx").read_bytes()) == []
    assert run_cli("check", MINI, "--templates", templates).exit_code == 0


@pytest.mark.parametrize("field", ["INCLUDEPICTURE", "INCLUDETEXT"])
def test_fields_that_fetch_a_file_are_refused(templates, field):
    # Word splits a field's code over runs as it likes: here the name and the address come apart.
    code = (
        f'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> {field[:7]}'
        f'</w:instrText></w:r><w:r><w:instrText xml:space="preserve">{field[7:]} "http://127.0.0.1:9/x.png" \\d'
        '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>shown</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    docx = templates / "cover.docx"
    link_outside(docx, "https://example.org/", kind="hyperlink", body=code)

    result = run_cli("check", MINI, "--templates", templates)

    assert result.exit_code == 1
    assert f"{docx}: the template links to a {field} field for http://127.0.0.1:9/x.png" in result.output


def test_a_template_that_is_not_an_ordinary_file_is_refused_without_waiting(templates):
    (templates / "cover.docx").unlink()
    os.mkfifo(templates / "cover.docx")  # a pipe nobody writes to: reading it would wait for ever
    (templates / "letter.docx").unlink()
    (templates / "letter.docx").symlink_to("/dev/zero")  # endless

    done, _ = run_measured("check", MINI, "--templates", templates, timeout=60)

    assert done.returncode == 1, done.stderr
    assert f"{templates / 'cover.docx'}: the template is not an ordinary file" in done.stderr
    assert f"{templates / 'letter.docx'}: the template is not an ordinary file" in done.stderr


def test_a_template_that_passed_is_not_looked_through_again_until_its_bytes_change(templates, monkeypatch):
    Renderer(templates).template_digest("letter.docx")  # looked through, and remembered as clean

    def looked_through(docx: bytes) -> list[str]:
        raise AssertionError("a template that passed before was looked through again")

    monkeypatch.setattr(links, "outside_references", looked_through)
    Renderer(templates).template_digest("letter.docx")
    monkeypatch.undo()

    link_outside(templates / "letter.docx", "file:///etc/hostname")
    for _ in range(2):  # a template that fails is never remembered: it is named every time
        with pytest.raises(TemplateProblem, match=r"letter\.docx: the template links to a picture at file:///"):
            Renderer(templates).template_digest("letter.docx")


def test_without_a_memo_every_read_looks_through_the_template(templates, monkeypatch):
    looked: list[int] = []
    real = links.outside_references
    monkeypatch.setattr(links, "outside_references", lambda docx: looked.append(len(docx)) or real(docx))

    for _ in range(2):
        links.read_template(templates / "letter.docx")

    assert len(looked) == 2
