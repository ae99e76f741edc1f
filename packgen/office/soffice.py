"""One run of LibreOffice: finding the program, starting it on a list of documents (``soffice
--headless --convert-to pdf``, with a profile of its own and only the environment it needs), watching
how far it has got, and stopping it with every process it started.

The worker pool (pool.py) keeps several of these going; a head start (head_start.py) is one started early.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packgen.errors import ToolError
from packgen.runtime.orphans import owned

INSTALL_HINT = (
    "LibreOffice is not installed (or not where packgen looked). On Debian or Ubuntu install it with "
    "`apt-get install libreoffice-writer-nogui fonts-liberation`, or set PACKGEN_SOFFICE to the path "
    "of its `soffice` program."
)

# The PDFs of our documents, named by index (see pool.Pool._start).
_OUTPUT = re.compile(r"[0-9]{5}\.pdf")
# LibreOffice's PDF export, with Word bookmarks as named destinations: batches.py finds where each
# of several joined documents begins by them. (Options in JSON need LibreOffice 7.4 or later.)
# Options given this way start from built-in defaults rather than the user's settings. Pictures (the
# charts: lines and text) are kept at their resolution and never turned into JPEG, which by default
# LibreOffice does to some and not others.
PDF_EXPORT = (
    'pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"},'
    '"ReduceImageResolution":{"type":"boolean","value":"false"},'
    '"UseLosslessCompression":{"type":"boolean","value":"true"}}'
)


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


@dataclass
class Run:
    """One start of LibreOffice: its documents in the order it converts them, its folder and log, and
    how far it has got (the pool's watchdog reads it: see ``hung``)."""

    slot: int
    folder: Path
    items: list[int]
    process: subprocess.Popen[bytes]
    last_progress: float
    present: frozenset[int]  # its documents that were written when it started (ConvertSettings.ready)
    finished: int = 0
    # Done once its PDFs are written, LibreOffice still closing (~0.05 s): for a head start, which
    # waits for it to end.
    closes_alone: bool = False
    # The name each document was given LibreOffice under, where not its index (a head start's places,
    # filled as documents are written: one not among them it never had).
    names: dict[int, str] | None = None

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
        if self.names is None:
            return self.outbox / f"{index:05d}.pdf"
        return self.outbox / f"{self.names[index]}.pdf" if index in self.names else self.folder / "never-given"

    def hung(self, timeout: float) -> bool:
        """Whether it is still running but has finished no document for ``timeout`` seconds (each
        document it finishes is noted as it is seen)."""
        finished = self.outputs()
        if finished > self.finished:
            self.finished, self.last_progress = finished, time.monotonic()
        return self.process.poll() is None and time.monotonic() - self.last_progress > timeout

    def kill(self) -> None:
        kill(self.process)

    def log_tail(self, lines: int = 12) -> str:
        # Its "convert a -> b" progress lines say nothing about what went wrong.
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        said = [line for line in text if line.strip() and not line.startswith("convert ")]
        return "\n".join(said[-lines:]) or "(nothing)"


def kill(process: subprocess.Popen[bytes]) -> None:
    """Kill a LibreOffice's whole process group, then reap the leader."""
    if process.returncode is not None:
        return
    # The leader is not reaped yet, so its pid (the group id) cannot have been reused.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
    # The others of its group (oosplash, soffice.bin) end as the kernel gets to them, a moment later:
    # once this returns, none is running, so none can still write into a folder about to be removed.
    deadline = time.monotonic() + KILL_SECONDS
    while _group_running(process.pid) and time.monotonic() < deadline:
        time.sleep(0.005)


KILL_SECONDS = 2.0  # the most ``kill`` waits for a killed process group's last processes to end


def _group_running(group: int) -> bool:
    """Whether a process of process group ``group`` is still running (one that has ended, waiting to be
    reaped by whoever inherited it, is not)."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] not in (b"Z", b"X"):
            return True
    return False


def make_folders(folder: Path) -> None:
    """A run's folder: its documents go in ``in``, LibreOffice writes their PDFs to ``out``."""
    (folder / "in").mkdir(parents=True)
    (folder / "out").mkdir()


def launch(program: str, profile: Path, folder: Path, files: Sequence[Path]) -> subprocess.Popen[bytes]:
    """LibreOffice converting ``files`` in order into ``folder``/out, its log in ``folder``, its
    temporary files in ``folder``/tmp.

    LibreOffice keeps its temporary files (copies of what it converts among them) in the temporary
    folder it is given, and removes them as it ends; one killed cannot. ``folder`` is in a run
    folder (files.run_folder), removed when the run ends, and by the next run if this one was killed.
    """
    temporary = folder / "tmp"
    temporary.mkdir(mode=0o700, exist_ok=True)
    # A LibreOffice that was killed leaves its lock behind, and the next would take the profile
    # for one in use. It is ours alone (see profiles.py), so a lock in it is always stale.
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
                env=owned(office_environment(temporary)),
            )
        except OSError as exc:
            raise ToolError(f"cannot start LibreOffice ({program}): {exc}. {INSTALL_HINT}") from exc


# What LibreOffice is given of our environment: where programs and its profile's home are, language and
# fonts, its own settings. Never the rest: passwords for mail or the pack among it. Its temporary folder
# is its run's own (office_environment).
OFFICE_ENVIRONMENT = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "FONTCONFIG_FILE",
    "FONTCONFIG_PATH",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_DATA_DIRS",
    "XDG_RUNTIME_DIR",
)
OFFICE_ENVIRONMENT_PREFIXES = ("LC_", "SAL_")


def office_environment(temporary: Path) -> dict[str, str]:
    """The environment a LibreOffice is started with (see OFFICE_ENVIRONMENT), its temporary files
    going to ``temporary``."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if name in OFFICE_ENVIRONMENT or name.startswith(OFFICE_ENVIRONMENT_PREFIXES)
    }
    return kept | dict.fromkeys(("TMPDIR", "TMP", "TEMP"), str(temporary))


def looks_like_pdf(path: Path) -> bool:
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
