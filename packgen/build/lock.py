"""One packgen run at a time per school's output: a second run waits for nobody and says why it stopped.

An advisory ``flock`` on ``<output>/<school>/.lock``: the kernel drops it when the process ends, however
it ends, so a crashed run never leaves a stale lock behind. Processes forked while it is held close it
at once (runtime.orphans.close_in_forks): the lock is the run's own, never kept alive by a worker.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from packgen.errors import BusyError
from packgen.runtime.orphans import close_in_forks, keep_in_forks

LOCK_NAME = ".lock"


@contextmanager
def exclusive(folder: Path, what: str) -> Iterator[None]:
    """Hold the lock on ``folder`` (which must exist) while the block runs; BusyError if another run has it."""
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    close_in_forks(fd)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another packgen run"
            raise BusyError(
                f"{what} is already being written by {holder}; wait for it to finish, then try again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"packgen (process {os.getpid()})".encode(), 0)
        yield
    finally:
        keep_in_forks(fd)
        os.close(fd)
