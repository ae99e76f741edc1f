"""The pool of LibreOffice workers a conversion shares its documents among.

What costs time (measured on a 2-core machine, docs/performance.md): starting LibreOffice takes
about 0.2 s of processor time with a settled profile (1 s without: see profiles.py), converting
one of our documents once it runs 0.05-0.2 s. So a worker is one LibreOffice run (soffice.py) given
many documents at once, and there is one worker per core, each with a profile of its own.

When something goes wrong. A worker that finishes no document for ``timeout`` seconds is taken as
hung and killed, with every process it started; one that exits leaving documents without a PDF has
crashed, refused one, or dropped some. LibreOffice converts its documents in the order given, so the
first document without a PDF is the one it failed on: that one is tried once more, on its own, and
the others go back to the queue. A document that fails twice stops the whole call, and nothing is
written.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packgen.errors import ToolError
from packgen.office.profiles import Profiles
from packgen.office.soffice import Run, launch, looks_like_pdf, make_folders

if TYPE_CHECKING:
    from packgen.office.head_start import HeadStart

# LibreOffice 7.4 silently ignores command-line arguments past about the 253rd (measured: given 300
# documents, it converts 246 and exits 0), so a start never gets more documents than this.
MAX_BATCH = 200
ATTEMPTS = 2  # a document LibreOffice failed on is tried once more
POLL_SECONDS = 0.01

Progress = Callable[[int, int], None]


@dataclass
class Pool:
    """The LibreOffice runs converting ``docs`` side by side, ``workers`` at a time (see the module's
    docstring for what happens when one goes wrong)."""

    program: str
    work: Path
    workers: int
    timeout: float
    docs: list[Path]
    on_progress: Progress | None
    profiles: Profiles
    ready: Callable[[], None] | None = None  # see ConvertSettings: None once the documents are all written
    queue: deque[list[int]] = field(default_factory=deque)
    retries: deque[int] = field(default_factory=deque)
    attempts: Counter[int] = field(default_factory=Counter)
    done: dict[int, Path] = field(default_factory=dict)
    running: dict[int, Run] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    runs: int = 0
    reported: int = -1
    feeding: HeadStart | None = None  # a head start still waiting for some of its documents

    def run(self, head_start: HeadStart | None = None) -> dict[int, Path]:
        """Every document's PDF (in the work folder), or ToolError naming the ones that failed."""
        taken = self._adopt(head_start) if head_start is not None else []
        rest = list(range(len(taken), len(self.docs)))
        # A whole number of batches per worker, each batch every n-th document, so every worker has a
        # like mix of long and short ones and they finish together.
        batches = -(-len(rest) // MAX_BATCH)
        batches = -(-batches // self.workers) * self.workers
        self.queue.extend(rest[start::batches] for start in range(batches) if rest[start::batches])
        try:
            while (self.queue or self.retries or self.running) and not self.failures:
                self._feed()
                for slot in range(self.workers):
                    if slot not in self.running and (self.retries or self.queue):
                        if self.runs:  # only the first start may come before the documents are all there
                            self._wait_ready()
                        # A document LibreOffice failed on runs alone, so it cannot take others down.
                        self._start(slot, [self.retries.popleft()] if self.retries else self.queue.popleft())
                time.sleep(POLL_SECONDS)
                for slot, run in list(self.running.items()):
                    self._check(slot, run)
                self._report()
            self._wait_ready()  # so that a failure to write them is never missed
        finally:
            # On a failure, an error or Ctrl-C, no LibreOffice outlives us.
            for run in self.running.values():
                run.kill()
        if self.failures:
            raise ToolError(
                "LibreOffice could not convert every document:\n" + "\n".join(self.failures) + "\n"
                "A document it cannot open is usually damaged or not a Word file; one it takes too long "
                "over may be very large (set PACKGEN_SOFFICE_TIMEOUT, in seconds, to allow longer)."
            )
        return self.done

    def _start(self, slot: int, items: list[int]) -> None:
        self.runs += 1
        folder = self.work / f"run{self.runs}"
        make_folders(folder)
        # Named by index: unique whatever the originals are called, and no copying.
        staged = [folder / "in" / f"{index:05d}{self.docs[index].suffix}" for index in items]
        for link, index in zip(staged, items):
            link.symlink_to(self.docs[index].resolve())
        # Looked at before LibreOffice starts, so none it could have tried is taken for there.
        present = frozenset(items) if self.ready is None else frozenset(i for i in items if self.docs[i].exists())
        process = launch(self.program, self.profiles.take(slot), folder, staged)
        self.running[slot] = Run(slot, folder, items, process, time.monotonic(), present)

    def _adopt(self, head_start: HeadStart) -> list[int]:
        """The head start's LibreOffice as the run of slot 0, given the first documents: each is linked
        to one of the places it was told of before they were known once it is written (see HeadStart)."""
        taken = head_start.reserve(self.docs)
        self.feeding = head_start
        self.runs += 1
        # None counted as written when it started: whatever it missed goes back to the queue, unblamed.
        self.running[0] = Run(
            0,
            head_start.folder,
            taken,
            head_start.process,
            time.monotonic(),
            frozenset(),
            closes_alone=True,
            names=head_start.given,
        )
        return taken

    def _feed(self) -> None:
        """The head start's documents written by now, given it (see HeadStart.feed)."""
        if self.feeding is not None:
            self.feeding.feed(self.docs)
            if len(self.feeding.given) == len(self.feeding.reserved) or self.feeding.process.poll() is not None:
                self.feeding = None

    def _wait_ready(self) -> None:
        if self.ready is not None:
            ready, self.ready = self.ready, None
            ready()

    def _check(self, slot: int, run: Run) -> None:
        hung = run.hung(self.timeout)
        written = run.closes_alone and run.finished == len(run.items) and not (self.queue or self.retries)
        if run.process.returncode is None and not hung and not (written and len(self.running) == 1):
            return
        if hung:
            run.kill()
            # A killed LibreOffice may leave its profile locked or half written: start afresh.
            self.profiles.spoil(slot)
        del self.running[slot]
        self._collect(run, hung)

    def _collect(self, run: Run, hung: bool) -> None:
        missing = []
        for index in run.items:
            if looks_like_pdf(run.pdf(index)):
                self.done[index] = run.pdf(index)
            else:
                missing.append(index)
        unwritten = [index for index in missing if index not in run.present]
        if unwritten:  # not there yet when it started: given to LibreOffice again once they are
            self._wait_ready()
            self.queue.appendleft(unwritten)
            missing = [index for index in missing if index in run.present]
        if not missing:
            return
        # It failed on the first document without a PDF. Whether it then stopped, carried on or
        # dropped the rest, they are not to blame: they go back to the queue.
        index, others = missing[0], missing[1:]
        if others:
            self.queue.appendleft(others)
        self.attempts[index] += 1
        if self.attempts[index] < ATTEMPTS:
            self.retries.append(index)
        elif hung:
            self.failures.append(
                f"  {self.docs[index]}: LibreOffice did not finish converting it within {self.timeout:g} s, "
                "twice, and was stopped each time."
            )
        else:
            self.failures.append(
                f"  {self.docs[index]}: no usable PDF, twice. LibreOffice said:\n"
                f"[exit code {run.process.returncode}]\n{run.log_tail()}"
            )

    def _report(self) -> None:
        done = len(self.done) + sum(run.finished for run in self.running.values())
        if self.on_progress is not None and done != self.reported:
            self.reported = done
            self.on_progress(done, len(self.docs))
