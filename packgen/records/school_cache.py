"""A school folder kept read between requests, re-reading only the files that changed.

The web page shows the records on every request, and office staff also edit the files by hand or
another packgen run writes them, so each request must see the files as they are now. Reading and
checking every record again costs time in proportion to the school; looking at each file's status
costs far less. So ``SchoolCache.load()`` lists the folders again and looks up each record file's
status (inode, size, modification and change times, mode; of a link, and of what it leads to): a
file whose status is as before is not read again, its checked record and problems are kept, and
when nothing at all changed the kept school is given as it is. Whether the evidence files a record
names are there depends on other files: that is checked again whenever a folder on the way to any of
them has changed (adding, removing or renaming a file changes its folder's modification time).

The records it gives are the same ``load_school`` gives (tests compare them), and the same objects
while their files are unchanged, so work done on them can be kept too (readiness/kept.py).
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from packgen.errors import Problem
from packgen.records.read import RecordSource, load_healthy, problems_if, school_from
from packgen.records.record_file import LoadedRecord, evidence_paths, evidence_problems, read_record
from packgen.records.school_data import SchoolData

_Status = tuple[int, ...] | None


def _status(path: Path | str, *, follow: bool) -> _Status:
    try:
        found = os.stat(path, follow_symlinks=follow)
    except OSError:
        return None
    return found.st_ino, found.st_dev, found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_mode


def _statuses(path: Path | str) -> tuple[_Status, _Status]:
    """The status of a file and, if it is a link, of what it leads to (looked up only then)."""
    own = _status(path, follow=False)
    return own, (_status(path, follow=True) if own is not None and stat.S_ISLNK(own[5]) else own)


@dataclass
class _Kept:
    status: tuple[_Status, _Status]
    model: type[BaseModel]
    record: LoadedRecord
    problems: list[Problem]
    evidence: list[tuple[tuple, str]]
    folders: tuple[str, ...]  # the folders on the way to its evidence files
    missing: list[Problem] | None = None  # its evidence problems, while those folders stay as they were
    seen: tuple[_Status, ...] = ()


class SchoolCache:
    """One school folder's records, kept and brought up to date by ``load()``. Safe to share between threads."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._kept: dict[str, _Kept] = {}
        self._lock = threading.Lock()
        self._last: tuple[tuple, Any] | None = None
        self._looked: tuple | None = None  # the folder as it was when ``_last`` was read from it
        self.reads = 0  # record files read since it was made: how a test sees what was re-read

    def load(self) -> SchoolData:
        """The school as its files are now, as ``load_school`` would read it (DataError, InputError alike)."""
        return self._load(school_from)

    def load_healthy(self) -> tuple[SchoolData | None, list[Problem]]:
        """Every record without a problem and the problems of the rest, as ``read.load_healthy`` gives them."""
        return self._load(load_healthy)

    def problems_if(self, relative: str, text: str) -> list[Problem]:
        """As ``read.problems_if``: what ``load_school`` would report if ``relative`` held ``text``, with
        the other records as kept (re-read only where their files changed). A web page's save checks
        its change so without reading the whole school again."""
        with self._lock:
            return problems_if(self.folder, relative, text, self._source({}))

    def _load(self, make: Callable[[Path, Any], Any]) -> Any:
        with self._lock:
            looked = (make, self._look())
            if self._last is not None and looked == self._looked:
                return self._last[1]  # nothing changed: not even the school is put together again
            used: dict[str, _Kept] = {}
            try:
                data = make(self.folder, self._source(used))
            finally:
                self._kept = used  # files gone from the folder are forgotten
            # Unchanged files give the very same school, so what was worked out from it can be kept.
            self._looked = looked  # as looked at before reading: a change meanwhile is read next time
            same = (make, tuple((relative, id(kept.record)) for relative, kept in used.items()))
            if self._last is not None and self._last[0] == same:
                return self._last[1]
            self._last = (same, data)
            return data

    def _source(self, used: dict[str, _Kept]) -> RecordSource:
        """Each record file as kept, read again only if it changed, its evidence looked for again only
        if a folder on the way changed; noted in ``used``, relative path to what was kept."""
        folders: dict[str, _Status] = {}

        def source(root: Path, relative: str, model: type[BaseModel]) -> tuple[LoadedRecord, list[Problem]]:
            kept = used[relative] = self._record(root, relative, model)
            if kept.missing is None or kept.seen != self._folders(root, kept.folders, folders):
                kept.missing = evidence_problems(root, kept.record, kept.evidence)
                kept.seen = self._folders(root, kept.folders, folders)
            return kept.record, kept.problems + kept.missing

        return source

    def _look(self) -> tuple:
        """The status of everything a load depends on: the folders, every file in the record folders,
        and the folders on the way to the evidence files the records name."""
        root = self.folder
        found: list[tuple] = [("school.yaml", _statuses(root / "school.yaml"))]
        for folder in ("providers", "pupils"):
            found.append((folder, _status(root / folder, follow=True)))
            try:
                names = sorted(os.listdir(root / folder))
            except OSError:
                continue
            found += [(name, _statuses(root / folder / name)) for name in names]
        on_the_way = sorted({name for kept in self._kept.values() for name in kept.folders})
        found += [(name, _status(root / name, follow=True)) for name in on_the_way]
        return (_status(root, follow=True), *found)

    def _record(self, root: Path, relative: str, model: type[BaseModel]) -> _Kept:
        path = root / relative
        status = _statuses(path)
        kept = self._kept.get(relative)
        if kept is not None and kept.status == status and kept.model is model and None not in status:
            return kept
        self.reads += 1
        record, problems = read_record(root, relative, model)
        evidence = evidence_paths(record)
        on_the_way = {str(Path(relative).parent) for _, relative in evidence}
        folders = {
            str(Path(*Path(folder).parts[:depth]))
            for folder in on_the_way
            for depth in range(len(Path(folder).parts) + 1)
        }
        return _Kept(status, model, record, problems, evidence, tuple(sorted(folders)))

    @staticmethod
    def _folders(root: Path, names: tuple[str, ...], known: dict[str, _Status]) -> tuple[_Status, ...]:
        """The status of each folder (relative to ``root``), each looked up once per load."""
        for name in names:
            if name not in known:
                known[name] = _status(root / name, follow=True)
        return tuple(known[name] for name in names)
