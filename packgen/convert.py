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

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packgen.errors import InputError, ToolError
from packgen.files import private_dirs
from packgen.office_profiles import Profiles

INSTALL_HINT = (
    "LibreOffice is not installed (or not where packgen looked). On Debian or Ubuntu install it with "
    "`apt-get install libreoffice-writer-nogui fonts-liberation`, or set PACKGEN_SOFFICE to the path "
    "of its `soffice` program."
)

# LibreOffice needs its own memory (~200 MB a process); beyond a few processes the disk and the
# memory, not the cores, are what run out.
MAX_WORKERS = 4
# LibreOffice 7.4 silently ignores command-line arguments past about the 253rd (measured: given 300
# documents, it converts 246 and exits 0), so a start never gets more documents than this.
MAX_BATCH = 200
DEFAULT_TIMEOUT = 60.0  # seconds for one document, LibreOffice's start included
ATTEMPTS = 2  # a document LibreOffice failed on is tried once more
POLL_SECONDS = 0.01
# LibreOffice's PDF export, with Word bookmarks as named destinations: combine.py finds where each
# of several joined documents begins by them. (Options in JSON need LibreOffice 7.4 or later.)
# Options given this way start from built-in defaults rather than the user's settings. Pictures (the
# charts: lines and text) are kept at their resolution and never turned into JPEG, which by default
# LibreOffice does to some and not others.
PDF_EXPORT = ('pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"},'
              '"ReduceImageResolution":{"type":"boolean","value":"false"},'
              '"UseLosslessCompression":{"type":"boolean","value":"true"}}')

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


def convert_to_pdf(
    docx_files: Sequence[Path],
    out_dir: Path,
    *,
    base: Path | None = None,
    workers: int | None = None,
    timeout: float | None = None,
    soffice: str | None = None,
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
    convert(list(zip(docs, targets)), workers=workers, timeout=timeout, soffice=soffice, on_progress=on_progress)
    return targets


def convert(
    pairs: Sequence[tuple[Path, Path]],
    *,
    workers: int | None = None,
    timeout: float | None = None,
    soffice: str | None = None,
    on_progress: Progress | None = None,
    ready: Callable[[], None] | None = None,
) -> None:
    """Convert each (Word document, PDF to write) pair, the documents shared among the workers.

    ``workers`` LibreOffice processes run side by side (default: one per core, at most
    MAX_WORKERS, never more than there are documents). One that finishes no document within
    ``timeout`` seconds (default: $PACKGEN_SOFFICE_TIMEOUT, else DEFAULT_TIMEOUT) is killed.
    ``on_progress(done, total)`` is called from this thread as documents are finished.

    All or nothing: if a document fails twice, ToolError names it with the end of LibreOffice's
    own log, and no PDF is written. PDFs are written mode 0600 and new folders 0700: they hold
    children's personal data.

    With ``ready``, the documents are still being written, each in one step (files.replacing),
    in the order given: one LibreOffice starts at once, its start (0.2 s) overlapping their
    writing, and takes them in that order. ``ready()`` returns once all are written, or raises
    why they will not be; it is called before any other start and before this returns. A document
    not yet there when LibreOffice reached it is simply given to it again, not counted as a failure.
    """
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
    if workers is not None and workers < 1:
        raise InputError(f"workers must be at least 1, not {workers}")
    program = find_soffice(soffice)
    limit = _document_timeout(timeout)
    count = min(workers or default_workers(), len(docs))
    try:
        with (tempfile.TemporaryDirectory(prefix="packgen-convert-") as work,
              Profiles(Path(work), limit=4 * MAX_WORKERS, program=program) as profiles):
            produced = _Pool(program, Path(work), count, limit, docs, on_progress, profiles, ready).run()
            for index, (_, target) in enumerate(pairs):
                produced[index].chmod(0o600)
                private_dirs(Path(target).parent)
                shutil.move(produced[index], target)
    except OSError as exc:  # a full disk, an unwritable output folder
        raise ToolError(f"converting to PDF failed: {exc}") from exc


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

    def outputs(self) -> int:
        # LibreOffice writes each PDF under a temporary name and renames it when complete, so a
        # PDF under its own name is a finished document.
        return sum(1 for name in os.listdir(self.outbox) if name.endswith(".pdf") and not name.startswith("."))

    @property
    def outbox(self) -> Path:
        return self.folder / "out"

    @property
    def log(self) -> Path:
        return self.folder / "soffice.log"

    def pdf(self, index: int) -> Path:
        return self.outbox / f"{index:05d}.pdf"

    def kill(self) -> None:
        """Kill the whole process group, then reap the leader."""
        if self.process.returncode is not None:
            return
        # The leader is not reaped yet, so its pid (the group id) cannot have been reused.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

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

    def run(self) -> dict[int, Path]:
        """Every document's PDF (in the work folder), or ToolError naming the ones that failed."""
        # A whole number of batches per worker, each batch every n-th document, so every worker has a
        # like mix of long and short ones and they finish together.
        batches = -(-len(self.docs) // MAX_BATCH)
        batches = -(-batches // self.workers) * self.workers
        self.queue.extend(list(range(start, len(self.docs), batches)) for start in range(batches))
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
        inbox = folder / "in"
        inbox.mkdir(parents=True)
        (folder / "out").mkdir()
        staged = []
        for index in items:
            # Named by index: unique whatever the originals are called, and no copying.
            link = inbox / f"{index:05d}{self.docs[index].suffix}"
            link.symlink_to(self.docs[index].resolve())
            staged.append(str(link))
        # Looked at before LibreOffice starts, so none it could have tried is taken for there.
        present = frozenset(items) if self.ready is None else frozenset(i for i in items if self.docs[i].exists())
        profile = self.profiles.take(slot)
        # A LibreOffice that was killed leaves its lock behind, and the next would take the profile
        # for one in use. It is ours alone (see office_profiles), so a lock in it is always stale.
        (profile / "user" / ".lock").unlink(missing_ok=True)
        command = [self.program, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                   "--convert-to", PDF_EXPORT, "--outdir", str(folder / "out"), *staged]
        # A log file, not a pipe: LibreOffice writes a line per document, and a full pipe that
        # nobody reads would stall it.
        with (folder / "soffice.log").open("wb") as log:
            try:
                process = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=folder,
                    # Its own process group, so a hung run can be killed with every helper
                    # process it started (soffice -> oosplash -> soffice.bin).
                    start_new_session=True,
                )
            except OSError as exc:
                raise ToolError(f"cannot start LibreOffice ({self.program}): {exc}. {INSTALL_HINT}") from exc
        self.running[slot] = _Run(slot, folder, items, process, time.monotonic(), present)

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
        if code is None and not hung:
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


def default_workers() -> int:
    try:
        cores = len(os.sched_getaffinity(0))  # the cores we may use, not all the machine's
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))

