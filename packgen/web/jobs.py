"""Building the pack in the background, so the page can show progress while LibreOffice works.

The pipeline reports no steps of its own, so progress is measured against time: the last build's
duration, or before any build an estimate from the number of documents (about 0.3 s each on a
2-core machine, with a start-up cost: spec/performance.md). The bar stops short of the end until the
build really has finished.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import DataError, PackgenError
from ..pipeline import PackBuilt

START_UP_SECONDS = 8.0
SECONDS_PER_DOCUMENT = 0.3
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
        self._expected = 0.0
        self._last_duration: float | None = None
        self._built: PackBuilt | None = None
        self._error: str | None = None
        self._problems: tuple[str, ...] = ()

    def start(self, build: Callable[[], PackBuilt], documents: int) -> bool:
        """Start ``build`` unless one is running; False when one already is."""
        with self._lock:
            if self._thread and self._thread.is_alive():
                return False
            self._started = time.monotonic()
            self._expected = self._last_duration or START_UP_SECONDS + SECONDS_PER_DOCUMENT * documents
            self._error, self._problems = None, ()
            self._thread = threading.Thread(target=self._run, args=(build,), name="packgen-pack", daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread:
            thread.join(timeout)

    def _run(self, build: Callable[[], PackBuilt]) -> None:
        try:
            built = build()
        except DataError as error:
            self._finish(error="The records have problems: fix them and build again.",
                         problems=tuple(str(p) for p in error.problems))
        except PackgenError as error:
            self._finish(error=str(error))
        except Exception as error:  # a bug: said on the page; logged without its message, which may quote a record
            _log.error("the pack build stopped because of a bug (%s):\n%s", type(error).__name__,
                       "".join(traceback.format_tb(error.__traceback__)))
            self._finish(error=f"packgen stopped because of a bug ({type(error).__name__}). Please report it.")
        else:
            self._finish(built=built)

    def _finish(self, built: PackBuilt | None = None, error: str | None = None,
                problems: tuple[str, ...] = ()) -> None:
        with self._lock:
            if built:
                self._built, self._last_duration = built, time.monotonic() - self._started
            self._error, self._problems = error, problems

    def progress(self) -> Progress:
        with self._lock:
            running = bool(self._thread and self._thread.is_alive())
            elapsed = time.monotonic() - self._started if running else 0.0
            if running:
                percent = min(MOST_BEFORE_DONE, int(100 * elapsed / self._expected))
                remaining = max(1, round(self._expected - elapsed))
            else:
                percent, remaining = (100 if self._built else 0), None
            return Progress(running, percent, int(elapsed), remaining, self._built, self._error, self._problems)
