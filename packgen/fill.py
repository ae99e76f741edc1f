"""Filling many templates at once, on every core.

Filling one document is ~30 ms of Python (docxtpl, Jinja, lxml, zip), and a pack has hundreds; on its
own that is a core busy for several seconds while the other waits for LibreOffice's turn. So a large
batch is shared among forked worker processes, each filling its share with a Renderer of its own
(forked: the documents' data is already in memory, nothing is pickled on the way in).

A process is forked only from a single-threaded program (the command line). Where other threads run,
as in the web page's server, forking could copy a lock another thread holds, so documents are filled
one after another there.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from .convert import default_workers
from .errors import ToolError
from .render import Renderer

# Below this many documents forking costs more than it saves (measured: ~0.1 s to start a worker).
PARALLEL_FROM = 24
SHARE = 8  # documents a worker fills between reports of progress

Job = tuple[str, Mapping[str, Any], Path]  # template, context, .docx to write
Progress = Callable[[int, int], None]

_jobs: Sequence[Job] = ()  # what forked workers fill, by index
_renderer: Renderer | None = None


def fill_documents(templates: Path, jobs: Sequence[Job], on_progress: Progress | None = None,
                   workers: int | None = None) -> None:
    """Fill every (template, context, destination) job; TemplateProblem for the first that fails."""
    count = workers or default_workers()
    report = on_progress or (lambda done, total: None)
    if count < 2 or len(jobs) < PARALLEL_FROM or threading.active_count() > 1:
        renderer = Renderer(templates)
        for done, (template, context, destination) in enumerate(jobs, start=1):
            renderer.render(template, context, destination)
            report(done, len(jobs))
        return
    global _jobs
    _jobs = jobs
    shares = [range(start, min(start + SHARE, len(jobs))) for start in range(0, len(jobs), SHARE)]
    try:
        with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_start_worker, initargs=(templates,)) as pool:
            pending = {pool.submit(_fill, share) for share in shares}
            done = 0
            try:
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
                    for future in finished:
                        done += future.result()  # re-raises a worker's TemplateProblem here
                    report(done, len(jobs))
            finally:
                for future in pending:  # after a failure (or Ctrl-C), fill nothing more
                    future.cancel()
    except BrokenProcessPool as exc:  # a worker was killed (out of memory, say)
        raise ToolError(f"a process filling the documents stopped unexpectedly ({exc})") from exc
    finally:
        _jobs = ()


def _start_worker(templates: Path) -> None:
    global _renderer
    _renderer = Renderer(templates)
    # Ctrl-C reaches the whole process group: the parent stops the work; a worker's own traceback
    # would only clutter the screen.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _fill(share: range) -> int:
    assert _renderer is not None
    for index in share:
        template, context, destination = _jobs[index]
        _renderer.render(template, context, destination)
    return len(share)
