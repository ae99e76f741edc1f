"""packgen's one exception family.

The library raises only these; ``cli.py`` turns them into a message and an exit code, so a user's
mistake never shows a traceback. Exit codes (docs/operations.md): 1 for wrong input, anything else
for a broken environment or a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


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
