"""Saving a change to a record file: checked by the loader first, written whole, never over another's.

A change (its text made by ``record_text``) is checked before it is saved by the same loader as
``packgen check``, with the whole school as it would be (a new pupil's UPN must not clash with another
file, a provider id must exist): ``SchoolCache.problems_if`` reads the candidate text in the file's
place and the other records as the web page keeps them, re-reading only files that changed. Only a
file that loads is saved, and then atomically (a temporary file beside it, renamed over it), so a
reader never sees half a record.

Saving, for every form::

    text, tree, version = opened(path)        # when the form is shown; version goes in a hidden field
    ...
    def change(text):                         # when it is sent: text is the file as it is now
        ...                                   # (None if there is none); return the new text,
        return new_text                       # or None to save nothing (problems found)
    save(school, "pupils/p07.yaml", version, change)   # raises StaleEdit, SaveBusy

``save`` holds the school's edit lock from reading the file to writing it, so the check inside
``change`` sees the folder as the save leaves it. The lock is the operating system's (``flock`` on
``.packgen-edit.lock`` in the school folder), so it holds between threads, between two ``packgen
serve`` on one folder, and between computers sharing the folder where the file system passes locks
on (NFS does; a share that does not is no place for two servers). The version is a digest of the
file's bytes: if it is not the one the form was opened at, someone else (another page, another
computer, a hand edit) changed the record meanwhile, and ``StaleEdit`` says so; nothing is written.
``version=None`` skips that test (adding a review appends to whatever the file holds), and ``NEW``
means the file must not exist yet.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from packgen.errors import PackgenError, ToolError
from packgen.files import private_dirs
from packgen.web.record_text import parse, text_of

RECORD_PARTS = ("school.yaml", "providers", "pupils")
LOCK_FILE = ".packgen-edit.lock"  # a dot file: the loader passes over it
LOCK_WAIT = 30.0  # seconds a save waits for another to finish checking and writing
NEW = "new"  # the version of a record that does not exist yet


class StaleEdit(PackgenError):
    """The record changed after the form was opened; the form's values were not saved."""

    def __init__(self) -> None:
        super().__init__(
            "This record was changed by someone else since you opened it. What you typed is "
            "still below: open the record again in another tab to see their change, then make yours."
        )


class SaveBusy(PackgenError):
    """Another save on this school held the lock for longer than a save takes."""

    def __init__(self) -> None:
        super().__init__(
            "Someone else is saving a record of this school and it is taking a long time. "
            "Nothing was saved: send the form again in a minute."
        )


def opened(path: Path) -> tuple[str, CommentedMap, str]:
    """A record's text, its round-trip tree and its version, from one read of the file."""
    data = path.read_bytes()
    text = text_of(data)
    return text, parse(text), version_of(data)


def version_of(data: bytes | None) -> str:
    """Identifies one state of a file (its bytes; ``None``: no file), for a form's hidden field."""
    return NEW if data is None else hashlib.sha256(data).hexdigest()


def save(school: Path, relative: str, version: str | None, change: Callable[[str | None], str | None]) -> bool:
    """Change the record ``relative`` (``pupils/p07.yaml``) of ``school``; True if something was written.

    See the module's description: ``change`` gets the file's text as it is under the lock and returns
    the text to write, or None to write nothing. Raises ``StaleEdit`` when ``version`` is not the file's
    version now, ``SaveBusy`` when the lock is not free within ``LOCK_WAIT`` seconds.
    """
    path = school / relative
    with edit_lock(school):
        try:
            data: bytes | None = path.read_bytes()
        except FileNotFoundError:
            data = None
        if version is not None and version != version_of(data):
            raise StaleEdit()
        text = change(None if data is None else text_of(data))
        if text is None:
            return False
        write_atomically(path, text)
        return True


@contextmanager
def edit_lock(school: Path) -> Iterator[None]:
    """The school's edit lock, held by one thread of one process at a time (each holder opens the
    file itself: an flock belongs to an open file, so two threads of one process exclude each other too)."""
    try:
        handle = os.open(school / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise ToolError(
            f"cannot save in {school}: {error.strerror} (the page needs to write to the school folder)"
        ) from None
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EACCES) or time.monotonic() > deadline:
                    raise SaveBusy() from None
                time.sleep(0.05)
        yield
    finally:
        os.close(handle)  # closing the file releases the lock


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step, on disk before returning.

    A new file is readable by its owner only, in a folder made owner-only; a file that exists keeps
    its mode, so a record a colleague may also open by hand stays open to them. The temporary file's
    name starts with a dot, which the loader skips, so a crash cannot leave a second record behind.
    """
    private_dirs(path.parent)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself is on disk too
    finally:
        os.close(directory)
