"""Work shared among forked processes: results in order, errors raised here, and a stop taken
cleanly at whatever moment it comes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from packgen.runtime.workers import forked_map


def _where(item: int) -> tuple[int, int]:
    return item * item, os.getpid()


def _fails_at_seven(item: int) -> int:
    if item == 7:
        raise ValueError("item seven")
    return item


def test_results_come_back_in_order_from_other_processes_with_progress():
    done: list[int] = []
    results = forked_map(_where, range(40), workers=2, on_done=done.append)
    assert [square for square, _ in results] == [n * n for n in range(40)]
    assert os.getpid() not in {pid for _, pid in results}
    assert done[-1] == 40 and done == sorted(done)


def test_an_items_error_is_raised_in_the_caller():
    with pytest.raises(ValueError, match="item seven"):
        forked_map(_fails_at_seven, range(40), workers=2)


# TERM is sent from inside the pool's own start-up, at the moment its first thread is being
# started: the one moment that once turned a stop into a crash ("cannot join thread before it is
# started", exit 70 instead of 130).
STOPPED_AS_THE_POOL_STARTS = textwrap.dedent(
    """
    import os, signal, sys, threading
    from packgen.runtime.workers import forked_map

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    start = threading.Thread.start
    sent = []

    def start_as_term_arrives(thread):
        if not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGTERM)
        start(thread)

    threading.Thread.start = start_as_term_arrives
    try:
        forked_map(abs, range(200), workers=2)
    except KeyboardInterrupt:
        print("stopped")
        sys.exit(130)
    print("finished")
    """
)


def test_a_stop_arriving_as_the_workers_start_is_taken_cleanly():
    ran = subprocess.run([sys.executable, "-c", STOPPED_AS_THE_POOL_STARTS], capture_output=True, text=True, timeout=60)
    assert (ran.returncode, ran.stdout.strip()) == (130, "stopped"), ran.stderr
    assert "Traceback" not in ran.stderr, ran.stderr
