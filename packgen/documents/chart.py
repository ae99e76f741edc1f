"""A pupil's attendance as a small bar chart (PNG bytes) for the one-page summary.

One bar per recorded period (the share of possible sessions attended) and a dashed line at the
attendance before the placement, so a reader sees the trend against the starting point at a glance.
The chart carries numbers and dates only: the words that explain it are in the summary template, where
staff can change them.

It is drawn with Pillow, which packgen loads anyway (pypdf and reportlab use it), in about 15 ms: a
plotting library would cost a second to import on every rebuild that redraws a chart.
``layout`` works out where everything goes, measuring each label in the font it is drawn in, so that
no two labels ever overlap and none is cut off at the edge; ``attendance_chart`` paints that layout.

The same records always give the same bytes: one font file, Pillow's own text layout (not whichever
shaping library the machine has), no timestamps and no software version in the PNG.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from packgen.documents.pictures import Drawing
from packgen.errors import ToolError
from packgen.records.pupil_file import AttendancePeriod

NAVY = "#1F3864"
BASELINE = "#9C1C1C"
GRID = "#D9D9D9"
INK = "#404040"
WHITE = "#FFFFFF"
MM_PER_INCH = 25.4
DPI = 220  # sharp in print at the size the summary shows it, yet a few tens of kilobytes
PT = DPI / 72  # pixels in a typographic point: sizes below are in points, as a designer gives them
# Text is drawn this many times larger, then shrunk: glyphs keep their true shapes and spacing instead of
# being hinted to whole pixels (twice is as good to the eye as four times, and quicker). Lines and bars
# lie on whole pixels, so their edges print crisp whatever this is.
SUPERSAMPLE = 2
SPANNED_BARS = 6  # up to this many periods, each is labelled with its first and last day (if that fits)
LABELLED_BARS = 8  # up to this many bars carry their value (if the values fit side by side)
# fonts-dejavu-core, which scripts/setup.sh installs: the same glyphs on every machine.
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
TICK_SIZE, VALUE_SIZE = 6.5, 6.0  # points
MARGIN = 1 * PT  # white round the picture, so nothing touches the edge of its table cell
TICK_PAD = 2 * PT  # between an axis and its labels
LABEL_GAP = 2 * PT  # between a bar's top and its value
LABEL_PAD = 1 * PT  # white behind a value, so the dashed line never runs through its digits
APART = 4 * PT  # the least space between two labels side by side
BAR_WIDTH = 0.6  # of the space each period has
DASH, DASH_GAP = 4 * PT, 2 * PT


@dataclass(frozen=True)
class Label:
    """A piece of text in the chart, in ``points`` of DejaVu Sans.

    ``origin`` is where its baseline starts and ``box`` the box its ink fills (left, top, right,
    bottom), both in the PNG's pixels.
    """

    text: str
    points: float
    colour: str
    origin: tuple[float, float]
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Layout:
    """Where everything in one chart goes, in the PNG's pixels (y grows downwards)."""

    width: int
    height: int
    plot: tuple[int, int, int, int]  # left, top (the 100% line), right, bottom (the 0% line)
    bars: tuple[tuple[float, float, float, float], ...]
    values: tuple[Label, ...]  # one per bar, or none when they would not fit
    periods: tuple[Label, ...]  # under the bars: every one, or every few
    ticks: tuple[Label, ...]  # 0% .. 100% up the side
    baseline: tuple[int, Label] | None  # the dashed line's height and its value at its end

    def y(self, percent: float) -> float:
        """The height of ``percent`` on the chart."""
        return _level(self.plot, percent)


@dataclass(frozen=True)
class AttendanceChart(Drawing):
    """A pupil's chart as a template value: its data now, its picture only when a summary is filled.

    A rebuild finds most summaries in the cache by their data, so it never draws them. Being plain
    data, it keys the cache exactly.
    """

    periods: tuple[AttendancePeriod, ...]
    baseline: float | None
    width_mm: float

    @classmethod
    def of(cls, periods: Sequence[AttendancePeriod], baseline: float | None, width_mm: float) -> AttendanceChart | None:
        """The chart, or None when no period has any possible sessions (as ``attendance_chart``)."""
        shown = _shown(periods)
        return cls(shown, baseline, width_mm) if shown else None

    def image(self) -> bytes:
        png = attendance_chart(self.periods, self.baseline, width_mm=self.width_mm)
        assert png is not None  # of() made it only from periods with sessions
        return png


def attendance_chart(
    periods: Sequence[AttendancePeriod], baseline: float | None, *, width_mm: float = 80, height_mm: float = 27
) -> bytes | None:
    """Bars of attendance per period (in date order), with ``baseline`` as a reference line.

    None when no period has any possible sessions: a chart of nothing would look like 0% attendance.
    """
    plan = layout(periods, baseline, width_mm=width_mm, height_mm=height_mm)
    if plan is None:
        return None
    out = io.BytesIO()
    _paint(plan).save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()


def layout(
    periods: Sequence[AttendancePeriod], baseline: float | None, *, width_mm: float = 80, height_mm: float = 27
) -> Layout | None:
    """Where ``attendance_chart`` puts each bar, line and label; None when it would draw nothing."""
    shown = _shown(periods)
    if not shown:
        return None
    width, height = round(width_mm / MM_PER_INCH * DPI), round(height_mm / MM_PER_INCH * DPI)
    tick_font = _font(FONT, TICK_SIZE)
    widest_value = _ink("100%", _font(FONT, VALUE_SIZE))
    # The side margins fit the widest tick and the widest baseline value whatever the records hold,
    # so every pupil's chart in a pack has its bars in the same place.
    left = round(MARGIN + _ink("100%", tick_font)[2] + TICK_PAD)
    right = round(width - MARGIN - TICK_PAD - widest_value[2])
    bottom = round(height - MARGIN - sum(tick_font.getmetrics()) / SUPERSAMPLE - TICK_PAD)
    top = round(MARGIN + LABEL_PAD - widest_value[1] + LABEL_GAP)  # a 100% bar's value still fits above it
    plot = (left, top, right, bottom)

    slot = (right - left) / (len(shown) - 1 + 2 * BAR_WIDTH)  # the bars' outer gaps are half a bar wide
    centres = [left + slot * (BAR_WIDTH + i) for i in range(len(shown))]
    half = slot * BAR_WIDTH / 2
    rates = [rate for p in shown if (rate := p.percent) is not None]  # every shown period has one
    # On whole pixels, as the lines are, so their edges print crisp.
    bars = tuple(
        (round(x - half), round(_level(plot, rate)), round(x + half), bottom) for x, rate in zip(centres, rates)
    )

    values = tuple(
        _label(_percent(rate), VALUE_SIZE, INK, x, bar[1] - LABEL_GAP, "ms")
        for x, rate, bar in zip(centres, rates, bars)
    )
    if len(values) > LABELLED_BARS or not _apart(values, slot):
        values = ()

    periods_below = _period_labels(shown, centres, slot, bottom + TICK_PAD)
    ticks = tuple(_label(f"{v}%", TICK_SIZE, INK, left - TICK_PAD, _level(plot, v), "rd") for v in (0, 25, 50, 75, 100))
    line = None
    if baseline is not None:
        level = round(_level(plot, baseline))
        line = (level, _label(_percent(baseline), VALUE_SIZE, BASELINE, right + TICK_PAD, level, "ld"))
    return Layout(width, height, plot, bars, values, periods_below, ticks, line)


def _level(plot: tuple[int, int, int, int], percent: float) -> float:
    _, top, _, bottom = plot
    return bottom - (bottom - top) * percent / 100


def _shown(periods: Sequence[AttendancePeriod]) -> tuple[AttendancePeriod, ...]:
    return tuple(sorted((p for p in periods if p.percent is not None), key=lambda p: p.start))


def _period_labels(
    shown: Sequence[AttendancePeriod], centres: list[float], slot: float, top: float
) -> tuple[Label, ...]:
    """Each period's first and last day when few periods and they fit; else the first day of every few."""
    if len(shown) <= SPANNED_BARS:
        spans = tuple(_label(_span(p), TICK_SIZE, INK, x, top, "mt") for p, x in zip(shown, centres))
        if _apart(spans, slot):
            return spans
    starts = [_label(f"{p.start.day}/{p.start.month}", TICK_SIZE, INK, x, top, "mt") for p, x in zip(shown, centres)]
    step = 1
    while not _apart(starts[::step], slot * step):
        step += 1
    return tuple(starts[::step])


def _apart(labels: Sequence[Label], spacing: float) -> bool:
    """Whether labels centred ``spacing`` apart leave room between each pair."""
    return all(label.box[2] - label.box[0] + APART <= spacing for label in labels)


def _label(text: str, points: float, colour: str, x: float, y: float, anchor: str) -> Label:
    """Text placed at (x, y) by ``anchor``. Its first letter says where x is: the left, middle or right
    of the ink. Its second says where y is: ``t`` the top of a line of text, ``s`` the baseline, ``d``
    the middle of the digits, so that a number sits centred on its grid line."""
    font = _font(FONT, points)
    left, top, right, bottom = _ink(text, font)
    x -= {"l": left, "m": (left + right) / 2, "r": right}[anchor[0]]
    digits = _ink("0", font)
    y += {"t": font.getmetrics()[0] / SUPERSAMPLE, "s": 0, "d": -(digits[1] + digits[3]) / 2}[anchor[1]]
    x, y = round(x * SUPERSAMPLE) / SUPERSAMPLE, round(y * SUPERSAMPLE) / SUPERSAMPLE  # where a glyph can start
    return Label(text, points, colour, (x, y), (x + left, y + top, x + right, y + bottom))


def _ink(text: str, font: ImageFont.FreeTypeFont) -> tuple[float, float, float, float]:
    """The box text's ink fills, in the PNG's pixels, from the start of its baseline."""
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    return left / SUPERSAMPLE, top / SUPERSAMPLE, right / SUPERSAMPLE, bottom / SUPERSAMPLE


@lru_cache(maxsize=4)
def _font(path: Path, points: float) -> ImageFont.FreeTypeFont:
    """The font at the size it is drawn, SUPERSAMPLE times the final one.

    Opened as a file, because given a name Pillow would look for any font so named elsewhere and
    draw with whatever it found."""
    try:
        with path.open("rb") as file:
            return ImageFont.truetype(file, points * PT * SUPERSAMPLE, layout_engine=ImageFont.Layout.BASIC)
    except OSError:
        raise ToolError(
            f"The attendance charts need the font DejaVu Sans, which is not at {path}. Install it "
            "with `sudo apt-get install fonts-dejavu-core` (scripts/setup.sh does)."
        ) from None


def _paint(plan: Layout) -> Image.Image:
    image = Image.new("RGB", (plan.width * SUPERSAMPLE, plan.height * SUPERSAMPLE), WHITE)
    draw = ImageDraw.Draw(image)

    def box(left: float, top: float, right: float, bottom: float, colour: str) -> None:
        edges = [round(v * SUPERSAMPLE) for v in (left, top, right, bottom)]
        if edges[2] > edges[0] and edges[3] > edges[1]:
            draw.rectangle((edges[0], edges[1], edges[2] - 1, edges[3] - 1), fill=colour)  # Pillow's ends are inclusive

    def rule(y: float, thickness: float, colour: str, start: float, end: float) -> None:
        """A horizontal line a whole number of pixels thick, on whole pixels, so it prints crisp."""
        pixels = max(1, round(thickness))
        top = round(y - pixels / 2)
        box(start, top, end, top + pixels, colour)

    def text(label: Label) -> None:
        x, y = label.origin
        draw.text(
            (round(x * SUPERSAMPLE), round(y * SUPERSAMPLE)),
            label.text,
            font=_font(FONT, label.points),
            fill=label.colour,
            anchor="ls",
        )

    left, _, right, bottom = plan.plot
    for percent in (25, 50, 75, 100):  # the 0% line is the axis, drawn over the bars below
        rule(plan.y(percent), 0.5 * PT, GRID, left, right)
    for bar in plan.bars:
        box(*bar, NAVY)
    rule(bottom, 0.6 * PT, INK, left, right)
    if plan.baseline is not None:
        level, label = plan.baseline
        start: float = left
        while start < right:
            rule(level, 1 * PT, BASELINE, start, min(start + DASH, right))
            start += DASH + DASH_GAP
        text(label)
    for value in plan.values:
        box(
            value.box[0] - LABEL_PAD,
            value.box[1] - LABEL_PAD,
            value.box[2] + LABEL_PAD,
            value.box[3] + LABEL_PAD,
            WHITE,
        )
        text(value)
    for label in plan.periods + plan.ticks:
        text(label)
    return image.reduce(SUPERSAMPLE)


def _span(period: AttendancePeriod) -> str:
    """Day/month to day/month: short and free of words (month names belong to labels.yaml)."""
    return f"{period.start.day}/{period.start.month}–{period.end.day}/{period.end.month}"


def _percent(value: float) -> str:
    """Rounded as the documents' percent filter rounds (half up), so the chart and the text agree."""
    return f"{Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"
