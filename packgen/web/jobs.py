"""Building the pack in the background, so the page can show progress while LibreOffice works.

Progress is what the pipeline reports (``on_progress(step, done, total)``): each step's share of the
bar is its usual share of a build's time, and the time left is the time so far scaled by what is
left. The bar stops short of the end until the build really has finished.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from packgen.build.pipeline import PackBuilt
from packgen.build.pipeline import Progress as StepProgress
from packgen.errors import DataError, PackgenError

# Where each step of a build starts and ends on the bar (percent): converting is most of the time.
STEPS = {"render": (2, 20), "convert": (20, 85), "assemble": (85, 95)}
MOST_BEFORE_DONE = 95  # percent: the bar never claims to be finished before the build is
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    running: bool
    percent: int
    elapsed: int
    remaining: int | None
    built: PackBuilt | None  # the last build this run of the page made
    error: str | None
    problems: tuple[str, ...]


class PackJob:
    """One build at a time per school; the state the pack page shows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._started = 0.0
        self._percent = 0.0
        self._built: PackBuilt | None = None
        self._error: str | None = None
        self._problems: tuple[str, ...] = ()

    def start(self, build: Callable[[StepProgress], PackBuilt]) -> bool:
        """Start ``build(on_progress)`` unless one is running; False when one already is."""
        with self._lock:
            if self._thread and self._thread.is_alive():
                return False
            self._started, self._percent = time.monotonic(), 0.0
            self._error, self._problems = None, ()
            self._thread = threading.Thread(target=self._run, args=(build,), name="packgen-pack", daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread:
            thread.join(timeout)

    def _report(self, step: str, done: int, total: int) -> None:
        start, end = STEPS.get(step, (0, 0))
        with self._lock:
            self._percent = max(self._percent, start + (end - start) * done / max(total, 1))

    def _run(self, build: Callable[[StepProgress], PackBuilt]) -> None:
        try:
            built = build(self._report)
        except DataError as error:
            self._finish(
                error="The records have problems: fix them and build again.",
                problems=tuple(str(p) for p in error.problems),
            )
        except PackgenError as error:
            self._finish(error=str(error))
        except Exception as error:  # a bug: said on the page; logged without its message, which may quote a record
            _log.error(
                "the pack build stopped because of a bug (%s):\n%s",
                type(error).__name__,
                "".join(traceback.format_tb(error.__traceback__)),
            )
            self._finish(error=f"packgen stopped because of a bug ({type(error).__name__}). Please report it.")
        else:
            self._finish(built=built)

    def _finish(self, built: PackBuilt | None = None, error: str | None = None, problems: tuple[str, ...] = ()) -> None:
        with self._lock:
            if built:
                self._built = built
            self._error, self._problems = error, problems

    def progress(self) -> Progress:
        with self._lock:
            running = bool(self._thread and self._thread.is_alive())
            elapsed = time.monotonic() - self._started if running else 0.0
            if running:
                percent = min(MOST_BEFORE_DONE, int(self._percent))
                # Until the first step reports, there is nothing to go on.
                remaining = max(1, round(elapsed * (100 - percent) / percent)) if percent >= 2 else None
            else:
                percent, remaining = (100 if self._built else 0), None
            return Progress(running, percent, int(elapsed), remaining, self._built, self._error, self._problems)
