"""Writing files that hold children's personal data: owner-only, and never seen half written.

Every file packgen writes goes through a temporary file beside its destination (mkstemp makes it
mode 0600 whatever the umask) that replaces the destination in one step once complete, so a reader,
or a later run after a crash, finds either the old file or the whole new one. Folders are made 0700.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


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
    private_dirs(path.parent)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
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
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(fd, min(limit + 1 - size, 1 << 20))):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise NotReadable(path, f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if size > limit:  # it grew while being read
        raise NotReadable(path, too_big(size))
    return b"".join(chunks)
