"""Word documents to PDF with the real LibreOffice (a few seconds per LibreOffice start)."""

from __future__ import annotations

import shlex
import stat
import time
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from packgen.convert import convert_to_pdf
from packgen.errors import InputError, ToolError

REAL_SOFFICE = "/usr/bin/soffice"


def make_docx(path: Path, *paragraphs: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(path)
    return path


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def fake_soffice(folder: Path, body: str) -> Path:
    """A stand-in `soffice` program: a shell script (for a LibreOffice that hangs or lies)."""
    script = folder / "soffice"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o700)
    return script


def logging_soffice(folder: Path, log: Path) -> Path:
    """The real LibreOffice, behind a script that notes each time it is started and with what."""
    return fake_soffice(folder, f'echo "$*" >> {shlex.quote(str(log))}\nexec {REAL_SOFFICE} "$@"')


def live_processes_in_group(group: int) -> list[str]:
    """Processes of a process group that are still running (zombies awaiting reaping are not)."""
    live = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, process_group = fields[0], int(fields[2])
        if process_group == group and state != "Z":
            live.append(stat_file.parent.name)
    return live


def test_documents_are_converted_in_two_batches_and_keep_their_folders(tmp_path):
    docs = tmp_path / "docs"
    inputs = [
        make_docx(docs / "letters" / "p01.docx", "Letter about Zoë Łukasz-Şahin 😀"),
        make_docx(docs / "agreements" / "p01.docx", "Agreement for Siân O'Brien & <Sons>"),
        make_docx(docs / "plans" / "p02.docx", "Education plan number two"),
        make_docx(docs / "plans" / "p03.docx", "Education plan number three"),
    ]
    log = tmp_path / "soffice-starts.log"
    out = tmp_path / "out"

    pdfs = convert_to_pdf(
        inputs, out, base=docs, workers=2, soffice=str(logging_soffice(tmp_path, log))
    )

    assert pdfs == [
        out / "letters" / "p01.pdf",
        out / "agreements" / "p01.pdf",
        out / "plans" / "p02.pdf",
        out / "plans" / "p03.pdf",
    ]
    letter = pdf_text(pdfs[0])
    assert "Letter about Zoë Łukasz-Şahin" in letter and "😀" in letter
    assert "Agreement for Siân O'Brien & <Sons>" in pdf_text(pdfs[1])
    assert "Education plan number two" in pdf_text(pdfs[2])
    assert "Education plan number three" in pdf_text(pdfs[3])
    for pdf in pdfs:
        assert stat.S_IMODE(pdf.stat().st_mode) == 0o600
    assert stat.S_IMODE((out / "letters").stat().st_mode) == 0o700

    # Two LibreOffice starts, not four: each converted two documents with its own profile.
    starts = log.read_text().splitlines()
    assert len(starts) == 2
    profiles = [arg for line in starts for arg in line.split() if arg.startswith("-env:UserInstallation=")]
    assert len(set(profiles)) == 2
    per_start = [[arg for arg in line.split() if arg.endswith(".docx")] for line in starts]
    assert sorted(len(docs_) for docs_ in per_start) == [2, 2]
    # The throw-away profiles are gone.
    for profile in profiles:
        assert not Path(profile.split("file://", 1)[1]).exists()


def test_documents_with_the_same_name_need_a_base_folder(tmp_path):
    first = make_docx(tmp_path / "letters" / "p01.docx", "one")
    second = make_docx(tmp_path / "agreements" / "p01.docx", "two")

    with pytest.raises(InputError) as caught:
        convert_to_pdf([first, second], tmp_path / "out")

    assert "letters/p01.docx" in str(caught.value) and "agreements/p01.docx" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_a_document_libreoffice_cannot_open_is_named_and_nothing_is_written(tmp_path):
    good = make_docx(tmp_path / "good.docx", "A perfectly good document")
    damaged = tmp_path / "damaged.docx"
    damaged.write_bytes(b"PK\x03\x04" + b"this is not really a zip archive")
    out = tmp_path / "out"

    with pytest.raises(ToolError) as caught:
        convert_to_pdf([good, damaged], out, workers=1)

    message = str(caught.value)
    assert str(damaged) in message
    assert str(good) not in message
    assert "could not be loaded" in message  # LibreOffice's own words
    assert not out.exists() or not any(out.iterdir())


def test_missing_libreoffice_says_how_to_install_it(tmp_path, monkeypatch):
    doc = make_docx(tmp_path / "a.docx", "text")

    with pytest.raises(ToolError, match="apt-get install libreoffice-writer-nogui fonts-liberation"):
        convert_to_pdf([doc], tmp_path / "out", soffice="/nonexistent/soffice")

    monkeypatch.setenv("PACKGEN_SOFFICE", "/nonexistent/soffice")
    with pytest.raises(ToolError, match="LibreOffice is not installed"):
        convert_to_pdf([doc], tmp_path / "out")


def test_no_documents_need_no_libreoffice(tmp_path):
    assert convert_to_pdf([], tmp_path / "out", soffice="/nonexistent/soffice") == []


def test_a_hung_libreoffice_is_killed_with_every_process_it_started(tmp_path, monkeypatch):
    group_file = tmp_path / "group"
    hanging = fake_soffice(tmp_path, f"echo $$ > {shlex.quote(str(group_file))}\nsleep 300 &\nwait")
    doc = make_docx(tmp_path / "a.docx", "text")
    monkeypatch.setenv("PACKGEN_SOFFICE_TIMEOUT", "1")

    started = time.monotonic()
    with pytest.raises(ToolError, match="did not finish .* within 1 s"):
        convert_to_pdf([doc], tmp_path / "out", soffice=str(hanging))
    assert time.monotonic() - started < 10

    group = int(group_file.read_text())
    deadline = time.monotonic() + 5
    while live_processes_in_group(group) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_processes_in_group(group) == []


def test_a_libreoffice_that_fails_is_reported_with_its_exit_code(tmp_path):
    failing = fake_soffice(tmp_path, 'echo "something broke" >&2\nexit 3')
    doc = make_docx(tmp_path / "a.docx", "text")

    with pytest.raises(ToolError) as caught:
        convert_to_pdf([doc], tmp_path / "out", soffice=str(failing))

    assert "exit code 3" in str(caught.value)
    assert "something broke" in str(caught.value)
    assert str(doc) in str(caught.value)


def test_a_bad_timeout_setting_is_reported(tmp_path, monkeypatch):
    doc = make_docx(tmp_path / "a.docx", "text")
    monkeypatch.setenv("PACKGEN_SOFFICE_TIMEOUT", "soon")

    with pytest.raises(ToolError, match="PACKGEN_SOFFICE_TIMEOUT"):
        convert_to_pdf([doc], tmp_path / "out", soffice=str(fake_soffice(tmp_path, "exit 0")))
