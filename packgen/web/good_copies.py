"""The last version of each record that read without a problem, kept to go back to.

Each time the page reads the records, a record that is healthy and newer than its kept copy is
copied into the school's private output folder. When someone later breaks the file by hand, the
repair page can put this copy back in one click, instead of asking office staff to fix YAML.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from packgen.files import write_private

FOLDER = ".last-good"


def keep(school: Path, out: Path, healthy: Iterable[str]) -> None:
    """Copy each healthy record (relative path) that changed since its copy was kept."""
    store = out / FOLDER
    for relative in healthy:
        source, copy = school / relative, store / relative
        try:
            if copy.exists() and copy.stat().st_mtime_ns >= source.stat().st_mtime_ns:
                continue
            stamp = source.stat()
            write_private(copy, source.read_bytes())
            os.utime(copy, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        except OSError:
            continue  # a copy is a convenience: never a reason for a page to fail


def kept(out: Path, relative: str) -> tuple[str, datetime] | None:
    """The kept text of a record and when that version was saved, if there is one."""
    copy = out / FOLDER / relative
    try:
        return copy.read_text(encoding="utf-8"), datetime.fromtimestamp(copy.stat().st_mtime)
    except (OSError, UnicodeDecodeError):
        return None
