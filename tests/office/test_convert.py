"""Word documents to PDF with the real LibreOffice (a few seconds per LibreOffice start)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shlex
import signal
import stat
import tempfile
import threading
import time
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from packgen.errors import InputError, TemplateProblem, ToolError
from packgen.office import convert, pool
from packgen.office import profiles as office_profiles
from packgen.office.convert import ConvertSettings, convert_to_pdf
from packgen.office.head_start import WARM_UP, HeadStart
from packgen.runtime.orphans import MARK
from tests.conftest import REAL_SOFFICE, fake_soffice, link_outside, logging_soffice, make_docx


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


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
        inputs, out, settings=ConvertSettings(workers=2, soffice=str(logging_soffice(tmp_path, log))), base=docs
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
    # The profiles are kept in packgen's cache folder for the next run, not left in the temporary one.
    home = Path(os.environ["XDG_CACHE_HOME"]) / "packgen" / "libreoffice"
    for profile in profiles:
        assert Path(profile.split("file://", 1)[1]).parent == home
    assert not list(Path(tempfile.gettempdir()).glob("packgen-convert-*"))


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
        convert_to_pdf([good, damaged], out, settings=ConvertSettings(workers=1))

    message = str(caught.value)
    assert str(damaged) in message
    assert str(good) not in message
    assert "could not be loaded" in message  # LibreOffice's own words
    assert not out.exists() or not any(out.iterdir())


def test_missing_libreoffice_says_how_to_install_it(tmp_path, monkeypatch):
    doc = make_docx(tmp_path / "a.docx", "text")

    with pytest.raises(ToolError, match="apt-get install libreoffice-writer-nogui fonts-liberation"):
        convert_to_pdf([doc], tmp_path / "out", settings=ConvertSettings(soffice="/nonexistent/soffice"))

    monkeypatch.setenv("PACKGEN_SOFFICE", "/nonexistent/soffice")
    with pytest.raises(ToolError, match="LibreOffice is not installed"):
        convert_to_pdf([doc], tmp_path / "out")


def test_no_documents_need_no_libreoffice(tmp_path):
    assert convert_to_pdf([], tmp_path / "out", settings=ConvertSettings(soffice="/nonexistent/soffice")) == []


def test_a_hung_libreoffice_is_killed_with_every_process_it_started(tmp_path, monkeypatch):
    group_file = tmp_path / "group"
    hanging = fake_soffice(tmp_path, f"echo $$ > {shlex.quote(str(group_file))}\nsleep 300 &\nwait")
    doc = make_docx(tmp_path / "a.docx", "text")
    monkeypatch.setenv("PACKGEN_SOFFICE_TIMEOUT", "1")

    started = time.monotonic()
    with pytest.raises(ToolError, match=r"did not finish .* within 1 s"):
        convert_to_pdf([doc], tmp_path / "out", settings=ConvertSettings(soffice=str(hanging)))
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
        convert_to_pdf([doc], tmp_path / "out", settings=ConvertSettings(soffice=str(failing)))

    assert "exit code 3" in str(caught.value)
    assert "something broke" in str(caught.value)
    assert str(doc) in str(caught.value)


def test_a_bad_timeout_setting_is_reported(tmp_path, monkeypatch):
    doc = make_docx(tmp_path / "a.docx", "text")
    monkeypatch.setenv("PACKGEN_SOFFICE_TIMEOUT", "soon")

    with pytest.raises(ToolError, match="PACKGEN_SOFFICE_TIMEOUT"):
        convert_to_pdf([doc], tmp_path / "out", settings=ConvertSettings(soffice=str(fake_soffice(tmp_path, "exit 0"))))


# ---------------------------------------------------------------- the pool when LibreOffice misbehaves


def test_a_worker_that_hangs_is_killed_and_its_documents_tried_again(tmp_path, monkeypatch):
    """The first start hangs (a broken environment); the documents are then converted by real LibreOffice."""
    group_file, marker = tmp_path / "group", tmp_path / "hung-once"
    soffice = fake_soffice(
        tmp_path,
        f"""
if [ ! -e {shlex.quote(str(marker))} ]; then
    touch {shlex.quote(str(marker))}
    echo $$ > {shlex.quote(str(group_file))}
    sleep 300 &
    wait
fi
exec {REAL_SOFFICE} "$@"
""",
    )
    docs = [make_docx(tmp_path / "docs" / f"plan-{n}.docx", f"Education plan number {n}") for n in range(3)]
    monkeypatch.setenv("PACKGEN_SOFFICE_TIMEOUT", "10")  # a real start and a document fit easily
    seen = []

    pdfs = convert_to_pdf(
        docs,
        tmp_path / "out",
        settings=ConvertSettings(workers=1, soffice=str(soffice)),
        on_progress=lambda done, total: seen.append((done, total)),
    )

    for n, pdf in enumerate(pdfs):
        assert f"Education plan number {n}" in pdf_text(pdf)
    assert live_processes_in_group(int(group_file.read_text())) == []
    assert seen[-1] == (3, 3) and seen == sorted(seen)


def test_a_worker_that_crashes_loses_only_the_document_it_was_on(tmp_path):
    """LibreOffice converts the first document, then dies: the next is tried alone, the rest queued again."""
    log, marker = tmp_path / "starts.log", tmp_path / "crashed-once"
    soffice = fake_soffice(
        tmp_path,
        f"""
echo "$*" >> {shlex.quote(str(log))}
if [ ! -e {shlex.quote(str(marker))} ]; then
    touch {shlex.quote(str(marker))}
    first=$(for arg in "$@"; do case $arg in *.docx) echo "$arg"; break;; esac; done)
    outdir=$(echo "$*" | sed 's/.*--outdir \\([^ ]*\\).*/\\1/')
    {REAL_SOFFICE} "$1" --headless --convert-to pdf --outdir "$outdir" "$first" >/dev/null 2>&1
    kill -SEGV $$
fi
exec {REAL_SOFFICE} "$@"
""",
    )
    docs = [make_docx(tmp_path / "docs" / f"visit-{n}.docx", f"Visit note {n}") for n in range(4)]

    pdfs = convert_to_pdf(docs, tmp_path / "out", settings=ConvertSettings(workers=1, soffice=str(soffice)))

    for n, pdf in enumerate(pdfs):
        assert f"Visit note {n}" in pdf_text(pdf)
    given = [
        [arg.rsplit("/", 1)[1] for arg in line.split() if arg.endswith(".docx")]
        for line in log.read_text().splitlines()
    ]
    assert given == [
        ["00000.docx", "00001.docx", "00002.docx", "00003.docx"],  # dies after the first
        ["00001.docx"],  # the one it died on, alone
        ["00002.docx", "00003.docx"],
    ]  # the ones it never reached


def test_a_document_that_fails_twice_stops_the_run_and_nothing_is_written(tmp_path):
    soffice = fake_soffice(tmp_path, 'echo "Fatal exception: Signal 6" >&2\nkill -ABRT $$')
    docs = [make_docx(tmp_path / "docs" / f"d{n}.docx", "text") for n in range(3)]
    out = tmp_path / "out"

    started = time.monotonic()
    with pytest.raises(ToolError) as caught:
        convert_to_pdf(docs, out, settings=ConvertSettings(workers=2, soffice=str(soffice)))

    message = str(caught.value)
    assert "no usable PDF, twice" in message and "Signal 6" in message
    assert time.monotonic() - started < 10  # it gave up; it did not try every document twice over
    assert not out.exists()


def test_many_documents_are_split_into_batches_of_at_most_max_batch(tmp_path, monkeypatch):
    monkeypatch.setattr(pool, "MAX_BATCH", 2)
    log = tmp_path / "starts.log"
    docs = [make_docx(tmp_path / "docs" / f"r{n}.docx", f"Review {n}") for n in range(5)]

    pdfs = convert_to_pdf(
        docs, tmp_path / "out", settings=ConvertSettings(workers=1, soffice=str(logging_soffice(tmp_path, log)))
    )

    assert [f"Review {n}" in pdf_text(pdf) for n, pdf in enumerate(pdfs)] == [True] * 5
    per_start = [sum(arg.endswith(".docx") for arg in line.split()) for line in log.read_text().splitlines()]
    assert sorted(per_start) == [1, 2, 2]


def test_documents_libreoffice_silently_drops_are_converted_after_all(tmp_path):
    """LibreOffice ignores arguments past its ~253rd and exits 0; here it keeps only two documents."""
    log = tmp_path / "starts.log"
    soffice = fake_soffice(
        tmp_path,
        f"""
echo "$*" >> {shlex.quote(str(log))}
kept=0
for arg in "$@"; do
    shift
    case $arg in *.docx) kept=$((kept + 1)); [ $kept -gt 2 ] && continue;; esac
    set -- "$@" "$arg"
done
exec {REAL_SOFFICE} "$@"
""",
    )
    docs = [make_docx(tmp_path / "docs" / f"v{n}.docx", f"Visit {n}") for n in range(5)]

    pdfs = convert_to_pdf(docs, tmp_path / "out", settings=ConvertSettings(workers=1, soffice=str(soffice)))

    assert [f"Visit {n}" in pdf_text(pdf) for n, pdf in enumerate(pdfs)] == [True] * 5
    assert len(log.read_text().splitlines()) == 3  # all five; the two it kept; the one tried again alone


def test_documents_still_being_written_when_libreoffice_starts_are_converted(tmp_path):
    # ready() is called once the first LibreOffice has finished with what was there: the second
    # document is written only then, so that start cannot have converted it; it is not a failure,
    # and it is given to the next start, alone.
    log = tmp_path / "starts.log"
    first = make_docx(tmp_path / "first.docx", "Written before the start")
    second = tmp_path / "second.docx"
    calls = []

    def ready() -> None:
        calls.append(second.exists())
        make_docx(second, "Written while LibreOffice worked")

    convert.convert(
        [(first, tmp_path / "first.pdf"), (second, tmp_path / "second.pdf")],
        ConvertSettings(workers=1, soffice=str(logging_soffice(tmp_path, log)), ready=ready),
    )

    assert calls == [False]  # once, and before the document was there
    assert "Written before the start" in pdf_text(tmp_path / "first.pdf")
    assert "Written while LibreOffice worked" in pdf_text(tmp_path / "second.pdf")
    starts = log.read_text().splitlines()
    assert len(starts) == 2 and starts[1].count(".docx") == 1


def test_documents_written_in_time_need_one_start(tmp_path):
    log = tmp_path / "starts.log"
    docs = [make_docx(tmp_path / f"{n}.docx", f"Document {n}") for n in range(3)]
    convert.convert(
        [(doc, tmp_path / f"{n}.pdf") for n, doc in enumerate(docs)],
        ConvertSettings(workers=1, soffice=str(logging_soffice(tmp_path, log)), ready=lambda: None),
    )
    assert [f"Document {n}" in pdf_text(tmp_path / f"{n}.pdf") for n in range(3)] == [True] * 3
    assert len(log.read_text().splitlines()) == 1


def test_documents_that_will_never_be_written_stop_the_conversion_with_the_writers_error(tmp_path):
    first = make_docx(tmp_path / "first.docx", "Written")
    group_file = tmp_path / "group"
    soffice = fake_soffice(tmp_path, f'echo $$ > {shlex.quote(str(group_file))}\nexec {REAL_SOFFICE} "$@"')

    def ready() -> None:
        raise TemplateProblem("visit.docx: the tag around '{{' does not close")

    with pytest.raises(TemplateProblem, match="does not close"):
        convert.convert(
            [(first, tmp_path / "first.pdf"), (tmp_path / "never.docx", tmp_path / "never.pdf")],
            ConvertSettings(workers=1, soffice=str(soffice), ready=ready),
        )
    assert not (tmp_path / "first.pdf").exists() and not (tmp_path / "never.pdf").exists()
    assert live_processes_in_group(int(group_file.read_text())) == []


def profiles_used(log: Path) -> list[str]:
    return [
        arg.split("=", 1)[1]
        for line in log.read_text().splitlines()
        for arg in line.split()
        if arg.startswith("-env:UserInstallation=")
    ]


def test_libreoffice_profiles_are_kept_for_the_next_run(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    log = tmp_path / "starts.log"
    soffice = str(logging_soffice(tmp_path, log))
    first = make_docx(tmp_path / "a.docx", "First run")
    second = make_docx(tmp_path / "b.docx", "Second run")

    convert.convert([(first, tmp_path / "a.pdf")], ConvertSettings(soffice=soffice))
    convert.convert([(second, tmp_path / "b.pdf")], ConvertSettings(soffice=soffice))

    used = profiles_used(log)
    assert len(used) == 2 and used[0] == used[1]
    profile = Path(used[0].removeprefix("file://"))
    assert profile.parent == tmp_path / "cache" / "packgen" / "libreoffice"
    assert (profile / "user").is_dir()
    assert stat.S_IMODE(profile.parent.stat().st_mode) == 0o700
    assert "Second run" in pdf_text(tmp_path / "b.pdf")


def test_a_profile_in_use_by_another_run_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    home = tmp_path / "cache" / "packgen" / "libreoffice"
    home.mkdir(parents=True)
    busy = os.open(home / "profile0.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(busy, fcntl.LOCK_EX)  # as another packgen converting right now holds it
    try:
        log = tmp_path / "starts.log"
        doc = make_docx(tmp_path / "a.docx", "Beside a busy profile")
        convert.convert([(doc, tmp_path / "a.pdf")], ConvertSettings(soffice=str(logging_soffice(tmp_path, log))))
    finally:
        os.close(busy)
    assert profiles_used(log) == [(home / "profile1").as_uri()]
    assert "Beside a busy profile" in pdf_text(tmp_path / "a.pdf")


def test_a_profile_records_the_libreoffice_it_ran_so_no_start_repeats_the_graphics_self_test(tmp_path, monkeypatch):
    # LibreOffice tests its graphics backend at a start when the profile's last version is older than
    # its own (GraphicsRenderTests.log in the profile shows it ran); headless, it never records one.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for number in range(2):
        doc = make_docx(tmp_path / f"{number}.docx", f"Start {number}")
        convert.convert([(doc, tmp_path / f"{number}.pdf")], ConvertSettings(workers=1, soffice=REAL_SOFFICE))
        assert f"Start {number}" in pdf_text(tmp_path / f"{number}.pdf")
    profile = tmp_path / "cache" / "packgen" / "libreoffice" / "profile0"
    version = office_profiles.installed_version(str(Path(REAL_SOFFICE).resolve()))
    assert version is not None and re.fullmatch(r"\d+\.\d+", version)
    settings = (profile / "user" / "registrymodifications.xcu").read_text(encoding="utf-8")
    assert settings.count("ooSetupLastVersion") == 1
    assert f'"ooSetupLastVersion" oor:op="fuse"><value>{version}</value>' in settings
    assert not (profile / "user" / "GraphicsRenderTests.log").exists()


def test_settling_a_profile_keeps_its_other_settings_and_replaces_an_old_version(tmp_path):
    settings = tmp_path / "profile" / "user" / "registrymodifications.xcu"
    settings.parent.mkdir(parents=True)
    settings.write_bytes(
        office_profiles.EMPTY_SETTINGS.replace(
            b"</oor:items>",
            (
                b'<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse">'
                b"<value>false</value></prop></item>\n"
                b'<item oor:path="/org.openoffice.Setup/Product"><prop oor:name="ooSetupLastVersion" oor:op="fuse">'
                b"<value>6.0</value></prop></item>\n</oor:items>"
            ),
        )
    )
    office_profiles.settle(tmp_path / "profile", REAL_SOFFICE)
    text = settings.read_text(encoding="utf-8")
    version = office_profiles.installed_version(str(Path(REAL_SOFFICE).resolve()))
    assert '<prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop>' in text
    assert "<value>6.0</value>" not in text and f"<value>{version}</value>" in text
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    before = settings.stat().st_mtime_ns
    office_profiles.settle(tmp_path / "profile", REAL_SOFFICE)  # already settled: left alone
    assert settings.stat().st_mtime_ns == before


def test_settling_leaves_a_profile_alone_when_the_version_cannot_be_found(tmp_path):
    # A LibreOffice behind a script somewhere else: no settings of its own beside it.
    program = fake_soffice(tmp_path, f'exec {REAL_SOFFICE} "$@"')
    office_profiles.settle(tmp_path / "profile", str(program))
    assert not (tmp_path / "profile").exists()


# ---------------------------------------------------------------- a LibreOffice started ahead


def test_a_head_start_converts_documents_it_is_given_after_it_started_in_that_one_start(tmp_path):
    log = tmp_path / "starts.log"
    docs = [make_docx(tmp_path / f"{n}.docx", f"Document {n}") for n in range(3)]

    with HeadStart(str(logging_soffice(tmp_path, log))) as head_start:
        convert.convert(
            [(doc, tmp_path / f"{n}.pdf") for n, doc in enumerate(docs)], ConvertSettings(head_start=head_start)
        )
        work = head_start.work

    assert [pdf_text(tmp_path / f"{n}.pdf").strip() for n in range(3)] == [f"Document {n}" for n in range(3)]
    (start,) = log.read_text().splitlines()
    assert WARM_UP in start and str(docs[0]) not in start  # told of places, not of documents
    assert not work.exists()


def test_a_head_start_waits_for_documents_written_long_after_its_libreoffice_was_ready(tmp_path):
    # A build from the command line imports, reads and fills for longer than LibreOffice takes to
    # start: its LibreOffice converts documents of its own meanwhile and takes ours as they come.
    log = tmp_path / "starts.log"
    docs = [tmp_path / f"{n}.docx" for n in range(3)]

    def write_one_by_one() -> None:
        for n, doc in enumerate(docs):
            time.sleep(0.2)
            make_docx(tmp_path / f"{n}.part", f"Document {n}").replace(doc)  # in one step, as a build does

    with HeadStart(str(logging_soffice(tmp_path, log))) as head_start:
        own = head_start.folder / "out"
        deadline = time.monotonic() + 60
        while len(list(own.glob(f"*-{Path(WARM_UP).stem}.pdf"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        waited = len(list(own.glob(f"*-{Path(WARM_UP).stem}.pdf")))  # ready, and waiting since
        writer = threading.Thread(target=write_one_by_one)
        writer.start()
        convert.convert(
            [(doc, tmp_path / f"{n}.pdf") for n, doc in enumerate(docs)],
            ConvertSettings(workers=1, head_start=head_start, ready=writer.join),
        )

    assert waited >= 3
    assert [pdf_text(tmp_path / f"{n}.pdf").strip() for n in range(3)] == [f"Document {n}" for n in range(3)]
    assert len(log.read_text().splitlines()) == 1  # the head start's, and no other


def test_a_head_start_nobody_uses_stops_waiting_and_ends_by_itself(tmp_path):
    # A rebuild with more to make than one LibreOffice should take (a template edited, say) leaves
    # the head start: it must not go on converting its own documents beside the pool's workers.
    with HeadStart() as head_start:
        head_start.stop_waiting()
        head_start.process.wait(60)
        own = list((head_start.folder / "out").glob(f"*-{Path(WARM_UP).stem}.pdf"))

    assert own == [] and head_start.process.returncode == 0


def test_documents_a_head_start_passed_before_they_were_given_are_converted_by_another_start(tmp_path):
    log = tmp_path / "starts.log"
    docs = [make_docx(tmp_path / f"{n}.docx", f"Document {n}") for n in range(2)]

    with HeadStart(str(logging_soffice(tmp_path, log))) as head_start:
        head_start.process.wait(60)  # it found nothing at its places, and ended
        convert.convert(
            [(doc, tmp_path / f"{n}.pdf") for n, doc in enumerate(docs)], ConvertSettings(head_start=head_start)
        )

    assert [pdf_text(tmp_path / f"{n}.pdf").strip() for n in range(2)] == ["Document 0", "Document 1"]
    starts = log.read_text().splitlines()
    assert len(starts) == 2 and starts[1].count(".docx") == 2


def test_a_document_libreoffice_cannot_open_is_named_after_a_head_start_too(tmp_path):
    good = make_docx(tmp_path / "good.docx", "A perfectly good document")
    damaged = tmp_path / "damaged.docx"
    damaged.write_bytes(b"PK\x03\x04" + b"this is not really a zip archive")

    with pytest.raises(ToolError) as caught, HeadStart() as head_start:
        convert.convert(
            [(damaged, tmp_path / "damaged.pdf"), (good, tmp_path / "good.pdf")],
            ConvertSettings(workers=1, head_start=head_start),
        )

    assert str(damaged) in str(caught.value) and str(good) not in str(caught.value)
    assert not (tmp_path / "damaged.pdf").exists() and not (tmp_path / "good.pdf").exists()


@pytest.mark.parametrize("leaving", [None, RuntimeError, KeyboardInterrupt])
def test_leaving_a_head_start_ends_its_libreoffice_and_removes_its_folder(tmp_path, leaving):
    # Unused: the build had nothing to convert, failed (the records could not be read, say) or was
    # stopped. LibreOffice ends by itself once it has looked at its places; Ctrl-C stops it at once.
    with pytest.raises(leaving) if leaving else contextlib.nullcontext(), HeadStart() as head_start:
        if leaving:
            raise leaving()

    stopped = head_start.process.returncode == -signal.SIGKILL
    assert stopped == (leaving is KeyboardInterrupt)
    assert live_processes_in_group(head_start.process.pid) == []  # its own process group
    assert not head_start.work.exists()


def test_a_head_start_is_spent_once_its_libreoffice_has_had_documents(tmp_path):
    log = tmp_path / "starts.log"
    first, second = make_docx(tmp_path / "1.docx", "First"), make_docx(tmp_path / "2.docx", "Second")

    with HeadStart(str(logging_soffice(tmp_path, log))) as head_start:
        convert.convert([(first, tmp_path / "1.pdf")], ConvertSettings(head_start=head_start))
        convert.convert(
            [(second, tmp_path / "2.pdf")],
            ConvertSettings(head_start=head_start, soffice=str(logging_soffice(tmp_path, log))),
        )

    assert pdf_text(tmp_path / "2.pdf").strip() == "Second"
    starts = log.read_text().splitlines()
    assert len(starts) == 2 and WARM_UP not in starts[1]


# ---------------------------------------------------------------- nothing a document links to is fetched


def test_converting_never_fetches_a_picture_a_document_links_to(tmp_path, web_server):
    # Templates with such links are refused before filling; this is what LibreOffice does if one gets by.
    secret = tmp_path / "private.png"
    Image.new("RGB", (30, 30), "blue").save(secret)
    by_address = link_outside(
        make_docx(tmp_path / "web.docx", "Picture from a web address"),
        f"http://127.0.0.1:{web_server.server_port}/logo.png",
    )
    from_disk = link_outside(make_docx(tmp_path / "disk.docx", "Picture from a file"), secret.as_uri())

    pdfs = convert_to_pdf([by_address, from_disk], tmp_path / "out")

    assert web_server.requests == []
    for pdf, words in zip(pdfs, ["Picture from a web address", "Picture from a file"]):
        reader = PdfReader(pdf)
        assert words in reader.pages[0].extract_text()
        assert [len(page.images) for page in reader.pages] == [0] * len(reader.pages)


def test_libreoffice_is_given_what_it_needs_of_the_environment_and_no_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("PACKGEN_SMTP_PASSWORD", "fictional-mail-secret")
    monkeypatch.setenv("PACKGEN_PACK_PASSWORD", "fictional-pack-secret")
    monkeypatch.setenv("PACKGEN_WEB_PASSWORD", "fictional-web-secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fictional-cloud-secret")
    monkeypatch.setenv("LC_PAPER", "en_GB.UTF-8")
    seen = tmp_path / "environment"
    # The real LibreOffice, behind a script that writes down the environment it was started with.
    soffice = fake_soffice(tmp_path, f'env > {shlex.quote(str(seen))}\nexec {REAL_SOFFICE} "$@"')
    doc = make_docx(tmp_path / "docs" / "p01.docx", "Fictional pupil record")

    [pdf] = convert_to_pdf([doc], tmp_path / "out", settings=ConvertSettings(soffice=str(soffice)))

    assert "Fictional pupil record" in PdfReader(pdf).pages[0].extract_text()
    given = dict(line.split("=", 1) for line in seen.read_text().splitlines() if "=" in line)
    assert "secret" not in seen.read_text()
    # Only the mark that has it killed with us (runtime.orphans), which says nothing but a process id.
    assert [name for name in given if name.startswith(("PACKGEN_", "AWS_"))] == [MARK]
    assert given[MARK].split("-")[0] == str(os.getpid())
    assert given["PATH"] == os.environ["PATH"] and given["HOME"] == os.environ["HOME"]
    assert given["LC_PAPER"] == "en_GB.UTF-8"


def test_libreoffice_keeps_its_temporary_files_in_the_run_folder(tmp_path, monkeypatch):
    # A LibreOffice killed with the build (kill -9) cannot remove its temporary files, copies of the
    # documents among them: they are in the run's folder, which the next run removes, never loose in
    # the temporary folder.
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", None)  # tempfile reads TMPDIR again
    seen = tmp_path / "given"
    soffice = fake_soffice(tmp_path, f'echo "$TMPDIR $TMP $TEMP" >> {shlex.quote(str(seen))}\nexec {REAL_SOFFICE} "$@"')
    doc = make_docx(tmp_path / "docs" / "p01.docx", "Fictional pupil record")

    [pdf] = convert_to_pdf([doc], tmp_path / "out", settings=ConvertSettings(soffice=str(soffice)))

    assert "Fictional pupil record" in PdfReader(pdf).pages[0].extract_text()
    [given] = set(seen.read_text().split())
    assert Path(given).parent.parent.parent == temporary and Path(given).name == "tmp"
    assert Path(given).parent.parent.name.startswith("packgen-convert-")
    assert list(temporary.iterdir()) == []  # the run folder, and LibreOffice's files in it, removed
