"""Template files as packgen reads them: ordinary files of a sensible size, with nothing linked from outside.

A Word document can show a picture, a piece of text or a whole document that lives elsewhere: an
address on the internet (LibreOffice would fetch it while converting, telling that server each time a
pack is made) or a file on this computer (``file:///``: whatever it names would be copied into every
child's PDF). Such a template is refused, naming it, before anything is filled. A hyperlink, which
only a reader who clicks follows, is fine.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from packgen.errors import TemplateProblem
from packgen.files import NotReadable, read_regular

if TYPE_CHECKING:
    from packgen.runtime.store import DiskMemo

MAX_TEMPLATE_BYTES = 20_000_000  # a template with a logo is well under a megabyte
_MAX_PART_BYTES = 64_000_000  # one part of a template, unpacked
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# Relationships a reader only follows on a click; every other kind taken from outside is fetched.
_CLICKED = {"hyperlink"}
# Field codes that fetch what they name when fields are updated.
_FETCHING_FIELDS = {"INCLUDEPICTURE", "INCLUDETEXT", "INCLUDE", "LINK", "DDE", "DDEAUTO", "IMPORT"}
_KINDS = {
    "image": "a picture",
    "oleObject": "an embedded object",
    "attachedTemplate": "its Word template",
    "subDocument": "a sub-document",
    "frame": "a frame",
    "package": "an embedded file",
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def read_template(path: Path, checked: DiskMemo | None = None) -> bytes:
    """The bytes of the template at ``path``; TemplateProblem naming it if it cannot be used.

    Looking through every part of a template for what it links to costs far more than filling the
    few documents of a rebuild; with ``checked``, a template whose very bytes passed before (under
    the same checking code: the memo's salt) is not looked through again. A template that fails is
    never remembered, so it is named every time.
    """
    try:
        data = read_regular(
            path,
            MAX_TEMPLATE_BYTES,
            lambda size: (
                f"is {size // 1_000_000} MB, far bigger than a template (at most {MAX_TEMPLATE_BYTES // 1_000_000} MB)"
            ),
        )
    except NotReadable as exc:
        raise TemplateProblem(f"{path}: the template {exc.reason}") from None
    if checked is None:
        _check(path, data)
    else:
        checked.made("linkcheck", hashlib.sha256(data).digest(), lambda: _check(path, data))
    return data


def _check(path: Path, data: bytes) -> bytes:
    """Nothing (an empty result to remember) when the template ``data`` from ``path`` links to
    nothing outside itself; TemplateProblem naming what it links to otherwise."""
    try:
        outside = outside_references(data)
    except TemplateProblem as problem:
        raise TemplateProblem(f"{path}: the template's part {problem}") from None
    if outside:
        raise TemplateProblem(
            f"{path}: the template links to {'; '.join(outside)}, outside the document: LibreOffice would "
            "fetch it while making every document. Put it in the template itself (in Word: Insert > "
            "Pictures > This Device, without 'Link to File') and save the template again"
        )
    return b""


def unsafe_templates(folder: Path) -> list[str]:
    """Why each Word template in ``folder`` cannot be used safely (see ``read_template``)."""
    problems = []
    for path in sorted(Path(folder).glob("*.docx")):
        try:
            read_template(path)
        except TemplateProblem as problem:
            problems.append(str(problem))
    return problems


def outside_references(docx: bytes) -> list[str]:
    """What the document takes from outside itself, in words: "a picture at http://...", and so on.

    A file that is not a Word document at all has none: filling it says what is wrong with it.
    """
    try:
        package = zipfile.ZipFile(io.BytesIO(docx))
    except zipfile.BadZipFile:
        return []
    found: list[str] = []
    with package:
        for info in package.infolist():
            if info.is_dir() or not info.filename.endswith((".rels", ".xml")):
                continue
            root = _parse(package, info)
            if root is None:
                continue
            if info.filename.endswith(".rels"):
                found += _external_relationships(root)
            else:
                found += _fetching_fields(root)
    return found


def _parse(package: zipfile.ZipFile, info: zipfile.ZipInfo) -> etree._Element | None:
    with package.open(info) as part:
        data = part.read(_MAX_PART_BYTES + 1)
    if len(data) > _MAX_PART_BYTES:
        raise TemplateProblem(f"{info.filename} unpacks to more than {_MAX_PART_BYTES // 1_000_000} MB")
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return None  # damage: python-docx reports it when the template is opened


def _external_relationships(root: etree._Element) -> list[str]:
    found = []
    for relationship in root.iter(f"{{{_PACKAGE_RELS}}}Relationship"):
        if relationship.get("TargetMode") != "External":
            continue
        kind = relationship.get("Type", "").rsplit("/", 1)[-1]
        if kind not in _CLICKED:
            found.append(f"{_KINDS.get(kind, f'a {kind}')} at {relationship.get('Target', '')}")
    return found


def _fetching_fields(root: etree._Element) -> list[str]:
    codes: list[str] = [simple.get(f"{{{_W}}}instr", "") for simple in root.iter(f"{{{_W}}}fldSimple")]
    open_codes: list[list[str]] = []  # fields nest: the codes of those begun and not yet ended
    for element in root.iter(f"{{{_W}}}fldChar", f"{{{_W}}}instrText"):
        if element.tag == f"{{{_W}}}instrText":
            if open_codes:
                open_codes[-1].append(element.text or "")
            continue
        kind = element.get(f"{{{_W}}}fldCharType")
        if kind == "begin":
            open_codes.append([])
        elif kind == "end" and open_codes:
            codes.append("".join(open_codes.pop()))
    codes += ["".join(pieces) for pieces in open_codes]
    found = []
    for code in codes:
        words = code.split()
        if words and words[0].upper() in _FETCHING_FIELDS:
            target = words[1].strip('"') if len(words) > 1 else "a file"
            found.append(f"a {words[0].upper()} field for {target}")
    return found
