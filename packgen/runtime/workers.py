"""Python work shared among forked processes, so a CPU-bound step uses every core.

Filling a document is ~15 ms of Python, joining and cutting them apart a few more, and a pack has
hundreds: on one core that is seconds during which the other core idles. Forked workers start with
the parent's memory, so the work (records, contexts, the function itself) is never pickled on the
way in; only results come back.

Processes are forked only from a single-threaded program (the command line). Where other threads
run, as in the web page's server, a fork could copy a lock another thread holds, so the work is done
in this process, one item after another.

Workers end with the build however it ends (runtime.orphans.die_with_parent): a build killed with
``kill -9`` leaves no worker behind to hold its files or its lock.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from packgen.errors import ToolError
from packgen.runtime.collection import usual_collections
from packgen.runtime.orphans import die_with_parent

# A LibreOffice worker needs its own memory (~200 MB a process); beyond a few processes the disk and
# the memory, not the cores, are what run out. Python workers follow the same count.
MAX_WORKERS = 4

Item = TypeVar("Item")
Result = TypeVar("Result")

# Below this many items forking costs more than it saves (a worker takes ~0.1 s to start and finish),
# for items of a few tens of milliseconds like a document to fill.
PARALLEL_FROM = 16

_work: tuple[Callable[[Any], Any], Sequence[Any]] | None = None  # what forked workers run, by index


def forked_map(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    *,
    workers: int | None = None,
    minimum: int = PARALLEL_FROM,
    on_done: Callable[[int], None] | None = None,
) -> list[Result]:
    """``[function(item) for item in items]``, shared among ``workers`` forked processes when there
    are at least ``minimum`` items (fewer, larger items are worth forking for sooner).

    ``on_done(count)`` is called in this process as items are finished. The first exception an
    item raises is raised here, and no new items are started after it.
    """
    count = min(workers or default_workers(), len(items))
    report = on_done or (lambda done: None)
    if count < 2 or len(items) < minimum or threading.active_count() > 1:
        results = []
        for item in items:
            results.append(function(item))
            report(len(results))
        return results
    global _work
    _work = (function, items)
    # Small shares, so workers finish together and progress moves steadily.
    size = max(1, len(items) // (count * 6))
    shares = [range(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    results_by_share: dict[int, list[Any]] = {}
    try:
        with ProcessPoolExecutor(
            count, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker, initargs=(os.getpid(),)
        ) as pool:
            pending: dict[Future[list[Any]], int] = {}
            try:
                # A stop (Ctrl-C, TERM) taken while the pool starts its thread would leave a thread
                # the pool then waits for but never started: the stop is taken once the work is handed out.
                with _stops_held():
                    for share in shares:
                        pending[pool.submit(_run, share)] = share.start
                while pending:
                    finished, _ = wait(pending, return_when=FIRST_EXCEPTION)
                    for future in finished:
                        results_by_share[pending.pop(future)] = future.result()  # re-raises a worker's error
                    report(sum(len(r) for r in results_by_share.values()))
            finally:
                for future in pending:  # after a failure (or Ctrl-C) nothing more is started
                    future.cancel()
    except BrokenProcessPool as exc:  # a worker was killed (out of memory, say)
        raise ToolError(f"a worker process stopped unexpectedly ({exc})") from exc
    finally:
        _work = None
    return [result for start in sorted(results_by_share) for result in results_by_share[start]]


_STOPS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def _stops_held() -> Iterator[None]:
    """Ctrl-C and TERM wait until the block ends, then are taken as usual. Threads started and
    processes forked inside the block begin with them held too (workers let them through)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _start_worker(parent: int) -> None:
    die_with_parent(parent)
    # The build's own TERM handling (stop, tidy up) is the build's: a worker just ends.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Ctrl-C reaches the whole process group: the parent stops the work, and a worker's own traceback
    # would only clutter the screen.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Forked while the parent held its stops (_stops_held): a TERM sent meanwhile ends the worker now.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
    # A worker's items (a filled document) are garbage once done, cycles and all: the collector runs
    # as usual here, not as seldom as in the build that forked it (measured: 400 MB a worker, not 180).
    usual_collections()


def _run(share: range) -> list[Any]:
    assert _work is not None
    function, items = _work
    return [function(items[index]) for index in share]


def default_workers() -> int:
    """How many processes packgen runs at once: the cores it may use, at most MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))  # the cores we may use, not all the machine's
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))
