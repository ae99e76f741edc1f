"""Word documents to PDF through a small pool of LibreOffice workers.

What costs time (measured on a 2-core machine, README "Performance"): starting LibreOffice takes
about 0.2 s of processor time with a settled profile (1 s without: see office_profiles), converting
one of our documents once it runs 0.05-0.2 s. So a worker is one ``soffice --headless --convert-to
pdf`` process given many documents at once, and there is one worker per core, each with a profile
of its own (office_profiles).

When something goes wrong. A worker that finishes no document for ``timeout`` seconds is taken as
hung and killed, with every process it started; one that exits leaving documents without a PDF has
crashed, refused one, or dropped some. LibreOffice converts its documents in the order given, so the
first document without a PDF is the one it failed on: that one is tried once more, on its own, and
the others go back to the queue. A document that fails twice stops the whole call, and nothing is
written.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import time
import zipfile
from collections import Counter, deque
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from packgen.errors import InputError, ToolError, storage_error
from packgen.files import private_dirs, run_folder
from packgen.office.profiles import Profiles
from packgen.runtime.orphans import owned
from packgen.runtime.workers import MAX_WORKERS, default_workers

INSTALL_HINT = (
    "LibreOffice is not installed (or not where packgen looked). On Debian or Ubuntu install it with "
    "`apt-get install libreoffice-writer-nogui fonts-liberation`, or set PACKGEN_SOFFICE to the path "
    "of its `soffice` program."
)

# LibreOffice 7.4 silently ignores command-line arguments past about the 253rd (measured: given 300
# documents, it converts 246 and exits 0), so a start never gets more documents than this.
MAX_BATCH = 200
DEFAULT_TIMEOUT = 60.0  # seconds for one document, LibreOffice's start included
ATTEMPTS = 2  # a document LibreOffice failed on is tried once more
POLL_SECONDS = 0.01
# A head start's LibreOffice is told of this many documents to come (an edit makes a handful; more
# than there are costs it well under a millisecond each).
HEAD_START_PLACES = 16
# How long a head start's LibreOffice may take to close down once the build is done.
CLOSING_SECONDS = 10.0
# What a head start converts before its documents are there (see HeadStart).
WARM_UP = "warm-up.docx"
# The PDFs of our documents, named by index (see _Pool._start).
_OUTPUT = re.compile(r"[0-9]{5}\.pdf")
# LibreOffice's PDF export, with Word bookmarks as named destinations: combine.py finds where each
# of several joined documents begins by them. (Options in JSON need LibreOffice 7.4 or later.)
# Options given this way start from built-in defaults rather than the user's settings. Pictures (the
# charts: lines and text) are kept at their resolution and never turned into JPEG, which by default
# LibreOffice does to some and not others.
PDF_EXPORT = (
    'pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"},'
    '"ReduceImageResolution":{"type":"boolean","value":"false"},'
    '"UseLosslessCompression":{"type":"boolean","value":"true"}}'
)

Progress = Callable[[int, int], None]


def find_soffice(soffice: str | None = None) -> str:
    """The LibreOffice program to run: ``soffice`` if given, else $PACKGEN_SOFFICE, else the PATH.

    A program named explicitly (argument or environment) must exist; we never fall back from it
    to another LibreOffice, because the user chose that one on purpose.
    """
    chosen = soffice or os.environ.get("PACKGEN_SOFFICE")
    if chosen:
        found = shutil.which(chosen)
        if found is None:
            raise ToolError(f"cannot run LibreOffice at {chosen!r}. {INSTALL_HINT}")
        return found
    for name in ("soffice", "libreoffice", "/usr/bin/soffice"):
        found = shutil.which(name)
        if found:
            return found
    raise ToolError(INSTALL_HINT)


@dataclass(frozen=True)
class ConvertSettings:
    """How a conversion runs, as opposed to what it converts: made once by the caller and handed down
    unchanged through every layer that converts (the build, batches.convert_documents, convert).

    ``workers``: LibreOffice processes side by side (default: one per core, at most MAX_WORKERS,
    never more than there are documents). ``timeout``: seconds a worker may go without finishing a
    document before it is killed (default: $PACKGEN_SOFFICE_TIMEOUT, else DEFAULT_TIMEOUT).
    ``soffice``: the LibreOffice program (see find_soffice). ``ready`` and ``head_start``: see convert.

    Progress is not among them: it is the caller's reporting, not a setting of the conversion, and each
    layer reports it in its own terms (batches turns joined documents back into documents, the build
    names its step), so it is passed beside the settings as a callback each layer wraps.
    """

    workers: int | None = None
    timeout: float | None = None
    soffice: str | None = None
    ready: Callable[[], None] | None = None
    head_start: HeadStart | None = None

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise InputError(f"workers must be at least 1, not {self.workers}")


DEFAULT_SETTINGS = ConvertSettings()


def convert_to_pdf(
    docx_files: Sequence[Path],
    out_dir: Path,
    *,
    base: Path | None = None,
    settings: ConvertSettings = DEFAULT_SETTINGS,
    on_progress: Progress | None = None,
) -> list[Path]:
    """Convert Word documents to PDF; return the PDFs' paths in the order of ``docx_files``.

    Where each PDF goes:
      - without ``base``: ``out_dir / "<stem>.pdf"`` (``letters/p01.docx`` -> ``out_dir/p01.pdf``);
      - with ``base``: the document's path relative to ``base``, under ``out_dir``
        (``base/letters/p01.docx`` -> ``out_dir/letters/p01.pdf``). Pass ``base=out_dir`` to put
        each PDF beside its document.
    Documents whose PDFs would land on the same path (``letters/p01.docx`` and
    ``agreements/p01.docx`` without ``base``) are refused with InputError before anything runs.
    The rest is as ``convert``.
    """
    docs = [Path(p) for p in docx_files]
    targets = _targets(docs, Path(out_dir), base)
    convert(list(zip(docs, targets)), settings, on_progress=on_progress)
    return targets


def convert(
    pairs: Sequence[tuple[Path, Path]],
    settings: ConvertSettings = DEFAULT_SETTINGS,
    *,
    on_progress: Progress | None = None,
) -> None:
    """Convert each (Word document, PDF to write) pair, the documents shared among the workers
    (how many, how long each may take, which LibreOffice: ``settings``).

    ``on_progress(done, total)`` is called from this thread as documents are finished.

    All or nothing: if a document fails twice, ToolError names it with the end of LibreOffice's
    own log, and no PDF is written. PDFs are written mode 0600 and new folders 0700: they hold
    children's personal data.

    With ``settings.ready``, the documents are still being written, each in one step (files.replacing),
    in the order given: one LibreOffice starts at once, its start (0.2 s) overlapping their
    writing, and takes them in that order. ``ready()`` returns once all are written, or raises
    why they will not be; it is called before any other start and before this returns. A document
    not yet there when LibreOffice reached it is simply given to it again, not counted as a failure.

    With ``settings.head_start`` (see HeadStart), its LibreOffice, started earlier, takes the first
    documents.
    """
    ready, head_start = settings.ready, settings.head_start
    docs = [Path(doc) for doc, _ in pairs]
    if not docs:
        if ready is not None:
            ready()
        return
    for doc in docs if ready is None else ():
        if not doc.is_file():
            raise InputError(f"{doc}: no such document to convert")
    targets = Counter(Path(target) for _, target in pairs)
    if max(targets.values()) > 1:
        raise InputError(f"two documents would both become {targets.most_common(1)[0][0]}")
    if head_start is not None and head_start.adopted:
        head_start = None  # spent: its LibreOffice has had its documents
    program = head_start.program if head_start is not None else find_soffice(settings.soffice)
    limit = _document_timeout(settings.timeout)
    count = min(settings.workers or default_workers(), len(docs))
    try:
        with ExitStack() as stack:
            if head_start is None:
                work = Path(stack.enter_context(run_folder("packgen-convert-")))
                profiles = stack.enter_context(Profiles(work, limit=4 * MAX_WORKERS, program=program))
            else:
                work, profiles = head_start.work, head_start.profiles
            pool = _Pool(program, work, count, limit, docs, on_progress, profiles, ready)
            produced = pool.run(head_start)
            for index, (_, target) in enumerate(pairs):
                produced[index].chmod(0o600)
                private_dirs(Path(target).parent)
                shutil.move(produced[index], target)
    except OSError as exc:  # a full disk, an unwritable output folder
        raise storage_error(exc) or ToolError(f"converting to PDF failed: {exc}") from exc


@dataclass
class _Run:
    """One start of LibreOffice: its documents in the order it converts them, its folder and log."""

    slot: int
    folder: Path
    items: list[int]
    process: subprocess.Popen[bytes]
    last_progress: float
    present: frozenset[int]  # its documents that were written when it started (see convert's ready)
    finished: int = 0
    # Done once its PDFs are written, LibreOffice still closing (~0.05 s): for a head start, which
    # waits for it to end.
    closes_alone: bool = False

    def outputs(self) -> int:
        # LibreOffice writes each PDF under a temporary name and renames it when complete, so a
        # PDF under its own name is a finished document (a head start's warm-up is none of ours).
        return sum(1 for name in os.listdir(self.outbox) if _OUTPUT.fullmatch(name))

    @property
    def outbox(self) -> Path:
        return self.folder / "out"

    @property
    def log(self) -> Path:
        return self.folder / "soffice.log"

    def pdf(self, index: int) -> Path:
        return self.outbox / f"{index:05d}.pdf"

    def kill(self) -> None:
        _kill(self.process)

    def log_tail(self, lines: int = 12) -> str:
        # Its "convert a -> b" progress lines say nothing about what went wrong.
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        said = [line for line in text if line.strip() and not line.startswith("convert ")]
        return "\n".join(said[-lines:]) or "(nothing)"


@dataclass
class _Pool:
    program: str
    work: Path
    workers: int
    timeout: float
    docs: list[Path]
    on_progress: Progress | None
    profiles: Profiles
    ready: Callable[[], None] | None = None  # see convert(): None once the documents are all written
    queue: deque[list[int]] = field(default_factory=deque)
    retries: deque[int] = field(default_factory=deque)
    attempts: Counter[int] = field(default_factory=Counter)
    done: dict[int, Path] = field(default_factory=dict)
    running: dict[int, _Run] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    runs: int = 0
    reported: int = -1

    def run(self, head_start: HeadStart | None = None) -> dict[int, Path]:
        """Every document's PDF (in the work folder), or ToolError naming the ones that failed."""
        taken = self._adopt(head_start) if head_start is not None else []
        rest = list(range(len(taken), len(self.docs)))
        # A whole number of batches per worker, each batch every n-th document, so every worker has a
        # like mix of long and short ones and they finish together.
        batches = -(-len(rest) // MAX_BATCH)
        batches = -(-batches // self.workers) * self.workers
        self.queue.extend(rest[start::batches] for start in range(batches) if rest[start::batches])
        try:
            while (self.queue or self.retries or self.running) and not self.failures:
                for slot in range(self.workers):
                    if slot not in self.running and (self.retries or self.queue):
                        if self.runs:  # only the first start may come before the documents are all there
                            self._wait_ready()
                        # A document LibreOffice failed on runs alone, so it cannot take others down.
                        self._start(slot, [self.retries.popleft()] if self.retries else self.queue.popleft())
                time.sleep(POLL_SECONDS)
                for slot, run in list(self.running.items()):
                    self._check(slot, run)
                self._report()
            self._wait_ready()  # so that a failure to write them is never missed
        finally:
            # On a failure, an error or Ctrl-C, no LibreOffice outlives us.
            for run in self.running.values():
                run.kill()
        if self.failures:
            raise ToolError(
                "LibreOffice could not convert every document:\n" + "\n".join(self.failures) + "\n"
                "A document it cannot open is usually damaged or not a Word file; one it takes too long "
                "over may be very large (set PACKGEN_SOFFICE_TIMEOUT, in seconds, to allow longer)."
            )
        return self.done

    def _start(self, slot: int, items: list[int]) -> None:
        self.runs += 1
        folder = self.work / f"run{self.runs}"
        _folders(folder)
        # Named by index: unique whatever the originals are called, and no copying.
        staged = [folder / "in" / f"{index:05d}{self.docs[index].suffix}" for index in items]
        for link, index in zip(staged, items):
            link.symlink_to(self.docs[index].resolve())
        # Looked at before LibreOffice starts, so none it could have tried is taken for there.
        present = frozenset(items) if self.ready is None else frozenset(i for i in items if self.docs[i].exists())
        process = _launch(self.program, self.profiles.take(slot), folder, staged)
        self.running[slot] = _Run(slot, folder, items, process, time.monotonic(), present)

    def _adopt(self, head_start: HeadStart) -> list[int]:
        """The head start's LibreOffice as the run of slot 0, given the first documents: the ones it
        was told of before they were known are linked to them now (see HeadStart)."""
        taken = []
        for index, doc in enumerate(self.docs[: len(head_start.places)]):
            if doc.suffix.lower() != head_start.places[index].suffix:
                break
            head_start.places[index].symlink_to(doc.resolve())
            taken.append(index)
        head_start.adopted = True
        self.runs += 1
        # None counted as written when it started: whatever it missed goes back to the queue, unblamed.
        self.running[0] = _Run(
            0, head_start.folder, taken, head_start.process, time.monotonic(), frozenset(), closes_alone=True
        )
        return taken

    def _wait_ready(self) -> None:
        if self.ready is not None:
            ready, self.ready = self.ready, None
            ready()

    def _check(self, slot: int, run: _Run) -> None:
        finished = run.outputs()
        if finished > run.finished:
            run.finished, run.last_progress = finished, time.monotonic()
        code = run.process.poll()
        hung = code is None and time.monotonic() - run.last_progress > self.timeout
        written = run.closes_alone and finished == len(run.items) and not (self.queue or self.retries)
        if code is None and not hung and not (written and len(self.running) == 1):
            return
        if hung:
            run.kill()
            # A killed LibreOffice may leave its profile locked or half written: start afresh.
            self.profiles.spoil(slot)
        del self.running[slot]
        self._collect(run, hung)

    def _collect(self, run: _Run, hung: bool) -> None:
        missing = []
        for index in run.items:
            if _looks_like_pdf(run.pdf(index)):
                self.done[index] = run.pdf(index)
            else:
                missing.append(index)
        unwritten = [index for index in missing if index not in run.present]
        if unwritten:  # not there yet when it started: given to LibreOffice again once they are
            self._wait_ready()
            self.queue.appendleft(unwritten)
            missing = [index for index in missing if index in run.present]
        if not missing:
            return
        # It failed on the first document without a PDF. Whether it then stopped, carried on or
        # dropped the rest, they are not to blame: they go back to the queue.
        index, others = missing[0], missing[1:]
        if others:
            self.queue.appendleft(others)
        self.attempts[index] += 1
        if self.attempts[index] < ATTEMPTS:
            self.retries.append(index)
        elif hung:
            self.failures.append(
                f"  {self.docs[index]}: LibreOffice did not finish converting it within {self.timeout:g} s, "
                "twice, and was stopped each time."
            )
        else:
            self.failures.append(
                f"  {self.docs[index]}: no usable PDF, twice. LibreOffice said:\n"
                f"[exit code {run.process.returncode}]\n{run.log_tail()}"
            )

    def _report(self) -> None:
        done = len(self.done) + sum(run.finished for run in self.running.values())
        if self.on_progress is not None and done != self.reported:
            self.reported = done
            self.on_progress(done, len(self.docs))


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill a LibreOffice's whole process group, then reap the leader."""
    if process.returncode is not None:
        return
    # The leader is not reaped yet, so its pid (the group id) cannot have been reused.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _folders(folder: Path) -> None:
    (folder / "in").mkdir(parents=True)
    (folder / "out").mkdir()


def _launch(program: str, profile: Path, folder: Path, files: Sequence[Path]) -> subprocess.Popen[bytes]:
    """LibreOffice converting ``files`` in order into ``folder``/out, its log in ``folder``."""
    # A LibreOffice that was killed leaves its lock behind, and the next would take the profile
    # for one in use. It is ours alone (see office_profiles), so a lock in it is always stale.
    (profile / "user" / ".lock").unlink(missing_ok=True)
    command = [
        program,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        PDF_EXPORT,
        "--outdir",
        str(folder / "out"),
        *map(str, files),
    ]
    # A log file, not a pipe: LibreOffice writes a line per document, and a full pipe that
    # nobody reads would stall it.
    with (folder / "soffice.log").open("wb") as log:
        try:
            return subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=folder,
                # Its own process group, so a hung run can be killed with every helper
                # process it started (soffice -> oosplash -> soffice.bin).
                # Marked as ours: killed with us if we are killed before we can kill it (kill -9).
                start_new_session=True,
                env=owned(office_environment()),
            )
        except OSError as exc:
            raise ToolError(f"cannot start LibreOffice ({program}): {exc}. {INSTALL_HINT}") from exc


# What LibreOffice is given of our environment: where programs and its profile's home are, language and
# fonts, the temporary folder, its own settings. Never the rest: passwords for mail or the pack among it.
OFFICE_ENVIRONMENT = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "TMP",
    "TEMP",
    "FONTCONFIG_FILE",
    "FONTCONFIG_PATH",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_DATA_DIRS",
    "XDG_RUNTIME_DIR",
)
OFFICE_ENVIRONMENT_PREFIXES = ("LC_", "SAL_")


def office_environment() -> dict[str, str]:
    """The environment a LibreOffice is started with (see OFFICE_ENVIRONMENT)."""
    return {
        name: value
        for name, value in os.environ.items()
        if name in OFFICE_ENVIRONMENT or name.startswith(OFFICE_ENVIRONMENT_PREFIXES)
    }


class HeadStart:
    """A LibreOffice started before anyone knows which documents it will convert.

    A rebuild after an edit learns which few documents to make only once it has read the records
    and looked up every document's key (0.1 s at 30 pupils), and LibreOffice takes 0.1 s to start
    and 0.15 s more for its first document (loading Writer, its Word import and its PDF export). So
    this starts one at once, told to convert a small document of its own first and then
    ``places``: paths that lead nowhere yet. ``convert(..., head_start=)`` links them to the first
    documents it is given. A document not yet written, or not yet linked, when LibreOffice reaches
    it is simply converted by a LibreOffice started afterwards, as if there had been no head start
    (so a late one costs only the processor time of one start, on a core that was idle).

    Use as a context manager. Leaving it waits for its LibreOffice to end (it closes down once its
    documents are converted, and the pack is written meanwhile), stopping it if it takes too long or
    at once on Ctrl-C, and removes its folder.
    """

    def __init__(self, soffice: str | None = None, places: int = HEAD_START_PLACES):
        self.program = find_soffice(soffice)
        self.adopted = False
        with ExitStack() as stack:
            self.work = Path(stack.enter_context(run_folder("packgen-convert-")))
            self.profiles = stack.enter_context(Profiles(self.work, limit=4 * MAX_WORKERS, program=self.program))
            self.folder = self.work / "run0"
            _folders(self.folder)
            warm_up = self.folder / WARM_UP
            warm_up.write_bytes(_warm_up_document())
            self.places = [self.folder / "in" / f"{index:05d}.docx" for index in range(places)]
            self.process = _launch(self.program, self.profiles.take(0), self.folder, [warm_up, *self.places])
            self._cleanup = stack.pop_all()

    def __enter__(self) -> HeadStart:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        with self._cleanup:
            # Killed while it starts, a LibreOffice may leave its profile half written; one never given
            # documents ends by itself within a second (Ctrl-C does not wait for it).
            if kind is None or issubclass(kind, Exception):
                try:
                    self.process.wait(CLOSING_SECONDS)
                except subprocess.TimeoutExpired:
                    pass
            _kill(self.process)


def _warm_up_document() -> bytes:
    """The smallest Word document that makes LibreOffice load all it needs for ours: a line of text
    in the font they use, in regular and bold."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as docx:
        for name, xml in _WARM_UP_PARTS.items():
            docx.writestr(name, xml)
    return out.getvalue()


_WARM_UP_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>",
    "word/document.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>'
    '<w:r><w:rPr><w:rFonts w:ascii="Liberation Sans" w:hAnsi="Liberation Sans"/></w:rPr><w:t>Aa</w:t></w:r>'
    '<w:r><w:rPr><w:rFonts w:ascii="Liberation Sans" w:hAnsi="Liberation Sans"/><w:b/></w:rPr>'
    "<w:t>Bb</w:t></w:r></w:p></w:body></w:document>",
}


def _looks_like_pdf(path: Path) -> bool:
    # A header and an end-of-file marker: cheap, and catches the empty or truncated files a
    # crashed export leaves behind; the pack's assembler reads every page properly later.
    try:
        with path.open("rb") as fh:
            head = fh.read(5)
            fh.seek(max(path.stat().st_size - 1024, 0))
            tail = fh.read()
    except OSError:
        return False
    return head == b"%PDF-" and b"%%EOF" in tail


def _targets(docs: list[Path], out_dir: Path, base: Path | None) -> list[Path]:
    targets: list[Path] = []
    seen: dict[Path, Path] = {}
    for doc in docs:
        if not doc.is_file():
            raise InputError(f"{doc}: no such document to convert")
        if base is None:
            name = Path(doc.stem + ".pdf")
        else:
            try:
                name = doc.resolve().relative_to(Path(base).resolve()).with_suffix(".pdf")
            except ValueError:
                raise InputError(f"{doc}: is not inside {base}") from None
        target = out_dir / name
        if target in seen:
            raise InputError(
                f"{seen[target]} and {doc} would both become {target}; give documents distinct "
                "names, or pass base= to keep their folders"
            )
        seen[target] = doc
        targets.append(target)
    return targets


def _document_timeout(timeout: float | None) -> float:
    if timeout is not None:
        return timeout
    setting = os.environ.get("PACKGEN_SOFFICE_TIMEOUT")
    if not setting:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(setting)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ToolError(f"PACKGEN_SOFFICE_TIMEOUT must be a number of seconds above 0, not {setting!r}")
    return seconds
