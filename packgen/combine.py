"""Filled documents of one template converted by LibreOffice as one document, then cut apart again.

Why: LibreOffice spends about 0.08 s on every document it opens and exports, whatever its length
(loading the package and its styles, setting up the export, embedding the fonts). Measured here,
thirty education plans joined into one converted in 5.2 s of processor time against 7.5 s one by
one, page for page the same (README "Performance").

Why the pages stay the same: documents filled from one template share their styles, settings,
numbering, theme and fonts byte for byte, so each member, joined as sections of one document, lays
out as it would alone. A member starts on a new page (its first section starts on the next page),
keeps its own headers and pictures (copied under names of its own), and nothing flows from one
member into the next. Each member begins with a bookmark that LibreOffice exports as a named
destination (``convert.PDF_EXPORT``); that gives its first page, and the joined PDF is cut there.

What could lay out differently is never joined but converted alone: fields (a footer's "page 2 of
4" would count the joined document), numbered lists (they would carry on counting from the member
before), footnotes, endnotes and comments (one part per document), and shared parts that differ from
the first member's.

Every document is converted with the same export options, joined or not (``convert.PDF_EXPORT``), so the
two ways give the same pages: tests compare them as images for every template.
"""

from __future__ import annotations

import copy
import functools
import posixpath
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject

from .convert import convert, default_workers
from .errors import ToolError
from .files import private_dirs, replacing
from .forked import forked_map

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
# Members per joined document: enough to spread LibreOffice's cost per document thin, few enough
# that a long document does not swell LibreOffice's memory or leave one worker with all the work.
MAX_MEMBERS = 20
# Fewer documents than this are converted as they are: joining and cutting apart cost more than the
# ~0.08 s a document it saves (a rebuild after an edit makes about ten).
JOIN_FROM = 16


def w(tag: str) -> str:
    """A WordprocessingML element or attribute name, as lxml spells it."""
    return f"{{{_W}}}{tag}"


class NotJoinable(Exception):
    """A member that must be converted on its own (the reason is for developers' eyes)."""


@dataclass
class _Package:
    parts: dict[str, bytes]
    document: etree._Element
    rels: etree._Element
    types: etree._Element

    @classmethod
    def read(cls, path: Path) -> _Package:
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
    _check(_Package.read(path))


def _check(package: _Package) -> None:
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


def _numbered_styles(package: _Package) -> bool:
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
    used: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in used or name not in based_on:
            continue
        used.add(name)
        wanted += based_on[name][0]
    return any(number in numbered for name in used for number in based_on[name][2])


@functools.lru_cache(maxsize=64)
def _style_tree(styles: bytes) -> dict[str, tuple[list[str], bool, list[str]]]:
    """Each style's (styles it is based on, whether it is a default, numberings it uses); the
    documents of one template share their styles part, so it is read once."""
    return {style.get(w("styleId")): (style.xpath("w:basedOn/@w:val", namespaces=_NS),
                                      style.get(w("default")) == "1",
                                      style.xpath(".//w:numId/@w:val", namespaces=_NS))
            for style in _xml(styles).iter(w("style"))}


@functools.lru_cache(maxsize=64)
def _counting_numbers(numbering: bytes) -> frozenset[str]:
    """The numberings (w:num ids) that count, rather than show bullets."""
    root = _xml(numbering)
    counting = {a.get(w("abstractNumId")) for a in root.iter(w("abstractNum"))
                if any(f.get(w("val")) not in ("bullet", "none") for f in a.iter(w("numFmt")))}
    return frozenset(num.get(w("numId")) for num in root.iter(w("num"))
                     if num.xpath("string(w:abstractNumId/@w:val)", namespaces=_NS) in counting)


def join(members: Sequence[Path], dest: Path) -> None:
    """Write the documents ``members`` (filled from one template) to ``dest`` as one document.

    Member k starts with the bookmark ``packgenDoc<k>``. Raises NotJoinable, writing nothing, if any
    member could lay out differently joined.
    """
    packages = [_Package.read(path) for path in members]
    for package in packages:
        _check(package)
    _join(packages, members, dest)


def _join(packages: list[_Package], members: Sequence[Path], dest: Path) -> None:
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


def _same_shared_parts(base: _Package, package: _Package, path: Path) -> None:
    for rel in package.relationships():
        kind = rel.get("Type", "").rsplit("/", 1)[-1]
        if kind in SHARED and package.parts.get(package.target(rel)) != base.parts.get(package.target(rel)):
            raise NotJoinable(f"{path}: its {kind} part differs from the first member's")


def _bring_over(package: _Package, number: int, parts: dict[str, bytes], base: _Package) -> None:
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
            added.set("Target", posixpath.relpath(_copy_part(package, package.target(rel), number, parts, base),
                                                  "word"))
    for value in package.document.xpath("//@*[namespace-uri() = $r]", r=_R):
        if value in renamed:
            value.getparent().set(value.attrname, renamed[value])


def _copy_part(package: _Package, name: str, number: int, parts: dict[str, bytes], base: _Package) -> str:
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


def _add_content_type(package: _Package, name: str, new_name: str, base: _Package) -> None:
    for override in package.types.iter(f"{{{_CT}}}Override"):
        if override.get("PartName") == "/" + name:
            etree.SubElement(base.types, f"{{{_CT}}}Override", PartName="/" + new_name,
                             ContentType=override.get("ContentType"))
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


def split(joined: Path, targets: Sequence[Path]) -> bool:
    """Cut the PDF of a joined document into one PDF per member, written to ``targets`` (0600).

    False, writing nothing, if the members' first pages cannot all be found in order.
    """
    reader = PdfReader(joined)
    destinations = reader.named_destinations
    starts = []
    for number in range(len(targets)):
        found = destinations.get(f"/{MARK}{number}")
        if found is None:
            return False
        starts.append(reader.get_destination_page_number(found))
    ends = [*starts[1:], len(reader.pages)]
    if starts[0] != 0 or any(end <= start for start, end in zip(starts, ends)):
        return False
    outline = _outline(reader, reader.outline)
    for target, start, end in zip(targets, starts, ends):
        writer = PdfWriter()
        for index in range(start, end):
            page = reader.pages[index]
            # LibreOffice gives every page of a document the same resources: each member's pictures
            # would travel in every other member's PDF (another pupil's chart in this one's).
            if "/Resources" in page:
                page[NameObject("/Resources")] = _used(page["/Resources"].get_object(), page.get_contents())
            writer.add_page(page)
        _add_outline(writer, outline, start, end, None)
        if reader.metadata:
            writer.add_metadata({key: value for key, value in reader.metadata.items() if isinstance(value, str)})
        with replacing(Path(target)) as stream:
            writer.write(stream)
    return True


_DRAWN = re.compile(rb"/([^\s/\[\]<>(){}%]+)\s*Do\b")


def _used(resources: DictionaryObject, content) -> DictionaryObject:
    """``resources`` with only the pictures and forms ``content`` draws (forms pruned likewise)."""
    drawn = resources.get("/XObject")
    if drawn is None:
        return resources
    names = {name.decode("latin-1") for name in _DRAWN.findall(content.get_data() if content is not None else b"")}
    kept = DictionaryObject()
    for key, reference in drawn.get_object().items():
        if key[1:] in names:
            item = reference.get_object()
            if item.get("/Subtype") == "/Form" and "/Resources" in item:
                item[NameObject("/Resources")] = _used(item["/Resources"].get_object(), item)
            kept[NameObject(key)] = reference
    pruned = DictionaryObject(resources)
    pruned[NameObject("/XObject")] = kept
    return pruned


@dataclass
class _Heading:
    title: str
    page: int
    children: list[_Heading]


def _outline(reader: PdfReader, items: list) -> list[_Heading]:
    """LibreOffice's bookmarks (the headings), as a tree with page numbers."""
    headings: list[_Heading] = []
    for item in items:
        if isinstance(item, list):
            if headings:
                headings[-1].children = _outline(reader, item)
            continue
        page = reader.get_destination_page_number(item)
        if page is not None and page >= 0:
            headings.append(_Heading(str(item.title), page, []))
    return headings


def _add_outline(writer: PdfWriter, headings: list[_Heading], start: int, end: int, parent) -> None:
    for heading in headings:
        if start <= heading.page < end:
            item = writer.add_outline_item(title=heading.title, page_number=heading.page - start, parent=parent)
            _add_outline(writer, heading.children, start, end, item)


def _write_zip(parts: dict[str, bytes], dest: Path) -> None:
    # Stored, not compressed: LibreOffice reads it once and it is thrown away after.
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as package:
        # [Content_Types].xml first, as Word writes it.
        for name in sorted(parts, key=lambda n: n != CONTENT_TYPES):
            package.writestr(name, parts[name])


def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))


def _bytes(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", standalone=True)



def convert_documents(documents: Sequence[tuple[str, Path, Path]], *, workers: int | None = None,
                      on_progress: Callable[[int, int], None] | None = None) -> None:
    """Convert (template, .docx, .pdf to write) documents, joining those of one template where they can be.

    As ``convert.convert`` otherwise: all or nothing, PDFs owner-only, ToolError naming a document that
    failed. Joining can cost time but never a document: if LibreOffice fails on a joined document, or
    its PDF cannot be cut at every member, those members are converted one by one.
    """
    if not documents:
        return
    count = min(workers or default_workers(), len(documents))
    if len(documents) < JOIN_FROM:
        # So few that LibreOffice's start, not its cost per document, is what they wait for.
        convert([(docx, pdf) for _, docx, pdf in documents], workers=count, on_progress=on_progress)
        return
    with tempfile.TemporaryDirectory(prefix="packgen-join-") as folder:
        work = Path(folder)
        jobs = _jobs(documents, work, count)
        # Everything is made in the work folder and moved into place only once all of it is made.
        made = {docx: work / "pdf" / f"{number:05d}.pdf" for number, (_, docx, _) in enumerate(documents)}
        joined = {docx: work / f"{docx.stem}.pdf" for docx, members in jobs.items() if len(members) > 1}
        try:
            convert([(docx, joined.get(docx) or made[docx]) for docx in jobs], workers=count,
                    on_progress=on_progress and _Weighted([len(m) for m in jobs.values()], on_progress))
            cuts = [(joined[docx], members) for docx, members in jobs.items() if docx in joined]
            whole = forked_map(lambda cut: split(cut[0], [made[member] for member, _ in cut[1]]), cuts, minimum=4)
            again = [member for (_, members), ok in zip(cuts, whole) if not ok for member, _ in members]
        except ToolError:
            if not joined:
                raise
            # Whatever LibreOffice failed on, the documents alone will show: either they convert, or the
            # error names the very document it cannot take.
            again = [docx for _, docx, _ in documents]
        convert([(docx, made[docx]) for docx in again], workers=count)
        for _, docx, pdf in documents:
            private_dirs(Path(pdf).parent)
            shutil.move(made[docx], pdf)


def _jobs(documents: Sequence[tuple[str, Path, Path]], work: Path, workers: int) -> dict[Path, list[tuple[Path, Path]]]:
    """What LibreOffice is given: each .docx to convert, with the (member .docx, .pdf) it stands for.

    Each template's joinable documents are joined into at least one document per worker, so the
    workers share every kind out evenly, and at most MAX_MEMBERS to a document.
    """
    by_template: dict[str, list[tuple[Path, Path]]] = {}
    for template, docx, pdf in documents:
        by_template.setdefault(template, []).append((docx, pdf))
    pieces = []
    for template, of_template in by_template.items():
        count = max(-(-len(of_template) // MAX_MEMBERS), min(workers, len(of_template) // 2), 1)
        pieces += [(of_template[n::count], work / f"{len(pieces) + n:04d}-{Path(template).stem}.docx")
                   for n in range(count)]
    return {docx: members for piece in forked_map(_piece, pieces, minimum=4) for docx, members in piece}


def _piece(piece: tuple[list[tuple[Path, Path]], Path]) -> list[tuple[Path, list[tuple[Path, Path]]]]:
    """One piece of a template's documents: those that can be joined, joined into ``dest``; the others alone."""
    documents, dest = piece
    jobs, chunk, packages = [], [], []
    for docx, pdf in documents:
        try:
            package = _Package.read(docx)
            _check(package)
        except NotJoinable:
            jobs.append((docx, [(docx, pdf)]))
            continue
        chunk.append((docx, pdf))
        packages.append(package)
    if len(chunk) > 1:
        try:
            _join(packages, [docx for docx, _ in chunk], dest)
            return [*jobs, (dest, chunk)]
        except NotJoinable:
            pass
    return jobs + [(docx, [(docx, pdf)]) for docx, pdf in chunk]


class _Weighted:
    """Progress in documents when LibreOffice reports it in jobs of several documents each."""

    def __init__(self, sizes: list[int], report: Callable[[int, int], None]):
        self.sizes, self.report = sizes, report

    def __call__(self, done: int, total: int) -> None:
        # Jobs finish in no fixed order; the average size is near enough for a progress bar.
        members = sum(self.sizes)
        self.report(min(members, round(done * members / max(total, 1))), members)
