"""The typeface packgen draws its own text in (the pack's contents and footers).

Real text in Liberation Sans, with DejaVu Sans for the characters Liberation lacks, so a school or
pupil name in any script stays searchable and copyable; right-to-left names are turned round for
drawing (``_visual_order``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from packgen._compat.reportlab import canvas_document
from packgen.errors import ToolError

Runs = list[tuple[str, bytes]]  # text as (reportlab font name, character codes) runs

# (regular, bold) in order of preference; Debian's fonts-liberation, then fonts-dejavu-core.
_FONT_FILES = (
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
)


class Typeface:
    """A sans-serif with fallbacks: each character is drawn in the first font that has it."""

    def __init__(self, regular: list[TTFont], bold: list[TTFont]):
        self._chains = {False: regular, True: bold}
        self._font_of: dict[bool, dict[str, str]] = {False: {}, True: {}}  # char -> font name
        for chain in self._chains.values():
            for font in chain:
                pdfmetrics.registerFont(font)

    def runs(self, text: str, bold: bool = False) -> list[tuple[str, str]]:
        """``text`` as (font name, piece) runs."""
        font_of = self._font_of[bold]  # a pack measures and writes the same characters many times
        runs: list[tuple[str, str]] = []
        for char in text:
            name = font_of.get(char) or self._choose(char, bold)
            if runs and runs[-1][0] == name:
                runs[-1] = (name, runs[-1][1] + char)
            else:
                runs.append((name, char))
        return runs

    def _choose(self, char: str, bold: bool) -> str:
        chain = self._chains[bold]
        font = next((f for f in chain if ord(char) in f.face.charToGlyph), None)
        if font is None:
            # No installed font can draw it (an emoji, say). reportlab would write code 0
            # and the character would vanish from the text; mapping it to the font's
            # "missing glyph" keeps it in the text layer, searchable, drawn as a box.
            font = chain[0]
            font.face.charToGlyph[ord(char)] = 0
        self._font_of[bold][char] = font.fontName
        return font.fontName

    def width(self, text: str, size: float, bold: bool = False) -> float:
        return sum(pdfmetrics.stringWidth(piece, name, size) for name, piece in self.runs(text, bold))

    def draw(self, canvas: Canvas, x: float, y: float, text: str, size: float, bold: bool = False) -> None:
        line = canvas.beginText(x, y)
        for name, piece in self.runs(_visual_order(text), bold):
            line.setFont(name, size)
            line.textOut(piece)
        canvas.drawText(line)

    def encode(self, canvas: Canvas, text: str, bold: bool = False) -> Runs:
        """``text`` as reportlab would write it on ``canvas``: (font name, character codes) runs.

        The codes belong to font subsets that reportlab makes for the whole document as
        characters come, so they are only valid in the PDF ``canvas`` saves.
        """
        doc = canvas_document(canvas)
        encoded = []
        for name, piece in self.runs(_visual_order(text), bold):
            font = pdfmetrics.getFont(name)
            for subset, codes in font.splitString(piece, doc):
                encoded.append((font.getSubsetInternalName(subset, doc), codes))
        return encoded

    def fit(self, text: str, size: float, width: float, bold: bool = False) -> str:
        """``text``, cut short with an ellipsis if it is wider than ``width``."""
        if self.width(text, size, bold) <= width:
            return text
        while text and self.width(text + "…", size, bold) > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def wrap(self, text: str, size: float, width: float, bold: bool = False) -> list[str]:
        lines: list[str] = []
        line = ""
        for word in text.split(" "):
            candidate = f"{line} {word}" if line else word
            if self.width(candidate, size, bold) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while len(word) > 1 and self.width(word, size, bold) > width:  # longer than a line
                cut = len(word) - 1
                while cut > 1 and self.width(word[:cut], size, bold) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
        return lines


_RTL = {"R", "AL"}
_BETWEEN_RTL = {"WS", "ON", "CS", "ES", "ET", "NSM", "BN", "EN", "AN"}
_RTL_RUN = re.compile(r"R(?:[nd]*R)*")
_DIGITS = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]+")


def _visual_order(text: str) -> str:
    """Right-to-left words (Hebrew, Arabic) turned round for drawing left to right.

    PDF text is stored in the order it is seen, and readers and text extractors turn
    right-to-left runs back; drawn in typing order, "שלום" would show and copy reversed. Enough of
    the Unicode bidi rules for names: a run of right-to-left letters, with the spaces and
    punctuation between them, is reversed, digits inside it keep their order. (Arabic letters
    are not joined: reportlab shapes text only with uharfbuzz, which we do not depend on.)
    """
    kinds = "".join(
        "R" if k in _RTL else "d" if k in ("EN", "AN") else "n" if k in _BETWEEN_RTL else "L"
        for k in map(unicodedata.bidirectional, text)
    )
    out = list(text)
    for run in _RTL_RUN.finditer(kinds):
        piece = text[run.start() : run.end()][::-1]
        out[run.start() : run.end()] = _DIGITS.sub(lambda m: m.group()[::-1], piece)
    return "".join(out)


@functools.cache
def typeface() -> Typeface:
    families = [(r, b if Path(b).exists() else r) for r, b in _FONT_FILES if Path(r).exists()]
    if not families:
        raise ToolError(
            "no font to draw the pack's contents and footers: install Liberation Sans "
            "(on Debian or Ubuntu: `apt-get install fonts-liberation`)"
        )
    regular = [TTFont(f"PackgenSans{n}", r) for n, (r, _) in enumerate(families)]
    bold = [TTFont(f"PackgenSans{n}-Bold", b) for n, (_, b) in enumerate(families)]
    return Typeface(regular, bold)
