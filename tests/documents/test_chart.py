"""The attendance chart on a pupil's summary: a PNG whose bars, line and labels say what the records say,
with no label cut off or run into another, and the same bytes whenever the records are the same.

Pictures are read back with Pillow and checked pixel by pixel; ``layout`` says where each label went,
so the tests can check that no two overlap for any number of periods."""

from __future__ import annotations

import io
import itertools
import struct
from datetime import date, timedelta

import pytest
from PIL import Image, ImageColor

from packgen.documents import chart
from packgen.documents.chart import AttendanceChart, attendance_chart, layout
from packgen.errors import ToolError
from packgen.records.pupil_file import AttendancePeriod

NAVY, BASELINE, GRID = (ImageColor.getrgb(c) for c in (chart.NAVY, chart.BASELINE, chart.GRID))


def period(start: str, end: str, possible: int, attended: int) -> AttendancePeriod:
    return AttendancePeriod.model_validate(
        {"from": start, "to": end, "possible_sessions": possible, "attended_sessions": attended}
    )


def weeks(count: int) -> list[AttendancePeriod]:
    """``count`` school weeks from Monday 7 September 2026, attendance varying between 5 and 10 of 10."""
    mondays = [date(2026, 9, 7) + timedelta(weeks=n) for n in range(count)]
    return [period(f"{m}", f"{m + timedelta(days=4)}", 10, 5 + n * 7 % 6) for n, m in enumerate(mondays)]


TERMS = [period("2026-09-07", "2026-10-23", 60, 47), period("2026-11-02", "2026-11-20", 30, 28)]


def picture(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def png_chunks(png: bytes) -> list[bytes]:
    chunks, at = [], 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at : at + 8])
        chunks.append(kind)
        at += 12 + length
    return chunks


def runs(columns: list[int]) -> list[tuple[int, int]]:
    """Unbroken runs in a sorted list of numbers, as (first, last)."""
    found: list[tuple[int, int]] = []
    for x in columns:
        if found and found[-1][1] == x - 1:
            found[-1] = (found[-1][0], x)
        else:
            found.append((x, x))
    return found


def every_label(plan: chart.Layout) -> list[chart.Label]:
    return [*plan.values, *plan.periods, *plan.ticks, *([plan.baseline[1]] if plan.baseline else [])]


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# ---------------------------------------------------------------- the same records, the same bytes


def test_the_chart_is_the_same_png_for_the_same_records_and_carries_no_metadata():
    first = attendance_chart(TERMS, 61)
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert attendance_chart(list(reversed(TERMS)), 61) == first  # drawn in date order, whatever the record's
    assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(png_chunks(first))
    assert attendance_chart(TERMS, 75) != first
    assert attendance_chart(TERMS, None) != first


def test_a_chart_value_is_its_data_and_draws_the_same_picture():
    value = AttendanceChart.of(list(reversed(TERMS)), 61, 95)
    assert value == AttendanceChart.of(TERMS, 61, 95)  # so the summary cache knows it has it already
    assert value.image() == attendance_chart(TERMS, 61, width_mm=95)


def test_no_chart_without_sessions_to_count():
    nothing = [period("2026-09-07", "2026-09-11", 0, 0)]
    assert attendance_chart([], 61) is None
    assert attendance_chart(nothing, 61) is None
    assert AttendanceChart.of(nothing, 61, 95) is None
    # A week with no sessions to count is left out, not drawn as 0%.
    assert attendance_chart([*TERMS, *nothing], 61) == attendance_chart(TERMS, 61)


def test_the_chart_is_drawn_at_the_width_and_height_the_document_gives_it():
    png = attendance_chart(TERMS, 61, width_mm=50)
    width, height = struct.unpack(">II", png[16:24])
    assert abs(width / 220 * 25.4 - 50) < 1  # 220 dots per inch
    assert abs(height / 220 * 25.4 - 27) < 1
    assert Image.open(io.BytesIO(png)).info["dpi"] == pytest.approx((220, 220), abs=0.1)


# ---------------------------------------------------------------- what the picture shows


def test_each_bar_is_as_tall_as_its_percentage_of_the_100_percent_line():
    records = [
        period("2026-09-07", "2026-10-23", 60, 15),
        period("2026-11-02", "2026-11-20", 30, 28),
        period("2026-11-23", "2026-11-27", 10, 10),
    ]  # 25%, 93.3%, 100%
    image = picture(attendance_chart(records, None, width_mm=95))
    left_of_bars = layout(records, None, width_mm=95).plot[0] + 2
    grid = [y for y in range(image.height) if image.getpixel((left_of_bars, y)) == GRID]
    axis = max(y for y in range(image.height) if image.getpixel((left_of_bars, y)) != (255, 255, 255))
    full = axis - min(grid)  # from the 0% axis to the top of the 100% line
    bars = runs([x for x in range(image.width) if image.getpixel((x, axis - 3)) == NAVY])
    assert len(bars) == 3
    for (first, last), expected in zip(bars, (25, 28 / 30 * 100, 100)):
        top = min(y for y in range(axis) if image.getpixel(((first + last) // 2, y)) == NAVY)
        assert (axis - top) / full * 100 == pytest.approx(expected, abs=1.5)


@pytest.mark.parametrize(("attended", "label"), [(165, "83%"), (133, "67%"), (200, "100%"), (0, "0%")])
def test_a_bar_is_labelled_with_its_value_rounded_as_the_documents_round_it(attended, label):
    plan = layout([period("2026-09-07", "2026-10-23", 200, attended)], 61)
    assert [value.text for value in plan.values] == [label]  # 82.5% is 83% (half up), as in the summary's text
    assert plan.baseline[1].text == "61%"


def test_a_full_bar_has_room_for_its_value_above_it():
    full = [period("2026-09-07", "2026-10-23", 60, 60)]
    plan = layout(full, 100)
    (value,), (bar,) = plan.values, plan.bars
    assert value.text == "100%"
    assert value.box[1] > 0 and value.box[3] < bar[1], "inside the picture and clear of the bar"
    digits = picture(attendance_chart(full, 100)).convert("L").crop(tuple(round(v) for v in value.box))
    assert digits.getextrema()[0] < 100, "the digits are drawn where the layout says"
    assert not overlap(value.box, plan.baseline[1].box)


def test_the_baseline_is_a_dashed_line_at_its_level_and_absent_without_one():
    with_line = picture(attendance_chart(TERMS, 61))
    plan = layout(TERMS, 61)
    level, label = plan.baseline
    row = [with_line.getpixel((x, level)) == BASELINE for x in range(plan.plot[0], plan.plot[2])]
    assert 0.55 < sum(row) / len(row) < 0.8, "dashes: about two thirds line, one third gap"
    assert round(plan.y(61)) == level and label.text == "61%" and label.box[0] > plan.plot[2]
    red = with_line.crop(tuple(round(v) for v in label.box)).getcolors(10_000)
    assert any(sum(abs(a - b) for a, b in zip(colour, BASELINE)) < 60 for _, colour in red), "its value, in red"

    without = layout(TERMS, None)
    assert without.baseline is None
    assert BASELINE not in {colour for _, colour in picture(attendance_chart(TERMS, None)).getcolors(100_000)}
    assert (without.bars, without.plot) == (plan.bars, plan.plot), "every pupil's bars sit in the same place"


# ---------------------------------------------------------------- labels never collide


def test_a_few_periods_are_labelled_with_their_first_and_last_days():
    plan = layout(TERMS, 61, width_mm=95)
    assert [label.text for label in plan.periods] == ["7/9–23/10", "2/11–20/11"]
    assert [label.text for label in plan.values] == ["78%", "93%"]


def test_weekly_records_are_labelled_with_the_first_day_of_every_few_weeks():
    records = weeks(30)
    plan = layout(records, 61, width_mm=80)
    centres = [(bar[0] + bar[2]) / 2 for bar in plan.bars]
    under = [
        min(range(30), key=lambda n: abs(centres[n] - (label.box[0] + label.box[2]) / 2)) for label in plan.periods
    ]  # which week's bar each label is centred on
    assert under[1] > 1 and under == list(range(0, 30, under[1])), "the first week, then every few"
    assert [label.text for label in plan.periods] == [f"{records[n].start.day}/{records[n].start.month}" for n in under]
    assert plan.values == (), "thirty values would be unreadable: the bars and the grid carry them"


@pytest.mark.parametrize("width_mm", [50, 80, 95])
@pytest.mark.parametrize("count", [1, 2, 5, 6, 7, 8, 14, 30, 52])
def test_no_label_runs_into_another_or_off_the_picture(count, width_mm):
    plan = layout(weeks(count), 100, width_mm=width_mm)
    labels = every_label(plan)
    for label in labels:
        left, top, right, bottom = label.box
        assert left >= 0 and right <= plan.width and top >= 0 and bottom <= plan.height, label.text
    for a, b in itertools.combinations(labels, 2):
        assert not overlap(a.box, b.box), (a.text, b.text)
    assert plan.periods, "the weeks are always dated"


def test_a_missing_font_is_named_with_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(chart, "FONT", tmp_path / "DejaVuSans.ttf")
    with pytest.raises(ToolError, match="fonts-dejavu-core"):
        attendance_chart(TERMS, 61)
