"""A pupil's attendance as a small bar chart (PNG bytes) for the one-page summary.

One bar per recorded period (the share of possible sessions attended) and a dashed line at the
attendance before the placement, so a reader sees the trend against the starting point at a glance.
The chart carries numbers and dates only: the words that explain it are in the summary template, where
staff can change them.

The same records always give the same bytes: matplotlib's own fonts (not the machine's), no
timestamps and no software version in the PNG.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .models import AttendancePeriod
from .render import Drawing

NAVY = "#1F3864"
BASELINE = "#9C1C1C"
GRID = "#D9D9D9"
INK = "#404040"
MM_PER_INCH = 25.4
DPI = 220  # sharp in print at the size the summary shows it, yet a few tens of kilobytes
SPANNED_BARS = 6  # up to this many periods, each is labelled with its first and last day
LABELLED_BARS = 8  # up to this many bars carry their value; more would overlap at the summary's size


@dataclass(frozen=True)
class AttendanceChart(Drawing):
    """A pupil's chart as a template value: its data now, its picture only when a summary is filled.

    Drawing takes matplotlib ~0.07 s a pupil (and ~1 s to import); a rebuild finds most summaries in
    the cache by their data, so it never draws them. Being plain data, it keys the cache exactly.
    """

    periods: tuple[AttendancePeriod, ...]
    baseline: float | None
    width_mm: float

    @classmethod
    def of(cls, periods: Sequence[AttendancePeriod], baseline: float | None, width_mm: float) -> AttendanceChart | None:
        """The chart, or None when no period has any possible sessions (as ``attendance_chart``)."""
        shown = tuple(sorted((p for p in periods if p.percent is not None), key=lambda p: p.start))
        return cls(shown, baseline, width_mm) if shown else None

    def image(self) -> bytes:
        png = attendance_chart(self.periods, self.baseline, width_mm=self.width_mm)
        assert png is not None  # of() made it only from periods with sessions
        return png


def attendance_chart(periods: Sequence[AttendancePeriod], baseline: float | None, *, width_mm: float = 80,
                     height_mm: float = 27) -> bytes | None:
    """Bars of attendance per period (in date order), with ``baseline`` as a reference line.

    None when no period has any possible sessions: a chart of nothing would look like 0% attendance.
    """
    shown = sorted((p for p in periods if p.percent is not None), key=lambda p: p.start)
    if not shown:
        return None
    # matplotlib takes a good part of a second to import; only the pack draws charts, so `packgen check`
    # and the single-document commands do not pay for it.
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    # DejaVu Sans ships with matplotlib, so every machine draws the same glyphs.
    with rc_context({"font.family": "DejaVu Sans", "font.size": 6.5}):
        figure = Figure(figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH), dpi=DPI)
        axes = figure.add_axes((0.09, 0.17, 0.84, 0.78))
        positions = range(len(shown))
        values = [p.percent for p in shown]
        bars = axes.bar(positions, values, width=0.6, color=NAVY, zorder=2)
        if len(shown) <= LABELLED_BARS:
            for bar, value in zip(bars, values):
                # On white, above the baseline, so a value level with it stays readable.
                axes.annotate(_percent(value), (bar.get_x() + bar.get_width() / 2, value), xytext=(0, 1.5),
                              textcoords="offset points", ha="center", va="bottom", fontsize=6, color=INK,
                              zorder=4, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.4})
        if baseline is not None:
            axes.axhline(baseline, color=BASELINE, linestyle=(0, (4, 2)), linewidth=1, zorder=3)
            axes.annotate(_percent(baseline), (1, baseline), xycoords=("axes fraction", "data"), xytext=(2, 0),
                          textcoords="offset points", ha="left", va="center", fontsize=6, color=BASELINE,
                          annotation_clip=False)
        axes.set_ylim(0, 112)  # room above a 100% bar for its label
        axes.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
        axes.set_xlim(-0.6, len(shown) - 0.4)
        if len(shown) <= SPANNED_BARS:
            axes.set_xticks(list(positions), [_span(p) for p in shown])
        else:  # weekly records: the first day of every few periods, so labels never run into each other
            step = -(-len(shown) // LABELLED_BARS)
            axes.set_xticks(list(positions)[::step], [f"{p.start.day}/{p.start.month}" for p in shown[::step]])
        axes.tick_params(length=0, colors=INK, pad=2)
        axes.grid(axis="y", color=GRID, linewidth=0.5, zorder=0)
        for side in ("top", "right", "left"):
            axes.spines[side].set_visible(False)
        axes.spines["bottom"].set_color(INK)
        axes.spines["bottom"].set_linewidth(0.6)
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _span(period: AttendancePeriod) -> str:
    """Day/month to day/month: short and free of words (month names belong to labels.yaml)."""
    return f"{period.start.day}/{period.start.month}–{period.end.day}/{period.end.month}"


def _percent(value: float) -> str:
    """Rounded as the documents' percent filter rounds (half up), so the chart and the text agree."""
    return f"{Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"
