"""python-docx internals packgen relies on (pinned by tests/test_compat.py).

Filling a document reads its template's package once and gives every document parts of its own made
from that reading; python-docx's public ``Document()`` reads the package again each time, and parses
and writes again parts that filling never touches.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import cast

from docx.document import Document
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.package import Unmarshaller
from docx.opc.packuri import PackURI
from docx.opc.part import Part, PartFactory
from docx.opc.pkgreader import PackageReader
from docx.opc.pkgwriter import _ContentTypesItem
from docx.package import Package


class PackageSource:
    """One template file as read: its bytes, and python-docx's reading of their package."""

    def __init__(self, data: bytes):
        self.data = data
        self._reader: PackageReader | None = None

    def document(self) -> Document:
        """A new python-docx document of the template.

        Reading the package (unzipping it, reading its relationships) cost python-docx an eighth of
        every fill; it is read once, and every document gets parts of its own made from what was read.
        """
        if self._reader is None:
            self._reader = PackageReader.from_file(io.BytesIO(self.data))
        package = Package()
        Unmarshaller.unmarshal(self._reader, package, _part)
        part = package.main_document_part
        if part.content_type != CT.WML_DOCUMENT_MAIN:  # as python-docx's Document() checks
            raise ValueError(f"its main part is {part.content_type}")
        return part.document


# Parts that filling never reads or changes. Kept as the template's bytes, they cost python-docx
# nothing, where parsing them and writing them out again was a tenth of a fill. (So python-docx's
# document.styles cannot be used on a document being filled.)
_UNTOUCHED = frozenset({CT.WML_STYLES, CT.WML_NUMBERING, CT.WML_SETTINGS})


def _part(partname: PackURI, content_type: str, reltype: str, blob: bytes, package: Package) -> Part:
    """python-docx's PartFactory, but _UNTOUCHED parts stay bytes."""
    if content_type in _UNTOUCHED:
        return Part.load(partname, content_type, blob, package)
    # PartFactory is a class only in name: its __new__ returns the Part it makes, which checkers cannot see.
    return cast(Part, PartFactory(partname, content_type, reltype, blob, package))


def content_types_xml(parts: Iterable[Part]) -> bytes:
    """The package's [Content_Types].xml for ``parts``, as python-docx's save() writes it."""
    return _ContentTypesItem.from_parts(parts).blob
