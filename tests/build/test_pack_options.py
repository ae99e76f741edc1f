"""Ways of building a pack beyond the plain one: encrypted, redacted, without unreadable scans, one run at a time.

Built from the small fixture school, so each real build (LibreOffice included) stays quick.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from packgen.build.lock import exclusive
from packgen.records.read import load_school
from packgen.records.redact import initials
from tests.conftest import MINI, run_cli

TODAY = "2026-11-23"


@pytest.fixture
def school(tmp_path: Path) -> Path:
    dest = tmp_path / "data" / MINI.name
    shutil.copytree(MINI, dest)
    return dest


def text_of(pdf: Path, password: str | None = None) -> str:
    reader = PdfReader(pdf)
    if password:
        reader.decrypt(password)
    return "\n".join(page.extract_text() for page in reader.pages)


def bookmarks(pdf: Path) -> list[str]:
    return [item.title for item in PdfReader(pdf).outline if not isinstance(item, list)]


def test_an_encrypted_pack_opens_only_with_its_password_and_is_never_taken_as_up_to_date(school, tmp_path, monkeypatch):
    monkeypatch.setenv("PACKGEN_PACK_PASSWORD", "Brookfield-2026!")
    for _ in range(2):
        result = run_cli("build", school, "--out", tmp_path / "out", "--today", TODAY, "--encrypt", "--quiet")
        assert result.exit_code == 0, result.output
        assert "(encrypted)" in result.output and "up to date" not in result.output
    pack = tmp_path / "out" / MINI.name / "evidence-pack.pdf"
    reader = PdfReader(pack)
    assert reader.is_encrypted and reader.decrypt("wrong password") == 0
    assert reader.decrypt("Brookfield-2026!") != 0
    assert reader.trailer["/Encrypt"]["/V"] == 5  # AES-256
    assert "page 1 of" in reader.pages[0].extract_text()


def test_the_pack_password_is_asked_for_twice_when_not_in_the_environment(school, tmp_path, monkeypatch):
    monkeypatch.delenv("PACKGEN_PACK_PASSWORD", raising=False)
    from click.testing import CliRunner

    from packgen.cli import main

    result = CliRunner().invoke(
        main,
        ["build", str(school), "--out", str(tmp_path / "out"), "--encrypt", "--quiet"],
        input="s3cret-pass\ns3cret-pass\n",
    )
    assert result.exit_code == 0, result.output
    assert "s3cret-pass" not in result.output
    reader = PdfReader(tmp_path / "out" / MINI.name / "evidence-pack.pdf")
    assert reader.decrypt("s3cret-pass") != 0


def test_a_redacted_pack_has_initials_and_no_dates_of_birth_in_its_own_folder(school, tmp_path):
    result = run_cli("build", school, "--out", tmp_path / "out", "--today", TODAY, "--redact", "--quiet")
    assert result.exit_code == 0, result.output
    pack = tmp_path / "out" / f"{MINI.name}-redacted" / "evidence-pack.pdf"
    assert pack.is_file() and not (tmp_path / "out" / MINI.name).exists()
    text = text_of(pack)
    assert "Evidence pack (redacted)" in text
    for record in load_school(school).pupils.values():
        pupil = record.pupil
        assert pupil.legal_surname not in text, pupil.legal_surname
        assert f"{initials(pupil.legal_forename)} {initials(pupil.legal_surname)}" in text
        assert pupil.dob.strftime("%-d %B %Y") not in text
        for carer in pupil.parent_carers:
            assert carer.name not in text
    assert not any("(evidence)" in title for title in bookmarks(pack))


def test_an_unreadable_scan_stops_the_build_by_name_and_keeps_the_earlier_pack(school, tmp_path):
    out = tmp_path / "out"
    assert run_cli("build", school, "--out", out, "--quiet").exit_code == 0
    pack = out / MINI.name / "evidence-pack.pdf"
    before = pack.read_bytes()
    (school / "evidence" / "agreement-p01.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100)

    result = run_cli("build", school, "--out", out, "--quiet")
    assert result.exit_code == 1
    assert "pupils/p01.yaml" in result.output and "placement.agreement.evidence" in result.output
    assert "evidence/agreement-p01.pdf" in result.output and "--skip-bad-evidence" in result.output
    assert pack.read_bytes() == before


def test_skip_bad_evidence_builds_the_rest_and_lists_what_was_left_out_in_the_pack(school, tmp_path):
    (school / "evidence" / "hart-vale-assurance.pdf").write_bytes(b"not a pdf at all, but named like one")
    result = run_cli("build", school, "--out", tmp_path / "out", "--skip-bad-evidence", "--quiet")
    assert result.exit_code == 0, result.output
    assert "Left out: evidence/hart-vale-assurance.pdf" in result.output
    pack = tmp_path / "out" / MINI.name / "evidence-pack.pdf"
    titles = bookmarks(pack)
    assert titles.index("Evidence left out") == titles.index("Readiness") + 1
    squeezed = "".join(text_of(pack).split())  # table cells wrap long names onto several lines
    assert "evidence/hart-vale-assurance.pdf" in squeezed and "providers/hart-vale.yaml" in squeezed
    assert "Signed agreement (evidence)" in [t for t in _all_titles(pack)]  # the good scan is still there


def _all_titles(pdf: Path) -> list[str]:
    def walk(items):
        for item in items:
            if isinstance(item, list):
                yield from walk(item)
            else:
                yield item.title

    return list(walk(PdfReader(pdf).outline))


def test_a_second_run_on_the_same_school_stops_with_a_clear_message(school, tmp_path):
    out = tmp_path / "out" / MINI.name
    out.mkdir(parents=True)
    with exclusive(out, "test"):
        result = run_cli("build", school, "--out", tmp_path / "out", "--quiet")
        agreement = run_cli("agreement", school, "p01", "--out", tmp_path / "out")
    assert result.exit_code == 1 and agreement.exit_code == 1
    assert "already being written" in result.output and "wait for it to finish" in result.output
    assert not (out / "evidence-pack.pdf").exists()
    assert run_cli("build", school, "--out", tmp_path / "out", "--quiet").exit_code == 0


@pytest.mark.parametrize(
    "soffice, words",
    [
        ("/nonexistent/soffice", "LibreOffice"),
        ("hangs", "did not finish"),
    ],
)
def test_a_broken_libreoffice_is_reported_and_leaves_the_earlier_pack_whole(
    school, tmp_path, monkeypatch, soffice, words
):
    out = tmp_path / "out"
    assert run_cli("build", school, "--out", out, "--quiet").exit_code == 0
    pack = out / MINI.name / "evidence-pack.pdf"
    before = pack.read_bytes()
    if soffice == "hangs":  # stands in for a LibreOffice that never answers
        soffice = tmp_path / "soffice"
        soffice.write_text("#!/bin/sh\nexec sleep 600\n")
        soffice.chmod(0o755)
        monkeypatch.setenv("PACKGEN_SOFFICE_TIMEOUT", "3")
    monkeypatch.setenv("PACKGEN_SOFFICE", str(soffice))
    edit = school / "pupils" / "p01.yaml"  # a change, so documents must be converted again
    edit.write_text(edit.read_text(encoding="utf-8").replace("year_group: 10", "year_group: 11"), encoding="utf-8")

    result = run_cli("build", school, "--out", out, "--quiet")
    assert result.exit_code == 4, result.output
    assert words in result.output
    assert pack.read_bytes() == before
    assert not list(pack.parent.glob(".staging-*"))
