"""Nothing packgen starts outlives it, however it ends: Ctrl-C, TERM, or ``kill -9``.

Two kinds of children. Forked workers ask the kernel to kill them when the thread that forked them
ends (``die_with_parent``: PR_SET_PDEATHSIG). LibreOffice cannot be asked that way: it runs in a
process group of its own (soffice -> oosplash -> soffice.bin) and the setting is not passed on to the
processes it starts. So each LibreOffice is started with an environment that marks it as ours
(``owned``), which every process it starts inherits, and a small watchdog process holds the read end
of a pipe whose other end only we hold: when we end, however we end, the pipe closes and the watchdog
kills every process that carries our mark. A mark, not a list of process ids: a LibreOffice started a moment
before we are killed carries it as surely as one started an hour before.

Locks are the other thing a child could keep: a forked child shares its parent's open files, so a
``flock`` taken before the fork would stay held by the child. Locks registered with
``close_in_forks`` are closed in every forked child at once.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

PR_SET_PDEATHSIG = 1
MARK = "PACKGEN_OWNED_BY"  # in the environment of each LibreOffice: the process id and start time of its packgen

# Runs in the watchdog (a fresh interpreter), given the mark: waits for the pipe to close, then kills
# every process carrying the mark, again until none is left (one may start another as it is killed).
_WATCHDOG = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
mark = sys.argv[1].encode()
while os.read(0, 4096):
    pass
for _ in range(100):
    found = False
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/environ", "rb") as environ:
                if mark in environ.read().split(b"\\0"):
                    os.kill(int(name), signal.SIGKILL)
                    found = True
        except (OSError, ValueError):
            pass
    if not found:
        break
"""

_lock = threading.Lock()
_watchdog: subprocess.Popen[bytes] | None = None
_fork_closed: set[int] = set()


def die_with_parent(parent: int) -> None:
    """In a forked child of ``parent``: be killed when the thread that forked it ends (the parent's main
    thread, for our workers), even by SIGKILL."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent ended before the request was made
        os._exit(1)


def owned(environment: Mapping[str, str]) -> dict[str, str]:
    """``environment`` with this process's mark: a program started with it, and every process that
    program starts, is killed if this process ends without having ended them."""
    global _watchdog
    mark = f"{MARK}={os.getpid()}-{_started()}"
    with _lock:
        if _watchdog is None or _watchdog.poll() is not None:
            # Its own session: Ctrl-C at the terminal is ours to handle, and must not end it first.
            _watchdog = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _WATCHDOG, mark],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
    name, value = mark.split("=", 1)
    return {**environment, name: value}


def _started() -> str:
    # With the process id, what tells this process from a later one given the same id.
    return Path("/proc/self/stat").read_text(encoding="ascii", errors="replace").rsplit(")", 1)[1].split()[19]


def close_in_forks(fd: int) -> None:
    """Close ``fd`` (a lock) in every child forked while it is open, so only this process holds it."""
    _fork_closed.add(fd)


def keep_in_forks(fd: int) -> None:
    """``fd`` is about to be closed: forget it."""
    _fork_closed.discard(fd)


def _after_fork_in_child() -> None:
    global _watchdog, _lock
    _lock = threading.Lock()  # another thread may have held it at the fork
    _watchdog = None  # the parent's, watching the parent
    for fd in list(_fork_closed):
        try:
            os.close(fd)
        except OSError:
            pass
    _fork_closed.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)
