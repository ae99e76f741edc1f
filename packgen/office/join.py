"""Filled Word documents of one template joined into one, for LibreOffice to convert at once.

Documents filled from one template share their styles, settings, numbering, theme and fonts byte for
byte, so each member, joined as sections of one document, lays out as it would alone. A member starts
on a new page (its first section starts on the next page), keeps its own headers and pictures (copied
under names of its own), and nothing flows from one member into the next. Each member begins with the
bookmark ``packgenDoc<k>``, which LibreOffice exports as a named destination (``soffice.PDF_EXPORT``):
combine.py cuts the PDF there.

What could lay out differently is never joined (NotJoinable): fields (a footer's "page 2 of 4" would
count the joined document), numbered lists (they would carry on counting from the member before),
footnotes, endnotes and comments (one part per document), and shared parts that differ from the first
member's.
"""

from __future__ import annotations

import copy
import functools
import posixpath
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from packgen.documents.trim import styles_reached
from packgen.files import disk_errors

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_NS = {"w": _W}

DOCUMENT = "word/document.xml"
DOCUMENT_RELS = "word/_rels/document.xml.rels"
CONTENT_TYPES = "[Content_Types].xml"
_HEADER_OR_FOOTER = re.compile(r"word/(header|footer)[0-9]*\.xml")
# Parts every member of a template shares; a member whose copy differs from the first's is not joined.
SHARED = {"styles", "stylesWithEffects", "settings", "webSettings", "fontTable", "theme", "numbering", "customXml"}
# One part per document that a joined document could hold only one of.
SINGLE = {"footnotes", "endnotes", "comments", "commentsExtended", "commentsIds", "people", "glossaryDocument"}
MARK = "packgenDoc"  # letters only: LibreOffice escapes anything else in destination names
MARK_ID = 2_000_000_000  # bookmark ids far above any Word writes
ID_STEP = 1_000_000  # each member's own bookmark and revision ids are moved this far apart


def w(tag: str) -> str:
    """A WordprocessingML element or attribute name, as lxml spells it."""
    return f"{{{_W}}}{tag}"


class NotJoinable(Exception):
    """A member that must be converted on its own (the reason is for developers' eyes)."""


@dataclass
class Package:
    """A .docx read into memory: its parts, and the XML of the parts joining changes."""

    parts: dict[str, bytes]
    document: etree._Element
    rels: etree._Element
    types: etree._Element

    @classmethod
    def read(cls, path: Path) -> Package:
        try:
            with zipfile.ZipFile(path) as package:
                parts = {name: package.read(name) for name in package.namelist()}
            return cls(parts, _xml(parts[DOCUMENT]), _xml(parts[DOCUMENT_RELS]), _xml(parts[CONTENT_TYPES]))
        except (KeyError, OSError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
            raise NotJoinable(f"{path}: {exc}") from exc

    def relationships(self) -> list[etree._Element]:
        return list(self.rels.iter(f"{{{_PR}}}Relationship"))

    def target(self, rel: etree._Element) -> str:
        return posixpath.normpath(posixpath.join("word", rel.get("Target")))


def joinable(path: Path) -> None:
    """Raise NotJoinable if the filled document at ``path`` could lay out differently when joined."""
    check(Package.read(path))


def check(package: Package) -> None:
    """Raise NotJoinable if ``package`` could lay out differently when joined."""
    body = package.document.find(w("body"))
    if body is None or len(body) < 2 or body[-1].tag != w("sectPr"):
        raise NotJoinable("the body does not end in its section properties")
    for rel in package.relationships():
        kind = rel.get("Type", "").rsplit("/", 1)[-1]
        if kind in SINGLE:
            raise NotJoinable(f"it has {kind}")
    for name, data in package.parts.items():
        if name.startswith("word/") and name.endswith(".xml") and (b"fldSimple" in data or b"instrText" in data):
            raise NotJoinable(f"{name} holds a field")
    if package.document.find(f".//{w('numPr')}") is not None or _numbered_styles(package):
        raise NotJoinable("it has a numbered list")


def _numbered_styles(package: Package) -> bool:
    """Whether a style the document uses (or one it is based on) numbers its paragraphs."""
    numbering, styles = package.parts.get("word/numbering.xml"), package.parts.get("word/styles.xml")
    if numbering is None or styles is None:
        return False
    based_on, numbered = _style_tree(styles), _counting_numbers(numbering)
    wanted = [style for style, (_, default, _) in based_on.items() if default]
    for name, data in package.parts.items():
        if name == DOCUMENT or _HEADER_OR_FOOTER.fullmatch(name):
            root = package.document if name == DOCUMENT else _xml(data)
            wanted += root.xpath("//w:pStyle/@w:val | //w:rStyle/@w:val | //w:tblStyle/@w:val", namespaces=_NS)
    used = styles_reached(wanted, {name: parents for name, (parents, _, _) in based_on.items()})
    return any(number in numbered for name in used for number in based_on[name][2])


@functools.lru_cache(maxsize=64)
def _style_tree(styles: bytes) -> dict[str, tuple[list[str], bool, list[str]]]:
    """Each style's (styles it is based on, whether it is a default, numberings it uses); the
    documents of one template share their styles part, so it is read once."""
    return {
        style.get(w("styleId")): (
            style.xpath("w:basedOn/@w:val", namespaces=_NS),
            style.get(w("default")) == "1",
            style.xpath(".//w:numId/@w:val", namespaces=_NS),
        )
        for style in _xml(styles).iter(w("style"))
    }


@functools.lru_cache(maxsize=64)
def _counting_numbers(numbering: bytes) -> frozenset[str]:
    """The numberings (w:num ids) that count, rather than show bullets."""
    root = _xml(numbering)
    counting = {
        a.get(w("abstractNumId"))
        for a in root.iter(w("abstractNum"))
        if any(f.get(w("val")) not in ("bullet", "none") for f in a.iter(w("numFmt")))
    }
    return frozenset(
        num.get(w("numId"))
        for num in root.iter(w("num"))
        if num.xpath("string(w:abstractNumId/@w:val)", namespaces=_NS) in counting
    )


def join(members: Sequence[Path], dest: Path) -> None:
    """Write the documents ``members`` (filled from one template) to ``dest`` as one document.

    Member k starts with the bookmark ``packgenDoc<k>``. Raises NotJoinable, writing nothing, if any
    member could lay out differently joined.
    """
    packages = [Package.read(path) for path in members]
    for package in packages:
        check(package)
    join_packages(packages, members, dest)


def join_packages(packages: list[Package], members: Sequence[Path], dest: Path) -> None:
    """``join`` for packages already read and checked."""
    base = packages[0]
    for number, package in enumerate(packages[1:], start=1):
        _same_shared_parts(base, package, members[number])
    parts = dict(base.parts)
    body = base.document.find(w("body"))
    _mark(body, 0)
    for number, package in enumerate(packages[1:], start=1):
        _bring_over(package, number, parts, base)
        other = package.document.find(w("body"))
        _mark(other, number)
        _renumber_ids(other, number)
        # The member before ends here: its last section's properties go into a paragraph of their
        # own, which makes them a section break (Word keeps a document's last ones outside any
        # paragraph). LibreOffice drops that empty paragraph, so the member keeps every paragraph
        # it had, its last one included, and lays out to the same pages.
        last_section = body[-1]
        breaker = etree.SubElement(body, w("p"))
        etree.SubElement(breaker, w("pPr")).append(last_section)
        first_section = next(other.iter(w("sectPr")))
        _starts_new_page(first_section)
        for child in list(other):
            body.append(child)
    parts[DOCUMENT] = _bytes(base.document)
    parts[DOCUMENT_RELS] = _bytes(base.rels)
    parts[CONTENT_TYPES] = _bytes(base.types)
    _write_zip(parts, dest)


def _same_shared_parts(base: Package, package: Package, path: Path) -> None:
    for rel in package.relationships():
        kind = rel.get("Type", "").rsplit("/", 1)[-1]
        if kind in SHARED and package.parts.get(package.target(rel)) != base.parts.get(package.target(rel)):
            raise NotJoinable(f"{path}: its {kind} part differs from the first member's")


def _bring_over(package: Package, number: int, parts: dict[str, bytes], base: Package) -> None:
    """Copy the member's own parts (headers, pictures, links) under new names and relationship ids."""
    renamed: dict[str, str] = {}
    for rel in package.relationships():
        kind = rel.get("Type", "").rsplit("/", 1)[-1]
        if kind in SHARED:
            continue
        new_id = f"pg{number}{rel.get('Id')}"
        renamed[rel.get("Id")] = new_id
        added = etree.SubElement(base.rels, f"{{{_PR}}}Relationship", rel.attrib)
        added.set("Id", new_id)
        if rel.get("TargetMode") != "External":
            added.set(
                "Target", posixpath.relpath(_copy_part(package, package.target(rel), number, parts, base), "word")
            )
    for value in package.document.xpath("//@*[namespace-uri() = $r]", r=_R):
        if value in renamed:
            value.getparent().set(value.attrname, renamed[value])


def _copy_part(package: Package, name: str, number: int, parts: dict[str, bytes], base: Package) -> str:
    """Copy part ``name`` of member ``number`` (and the parts it refers to) into ``parts``; its new name."""
    folder, file = posixpath.split(name)
    new_name = posixpath.join(folder, f"pg{number}-{file}")
    if new_name in parts:
        return new_name
    parts[new_name] = package.parts[name]
    rels_name = posixpath.join(folder, "_rels", file + ".rels")
    if rels_name in package.parts:
        rels = _xml(package.parts[rels_name])
        for rel in rels.iter(f"{{{_PR}}}Relationship"):
            if rel.get("TargetMode") != "External":
                target = posixpath.normpath(posixpath.join(folder, rel.get("Target")))
                rel.set("Target", posixpath.relpath(_copy_part(package, target, number, parts, base), folder))
        parts[posixpath.join(folder, "_rels", f"pg{number}-{file}.rels")] = _bytes(rels)
    _add_content_type(package, name, new_name, base)
    return new_name


def _add_content_type(package: Package, name: str, new_name: str, base: Package) -> None:
    for override in package.types.iter(f"{{{_CT}}}Override"):
        if override.get("PartName") == "/" + name:
            etree.SubElement(
                base.types, f"{{{_CT}}}Override", PartName="/" + new_name, ContentType=override.get("ContentType")
            )
            return
    extension = posixpath.splitext(name)[1].lstrip(".").lower()
    known = {d.get("Extension").lower() for d in base.types.iter(f"{{{_CT}}}Default")}
    if extension not in known:
        for default in package.types.iter(f"{{{_CT}}}Default"):
            if default.get("Extension").lower() == extension:
                base.types.insert(0, copy.deepcopy(default))
                return


def _mark(body: etree._Element, number: int) -> None:
    """A bookmark at the start of the member's first paragraph, to find its first page by."""
    paragraph = next(body.iter(w("p")))
    start = etree.Element(w("bookmarkStart"), {w("id"): str(MARK_ID + number), w("name"): f"{MARK}{number}"})
    end = etree.Element(w("bookmarkEnd"), {w("id"): str(MARK_ID + number)})
    properties = paragraph.find(w("pPr"))
    paragraph.insert(0 if properties is None else paragraph.index(properties) + 1, start)
    start.addnext(end)


def _renumber_ids(body: etree._Element, number: int) -> None:
    """Keep the member's bookmarks paired with their own ends, not with another member's of the same id."""
    for tag in ("bookmarkStart", "bookmarkEnd"):
        for element in body.iter(w(tag)):
            value = element.get(w("id"))
            if value is not None and value.isdigit() and int(value) < MARK_ID:
                element.set(w("id"), str(int(value) + number * ID_STEP))


def _starts_new_page(section: etree._Element) -> None:
    kind = section.find(w("type"))
    if kind is None:
        return  # the default is a new page
    if kind.get(w("val")) not in ("nextPage", "oddPage", "evenPage"):
        kind.set(w("val"), "nextPage")


def _write_zip(parts: dict[str, bytes], dest: Path) -> None:
    # Stored, not compressed: LibreOffice reads it once and it is thrown away after.
    with disk_errors(dest), zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as package:
        # [Content_Types].xml first, as Word writes it.
        for name in sorted(parts, key=lambda n: n != CONTENT_TYPES):
            package.writestr(name, parts[name])


def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))


def _bytes(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", standalone=True)
