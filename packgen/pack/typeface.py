"""The typeface packgen draws its own text in (the pack's contents and footers).

Real text in Liberation Sans, with DejaVu Sans for the characters Liberation lacks, and for the
rest (Devanagari, Chinese, ...) whichever installed font fontconfig finds with the character, so a
school or pupil name in any script stays searchable and copyable; right-to-left names are turned
round for drawing (``_visual_order``). A character no installed font has stops the build with the
name and the font package to install, rather than going into the pack as an empty box.
"""

from __future__ import annotations

import functools
import re
import subprocess
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from packgen._compat.reportlab import canvas_document
from packgen.errors import InputError, PackgenError, ToolError

Runs = list[tuple[str, bytes]]  # text as (reportlab font name, character codes) runs

# (regular, bold) in order of preference; Debian's fonts-liberation2 (a superset of the older
# fonts-liberation, which has the same font name), then fonts-dejavu-core.
_FONT_FILES = (
    (
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
)


class Typeface:
    """A sans-serif with fallbacks: each character is drawn in the first font that has it.

    ``regular`` and ``bold`` read their fonts in order of preference; a font is read only when a
    character is not in those before it (most packs need none of the fallbacks)."""

    def __init__(self, regular: Sequence[Callable[[], TTFont]], bold: Sequence[Callable[[], TTFont]]):
        self._chains: dict[bool, list[TTFont]] = {False: [], True: []}
        self._unread = {False: list(regular), True: list(bold)}
        self._reading = threading.Lock()  # builds in several threads read a chain in the same order
        self._font_of: dict[bool, dict[str, str]] = {False: {}, True: {}}  # char -> font name

    def runs(self, text: str, bold: bool = False) -> list[tuple[str, str]]:
        """``text`` as (font name, piece) runs."""
        font_of = self._font_of[bold]  # a pack measures and writes the same characters many times
        runs: list[tuple[str, str]] = []
        for char in text:
            name = font_of.get(char) or self._choose(char, bold, text)
            if runs and runs[-1][0] != name and self._joins(runs[-1][0], char):
                name = runs[-1][0]
            if runs and runs[-1][0] == name:
                runs[-1] = (name, runs[-1][1] + char)
            else:
                runs.append((name, char))
        return runs

    @staticmethod
    def _joins(name: str, char: str) -> bool:
        """Whether ``char``, a space or punctuation, stays in the run of font ``name`` before it.

        A right-to-left name split into runs by font around its spaces would have its words
        turned round one run at a time by text extractors (pypdf's): "ليلى حداد" read back as
        "حداد ليلى".
        """
        has = pdfmetrics.getFont(name).face.charToGlyph
        return unicodedata.bidirectional(char) in _BETWEEN_RTL and ord(char) in has

    def check(self, texts: Iterable[str]) -> None:
        """Raise, naming the text, if any of ``texts`` has a character no installed font can draw."""
        for text in texts:
            for bold in (False, True):
                self.runs(text, bold)

    def _fonts(self, bold: bool) -> Iterator[TTFont]:
        """The chain's fonts in order, each read the first time it is reached."""
        chain, unread = self._chains[bold], self._unread[bold]
        index = 0
        while True:
            with self._reading:
                while index == len(chain) and unread:
                    font = _registered([unread.pop(0)()])[0]
                    if all(font is not other for other in chain):
                        chain.append(font)
                if index == len(chain):
                    return
            yield chain[index]
            index += 1

    def _choose(self, char: str, bold: bool, text: str) -> str:
        font = next((f for f in self._fonts(bold) if ord(char) in f.face.charToGlyph), None)
        chain = self._chains[bold]  # every font of the chain read, if none had the character
        if font is None and _drawn(char):
            font = _installed_font(char, bold)
            if font is not None:
                with self._reading:
                    chain.append(font)
        if font is None:
            if not _drawn(char):  # a joiner, an odd space: kept in the text, drawn as a space
                font = chain[0]
                font.face.charToGlyph[ord(char)] = font.face.charToGlyph[ord(" ")]
            else:
                raise _missing(char, text)
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


def _registered(fonts: list[TTFont]) -> list[TTFont]:
    """The fonts as reportlab will draw with them.

    reportlab keeps one font per font name inside the file: registering a second file with the same
    name (fonts-liberation next to fonts-liberation2) hands back the first, so a character must be
    looked up in the font reportlab returns, not in the one given to it.
    """
    chain: list[TTFont] = []
    for font in fonts:
        pdfmetrics.registerFont(font)
        font = pdfmetrics.getFont(font.fontName)
        if all(font is not other for other in chain):
            chain.append(font)
    return chain


def _drawn(char: str) -> bool:
    """Whether ``char`` has a shape of its own (not a control character, a joiner or a space)."""
    return unicodedata.category(char) not in ("Cc", "Cf", "Zs", "Zl", "Zp")


@functools.cache
def _installed_font(char: str, bold: bool) -> TTFont | None:
    """An installed TrueType font that has ``char``, as fontconfig finds it; None if there is none.

    Sans-serif of the right weight first; fonts with PostScript outlines (Noto CJK's) are left out
    because reportlab cannot embed them, and colour emoji because their glyphs are bitmaps.
    """
    try:
        listed = subprocess.run(
            [
                "fc-list",
                "--format",
                r"%{file}\t%{index}\t%{family}\t%{weight}\t%{slant}\n",
                f":charset={ord(char):x}:fontformat=TrueType",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    wanted = 200 if bold else 80  # fontconfig's weights for bold and regular
    found = []
    for line in listed.splitlines():
        path, index, family, weight, slant = (line.split("\t") + [""] * 5)[:5]
        if "Emoji" in family or not path.endswith((".ttf", ".ttc")) or not index.isdigit():
            continue
        distance = abs(int(weight) - wanted) if weight.isdigit() else 100  # a range: a variable font
        found.append((slant != "0", distance, "Sans" not in family, "Mono" in family, path, int(index)))
    for *_, file, number in sorted(found):
        font = _font_file(file, number)
        if font is not None and ord(char) in font.face.charToGlyph:
            return font
    return None


@functools.cache
def _font_file(path: str, index: int) -> TTFont | None:
    """The font at ``index`` in the file, registered with reportlab; None if reportlab cannot read it."""
    try:
        font = TTFont(f"PackgenFallback-{Path(path).name}-{index}", path, subfontIndex=index)
    except (TTFError, OSError):
        return None
    return _registered([font])[0]


def _missing(char: str, text: str) -> PackgenError:
    """The error for a character in ``text`` that no installed font can draw."""
    code = f"U+{ord(char):04X}"
    shown = text.replace(char, f"<{code}>")  # the character itself would show as nothing or a box
    if unicodedata.category(char) in ("Co", "Cn"):
        return InputError(
            f"'{shown}' has a character no font can show ({code}, a private-use or unassigned "
            "character): correct it in the record"
        )
    package = "fonts-wqy-microhei" if _is_cjk(char) else "fonts-noto-core"
    return ToolError(
        f"no installed font can draw {code} {unicodedata.name(char, '')} in '{shown}': install a font "
        f"that has it (on Debian or Ubuntu: `apt-get install {package}`, or fonts-noto-extra for rarer scripts)"
    )


def _is_cjk(char: str) -> bool:
    return any(
        start <= ord(char) <= end
        for start, end in ((0x2E80, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))
    )


@functools.cache
def typeface() -> Typeface:
    families = [(r, b if Path(b).exists() else r) for r, b in _FONT_FILES if Path(r).exists()]
    if not families:
        raise ToolError(
            "no font to draw the pack's contents and footers: install Liberation Sans "
            "(on Debian or Ubuntu: `apt-get install fonts-liberation`)"
        )
    regular = [functools.partial(TTFont, f"PackgenSans{n}", r) for n, (r, _) in enumerate(families)]
    bold = [functools.partial(TTFont, f"PackgenSans{n}-Bold", b) for n, (_, b) in enumerate(families)]
    return Typeface(regular, bold)
