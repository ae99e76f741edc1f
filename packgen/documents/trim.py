"""A template as every document filled from it needs it: without the parts and styles nothing uses.

Worked out once per template (and kept between runs, see render.Renderer and memo.py).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterable, Mapping

from lxml import etree

_STYLE_PART = "word/styles.xml"
_CONTENT_TYPES = "[Content_Types].xml"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_OVERRIDE = "{http://schemas.openxmlformats.org/package/2006/content-types}Override"
_VALUE = re.compile(rb'w:val="([^"]*)"')
# Parts no step after filling reads: Word 2010's second copy of the styles with its text effects
# (newer Word neither needs nor writes it) and the preview picture of the first page that file
# browsers show. Both are optional in a .docx.
_LEFTOVERS = frozenset(
    {
        "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
        "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail",
    }
)


def trimmed(docx: bytes) -> bytes:
    """The template as every document filled from it needs it, trimmed once when it is read.

    python-docx reads, and writes again, every part of a template for every document filled from
    it, and LibreOffice reads them all for every document it converts. Templates saved by
    python-docx or Word carry parts nothing needs:

    - word/stylesWithEffects.xml (438 KB from python-docx's default template) and
      docProps/thumbnail.jpeg: compressing them again was a fifth of the time filling took, and
      LibreOffice ignores them (converting took the same time with or without). Each goes with its
      relationship and its content type, so the package stays whole and opens in Word.
    - style definitions nothing refers to (see ``_without_unused_styles``). stylesWithEffects goes
      first: it names every style it copies, so while it stayed, every one of those stayed too.

    Anything unexpected (not a zip, rels or content types that are not XML) keeps the file as it is,
    for the fill to report or use.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as package:
            infos = package.infolist()
            parts = {info.filename: package.read(info) for info in infos}
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return docx
    try:
        trimmed = _without_unused_styles(_without_leftovers(parts))
    except etree.XMLSyntaxError:
        return docx
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in infos:
            if info.filename in trimmed:
                package.writestr(info, trimmed[info.filename])
    return out.getvalue()


def _without_leftovers(parts: dict[str, bytes]) -> dict[str, bytes]:
    """The parts without the _LEFTOVERS that only their own relationship leads to."""
    rels = {name: etree.fromstring(data) for name, data in parts.items() if name.endswith(".rels")}
    leftovers: dict[str, list[tuple[str, etree._Element]]] = {}
    needed: set[str] = set()
    for name, root in rels.items():
        for rel in root.iter(_REL):
            if rel.get("TargetMode") == "External":
                continue
            target = _target(name, rel.get("Target", ""))
            if rel.get("Type") in _LEFTOVERS:
                leftovers.setdefault(target, []).append((name, rel))
            else:
                needed.add(target)
    dropped = {
        target for target in leftovers if target in parts and target not in needed and _rels_of(target) not in parts
    }
    if not dropped or _CONTENT_TYPES not in parts:
        return parts
    changed: set[str] = set()
    for target in dropped:
        for name, rel in leftovers[target]:
            rel.getparent().remove(rel)
            changed.add(name)
    types = etree.fromstring(parts[_CONTENT_TYPES])
    names = {target.lower() for target in dropped}  # part names ignore case
    for override in list(types.iter(_OVERRIDE)):
        if override.get("PartName", "").lstrip("/").lower() in names:
            types.remove(override)
    return (
        {name: data for name, data in parts.items() if name not in dropped}
        | {name: _xml_bytes(rels[name]) for name in changed}
        | {_CONTENT_TYPES: _xml_bytes(types)}
    )


def _target(rels_name: str, target: str) -> str:
    """The zip name of a relationship's target: "word/_rels/document.xml.rels" speaks for "word/"."""
    source_folder = posixpath.dirname(posixpath.dirname(rels_name))
    return posixpath.normpath(posixpath.join("/", source_folder, target)).lstrip("/")


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _without_unused_styles(parts: dict[str, bytes]) -> dict[str, bytes]:
    """The parts without the style definitions nothing in them refers to.

    Templates saved by python-docx or Word carry some 160 style definitions (350 KB of XML) of which
    a document uses a score. LibreOffice reads them all for every document it converts: that alone
    measured 0.1 s of 0.27 s per document, and filling and saving the XML costs docxtpl time too.
    A filled document refers to the same styles as its template (record text is escaped, never
    markup), so unused ones cannot change a page. Latent styles, Word's list of built-in styles to
    offer, stay. Anything unexpected (no styles, a style named by a tag) keeps the styles as they are.
    """
    if _STYLE_PART not in parts:
        return parts
    named = {
        value
        for name, data in parts.items()
        if name != _STYLE_PART and name.endswith(".xml")
        for value in _VALUE.findall(data)
    }
    if any(b"{" in value for value in named):
        return parts
    root = etree.fromstring(parts[_STYLE_PART])
    styles = {style.get(f"{_W}styleId"): style for style in root.iter(f"{_W}style")}
    wanted = [name.decode() for name in named] + [i for i, s in styles.items() if s.get(f"{_W}default") == "1"]
    kept = styles_reached(
        wanted,
        {
            name: [ref.get(f"{_W}val") for tag in ("basedOn", "link", "next") for ref in style.iter(f"{_W}{tag}")]
            for name, style in styles.items()
        },
    )
    for name, style in styles.items():
        if name not in kept:
            style.getparent().remove(style)
    return parts | {_STYLE_PART: _xml_bytes(root)}


def styles_reached(start: Iterable[str], links: Mapping[str, Iterable[str]]) -> set[str]:
    """The styles ``start`` names and every style they lead to through ``links`` (each style's
    based-on and other related styles); a name no style has is left out."""
    reached: set[str] = set()
    wanted = list(start)
    while wanted:
        name = wanted.pop()
        if name not in reached and name in links:
            reached.add(name)
            wanted += links[name]
    return reached


def _xml_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
