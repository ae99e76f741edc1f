"""Word documents to PDF with LibreOffice, started as rarely as possible.

Starting LibreOffice costs more than converting a document (spec/performance.md: ~1.3 s to start,
~0.1 s a document once running), so the documents are split into a few batches and each batch is
converted by ONE ``soffice --headless --convert-to pdf`` process; the batches run side by side,
one per core. Each process gets its own throw-away profile (``-env:UserInstallation``): two
LibreOffice processes sharing a profile hand their work to each other or refuse to start, and a
private profile also keeps us clear of a LibreOffice the user has open.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packgen.errors import InputError, ToolError

INSTALL_HINT = (
    "LibreOffice is not installed (or not where packgen looked). On Debian or Ubuntu install it with "
    "`apt-get install libreoffice-writer-nogui fonts-liberation`, or set PACKGEN_SOFFICE to the path "
    "of its `soffice` program."
)

# LibreOffice needs its own memory (~200 MB a process); beyond a few processes the disk and the
# memory, not the cores, are what run out.
MAX_WORKERS = 4


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
) -> list[Path]:
    """Convert Word documents to PDF; return the PDFs' paths in the order of ``docx_files``.

    Where each PDF goes:
      - without ``base``: ``out_dir / "<stem>.pdf"`` (``letters/p01.docx`` -> ``out_dir/p01.pdf``);
      - with ``base``: the document's path relative to ``base``, under ``out_dir``
        (``base/letters/p01.docx`` -> ``out_dir/letters/p01.pdf``). Pass ``base=out_dir`` to put
        each PDF beside its document.
    Documents whose PDFs would land on the same path (``letters/p01.docx`` and
    ``agreements/p01.docx`` without ``base``) are refused with InputError before anything runs.
    Inside LibreOffice every document is staged under a unique name, so documents with the same
    name in different folders never overwrite each other's output.

    ``workers`` LibreOffice processes run side by side (default: one per core, at most
    MAX_WORKERS, never more than there are documents). Each must finish within ``timeout``
    seconds (default: $PACKGEN_SOFFICE_TIMEOUT, else 60 s + 10 s per document in its batch);
    one that does not is killed with every process it started.

    All or nothing: if any document fails, ToolError names every failed document, with the end
    of LibreOffice's own log, and no PDF is written to ``out_dir``. PDFs are written mode 0600
    and new folders 0700: they hold children's personal data.
    """
    docs = [Path(p) for p in docx_files]
    targets = _targets(docs, Path(out_dir), base)
    if not docs:
        return []
    if workers is not None and workers < 1:
        raise InputError(f"workers must be at least 1, not {workers}")
    program = find_soffice(soffice)
    count = min(workers or _default_workers(), len(docs))
    batches = [list(range(start, len(docs), count)) for start in range(count)]

    try:
        with tempfile.TemporaryDirectory(prefix="packgen-convert-") as work:
            runs = [
                _Batch.stage(Path(work) / f"batch{n}", [(i, docs[i]) for i in indexes])
                for n, indexes in enumerate(batches)
            ]
            _run_side_by_side(program, runs, timeout)
            produced = _collect(runs, docs)
            for index, pdf in produced.items():
                pdf.chmod(0o600)
                _make_private_dirs(targets[index].parent)
                shutil.move(pdf, targets[index])
    except OSError as exc:  # a full disk, an unwritable output folder
        raise ToolError(f"converting to PDF failed: {exc}") from exc
    return targets


@dataclass
class _Batch:
    """One LibreOffice process's share: staged inputs, its output folder, profile and log."""

    folder: Path
    staged: dict[int, Path]  # document index -> its uniquely named stand-in
    process: subprocess.Popen[bytes] | None = None
    timeout: float = 0.0

    @classmethod
    def stage(cls, folder: Path, docs: list[tuple[int, Path]]) -> _Batch:
        # Symlinks named by index: unique whatever the originals are called, and no copying.
        inbox = folder / "in"
        inbox.mkdir(parents=True)
        staged = {}
        for index, doc in docs:
            link = inbox / f"{index:04d}{doc.suffix}"
            link.symlink_to(doc.resolve())
            staged[index] = link
        return cls(folder, staged)

    @property
    def outbox(self) -> Path:
        return self.folder / "out"

    @property
    def log(self) -> Path:
        return self.folder / "soffice.log"

    def command(self, program: str) -> list[str]:
        profile = (self.folder / "profile").as_uri()
        return [
            program,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(self.outbox),
            *map(str, self.staged.values()),
        ]

    def start(self, program: str, timeout: float) -> None:
        self.timeout = timeout
        # A log file, not a pipe: LibreOffice writes a line per document, and a full pipe that
        # nobody reads while we wait on another batch would stall it.
        with self.log.open("wb") as log:
            try:
                self.process = subprocess.Popen(
                    self.command(program),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.folder,
                    # Its own process group, so a hung run can be killed with every helper
                    # process it started (soffice -> oosplash -> soffice.bin).
                    start_new_session=True,
                )
            except OSError as exc:
                raise ToolError(f"cannot start LibreOffice ({program}): {exc}. {INSTALL_HINT}") from exc

    def kill(self) -> None:
        """Kill the whole process group, then reap the leader."""
        if self.process is None or self.process.returncode is not None:
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


def _run_side_by_side(program: str, runs: list[_Batch], timeout: float | None) -> None:
    try:
        for run in runs:
            run.start(program, _batch_timeout(len(run.staged), timeout))
        started = time.monotonic()
        for run in runs:
            assert run.process is not None
            remaining = started + run.timeout - time.monotonic()
            try:
                run.process.wait(timeout=max(remaining, 0))
            except subprocess.TimeoutExpired:
                names = ", ".join(p.name for p in run.staged.values())
                raise ToolError(
                    f"LibreOffice did not finish converting {len(run.staged)} document(s) within "
                    f"{run.timeout:g} s and was stopped (staged as {names}). It may be hung, or the "
                    "documents may be very large: set PACKGEN_SOFFICE_TIMEOUT (seconds) to allow "
                    "longer."
                ) from None
    finally:
        # On a timeout, an error or Ctrl-C, no LibreOffice outlives us.
        for run in runs:
            run.kill()


def _collect(runs: list[_Batch], docs: list[Path]) -> dict[int, Path]:
    """Each document's PDF in the batch folders; ToolError naming every document without one."""
    produced: dict[int, Path] = {}
    failed: list[str] = []
    logs: list[str] = []
    for run in runs:
        assert run.process is not None
        missing = []
        for index, link in run.staged.items():
            pdf = run.outbox / f"{link.stem}.pdf"
            if _looks_like_pdf(pdf):
                produced[index] = pdf
            else:
                missing.append(str(docs[index]))
        code = run.process.returncode
        if missing or code != 0:
            failed.extend(missing)
            logs.append(f"[exit code {code}]\n{run.log_tail()}")
    if logs:
        what = (
            f"no usable PDF for {len(failed)} document(s):\n  " + "\n  ".join(failed)
            if failed
            else "LibreOffice reported a failure"
        )
        raise ToolError(
            f"LibreOffice could not convert every document: {what}\n"
            "A document it cannot open is usually damaged or not a Word file. "
            "LibreOffice said:\n" + "\n".join(logs)
        )
    return produced


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


def _batch_timeout(documents: int, timeout: float | None) -> float:
    if timeout is not None:
        return timeout
    setting = os.environ.get("PACKGEN_SOFFICE_TIMEOUT")
    if not setting:
        return 60.0 + 10.0 * documents
    try:
        seconds = float(setting)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ToolError(f"PACKGEN_SOFFICE_TIMEOUT must be a number of seconds above 0, not {setting!r}")
    return seconds


def _default_workers() -> int:
    try:
        cores = len(os.sched_getaffinity(0))  # the cores we may use, not all the machine's
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def _make_private_dirs(folder: Path) -> None:
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)
