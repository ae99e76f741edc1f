"""Packs kept up to date while their records are edited: ``packgen build --watch``.

One process builds the packs, then looks at the school folders and the templates ten times a
second and builds again as soon as a file changed, so each rebuild after an edit costs what a build
costs inside a running process: the imports, Jinja's compiled templates and the prepared templates are
already there, and only the documents the edit touched are made (docs/performance.md).

Looking is cheap: the status of every file (its size, times, inode), never its contents; the build
itself then works out from the contents what changed. A mistake in a record is reported and the
watch goes on: the pack made before stays as it was, and the next save is built.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from packgen.build.pipeline import DEFAULT_TEMPLATES, PackBuilt, Progress, build_packs, prepare
from packgen.build.planning import DEFAULT_OPTIONS, PackOptions
from packgen.errors import BusyError, DataError, InputError, PackgenError, TemplateProblem

# How often the folders are looked at: every LOOK_SECONDS, or less often where looking takes longer
# (a large folder on a network drive), so that looking takes at most LOOKING_SHARE of one core.
LOOK_SECONDS = 0.1
LOOKING_SHARE = 0.05
# How long a change must hold before it is built: an editor may write a file in more than one step.
SETTLE_SECONDS = 0.05


def watch(
    folders: Sequence[Path],
    out_root: Path,
    *,
    on_built: Callable[[list[PackBuilt]], None],
    on_problem: Callable[[PackgenError], None],
    templates: Path = DEFAULT_TEMPLATES,
    today: date | None = None,
    on_progress: Progress | None = None,
    options: PackOptions = DEFAULT_OPTIONS,
    stop: threading.Event | None = None,
) -> None:
    """Build the packs of ``folders`` (as ``build_packs``), then again each time a file of one of them
    or of ``templates`` changes, or the day does, until ``stop`` is set (without it: until Ctrl-C).

    ``on_built`` gets each build's packs. A mistake in a file of the records or the templates
    (DataError, InputError, TemplateProblem) goes to ``on_problem`` and is built again at the next
    change; so does another packgen writing the same output (BusyError: said once, tried again at every
    look). Anything else (LibreOffice broken, a full disk) ends the watch by raising.
    """
    stop = stop or threading.Event()
    built_from: object = None
    busy_told = False  # another packgen's build is said once, not at every look while it lasts
    while not stop.is_set():
        started = time.monotonic()
        looked = _looks(folders, templates, Path(out_root))
        pause = max(LOOK_SECONDS, (time.monotonic() - started) / LOOKING_SHARE)
        if looked != built_from:
            settled = _settled(looked, lambda: _looks(folders, templates, Path(out_root)), stop)
            if settled is None:
                return
            looked = settled
            try:
                packs = build_packs(
                    folders, out_root, templates=templates, today=today, on_progress=on_progress, options=options
                )
            except BusyError as busy:  # nothing built: tried again at the next look
                if not busy_told:
                    on_problem(busy)
                busy_told = True
                stop.wait(pause)
                continue
            except (DataError, InputError, TemplateProblem) as mistake:  # a file to put right, then save
                on_problem(mistake)
            else:
                on_built(packs)
            built_from, busy_told = looked, False
            prepare()  # nothing the next build needs is left to import
            # The build's objects collected now, while nothing waits, not at the next save.
            gc.collect()
        stop.wait(pause)


def _settled(
    looked: tuple[object, ...], look: Callable[[], tuple[object, ...]], stop: threading.Event
) -> tuple[object, ...] | None:
    """The inputs once two looks a moment apart agree (a save in progress is not built); None if
    ``stop`` is set meanwhile."""
    while not stop.wait(SETTLE_SECONDS):
        again = look()
        if again == looked:
            return looked
        looked = again
    return None


def _looks(folders: Sequence[Path], templates: Path, out_root: Path) -> tuple[object, ...]:
    """What the inputs look like from outside: the day, and every file's path and status."""
    skip = out_root.resolve() if out_root.exists() else None
    seen: list[object] = [date.today()]
    for root in [*folders, templates]:
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if skip is None or Path(folder, d).resolve() != skip)
            for name in sorted(names):
                path = os.path.join(folder, name)
                try:
                    status = os.stat(path)
                except OSError:  # gone as we looked, or a broken link: the build will say which
                    seen.append((path, None))
                    continue
                seen.append((path, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns))
    return tuple(seen)
