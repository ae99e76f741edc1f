"""Packs of several schools built at once are the packs each school gets built alone.

Documents of one template are joined for LibreOffice and the PDF cut apart again; each part keeps
the font subsets LibreOffice embedded for the whole joined document. Joined across schools, each
school's pack carried other schools' subsets. Read back with pypdf: the same fonts, the same size.
The builds are stamped with one moment (SOURCE_DATE_EPOCH): the cover's time is drawn in the same
font, and a minute turning between two builds would change that subset.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import MINI, run_cli

TODAY = "2026-11-23"


def school(root: Path, name: str, pupil_prefix: str) -> Path:
    """The mini school under another name, its pupils renamed so the two schools' documents differ."""
    dest = root / name
    shutil.copytree(MINI, dest)
    for path in (dest / "pupils").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"(legal_forename: *)", rf"\g<1>{pupil_prefix}", text, count=1), encoding="utf-8")
    return dest


def fonts(pack: Path) -> list[tuple[str, int]]:
    """Every embedded font program of the pack: (font name, length of its data), one per object."""
    reader = PdfReader(pack)
    found: dict[int, tuple[str, int]] = {}

    def visit(resources) -> None:
        resources = resources.get_object()
        for reference in _entries(resources, "/Font"):
            font = reference.get_object()
            for descendant in font.get("/DescendantFonts", []):
                font = descendant.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None:
                continue
            descriptor = descriptor.get_object()
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in descriptor:
                    program = descriptor.raw_get(key)
                    found[program.idnum] = (str(descriptor["/FontName"]), len(program.get_object().get_data()))
        for reference in _entries(resources, "/XObject"):
            item = reference.get_object()
            if item.get("/Subtype") == "/Form" and "/Resources" in item:
                visit(item["/Resources"])

    for page in reader.pages:
        if "/Resources" in page:
            visit(page["/Resources"])
    return sorted(found.values())


def _entries(resources, key: str) -> list:
    return list(resources[key].get_object().values()) if key in resources else []


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, dict[str, Path]]:
    root = tmp_path_factory.mktemp("trust")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1795000000")
        return _build(root)


def _build(root: Path) -> dict[str, dict[str, Path]]:
    schools = [school(root / "data", "north-school", "N"), school(root / "data", "south-school", "S")]
    packs: dict[str, dict[str, Path]] = {"together": {}, "alone": {}}
    result = run_cli("build", *schools, "--out", root / "together", "--today", TODAY, "--quiet")
    assert result.exit_code == 0, result.output
    for folder in schools:
        packs["together"][folder.name] = root / "together" / folder.name / "evidence-pack.pdf"
        result = run_cli("build", folder, "--out", root / "alone" / folder.name, "--today", TODAY, "--quiet")
        assert result.exit_code == 0, result.output
        packs["alone"][folder.name] = root / "alone" / folder.name / folder.name / "evidence-pack.pdf"
    return packs


@pytest.mark.parametrize("name", ["north-school", "south-school"])
def test_a_pack_built_with_another_school_has_the_fonts_it_has_alone(built, name):
    together, alone = fonts(built["together"][name]), fonts(built["alone"][name])
    assert len(together) == len(alone)
    assert together == alone


@pytest.mark.parametrize("name", ["north-school", "south-school"])
def test_a_pack_built_with_another_school_is_the_size_it_is_alone(built, name):
    together, alone = built["together"][name].stat().st_size, built["alone"][name].stat().st_size
    assert abs(together - alone) <= 0.03 * alone, (together, alone)
    assert len(PdfReader(built["together"][name]).pages) == len(PdfReader(built["alone"][name]).pages)
