"""docxtpl internals packgen relies on (pinned by tests/test_compat.py).

docxtpl fills a template by compiling its XML afresh every time, cleaning it up first (``patch_xml``)
and turning special characters in printed text into Word's own (``resolve_listing``). packgen fills
one template many times, so its Template shares the reading and the clean-up between fills, and skips
work that would change nothing.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from docx.document import Document
from docxtpl import DocxTemplate, InlineImage
from lxml import etree

from packgen._compat.docx import PackageSource

# A paragraph as docxtpl's resolve_listing finds one, and the characters it changes in one.
_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)
_LISTED = re.compile("[\t\a\n\f]")


class Template(DocxTemplate):
    """A DocxTemplate that shares the reading of its template, and docxtpl's clean-up of the XML,
    between fills of the same file, and skips docxtpl's work that would change nothing."""

    # docxtpl's __init__ sets these without saying what they hold.
    docx: Document | None
    is_rendered: bool

    def __init__(self, source: PackageSource, patched: Callable[[str, Callable[[str], str]], str]):
        super().__init__(io.BytesIO(source.data))
        self._source = source
        self._patched = patched

    def init_docx(self, reload: bool = True) -> None:
        if not self.docx or (self.is_rendered and reload):
            self.docx = self._source.document()
            self.is_rendered = False

    def map_tree(self, tree: etree._Element) -> None:
        # docxtpl swaps the filled body in for the template's. lxml keeps a removed element usable
        # by walking everything in it (5 ms for a long template); emptied first, the old body's
        # content is freed at once.
        assert self.docx is not None  # docxtpl reads the template (init_docx) before it maps the tree
        self.docx.element.body.clear()
        super().map_tree(tree)

    def patch_xml(self, src_xml: str) -> str:
        return self._patched(src_xml, super().patch_xml)

    def resolve_listing(self, xml: str) -> str:
        """docxtpl's turning of tabs, line breaks and page breaks in printed text into Word's own.

        It runs three nested regular expressions over every paragraph, a tenth of a fill; a
        paragraph without those characters comes out of it unchanged, and few have one.
        """
        if not _LISTED.search(xml):
            return xml
        return _PARAGRAPH.sub(
            lambda paragraph: (
                super(Template, self).resolve_listing(paragraph.group())
                if _LISTED.search(paragraph.group())
                else paragraph.group()
            ),
            xml,
        )


def insert_image(inline: InlineImage) -> str:
    """The XML that prints ``inline`` where a template's tag stands."""
    return inline._insert_image()


def rendering_part(document: DocxTemplate) -> Any:
    """The part (body, a header...) docxtpl was filling when it stopped, if it says."""
    return getattr(document, "current_rendering_part", None)
