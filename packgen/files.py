"""Writing files that hold children's personal data: owner-only, and never seen half written.

Every file packgen writes goes through a temporary file beside its destination (mkstemp makes it
mode 0600 whatever the umask) that replaces the destination in one step once complete, so a reader,
or a later run after a crash, finds either the old file or the whole new one. Folders are made 0700.
A disk that is full or failing is said as such (StorageError, naming the file), never as a bug.

A run's working folders (``run_folder``) are named after the process that made them, so what a run
killed outright leaves behind (documents full of pupils' details) is removed by the next run.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from packgen.errors import storage_error


def user_cache() -> Path:
    """packgen's folder in the user's cache ($XDG_CACHE_HOME, else ~/.cache): things worth keeping
    between runs that hold no personal data (LibreOffice profiles, compiled templates)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "packgen"


def private_dirs(folder: Path) -> None:
    """Make ``folder`` and any missing parents, readable by the owner only (whatever the umask)."""
    folder = Path(folder)
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)


@contextmanager
def replacing(path: Path, *, durable: bool = False) -> Iterator[BinaryIO]:
    """A stream to write ``path`` anew; it replaces ``path`` only if the block ends without an error.

    ``durable`` flushes the file and the rename to disk before returning (the pack: a power cut must
    not leave an empty file where a good one was).
    """
    path = Path(path)
    with disk_errors(path):
        private_dirs(path.parent)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with disk_errors(path):
            with os.fdopen(handle, "wb") as stream:
                yield stream
                if durable:
                    stream.flush()
                    os.fsync(stream.fileno())
            os.replace(temporary, path)
            if durable:
                folder = os.open(path.parent, os.O_RDONLY)
                try:
                    os.fsync(folder)
                finally:
                    os.close(folder)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def disk_errors(path: Path) -> Iterator[None]:
    """A full or failing disk met while writing ``path`` becomes a StorageError naming it (exit 4)."""
    try:
        yield
    except OSError as exc:
        error = storage_error(exc, path)
        if error is None:
            raise
        raise error from exc


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` owner-only, replacing it in one step."""
    with replacing(path) as stream:
        stream.write(data)


class NotReadable(Exception):
    """A file packgen was asked to read that is not an ordinary file of a sensible size. Callers say
    it in their own terms (a record's problem, a template's), so it is not a PackgenError."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = Path(path), reason


def read_regular(path: Path, limit: int, too_big: Callable[[int], str]) -> bytes:
    """The bytes of ``path``, an ordinary file of at most ``limit`` bytes; NotReadable otherwise
    (``too_big(size)`` says why a larger one is refused).

    A FIFO, a device (a link to /dev/zero) or a socket would block or never end; the file is opened
    without blocking and checked on the open descriptor, so it cannot be swapped after the check.
    """
    with open_regular(path, limit, too_big) as stream:
        try:
            data = stream.read(limit + 1)
        except OSError as exc:
            raise NotReadable(path, f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:  # it grew while being read
        raise NotReadable(path, too_big(len(data)))
    return data


@contextmanager
def open_regular(path: Path, limit: int, too_big: Callable[[int], str]) -> Iterator[BinaryIO]:
    """``path`` open for reading once it is known to be an ordinary file of at most ``limit`` bytes
    (checked as ``read_regular`` checks), for a reader that streams a large file rather than holding it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise NotReadable(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd)
        if stat.S_ISDIR(mode.st_mode):
            raise NotReadable(path, "is a folder, not a file")
        if not stat.S_ISREG(mode.st_mode):
            raise NotReadable(path, "is not an ordinary file (a device, pipe or socket): give the file itself")
        if mode.st_size > limit:
            raise NotReadable(path, too_big(mode.st_size))
    except OSError as exc:
        os.close(fd)
        raise NotReadable(path, f"cannot be read ({exc.strerror or exc})") from None
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as stream:
        yield stream


@contextmanager
def run_folder(prefix: str, parent: Path | None = None) -> Iterator[Path]:
    """A private folder (0700) for this run's working files, removed with its contents when the block ends.

    Its name holds this process's id and start time: a later run removes the folders (with
    ``prefix``, in ``parent``, the temporary folder by default) of processes that no longer run, and
    never a live run's.
    """
    parent = Path(parent or tempfile.gettempdir())
    remove_abandoned(prefix, parent)
    with disk_errors(parent):
        folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-{_started(os.getpid())}-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_abandoned(prefix: str, parent: Path) -> list[Path]:
    """Remove the ``run_folder``s in ``parent`` left by runs that ended without removing them."""
    owner = re.compile(re.escape(prefix) + r"([0-9]+)-([0-9]+)-")
    removed: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        found = owner.match(entry.name)
        try:
            mine = entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_uid == os.getuid()
        except OSError:  # removed meanwhile
            continue
        if found and mine and _started(int(found[1])) != found[2]:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def _started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, /proc/<pid>/stat field 22): with its id,
    what tells it from a later process given the same id. None if no such process runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]
