"""Scans attached as evidence: every unreadable one reported by name, with the record and key attaching it."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfWriter

from packgen.records.evidence import UnusablePdf, open_pdf, unreadable
from tests.conftest import MINI, pdf_bomb, run_cli, run_measured

SCAN = MINI / "evidence" / "agreement-p01.pdf"


def locked(path: Path) -> Path:
    writer = PdfWriter(clone_from=SCAN)
    writer.encrypt(user_password="only-the-provider-knows", algorithm="AES-256")
    writer.write(path)
    return path


def huge(path: Path) -> Path:
    with open(path, "wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(60 * 1024 * 1024)  # sparse: cheap to make, but 60 MB as far as anyone can tell
    return path


def written(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


BROKEN = {
    "not a PDF": (lambda p: written(p, b"PK\x03\x04 a Word file renamed"), "is not a PDF"),
    "damaged": (lambda p: written(p, SCAN.read_bytes()[: len(SCAN.read_bytes()) // 3]), "is not a readable PDF"),
    "password": (locked, "needs a password to open"),
    "huge": (huge, "too big for a pack"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_each_kind_of_unreadable_scan_says_why(tmp_path, case):
    make, reason = BROKEN[case]
    assert reason in unreadable(make(tmp_path / "scan.pdf"))


def test_a_good_scan_and_one_locked_only_against_editing_are_fine(tmp_path):
    writer = PdfWriter(clone_from=SCAN)
    writer.encrypt(user_password="", owner_password="office", algorithm="AES-256")
    writer.write(tmp_path / "editing-locked.pdf")
    assert unreadable(SCAN) is None
    assert unreadable(tmp_path / "editing-locked.pdf") is None


def test_check_reports_every_unreadable_scan_with_record_and_key(tmp_path):
    school = tmp_path / MINI.name
    shutil.copytree(MINI, school)
    BROKEN["password"][0](school / "evidence" / "agreement-p01.pdf")
    BROKEN["not a PDF"][0](school / "evidence" / "hart-vale-assurance.pdf")
    result = run_cli("check", school)
    assert result.exit_code == 1
    assert (
        "pupils/p01.yaml: placement.agreement.evidence: 'evidence/agreement-p01.pdf' needs a password to open"
        in result.output
    )
    assert (
        "providers/hart-vale.yaml: assurance.evidence: 'evidence/hart-vale-assurance.pdf' is not a PDF" in result.output
    )
    assert "2 problems" in result.output


def test_a_scan_that_inflates_without_end_is_refused_by_name_in_bounded_memory(tmp_path):
    school = tmp_path / MINI.name
    shutil.copytree(MINI, school)
    bomb = pdf_bomb(school / "evidence" / "agreement-p01.pdf")
    assert bomb.stat().st_size < 2_000_000  # inflates to 1.4 GB

    done, peak_mb = run_measured("check", school, timeout=120)

    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "pupils/p01.yaml: placement.agreement.evidence: 'evidence/agreement-p01.pdf' inflates to more than"
        in done.stdout
    )
    assert "Traceback" not in done.stderr
    assert peak_mb < 150, f"checking a 1 MB scan took {peak_mb} MB"


def test_scans_whose_images_are_large_when_shown_are_fine(tmp_path):
    school = tmp_path / MINI.name
    shutil.copytree(MINI, school)
    pdf_bomb(school / "evidence" / "agreement-p01.pdf", images=True)  # 1.4 GB of pixels, never decoded

    done, peak_mb = run_measured("check", school, timeout=120)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "No problems found" in done.stdout
    assert peak_mb < 150, f"checking a 1 MB scan took {peak_mb} MB"


@pytest.mark.parametrize("make", ["pipe", "link to /dev/zero"])
def test_evidence_that_is_not_an_ordinary_file_is_refused_without_reading_it(tmp_path, make):
    school = tmp_path / MINI.name
    shutil.copytree(MINI, school)
    evidence = school / "evidence" / "agreement-p01.pdf"
    evidence.unlink()
    if make == "pipe":
        os.mkfifo(evidence)
    else:
        evidence.symlink_to("/dev/zero")

    done, _ = run_measured("check", school, timeout=60)

    assert done.returncode == 1, done.stderr
    assert "pupils/p01.yaml:" in done.stdout
    assert "placement.agreement.evidence: 'evidence/agreement-p01.pdf'" in done.stdout
    # Read directly, as a build reads it once the records have been checked (it may have changed since).
    assert "is not an ordinary file" in unreadable(evidence)
    with pytest.raises(UnusablePdf, match=re.escape(str(evidence)) + ": is not an ordinary file"):
        open_pdf(evidence)
