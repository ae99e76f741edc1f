"""The behaviour packgen relies on in other libraries' private API (packgen/_compat). A new release that
changes any of it fails here, naming the library, rather than in a school's build."""

from __future__ import annotations

import inspect
import io
import socket
import threading
import time
import zipfile

import pytest
from docx import Document
from docx.opc.part import Part
from docxtpl import DocxTemplate, InlineImage
from jinja2 import TemplateSyntaxError
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, IndirectObject, NameObject
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from packgen._compat.docx import PackageSource, content_types_xml
from packgen._compat.docxtpl import Template, insert_image, rendering_part
from packgen._compat.pypdf import add_object, stored_data, write_names_once
from packgen._compat.reportlab import canvas_document
from packgen._compat.waitress import StoppableServer


def docx_bytes(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- pypdf


def test_pypdf_adds_an_object_of_our_own_and_it_is_written(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    reference = add_object(writer, DictionaryObject({NameObject("/Packgen"): NameObject("/Footer")}))
    assert isinstance(reference, IndirectObject)
    writer.pages[0][NameObject("/PackgenRef")] = reference
    writer.write(tmp_path / "out.pdf")

    page = PdfReader(tmp_path / "out.pdf").pages[0]
    assert page["/PackgenRef"].get_object()["/Packgen"] == "/Footer"


def test_a_streams_stored_data_is_the_encoded_bytes_as_in_the_file(tmp_path):
    canvas = Canvas(str(tmp_path / "page.pdf"))
    canvas.drawString(72, 720, "Stored compressed")
    canvas.save()
    part = PdfReader(tmp_path / "page.pdf").pages[0]["/Contents"].get_object()

    stored = stored_data(part)

    assert part["/Filter"] in ("/FlateDecode", ["/ASCII85Decode", "/FlateDecode"])
    assert b"Stored compressed" not in stored and b"Stored compressed" in part.get_data()
    assert stored_data(part) == stored  # still the stored bytes once decoded


def test_names_are_written_as_pdf_wants_them_each_worked_out_once(tmp_path):
    write_names_once()
    write_names_once()  # a second call changes nothing
    names = ["/Type", "/Packgen Font", "/Hash#1", "/Paren(s)[x]", "/Ünïcødé", "/Tab\tand%"]
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.pages[0][NameObject("/PackgenTest")] = DictionaryObject(
        {NameObject(name): NameObject(name) for name in names}
    )
    before = NameObject.renumber.cache_info()
    writer.write(tmp_path / "names.pdf")
    writer.write(tmp_path / "again.pdf")

    written = PdfReader(tmp_path / "names.pdf").pages[0]["/PackgenTest"]
    assert {str(key): str(value) for key, value in written.items()} == {name: name for name in names}
    assert (tmp_path / "names.pdf").read_bytes() == (tmp_path / "again.pdf").read_bytes()
    assert NameObject.renumber.cache_info().hits > before.hits


# ---------------------------------------------------------------- reportlab


def test_reportlab_canvas_document_numbers_font_subsets():
    canvas = Canvas(io.BytesIO())
    document = canvas_document(canvas)
    pdfmetrics.registerFont(TTFont("PackgenCompatSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    font = pdfmetrics.getFont("PackgenCompatSans")
    runs = font.splitString("Packgen Ωμέγα", document)  # the calls typeface.encode makes with it
    assert runs and all(isinstance(codes, bytes) for _, codes in runs)
    assert font.getSubsetInternalName(runs[0][0], document).startswith("/F")
    assert document is canvas_document(canvas)


# ---------------------------------------------------------------- python-docx


def test_a_package_read_once_gives_documents_of_their_own():
    source = PackageSource(docx_bytes("First", "Second"))
    one, two = source.document(), source.document()
    one.paragraphs[0].text = "Changed"
    assert [p.text for p in two.paragraphs] == ["First", "Second"]
    assert one.part is not two.part


def test_styles_numbering_and_settings_stay_bytes():
    document = PackageSource(docx_bytes("Text")).document()
    kinds = {part.partname: type(part) for part in document.part.package.parts}
    assert kinds["/word/styles.xml"] is Part and kinds["/word/settings.xml"] is Part


def test_content_types_name_every_part():
    document = PackageSource(docx_bytes("Text")).document()
    xml = content_types_xml(document.part.package.parts).decode()
    assert 'PartName="/word/document.xml"' in xml and 'PartName="/word/styles.xml"' in xml


# ---------------------------------------------------------------- docxtpl


@pytest.mark.parametrize("method", ["init_docx", "map_tree", "patch_xml", "resolve_listing"])
def test_the_docxtpl_methods_template_overrides_are_still_there(method):
    assert method in vars(DocxTemplate), f"docxtpl.DocxTemplate.{method} is gone"
    assert (
        list(inspect.signature(getattr(Template, method)).parameters)[:2]
        == list(inspect.signature(getattr(DocxTemplate, method)).parameters)[:2]
    )


def test_template_fills_as_docxtpl_does():
    data = docx_bytes("Dear {{ name }},", "Line one\nline two")
    patched: dict[str, str] = {}
    ours = Template(PackageSource(data), lambda xml, patch: patched.setdefault(xml, patch(xml)))
    theirs = DocxTemplate(io.BytesIO(data))
    for document in (ours, theirs):
        document.render({"name": "Siân & <Co>"}, autoescape=True)
    assert [p.text for p in ours.docx.paragraphs] == [p.text for p in theirs.docx.paragraphs]
    assert ours.docx.paragraphs[0].text == "Dear Siân & <Co>,"
    assert patched  # the clean-up went through the shared function


def test_an_inline_image_prints_as_a_drawing_while_filling():
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(png, "PNG")
    document = DocxTemplate(io.BytesIO(docx_bytes("{{ picture }}")))
    document.init_docx()
    printed: list[str] = []

    class Printed:  # as documents.fill hands a picture to a template
        def __html__(self) -> str:
            printed.append(insert_image(InlineImage(document, io.BytesIO(png.getvalue()))))
            return printed[-1]

    document.render({"picture": Printed()}, autoescape=True)
    assert printed and "<w:drawing" in printed[0]
    assert document.docx.inline_shapes


def test_docxtpl_says_which_part_it_was_filling_when_it_failed():
    document = DocxTemplate(io.BytesIO(docx_bytes("{{ broken( }}")))
    with pytest.raises(TemplateSyntaxError):
        document.render({}, autoescape=True)
    assert rendering_part(document) is not None


def test_the_docx_written_by_filling_opens_in_python_docx(tmp_path):
    data = docx_bytes("Hello {{ who }}")
    document = Template(PackageSource(data), lambda xml, patch: patch(xml))
    document.render({"who": "world"}, autoescape=True)
    out = tmp_path / "out.docx"
    document.save(out)
    with zipfile.ZipFile(out) as package:
        assert "[Content_Types].xml" in package.namelist()
    assert Document(str(out)).paragraphs[0].text == "Hello world"


# ---------------------------------------------------------------- waitress


def _hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


@pytest.fixture
def waitress_server():
    server = StoppableServer(_hello, header_timeout=1, host="127.0.0.1", port=0, channel_timeout=30)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    yield server
    server.shutdown()
    thread.join(timeout=10)
    assert not thread.is_alive()


def _answer(server: StoppableServer, pause: float) -> bytes:
    """What the server sends back to a request whose headers stop half way for ``pause`` seconds."""
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        time.sleep(pause)
        try:
            connection.sendall(b"Connection: close\r\n\r\n")
            return b"".join(iter(lambda: connection.recv(4096), b""))
        except ConnectionError:
            return b""


def test_waitress_answers_until_shut_down_from_another_thread(waitress_server):
    assert _answer(waitress_server, 0).endswith(b"hello")


def test_waitress_closes_a_connection_whose_headers_take_longer_than_the_deadline(waitress_server):
    assert _answer(waitress_server, 1.5) == b""
    assert _answer(waitress_server, 0.2).endswith(b"hello")
