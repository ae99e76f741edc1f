"""The contents pages: entries laid out on pages (their page numbers play no part, so this can come
before the numbering), then drawn with dot leaders, each entry a link to its page."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas

from packgen.pack.outline import Entry
from packgen.pack.typeface import Typeface

PAGE_W, PAGE_H = A4
LEFT = 2.2 * cm
RIGHT = PAGE_W - 2.2 * cm
FIRST_TOP = PAGE_H - 4.6 * cm  # below the title block
NEXT_TOP = PAGE_H - 3.4 * cm  # below "Contents (continued)"
BOTTOM = 2.2 * cm  # the footer sits below 1 cm
NUMBER_COLUMN = 1.4 * cm
GREY = 0.38


@dataclass(frozen=True)
class _Style:
    size: float
    leading: float
    bold: bool
    indent: float
    space_before: float
    grey: float


def _style(depth: int) -> _Style:
    if depth == 0:
        return _Style(size=11.5, leading=15, bold=True, indent=0, space_before=11, grey=0)
    if depth == 1:
        return _Style(size=10, leading=13.5, bold=False, indent=0.6 * cm, space_before=1.5, grey=0.1)
    return _Style(size=9, leading=12, bold=False, indent=0.6 * cm * depth, space_before=0, grey=GREY)


@dataclass(frozen=True)
class Placed:
    entry: Entry
    lines: list[str]
    top: float  # y of the top of its first line's box


def paginate(entries: list[Entry], face: Typeface) -> list[list[Placed]]:
    """Lay the entries out on contents pages; page numbers play no part, so this comes first."""
    wrapped = []
    for entry in entries:
        style = _style(entry.depth)
        width = RIGHT - NUMBER_COLUMN - LEFT - style.indent
        wrapped.append((entry, style, face.wrap(entry.title, style.size, width, style.bold)))

    pages: list[list[Placed]] = [[]]
    y = FIRST_TOP
    for n, (entry, style, lines) in enumerate(wrapped):
        gap = style.space_before if pages[-1] else 0
        needed = gap + style.leading * len(lines)
        if n + 1 < len(wrapped) and wrapped[n + 1][0].depth > entry.depth:
            needed += wrapped[n + 1][1].leading  # keep a heading (section, pupil) with its first entry
        if y - needed < BOTTOM and pages[-1]:
            pages.append([])
            y, gap = NEXT_TOP, 0
        pages[-1].append(Placed(entry, lines, y - gap))
        y -= gap + style.leading * len(lines)
    return pages


def draw_contents(
    canvas: Canvas, layout: list[list[Placed]], face: Typeface, heading: str, subtitle: str
) -> list[tuple[int, tuple[float, float, float, float], int]]:
    """Draw the contents pages on ``canvas``; each entry's link is (contents page, rect, target page)."""
    links = []
    for number, placed_entries in enumerate(layout):
        canvas.setPageSize(A4)
        if number == 0:
            face.draw(canvas, LEFT, PAGE_H - 2.6 * cm, heading, 22, bold=True)
            canvas.setFillGray(GREY)
            face.draw(canvas, LEFT, PAGE_H - 3.35 * cm, face.fit(subtitle, 10.5, RIGHT - LEFT), 10.5)
            rule = PAGE_H - 3.8 * cm
        else:
            face.draw(canvas, LEFT, PAGE_H - 2.5 * cm, f"{heading} (continued)", 12, bold=True)
            rule = PAGE_H - 2.8 * cm
        canvas.setStrokeGray(0.6)
        canvas.setLineWidth(0.6)
        canvas.line(LEFT, rule, RIGHT, rule)
        for placed in placed_entries:
            links.append((number, _draw_entry(canvas, face, placed), placed.entry.first_page))
        canvas.showPage()
    return links


def _draw_entry(canvas: Canvas, face: Typeface, placed: Placed) -> tuple[float, float, float, float]:
    style = _style(placed.entry.depth)
    x = LEFT + style.indent
    baseline = placed.top - style.size
    canvas.setFillGray(style.grey)
    for line in placed.lines:
        face.draw(canvas, x, baseline, line, style.size, style.bold)
        baseline -= style.leading
    baseline += style.leading  # back to the last line, where the number goes
    number = str(placed.entry.first_page + 1)
    number_width = face.width(number, style.size, style.bold)
    face.draw(canvas, RIGHT - number_width, baseline, number, style.size, style.bold)

    # Dot leader from the end of the title to the number, drawn (not typed) so the text layer
    # reads "title number".
    start = x + face.width(placed.lines[-1], style.size, style.bold) + 5
    end = RIGHT - number_width - 5
    if end - start > 6:
        canvas.saveState()
        canvas.setStrokeGray(0.55)
        canvas.setLineWidth(0.9)
        canvas.setLineCap(1)
        canvas.setDash([0.01, 3.2])
        canvas.line(start, baseline + 1, end, baseline + 1)
        canvas.restoreState()
    return (x - 2, baseline - 0.3 * style.size, RIGHT + 2, placed.top + 1)
