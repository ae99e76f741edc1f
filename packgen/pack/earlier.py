"""Pages taken from the pack built before, for documents that have not changed since.

A rebuild after an edit makes a handful of documents and takes the other few hundred as they were;
reading each of those from its own PDF is most of the rebuild's time (each carries its own copy of its
fonts, read afresh every time). The pack built before holds the same pages with one copy of each font
(fonts.py), so they are taken from there instead, a few hundred pages from one file.

What the pack added to such a page is taken off first (footers.py: the footer's drawing after the
page's own, and the footer's fonts in its resources), in the reader's copy only, so a page goes in
exactly as it came from its document. Only packgen's own documents are taken this way (their font
names never start as the footer's do), and only when the caller knows the pack is the one the last
build wrote, whose pages are where it recorded them: anything unexpected in it, and the pack is made
from the documents' own PDFs as usual (``Unusable``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, NameObject

from packgen.pack.fonts import page_fonts
from packgen.pack.footers import FOOTER_FONT_PREFIX

CONTENTS = NameObject("/Contents")


@dataclass(frozen=True)
class EarlierPack:
    """The pack the last build wrote, and where in it each unchanged document's pages are: by the
    document's PDF in this build, (first page, page count), counted from 0."""

    path: Path
    pages: Mapping[Path, tuple[int, int]]


class Unusable(Exception):
    """The earlier pack is not as recorded: the pack is made without it."""


class EarlierPages:
    """The earlier pack open for taking pages from; shared objects (fonts) are copied in once."""

    def __init__(self, earlier: EarlierPack):
        self.earlier = earlier
        try:
            self.reader = PdfReader(earlier.path)
            total = len(self.reader.pages)
        except Exception as exc:  # whatever pypdf raises for a file that is not what was written
            raise Unusable(str(exc)) from exc
        if self.reader.is_encrypted or any(
            first < 0 or count < 1 or first + count > total for first, count in earlier.pages.values()
        ):
            raise Unusable("the pages recorded are not in the pack")

    def has(self, pdf: Path) -> bool:
        return pdf in self.earlier.pages

    def append(self, writer: PdfWriter, pdf: Path) -> int:
        """Add the document's pages at the end of ``writer``; how many there are."""
        first, count = self.earlier.pages[pdf]
        try:
            for index in range(first, first + count):
                _without_footer(self.reader.pages[index])
            writer.merge(None, self.reader, pages=(first, first + count), import_outline=False)
        except Unusable:
            raise
        except Exception as exc:
            raise Unusable(f"page {first + 1}: {type(exc).__name__}: {exc}") from exc
        return count

    def close(self, writer: PdfWriter) -> None:
        writer.reset_translation(self.reader)
        self.reader.close()


def _without_footer(page: PageObject) -> None:
    """The page as its document had it: the footer's drawing and fonts taken off (footers.stamp_footers)."""
    contents = page.get(CONTENTS)
    if not isinstance(contents, ArrayObject) or len(contents) < 3:
        raise Unusable("a page without the footer the pack gives every page")
    own = list(contents[1:-2])  # "q", the page's own drawing, the footer shared by its size, its number
    if not own:
        del page[CONTENTS]
    else:
        page[CONTENTS] = own[0] if len(own) == 1 else ArrayObject(own)
    fonts = page_fonts(page)
    if fonts is None:
        raise Unusable("a page without the footer's fonts")
    for name in [name for name in fonts if str(name).startswith(FOOTER_FONT_PREFIX)]:
        del fonts[name]
