"""The Jinja source docxtpl makes of a template's parts, and the paragraph to point staff at when a
template cannot be filled: tags Word split across paragraphs, syntax errors, failures while filling.
"""

from __future__ import annotations

import html
import re
import traceback
from collections.abc import Iterator, Mapping
from typing import Any

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.oxml import parse_xml
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from jinja2 import TemplateError
from lxml import etree

from packgen._compat.docxtpl import rendering_part

_DELIMITER = re.compile(r"\{\{|\{%|\{#|\}\}|%\}|#\}")
_CLOSER = {"{{": "}}", "{%": "%}", "{#": "#}"}


def filled_parts(document: DocxTemplate) -> Iterator[tuple[str, etree._Element]]:
    """The parts docxtpl fills, each as XML: the body, then every page header and footer."""
    yield "body", document.get_docx().element.body
    for uri, where in ((document.HEADER_URI, "page header"), (document.FOOTER_URI, "page footer")):
        for _, part in document.get_headers_footers(uri):
            yield where, parse_xml(part.blob)


def jinja_sources(document: DocxTemplate) -> list[str]:
    """Every Jinja source docxtpl compiles when it fills ``document``, as it makes each (see
    DocxTemplate.render): the body, each page header and footer, the footnotes, and the document
    properties it fills. TemplateReads.check holds a fill to exactly these."""
    sources = [part_source(document, element) for _, element in filled_parts(document)]
    footnotes = {
        part.partname: part
        for section in document.docx.sections
        for part in section.part.package.parts
        if part.content_type == CT.WML_FOOTNOTES
    }
    sources += [
        _numbered(document.patch_xml(part.blob.decode("utf-8") if isinstance(part.blob, bytes) else part.blob))
        for part in footnotes.values()
    ]
    properties = document.docx.core_properties
    return sources + [getattr(properties, name) for name in _FILLED_PROPERTIES]


# The document properties docxtpl fills (DocxTemplate.render_properties).
_FILLED_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")


def part_source(document: DocxTemplate, element: etree._Element) -> str:
    """The Jinja source docxtpl makes of a part, one paragraph per line as docxtpl numbers them."""
    return _numbered(document.patch_xml(document.xml_to_string(element)))


def _numbered(xml: str) -> str:
    # As DocxTemplate.render_xml_part: a line per paragraph, so Jinja's line numbers find the paragraph.
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)


def split_tags(element: etree._Element) -> list[str]:
    """Tags that do not open and close inside one paragraph.

    docxtpl itself mends a tag that Word split into several runs of one paragraph, but a tag
    broken across paragraphs or cells, or left unclosed, turns the document's XML into nonsense.
    """
    problems = []
    for paragraph in element.iter(qn("w:p")):
        text = "".join(node.text or "" for node in paragraph.iter(qn("w:t")))
        opened = None
        for match in _DELIMITER.finditer(text):
            token = match.group()
            if opened is None and token in _CLOSER:
                opened = token
            elif opened is not None and token == _CLOSER[opened]:
                opened = None
            else:
                opened = token
                break
        if opened is not None:
            problems.append(
                f"the tag around '{opened}' in \"{_shorten(text)}\" does not open and close in this paragraph "
                "(in Word, retype the whole tag in one go)"
            )
    return problems


def paragraph_near(source: str, lineno: int | None) -> str:
    """The document text around a line of docxtpl's Jinja source, to show staff where to look."""
    lines = source.splitlines()
    if lineno is None or not 0 < lineno <= len(lines):
        return ""
    text = html.unescape(re.sub(r"<[^>]+>", "", lines[lineno - 1])).strip()
    return f' (in the paragraph "{_shorten(text)}")' if text else ""


def _shorten(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failure_message(template: str, document: DocxTemplate, exc: Exception, context: Mapping[str, Any]) -> str:
    if document.docx is None:
        return f"{template}: is not a Word document that can be opened ({exc})"
    what = exc.message if isinstance(exc, TemplateError) and exc.message else f"{type(exc).__name__}: {exc}"
    what = what.rstrip(".")
    part = rendering_part(document)
    near = ""
    if part is not None:
        lineno = getattr(exc, "lineno", None) or _template_line(exc)
        element = document.docx.element.body if part is document.docx.part else parse_xml(part.blob)
        near = paragraph_near(part_source(document, element), lineno)
    return f"{template}: {what}{near}; this template is given: {', '.join(sorted(context)) or 'nothing'}"


def _template_line(exc: Exception) -> int | None:
    """Jinja marks the frames of template code with the template's line numbers; take the deepest."""
    lines = [line for frame, line in traceback.walk_tb(exc.__traceback__) if frame.f_code.co_filename == "<template>"]
    return lines[-1] if lines else None
