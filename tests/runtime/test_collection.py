"""The cycle collector's thresholds while packgen builds, and after."""

from __future__ import annotations

import gc
import threading

from packgen.runtime.collection import fewer_collections


def test_thresholds_are_raised_inside_and_put_back_after_nested_blocks():
    before = gc.get_threshold()
    with fewer_collections():
        raised = gc.get_threshold()
        with fewer_collections():
            assert gc.get_threshold() == raised
        assert gc.get_threshold() == raised  # the outer block still runs
    assert raised[0] > before[0]
    assert gc.get_threshold() == before


def test_blocks_overlapping_in_two_threads_leave_the_thresholds_as_they_were():
    # Two builds of the web page's server: the first to end must not put back the thresholds the
    # second is still running with, nor the second put back the raised ones.
    before = gc.get_threshold()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first() -> None:
        with fewer_collections():
            first_in.set()
            second_in.wait()
        first_out.set()

    def second() -> None:
        first_in.wait()
        with fewer_collections():
            second_in.set()
            first_out.wait()
            seen["after the first ended"] = gc.get_threshold()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen["after the first ended"][0] > before[0]
    assert gc.get_threshold() == before
