"""packgen's one exception family.

The library raises only these; the command line (``packgen.cli``) turns them into a message and an exit code, so a user's
mistake never shows a traceback. Exit codes (docs/operations.md): 1 for wrong input, anything else
for a broken environment or a bug.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the data, said in terms of the record's own keys.

    ``file`` is relative to the school folder (``pupils/p07.yaml``); ``key`` is a dotted path
    (``placement.start_date``, ``reviews[2].date``: lists count from 1, as people do) or empty when the
    problem is with the whole file.
    """

    file: str
    key: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class PackgenError(Exception):
    """Root of every error packgen raises on purpose."""

    exit_code = 1


class DataError(PackgenError):
    """The school's records cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.key))
        count = len(self.problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the records:\n{lines}")


class InputError(PackgenError):
    """A request the user got wrong that is not about a record's content (unknown pupil id, etc.)."""


class TemplateProblem(PackgenError):
    """A Word template is broken or asks for data the records do not provide."""


class ToolError(PackgenError):
    """The environment is broken: LibreOffice missing, hung or crashed; an output folder unwritable."""

    exit_code = 4


class BusyError(PackgenError):
    """Another packgen run is already writing this school's output."""

    exit_code = 1


class StorageError(ToolError):
    """A file could not be written because of the disk it is on: full, failing, or read-only."""


_WORKING_FOLDER = re.compile(r"packgen-[a-z]+-[0-9]+-[0-9]+-")
# What to do about each: the file named is what could not be written.
_STORAGE_ADVICE = {
    errno.ENOSPC: "the disk it is on is full",
    errno.EDQUOT: "your disk quota is used up",
    errno.EIO: "the disk reported a read or write error (check the disk or network drive)",
    errno.EROFS: "the disk it is on is read-only",
}


def storage_error(exc: OSError, path: str | PathLike[str] | None = None) -> StorageError | None:
    """``exc`` said in user words, naming the file, if it is about the disk (full, failing, read-only);
    None otherwise. The file is the destination a copy or move was writing, else the one ``exc`` names,
    else ``path``."""
    advice = _STORAGE_ADVICE.get(exc.errno or 0)
    where = exc.filename2 or exc.filename or path
    if advice is None or where is None:
        return None
    # A working folder of a run in the temporary folder (files.run_folder names them so).
    temporary = any(_WORKING_FOLDER.match(part) for part in Path(where).parts)
    room = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if temporary:
        remedy = (
            "It is packgen's working copy in the temporary folder: "
            + ("make room there, or " if room else "")
            + "point TMPDIR at a folder on a disk with room"
        )
    else:
        remedy = ("Make room on it, or choose" if room else "Choose") + " a folder on another disk (--out)"
    return StorageError(f"could not write {where}: {advice}. {remedy}; then run packgen again")


def vanished(path: str | PathLike[str]) -> InputError:
    """A file packgen was given, or found in a school's folder, that is not there when it is read."""
    return InputError(
        f"{path}: not there any more (a link to a file that is missing, or a file moved or deleted "
        "while packgen ran): put it back, or remove it, then run packgen again"
    )
