"""Names in every script a school meets, built into a real pack and read back as text."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFont

from packgen.errors import ToolError
from packgen.pack.typeface import Typeface, typeface
from packgen.records.upn import check_letter
from tests.conftest import MINI, edit_record, outline_tree, run_cli

# (forename, surname): all fictional
NAMES = {
    "latin": ("Zoë", "Ňguyễn-Øster"),
    "greek": ("Ελένη", "Παπαδοπούλου"),
    "cyrillic": ("Дмитрий", "Соколов"),
    "arabic": ("ليلى", "حداد"),
    "hebrew": ("נועה", "כהן"),
    "devanagari": ("अनन्या", "शर्मा"),
    "chinese": ("明", "李"),
}
CYPRO_MINOAN = "\U00012f90"  # an ancient script no font in the ordinary set covers


def upn(n: int) -> str:
    body = f"80120000{n:04d}"
    return check_letter(body) + body


@pytest.fixture(scope="module")
def scripts_pack(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("scripts")
    school = root / "school"
    shutil.copytree(MINI, school)
    template = school / "pupils" / "p02.yaml"
    for n, (forename, surname) in enumerate(NAMES.values(), start=10):
        record = school / "pupils" / f"p{n}.yaml"
        shutil.copy(template, record)
        names = {"legal_forename": forename, "legal_surname": surname, "upn": upn(n), "preferred_name": None}
        edit_record(record, lambda r, names=names: r["pupil"].update(names))
    result = run_cli("build", school, "--out", root / "out", "--quiet")
    assert result.exit_code == 0, result.output
    pack = root / "out" / "school" / "evidence-pack.pdf"
    return {"pack": pack, "reader": PdfReader(pack), "out": root / "out" / "school"}


def flatten(tree):
    for title, page, children in tree:
        yield title, page
        yield from flatten(children)


@pytest.mark.parametrize("script", NAMES)
def test_a_name_in_any_script_reads_back_from_contents_bookmarks_and_documents(scripts_pack, script):
    reader = scripts_pack["reader"]
    name = " ".join(NAMES[script])
    bookmarks = dict(flatten(outline_tree(reader)))
    assert name in bookmarks
    contents = reader.pages[1].extract_text() + reader.pages[2].extract_text()
    assert "\x00" not in contents
    assert re.search(re.escape(name) + r" \d+", contents), contents
    # The pupil's own first page (a LibreOffice-made document) and the register have the name as text.
    first = reader.pages[bookmarks[name] - 1].extract_text()
    assert NAMES[script][1] in first and NAMES[script][0] in first
    register = "".join(
        page.extract_text() for page in reader.pages[bookmarks["AP register"] - 1 : bookmarks["Readiness"] - 1]
    )
    assert NAMES[script][1] in register


def test_poppler_reads_every_name_from_the_contents_too(scripts_pack):
    text = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "3", str(scripts_pack["pack"]), "-"], check=True, capture_output=True, text=True
    ).stdout
    text = re.sub("[\u202a-\u202e]", "", text)  # the marks poppler puts round right-to-left text
    words = text.replace(" ", "")  # poppler leaves out the space between Chinese characters
    for forename, surname in NAMES.values():
        assert forename + surname in words, (forename, surname)


def test_a_name_no_installed_font_can_draw_is_named_with_the_package_to_install():
    assert (
        subprocess.run(
            ["fc-list", f":charset={ord(CYPRO_MINOAN):x}"], capture_output=True, text=True, check=True
        ).stdout
        == ""
    ), "a font for the test's uncovered script is installed"
    with pytest.raises(ToolError) as raised:
        typeface().check([f"Ana {CYPRO_MINOAN}lu"])
    message = str(raised.value)
    assert "Ana <U+12F90>lu" in message and unicodedata.name(CYPRO_MINOAN) in message
    assert "apt-get install fonts-noto" in message


def test_a_private_use_character_in_a_name_is_a_mistake_in_the_record(tmp_path):
    school = tmp_path / "school"
    shutil.copytree(MINI, school)
    edit_record(school / "pupils" / "p02.yaml", lambda r: r["pupil"].update(legal_surname="Ros\ue000s"))
    result = run_cli("build", school, "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 1, result.output
    assert "Ros<U+E000>s" in result.output and "private-use" in result.output
    assert not (tmp_path / "out" / "school" / "evidence-pack.pdf").exists()


def test_a_fallback_font_is_read_only_for_a_character_the_fonts_before_it_lack():
    liberation, dejavu = (
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    )
    read: list[str] = []

    def reading(name: str, path: str):
        def font() -> TTFont:
            read.append(name)
            return TTFont(name, path)

        return font

    face = Typeface([reading("LazyTestSans", liberation), reading("LazyTestFallback", dejavu)], [])
    # reportlab hands back a font already registered from the same file under its first name
    # (typeface._registered), so the runs are compared by font, not by name.
    [(first, _)] = face.runs("Łucja Ştefan · page 2 of 9")
    assert read == ["LazyTestSans"]
    fonts = [font for font, _ in face.runs("Ravi ⊕ Amara")]
    assert len(fonts) == 3 and fonts[0] == fonts[2] == first != fonts[1]
    assert read == ["LazyTestSans", "LazyTestFallback"]
