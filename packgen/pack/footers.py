"""Footers on every page: the pack's name, OFFICIAL-SENSITIVE and "page X of N".

Their text is encoded in the same reportlab document as the contents pages (so both share one copy of
each font), then written onto each page as a few bytes of drawing after the page's own, which is never
decoded or re-encoded: packs run to thousands of pages.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject, NameObject
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas

from packgen._compat.pypdf import add_object
from packgen.pack.contents import Placed, draw_contents
from packgen.pack.inputs import content_parts
from packgen.pack.typeface import Runs, Typeface

CLASSIFICATION = "OFFICIAL-SENSITIVE"
# The footer's fonts go into each page's resources under names starting so (LibreOffice's are /F1, ...).
FOOTER_FONT_PREFIX = "/Packgen"


FOOTER_SIZE = 7.5
FOOTER_BASELINE = 0.5 * cm
FOOTER_MARGIN = 1.5 * cm


@dataclass(frozen=True)
class _Footer:
    """One page's footer: where it goes, and its "page X of N" as reportlab encoded it."""

    width: float  # the page's width as seen, which places the text common to all footers
    matrix: tuple[float, ...]  # from the upright view to the page's own space
    number_x: float
    number: Runs


@dataclass(frozen=True)
class Drawn:
    """All that reportlab drew for a pack, read back with pypdf (not yet in the pack)."""

    contents: list[PageObject]
    links: list[tuple[int, tuple[float, float, float, float], int]]
    fonts: dict[str, IndirectObject]  # by reportlab's name: the fonts the footers are written in
    common: dict[float, list[tuple[float, Runs]]]  # by page width: (x, text) of what all footers say
    footers: list[_Footer]  # one for each page of the pack, in order


def draw(
    layout: list[list[Placed]],
    face: Typeface,
    heading: str,
    subtitle: str,
    footer: str,
    placements: list[tuple[float, float, tuple[float, ...]]],
) -> Drawn:
    """Draw the contents pages (``heading``, ``subtitle`` under it on the first), and encode the
    footers' text in the same reportlab document.

    A footer is text only, so reportlab need not draw a page for each: its fonts encode the
    text, and stamp_footers writes it onto the pages. The contents and the footers then share
    one copy of each font.
    """
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    links = draw_contents(canvas, layout, face, heading, subtitle)
    centre = face.width(CLASSIFICATION, FOOTER_SIZE, bold=True)
    common = {}
    for width in dict.fromkeys(width for width, _, _ in placements):
        room = (width - centre) / 2 - FOOTER_MARGIN - 0.4 * cm  # the footer is cut short before the centre
        common[width] = [
            (FOOTER_MARGIN, face.encode(canvas, face.fit(footer, FOOTER_SIZE, room))),
            ((width - centre) / 2, face.encode(canvas, CLASSIFICATION, bold=True)),
        ]
    footers = []
    for number, (width, _, matrix) in enumerate(placements, start=1):
        text = f"page {number} of {len(placements)}"
        x = width - FOOTER_MARGIN - face.width(text, FOOTER_SIZE)
        footers.append(_Footer(width, matrix, x, face.encode(canvas, text)))
    canvas.save()  # only now: the fonts reportlab embeds hold the characters encoded so far

    contents = _reportlab_pages(buffer)
    used = {name for texts in common.values() for _, runs in texts for name, _ in runs}
    used |= {name for f in footers for name, _ in f.number}
    resources = contents[0]["/Resources"]
    fonts = resources["/Font"] if isinstance(resources, DictionaryObject) else None
    assert isinstance(fonts, DictionaryObject)  # reportlab gives every page all the document's fonts
    return Drawn(contents, links, {name: fonts.raw_get(name) for name in used}, common, footers)


def stamp_footers(writer: PdfWriter, drawn: Drawn) -> None:
    """Write every page's footer over its own drawing, at its visual bottom.

    The page's /Contents becomes an array: "q", the page's own content streams as they were
    (still encoded: they are never decoded, parsed or compressed again), then "Q" so that nothing
    the drawing left changed (its coordinate system, say) moves the footer, and the footer. Only
    the "page X of N" stream is the page's own; the "q" and the rest of the footer are shared by
    all pages of the same size, and a resources dictionary is copied once for all the pages that
    shared it (LibreOffice gives all of a document's pages the same one).
    """
    # pypdf has no public way to add a new indirect object; streams must be indirect.
    save_state = add_object(writer, _stream(b"q\n"))
    fonts = {name: font.clone(writer) for name, font in drawn.fonts.items()}
    with_fonts: dict[int, tuple[IndirectObject, dict[str, NameObject]]] = {}
    commons: dict[tuple[object, ...], IndirectObject] = {}
    for page, footer in zip(writer.pages, drawn.footers):
        own = page.get(NameObject("/Resources"))
        if isinstance(own, IndirectObject) and own.idnum in with_fonts:
            resources, names = with_fonts[own.idnum]
        else:
            resources, names = _add_fonts(writer, own, fonts)
            if isinstance(own, IndirectObject):
                with_fonts[own.idnum] = resources, names
        key = (footer.width, footer.matrix, *names.values())
        if key not in commons:
            # Left to right, so the text layer reads in the order the eye does.
            texts = " ".join(_show(x, runs, names) for x, runs in drawn.common[footer.width])
            call = f"\nQ q {_numbers(footer.matrix)} cm 0.3 g {texts}\n"
            commons[key] = add_object(writer, _stream(call.encode()))
        number = _show(footer.number_x, footer.number, names) + " Q\n"
        page[NameObject("/Resources")] = resources
        page[NameObject("/Contents")] = ArrayObject(
            [save_state, *content_parts(page), commons[key], add_object(writer, _stream(number.encode()))]
        )


def _show(x: float, runs: Runs, names: dict[str, NameObject]) -> str:
    """A text object writing ``runs`` from (x, FOOTER_BASELINE), fonts named as in the page's resources."""
    shown = " ".join(f"{names[font]} {FOOTER_SIZE} Tf <{codes.hex()}> Tj" for font, codes in runs)
    return f"BT 1 0 0 1 {_numbers((x, FOOTER_BASELINE))} Tm {shown} ET"


def _add_fonts(
    writer: PdfWriter, own: IndirectObject | DictionaryObject | None, fonts: dict[str, IndirectObject]
) -> tuple[IndirectObject, dict[str, NameObject]]:
    """A copy of a page's resources with the footer's fonts added, under names the page does not use."""
    found = own.get_object() if own is not None else None
    resources = DictionaryObject(found if isinstance(found, DictionaryObject) else {})
    in_use = DictionaryObject(resources.get(NameObject("/Font"), DictionaryObject()).get_object())
    names = {}
    for name, font in fonts.items():
        names[name] = NameObject(FOOTER_FONT_PREFIX + name.lstrip("/"))
        while names[name] in in_use:
            names[name] = NameObject(names[name] + "_")
        in_use[names[name]] = font
    resources[NameObject("/Font")] = in_use
    return add_object(writer, resources), names


def _stream(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def _numbers(values: tuple[float, ...]) -> str:
    return " ".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in values)


def visual_box(page: PageObject) -> tuple[float, float, tuple[float, ...]]:
    """The page's size as a reader sees it, and the matrix from that view to the page's own space.

    The footer is drawn upright on a (width, height) page; the matrix turns it by the page's
    /Rotate (clockwise on screen) and moves it onto the visible crop box.
    """
    box = page.cropbox
    x0, y0, x1, y1 = float(box.left), float(box.bottom), float(box.right), float(box.top)
    w, h = x1 - x0, y1 - y0
    rotation = page.rotation % 360
    if rotation == 90:
        return h, w, (0, 1, -1, 0, x1, y0)
    if rotation == 180:
        return w, h, (-1, 0, 0, -1, x1, y1)
    if rotation == 270:
        return h, w, (0, -1, 1, 0, x0, y1)
    return w, h, (1, 0, 0, 1, x0, y0)


UPRIGHT = (1, 0, 0, 1, 0, 0)

_WIDE_TO_UNICODE = re.compile(rb"<([0-9A-F]{2})> <([0-9A-F]{5,6})>")


def _reportlab_pages(buffer: io.BytesIO) -> list[PageObject]:
    """The pages reportlab drew, with its ToUnicode maps mended for characters beyond U+FFFF.

    reportlab writes such a character (an emoji) as ``<1F600>``, which is not valid UTF-16BE, so
    readers drop it from the text layer; the map wants the surrogate pair ``<D83DDE00>``.
    """
    reader = PdfReader(buffer)
    mended: set[int] = set()
    for page in reader.pages:
        resources = page["/Resources"]
        assert isinstance(resources, DictionaryObject)  # reportlab writes every page's resources
        for font in resources.get("/Font", {}).values():
            cmap = font.get_object().get("/ToUnicode")
            if cmap is None or cmap.indirect_reference.idnum in mended:
                continue
            mended.add(cmap.indirect_reference.idnum)
            cmap = cmap.get_object()
            cmap.set_data(_WIDE_TO_UNICODE.sub(_surrogates, cmap.get_data()))
    return list(reader.pages)


def _surrogates(match: re.Match[bytes]) -> bytes:
    pair = chr(int(match[2], 16)).encode("utf-16-be").hex().upper().encode()
    return b"<" + match[1] + b"> <" + pair + b">"
